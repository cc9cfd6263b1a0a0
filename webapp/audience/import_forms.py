"""Forms of the CSV import: the upload and the column mapping."""
from collections import Counter

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import FieldList, SelectChoice, SelectField, StringField
from sqlalchemy import true
from wtforms.validators import Length, ValidationError

from webapp.audience.export import custom_field_keys
from webapp.audience.importer import FIELDS, list_name_taken, slugify

# Each custom field is a column of every export and a key in every contact's JSON: keep them few.
MAX_CUSTOM_PER_IMPORT = 50
MAX_CUSTOM_FIELDS = 200


class UploadForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file to upload.")])


def _optional_id(value):
    return int(value) if value not in (None, "", "None") else None


def _check_custom_field_count(new_keys):
    if len(new_keys) > MAX_CUSTOM_PER_IMPORT:
        raise ValidationError(f"{len(new_keys)} columns would become custom fields; an import can add at most "
                              f"{MAX_CUSTOM_PER_IMPORT}. Set the columns you do not need to “Don't import”.")
    if not new_keys:
        return
    in_use = set(custom_field_keys(true()))
    added = new_keys - in_use
    if added and len(in_use) + len(added) > MAX_CUSTOM_FIELDS:
        raise ValidationError(f"Contacts already have {len(in_use)} custom fields and this import would add {len(added)} more; "
                              f"at most {MAX_CUSTOM_FIELDS} are allowed. Map these columns to existing fields or to “Don't import”.")


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
        for index, (entry, header) in enumerate(zip(self.columns, headers)):
            entry.label.text = header
            # Name the custom field this column would fill, as templates write it.
            entry.choices = [SelectChoice(value, f"Custom field “{slugify(header, index)}”" if value == "custom" else label)
                             for value, label in FIELDS.items()]
        self.target_list.choices = [SelectChoice(None, "Don't add them to a list"), *(SelectChoice(i, name) for i, name in lists)]

    def becomes(self, index):
        """The contact field the column fills with its current choice, as a template names it; None when left out."""
        value = self.columns[index].data
        if value == "ignore":
            return None
        return "contact." + (slugify(self.headers[index], index) if value == "custom" else value)

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
        _check_custom_field_count(set(slugs))

    def validate_new_list_name(self, field):
        name = (field.data or "").strip()
        if name and self.target_list.data:
            raise ValidationError("Choose an existing list or name a new one, not both.")
        if name and list_name_taken(name):
            raise ValidationError(f"A list named “{name}” already exists; choose it above.")
