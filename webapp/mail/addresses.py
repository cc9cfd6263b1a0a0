"""Addresses as SMTP carries them (RFC 5321, RFC 6531 SMTPUTF8).

A non-ASCII domain always travels in its ASCII form ("xn--" labels): every server knows it. A
non-ASCII local part ("anna.garcía@") has no ASCII form: only a server that offers SMTPUTF8
may be given it, and without that the message cannot go to that one address.
"""
from webapp.common.emails import ascii_domain


class NeedsSmtpUtf8(ValueError):
    """The address has a non-ASCII local part and the server does not offer SMTPUTF8."""

    def __init__(self):
        super().__init__("needs SMTPUTF8, which the relay does not offer")


def needs_smtputf8(address):
    return not address.rpartition("@")[0].isascii()


def wire_address(address, smtputf8_offered):
    """The address as a MAIL FROM or RCPT TO argument, or NeedsSmtpUtf8."""
    if needs_smtputf8(address):
        if not smtputf8_offered:
            raise NeedsSmtpUtf8()
        return address  # RFC 6531: with SMTPUTF8 the domain may stay in Unicode too
    return ascii_domain(address)
