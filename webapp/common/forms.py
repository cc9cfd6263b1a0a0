"""Form pieces more than one feature's forms use."""
from wtforms.validators import ValidationError

from webapp.common.emails import InvalidEmail, normalize_email


def strip(value):
    """A WTForms filter: surrounding white space is never part of a value."""
    return value.strip() if isinstance(value, str) else value


class NormalizedEmail:
    """Validates with normalize_email (the one way Mailroom checks addresses) and stores the normalised value."""

    def __call__(self, form, field):
        if not field.data:
            return
        try:
            field.data = normalize_email(field.data)
        except InvalidEmail as error:
            raise ValidationError(str(error)) from error
