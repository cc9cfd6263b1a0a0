"""Forms of the mass email pages: the new mass email, and the confirmation before it goes out."""
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField, DateTimeLocalField, RadioField, SelectChoice, SelectField, SelectMultipleField, StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from webapp.audience.models import TargetList
from webapp.auth.forms import NormalizedEmail
from webapp.compose.models import Template
from webapp.extensions import db
from webapp.sending.sender import utcnow


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class MassEmailForm(FlaskForm):
    name = StringField("Name", filters=[_strip],
                       validators=[DataRequired(message="Give the mass email a name."), Length(max=200)])
    template_id = SelectField("Template", coerce=int, validators=[InputRequired(message="Choose a template.")])
    list_ids = SelectMultipleField("Send to lists", coerce=int,
                                   validators=[DataRequired(message="Choose at least one list to send to.")])
    excluding_list_ids = SelectMultipleField("Skip members of", coerce=int)
    from_name = StringField("From name", filters=[_strip], validators=[Optional(), Length(max=200)])
    from_email = StringField("From email", filters=[_strip], validators=[Optional(), NormalizedEmail()])
    reply_to = StringField("Reply-to", filters=[_strip], validators=[Optional(), NormalizedEmail()])
    campaign = StringField("Campaign", filters=[_strip], validators=[Optional(), Length(max=200)])
    when = RadioField("When", choices=[SelectChoice("now", "Send as soon as I confirm"),
                                       SelectChoice("later", "Schedule for a date and time")],
                      default="now")
    scheduled_at = DateTimeLocalField("Date and time (UTC)", format="%Y-%m-%dT%H:%M", validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        templates = db.session.execute(select(Template.id, Template.name).order_by(Template.name)).all()
        self.template_id.choices = [SelectChoice(*row) for row in templates]
        lists = [SelectChoice(*row) for row in db.session.execute(select(TargetList.id, TargetList.name).order_by(TargetList.name))]
        self.list_ids.choices = lists
        self.excluding_list_ids.choices = lists

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


class ConfirmForm(FlaskForm):
    confirmed = BooleanField("I have checked the recipients and the preflight above",
                             validators=[DataRequired(message="Tick this box to confirm you checked who this goes to.")])
