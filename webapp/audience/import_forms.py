"""Forms of the CSV import: the upload and the column mapping."""
from collections import Counter

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import FieldList, SelectChoice, SelectField, StringField
from wtforms.validators import Length, ValidationError

from webapp.audience.importer import FIELDS, list_name_taken, slugify


class UploadForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file to upload.")])


def _optional_id(value):
    return int(value) if value not in (None, "", "None") else None


class ColumnMappingForm(FlaskForm):
    """One select per CSV column (labelled with its header), plus where the imported contacts go."""

    columns = FieldList(SelectField(choices=[SelectChoice(value, label) for value, label in FIELDS.items()]))
    target_list = SelectField("Add them to an existing list", coerce=_optional_id, choices=[])
    new_list_name = StringField("…or to a new list named", validators=[Length(max=200)])

    def __init__(self, headers, lists, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.headers = headers
        while len(self.columns) < len(headers):
            self.columns.append_entry("ignore")
        for entry, header in zip(self.columns, headers):
            entry.label.text = header
        self.target_list.choices = [SelectChoice(None, "Don't add them to a list"), *(SelectChoice(i, name) for i, name in lists)]

    def validate_columns(self, field):
        chosen = [entry.data for entry in field]
        if len(chosen) != len(self.headers):
            raise ValidationError("The form does not match the file's columns; reload the page.")
        if "email" not in chosen:
            raise ValidationError("Choose the column that holds the email addresses (missing email column).")
        counts = Counter(value for value in chosen if value not in ("custom", "ignore"))
        slugs = Counter(slugify(h, i) for i, (h, value) in enumerate(zip(self.headers, chosen)) if value == "custom")
        for index, (entry, header) in enumerate(zip(field, self.headers)):
            if entry.data not in ("custom", "ignore") and counts[entry.data] > 1:
                entry.errors.append(f"Only one column can be “{FIELDS[entry.data]}”.")
            elif entry.data == "custom" and slugs[slugify(header, index)] > 1:
                entry.errors.append(f"Another column also fills the custom field “{slugify(header, index)}”.")
        if any(entry.errors for entry in field):
            raise ValidationError("Some columns are mapped twice; see the marked columns.")

    def validate_new_list_name(self, field):
        name = (field.data or "").strip()
        if name and self.target_list.data:
            raise ValidationError("Choose an existing list or name a new one, not both.")
        if name and list_name_taken(name):
            raise ValidationError(f"A list named “{name}” already exists; choose it above.")
