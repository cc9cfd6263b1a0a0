"""Forms for target lists and suppressions."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from webapp.audience.lists import name_taken
from webapp.audience.suppressions import parse_entry
from webapp.common.emails import InvalidEmail
from webapp.common.vocabulary import SUPPRESSION_REASONS

REASON_CHOICES = [SelectChoice(reason, term.label) for reason, term in SUPPRESSION_REASONS.items()]


class ListForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(message="Give the list a name."), Length(max=200)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000)])

    def __init__(self, *args, list_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.list_id = list_id

    def validate_name(self, field):
        if name_taken(field.data, except_id=self.list_id):
            raise ValidationError(f"A list named “{field.data.strip()}” already exists. Choose another name.")


class NewListForm(ListForm):
    kind = RadioField("Kind", default="static", choices=[
        SelectChoice("static", "Static list: you add contacts by hand, by search or as a one-time copy of a filter"),
        SelectChoice("segment", "Segment: a saved filter; its members are whoever matches it when you look or send"),
    ])


class SegmentForm(ListForm):
    """“Save as segment” under the contact table: a name, and the table's search and status as they are."""

    q = HiddenField(filters=[lambda value: (value or "").strip()])
    status = HiddenField(filters=[lambda value: value or ""])


def _text(value):
    """A field a client left out is empty text, not None."""
    return value or ""


class SuppressionForm(FlaskForm):
    entry = StringField("Email or domain", validators=[DataRequired(message="Enter an email address or a domain.")])
    reason = SelectField("Reason", choices=REASON_CHOICES, default="manual")
    source = StringField("Source note", filters=[_text], validators=[Optional(), Length(max=200)])

    def validate_entry(self, field):
        try:
            self.parsed = parse_entry(field.data)
        except InvalidEmail as error:
            raise ValidationError(str(error)) from error


class SuppressionImportForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired(message="Choose a CSV file to import.")])
    reason = SelectField("Reason for lines without one", choices=REASON_CHOICES, default="manual")
    source = StringField("Source note", filters=[_text], validators=[Optional(), Length(max=200)])
