from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from webapp.audience.contacts import email_taken
from webapp.audience.models import CONTACT_STATUSES
from webapp.common.emails import InvalidEmail, normalize_email

STATUS_CHOICES = [SelectChoice(status, status.title()) for status in CONTACT_STATUSES]


class ContactFilterForm(FlaskForm):
    """The search box and status filter above the contact table (GET, so no CSRF)."""

    class Meta:
        csrf = False

    q = StringField("Search", validators=[Length(max=200)])
    status = SelectField("Status", choices=[SelectChoice("", "All statuses"), *STATUS_CHOICES], validate_choice=False)


class CustomFieldRow(Form):
    key = StringField("Field", validators=[Length(max=100)])
    value = StringField("Value", validators=[Length(max=1000)])


class ContactForm(FlaskForm):
    email = StringField("Email", validators=[DataRequired(message="Enter an email address.")])
    first_name = StringField("First name", validators=[Length(max=200)])
    last_name = StringField("Last name", validators=[Length(max=200)])
    company = StringField("Company", validators=[Length(max=200)])
    status = SelectField("Status", choices=STATUS_CHOICES)
    custom_fields = FieldList(FormField(CustomFieldRow))

    BLANK_ROWS = 2  # empty key/value rows offered for new fields

    def __init__(self, *args, contact_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.contact_id = contact_id
        if not self.is_submitted():
            for _ in range(self.BLANK_ROWS):
                self.custom_fields.append_entry()

    @classmethod
    def for_contact(cls, contact):
        rows = [{"key": key, "value": "" if value is None else str(value)} for key, value in sorted(contact.custom_fields.items())]
        facts = {name: getattr(contact, name) for name in ("email", "first_name", "last_name", "company", "status")}
        return cls(data={**facts, "custom_fields": rows}, contact_id=contact.id)

    def validate_email(self, field):
        try:
            field.data = normalize_email(field.data)
        except InvalidEmail as error:
            raise ValidationError(str(error)) from error
        if email_taken(field.data, except_id=self.contact_id):
            raise ValidationError(f"Another contact already has the address {field.data}.")

    def validate_custom_fields(self, field):
        seen = set()
        for row in field:
            key = (row.key.data or "").strip()
            if not key:
                if (row.value.data or "").strip():
                    row.key.errors.append("Give this value a field name, or clear the value.")
                    raise ValidationError("Every value needs a field name.")
                continue
            if key in seen:
                row.key.errors.append(f"“{key}” appears twice.")
                raise ValidationError("Field names must be unique.")
            seen.add(key)

    def custom_field_values(self):
        """The key/value rows as a dict; rows without a key are dropped (that is how a field is removed)."""
        return {row.key.data.strip(): row.value.data for row in self.custom_fields if (row.key.data or "").strip()}
