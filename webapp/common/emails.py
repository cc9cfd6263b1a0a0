"""Email address validation and normalisation: the one way every part of Mailroom does it.

An address is stored as email-validator normalises it, then lower-cased whole:
mailbox providers treat local parts case-insensitively in practice, and one
contact per mailbox is what marketers expect.

Imports validate hundreds of thousands of addresses, and email-validator checks
about 28,000 a second. Almost all real addresses are plain ASCII, so a strict
regular expression answers for those first. It only ever says "valid, and this
is the normalised value" (the value email-validator would give, proven by the
property tests in tests/test_emails.py); anything it is unsure of, including
every invalid address, goes to email-validator, which owns the error messages.
"""
import re

import email_validator
import idna
from email_validator import EmailNotValidError, validate_email

# RFC 5322 dot-atom of ASCII atext: no leading, trailing or doubled dots. At most 64 characters,
# although email-validator allows longer local parts when not strict: longer ones take the slow path.
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
# Hostname labels of letters, digits and inner hyphens (at most 63), and an alphabetic top-level domain.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PLAIN_ADDRESS = re.compile(rf"(?=[^@]{{1,64}}@)({_LOCAL})@((?:{_LABEL}\.)+[A-Za-z]{{2,63}})", re.ASCII)
_MAX_ADDRESS, _MAX_DOMAIN = 254, 253
_SPECIAL_USE = tuple(email_validator.SPECIAL_USE_DOMAIN_NAMES)
_SPECIAL_USE_SUFFIXES = tuple("." + name for name in _SPECIAL_USE)


class InvalidEmail(ValueError):
    """The address cannot be used; str(error) says why, in words for people."""


def _fast_normalize(candidate):
    """The normalised address when it is certainly valid plain ASCII, else None ("don't know")."""
    match = _PLAIN_ADDRESS.fullmatch(candidate)
    if match is None or len(candidate) > _MAX_ADDRESS:
        return None
    domain = match.group(2).lower()
    # "--" in a label means Punycode (xn--) or a reserved R-LDH label: email-validator's IDNA rules decide.
    if len(domain) > _MAX_DOMAIN or "--" in domain:
        return None
    # email-validator's own rule for its special-use list (.local, .test, ...), as one C-level call per address.
    if domain in _SPECIAL_USE or domain.endswith(_SPECIAL_USE_SUFFIXES):
        return None
    return candidate.lower()


def normalize_email(raw):
    candidate = (raw or "").strip()
    if not candidate:
        raise InvalidEmail("The email address is empty.")
    fast = _fast_normalize(candidate)
    if fast is not None:
        return fast
    try:
        result = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidEmail(str(error)) from error
    return result.normalized.lower()


def email_domain(email):
    return email.rpartition("@")[2]


def ascii_domain(email):
    """The address with its domain in ASCII (IDNA 2008 "xn--" labels, as email-validator checked
    it): what DNS and SMTP know a non-ASCII domain by. The local part stays as it is."""
    local, _, domain = email.rpartition("@")
    if domain.isascii():
        return email
    return f"{local}@{idna.encode(domain, uts46=True).decode('ascii')}"
