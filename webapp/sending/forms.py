"""Forms of the mass email pages: the new mass email, and the confirmation before it goes out."""
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField, DateTimeLocalField, IntegerField, RadioField, SelectChoice, SelectField, SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.audience.lists import lists_overview
from webapp.common.clock import utcnow
from webapp.common.forms import NormalizedEmail, strip
from webapp.common.params import database_id
from webapp.compose.models import Template
from webapp.extensions import db
from webapp.sending.drip_schedule import TIMEZONES, WEEKDAYS, DripSchedule
from webapp.sending.lifecycle import EDITABLE_STATES
from webapp.sending.models import MassEmail
from webapp.sending.resolve import Audience

EARLIER_SENDS_SHOWN = 30
MAX_INTEGER = 2**31 - 1  # list and mass email ids are INTEGER columns; PostgreSQL refuses a larger value


def _template_choices():
    """The templates a mass email may use: an archived (deleted) one is not offered."""
    in_use = select(Template.id, Template.name).where(Template.archived_at.is_(None)).order_by(Template.name)
    return [SelectChoice(*row) for row in db.session.execute(in_use)]


class DripScheduleForm(FlaskForm):
    """A drip's schedule: every N units, on these weekdays, between these hours, in a timezone."""

    UNITS = {"seconds": 1, "minutes": 60, "hours": 3600}

    interval = IntegerField("Send one email every", default=3,
                            validators=[Optional(), NumberRange(min=1, max=10_000, message="Enter a number from 1 to 10,000.")])
    interval_unit = SelectField("Unit", default="minutes", choices=[SelectChoice(u, u) for u in UNITS])
    days = SelectMultipleField("On these days", default=list("01234"),
                               choices=[SelectChoice(str(n), name) for n, name in enumerate(WEEKDAYS)],
                               widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    start_hour = SelectField("From", coerce=int, default=9, choices=[SelectChoice(h, f"{h:02d}:00") for h in range(24)])
    end_hour = SelectField("Until", coerce=int, default=17,
                           choices=[SelectChoice(h, f"{h:02d}:00") for h in range(1, 25)])
    timezone = SelectField("Timezone", default="UTC", choices=[SelectChoice(zone, zone) for zone in TIMEZONES])

    def schedule(self):
        return DripSchedule(self.interval.data * self.UNITS[self.interval_unit.data], "".join(sorted(self.days.data)),
                            self.start_hour.data, self.end_hour.data, self.timezone.data)

    def validate_schedule(self):
        """Field by field, so each message shows beside its field; False when one fails."""
        problems = [
            (self.interval, not self.interval.data and not self.interval.errors, "Enter how often to send, e.g. every 3 minutes."),
            (self.days, not self.days.data, "Choose at least one day of the week."),
            (self.end_hour, not (self.start_hour.errors or self.end_hour.errors) and self.end_hour.data <= self.start_hour.data,
              "The sending window must end after it starts."),
        ]
        for field, failed, message in problems:
            if failed:
                field.errors.append(message)
        return not any(field.errors for field in (self.interval, self.days, self.end_hour))

    def fill_from(self, schedule):
        """Show a saved schedule (in the largest whole unit of its interval)."""
        unit = next(u for u in reversed(self.UNITS) if schedule.interval_seconds % self.UNITS[u] == 0)
        self.interval.data, self.interval_unit.data = schedule.interval_seconds // self.UNITS[unit], unit
        self.days.data = list(schedule.days)
        self.start_hour.data, self.end_hour.data, self.timezone.data = schedule.start_hour, schedule.end_hour, schedule.timezone


class DripEditForm(DripScheduleForm):
    template_id = SelectField("Template", coerce=int, validators=[InputRequired(message="Choose a template.")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.template_id.choices = _template_choices()

    def validate(self, extra_validators=None):
        return super().validate(extra_validators) and self.validate_schedule()


def _checkboxes(label, **kwargs):
    return SelectMultipleField(label, coerce=int, widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
                               **kwargs)


class MassEmailForm(DripScheduleForm):
    """A new mass email, or a draft's changes (the same form: edit_draft fills it from the draft)."""

    name = StringField("Name", filters=[strip],
                       validators=[DataRequired(message="Give the mass email a name."), Length(max=200)])
    template_id = SelectField("Template", coerce=int, validators=[InputRequired(message="Choose a template.")])
    list_ids = _checkboxes("Send to lists", validators=[DataRequired(message="Choose at least one list to send to.")])
    excluding_list_ids = _checkboxes("Skip members of")
    excluding_mass_email_ids = _checkboxes("Skip everyone already sent")
    from_name = StringField("From name", filters=[strip], validators=[Optional(), Length(max=200)])
    from_email = StringField("From email", filters=[strip], validators=[Optional(), NormalizedEmail()])
    reply_to = StringField("Reply-to", filters=[strip], validators=[Optional(), NormalizedEmail()])
    campaign = StringField("Campaign", filters=[strip], validators=[Optional(), Length(max=200)])
    kind = RadioField("How to send", default="standard", choices=[
        SelectChoice("standard", "Standard: in batches, as fast as the sending limits allow"),
        SelectChoice("drip", "Advanced drip: one contact at a time, on a schedule you can pause and edit"),
    ])
    when = RadioField("When", choices=[SelectChoice("now", "Send as soon as I confirm"),
                                       SelectChoice("later", "Schedule for a date and time")],
                      default="now")
    scheduled_at = DateTimeLocalField("Date and time (UTC)", format="%Y-%m-%dT%H:%M", validators=[Optional()])

    def __init__(self, *args, editing_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.template_id.choices = _template_choices()
        overview = lists_overview()
        lists = [SelectChoice(row["list"].id, row["list"].name + (" (segment)" if row["list"].is_segment else "")) for row in overview]
        self.member_counts = {row["list"].id: row["subscribed"] for row in overview}
        self.list_ids.choices = lists
        self.excluding_list_ids.choices = lists
        self.excluding_mass_email_ids.choices = [SelectChoice(*row) for row in _earlier_sends(editing_id)]

    def load(self, mass_email):
        """Show a saved draft."""
        for name in ("name", "from_name", "from_email", "reply_to", "campaign", "kind", "scheduled_at"):
            getattr(self, name).data = getattr(mass_email, name)
        self.template_id.data = mass_email.template_version.template_id
        self.list_ids.data = [row.list_id for row in mass_email.lists if not row.excluding]
        self.excluding_list_ids.data = [row.list_id for row in mass_email.lists if row.excluding]
        self.excluding_mass_email_ids.data = [row.excluded_mass_email_id for row in mass_email.exclusions]
        self.when.data = "later" if mass_email.scheduled_at else "now"
        if mass_email.drip_schedule is not None:
            self.fill_from(mass_email.drip_schedule)

    def draft_values(self):
        """The keyword arguments of lifecycle.create_draft / update_draft."""
        return dict(
            name=self.name.data, template_id=self.template_id.data, list_ids=self.list_ids.data,
            excluding_list_ids=self.excluding_list_ids.data, excluding_mass_email_ids=self.excluding_mass_email_ids.data,
            from_name=self.from_name.data, from_email=self.from_email.data, reply_to=self.reply_to.data,
            campaign=self.campaign.data, scheduled_at=self.scheduled_at.data if self.when.data == "later" else None,
            drip_schedule=self.drip_schedule(),
        )

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        return (self.kind.data != "drip" or self.validate_schedule()) and valid

    def drip_schedule(self):
        return self.schedule() if self.kind.data == "drip" else None

    def validate_excluding_list_ids(self, field):
        both = set(field.data or ()) & set(self.list_ids.data or ())
        if both:
            names = ", ".join(choice.label for choice in field.choices if choice.value in both)
            raise ValidationError(f"A list cannot be both sent to and skipped: {names}.")

    def validate_scheduled_at(self, field):
        if self.when.data != "later":
            return
        if field.data is None:
            raise ValidationError("Choose the date and time to send at.")
        if field.data <= utcnow():
            raise ValidationError("That time has passed. Choose a time in the future, or send now.")


def _earlier_sends(editing_id):
    """The mass emails whose recipients a new one may skip: those that started, newest first."""
    return db.session.execute(
        select(MassEmail.id, MassEmail.name)
        .where(MassEmail.state.not_in(EDITABLE_STATES), MassEmail.id != (editing_id or 0))
        .order_by(MassEmail.created_at.desc(), MassEmail.id.desc()).limit(EARLIER_SENDS_SHOWN)
    ).all()


def audience_from(formdata):
    """The Audience ticked so far on the mass email form, for its live estimate: values that cannot
    be ids of lists or mass emails (INTEGER columns) are left out; an id of nothing counts nobody."""
    def ids(name):
        return tuple(i for i in map(database_id, formdata.getlist(name)) if i is not None and i <= MAX_INTEGER)

    return Audience(ids("list_ids"), ids("excluding_list_ids"), ids("excluding_mass_email_ids"))


class ConfirmForm(FlaskForm):
    confirmed = BooleanField("I have checked the recipients and the preflight above",
                             validators=[DataRequired(message="Tick this box to confirm you checked who this goes to.")])
