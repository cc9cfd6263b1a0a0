"""Email address validation and normalisation: the one way every part of Mailroom does it.

An address is stored as email-validator normalises it, then lower-cased whole:
mailbox providers treat local parts case-insensitively in practice, and one
contact per mailbox is what marketers expect.
"""
from email_validator import EmailNotValidError, validate_email


class InvalidEmail(ValueError):
    """The address cannot be used; str(error) says why, in words for people."""


def normalize_email(raw):
    candidate = (raw or "").strip()
    if not candidate:
        raise InvalidEmail("The email address is empty.")
    try:
        result = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidEmail(str(error)) from error
    return result.normalized.lower()


def email_domain(email):
    return email.rpartition("@")[2]
