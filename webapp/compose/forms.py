"""Forms of the compose pages: the template editor, tracking URLs, send test."""
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from webapp.common.forms import NormalizedEmail
from webapp.compose import service
from webapp.compose.limits import MAX_SUBJECT_LENGTH, MAX_TEMPLATE_LENGTH
from webapp.compose.links import is_trackable
from webapp.compose.models import VERSIONED_FIELDS


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _keep(value):
    """Text areas keep their text exactly (a template's whitespace is content), but None becomes ""."""
    return value or ""


def _template_length(part):
    limit = MAX_TEMPLATE_LENGTH[part]
    return Length(max=limit, message=f"At most {limit:,} characters: Gmail clips an email above 102 KB, "
                                     "so a real one is far shorter.")


class NewTemplateForm(FlaskForm):
    name = StringField("Name", filters=[_strip], validators=[DataRequired(message="Give the template a name."), Length(max=200)])

    def __init__(self, *args, template_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.template_id = template_id

    def validate_name(self, field):
        if service.name_taken(field.data, except_id=self.template_id):
            raise ValidationError(f"A template named “{field.data}” already exists. Choose another name.")


class TemplateForm(NewTemplateForm):
    subject = StringField("Subject", filters=[_strip], validators=[Length(max=MAX_SUBJECT_LENGTH)])
    from_name = StringField("From name", filters=[_strip], validators=[Optional(), Length(max=200)])
    from_email = StringField("From email", filters=[_strip], validators=[Optional(), NormalizedEmail()])
    reply_to = StringField("Reply-to", filters=[_strip], validators=[Optional(), NormalizedEmail()])
    html = TextAreaField("HTML", filters=[_keep], validators=[_template_length("html")])
    text = TextAreaField("Plain text", filters=[_keep], validators=[_template_length("text")])

    def values(self):
        """The template's values; a blank text part is stored as None (generated when sending)."""
        values = {name: self[name].data or "" for name in ("name", *VERSIONED_FIELDS)}  # a field not sent is empty
        values["text"] = values["text"] if values["text"].strip() else None
        return values


class TrackingUrlForm(FlaskForm):
    name = StringField("Name", filters=[_strip], validators=[
        DataRequired(message="Give the link a name, e.g. Pricing."), Length(max=200)])
    url = StringField("Destination", filters=[_strip], validators=[
        DataRequired(message="Enter the address the link leads to."), Length(max=2000)])

    def __init__(self, *args, tracking_url_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.tracking_url_id = tracking_url_id

    def validate_name(self, field):
        if '"' in field.data or "\\" in field.data:
            raise ValidationError("Leave out quotes and backslashes: the name goes inside tracking_url(\"…\").")
        if service.tracking_url_name_taken(field.data, except_id=self.tracking_url_id):
            raise ValidationError(f"A tracking URL named “{field.data}” already exists.")

    def validate_url(self, field):
        if not is_trackable(field.data):
            raise ValidationError("Use a full http:// or https:// address, e.g. https://example.com/pricing.")


class SendTestForm(FlaskForm):
    addresses = TextAreaField("Send a test to", validators=[DataRequired(message="Enter at least one address.")])
