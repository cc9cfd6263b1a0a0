"""Our DKIM signatures (OpenSSL through cryptography) verify with dkimpy, for every message shape."""
import subprocess
import time

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webapp.mail.dkim import (
    SIGNED_HEADERS, DkimKey, DkimSigner, InvalidDkimKey, check_private_key, dns_record, public_key_base64,
)

pytestmark = pytest.mark.database_free
DOMAIN = "example.com"


def _pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@pytest.fixture(scope="module")
def rsa_pem():
    return _pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture(scope="module")
def ed_pem():
    return _pem(ed25519.Ed25519PrivateKey.generate())


def dns_of(*records):
    """A dnsfunc for dkim.verify answering the given (name, value) TXT records."""
    table = {f"{name}.".encode(): value.encode() for name, value in records}
    return lambda name, timeout=5: table.get(name)


def verifies(message, records, index=0):
    try:
        return dkim.DKIM(message).verify(idx=index, dnsfunc=dns_of(*records))
    except dkim.ValidationError:  # how dkimpy says "the body was changed"
        return False


# Message shapes that trip canonicalisation: folded headers, tabs and runs of spaces, spaces at
# line ends, 8-bit bodies, long lines, empty lines at the end, an empty body.
HEADER_VALUES = st.sampled_from([
    "Ann <ann@example.org>", "A long subject\r\n\tfolded onto a second line", "  spaced   out  ", "x\tand\ttabs",
    "=?utf-8?q?Zo=C3=AB?=", "trailing space ", "one\r\n two\r\n three",
])
BODY_LINES = st.lists(st.sampled_from([
    "", "plain text", "two  spaces", "tab\there", "trailing ", "trailing\t", " leading", "Zoë and ☃", "x" * 1200,
    "a . dot", ".", "  ",
]), max_size=12)


@st.composite
def messages(draw):
    headers = [("From", draw(HEADER_VALUES)), ("To", "bob@example.net"), ("Subject", draw(HEADER_VALUES)),
               ("Date", "Sat, 05 Dec 2026 10:00:00 +0000"), ("Message-ID", "<abc@example.com>")]
    if draw(st.booleans()):
        headers.append(("List-Unsubscribe", "<https://mail.example.com/t/u/abc>,\r\n <mailto:u@example.com>"))
    body = "\r\n".join(draw(BODY_LINES)) + draw(st.sampled_from(["", "\r\n", "\r\n\r\n\r\n"]))
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    return (head + "\r\n" + body).encode("utf-8")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(message=messages(), canonicalization=st.sampled_from([(b"relaxed", b"relaxed"), (b"simple", b"simple")]))
def test_rsa_and_ed25519_signatures_verify_with_dkimpy(rsa_pem, ed_pem, message, canonicalization):
    keys = [DkimKey("ed", DOMAIN, ed_pem.encode()), DkimKey("rsa", DOMAIN, rsa_pem.encode())]
    records = [dns_record("ed", DOMAIN, ed_pem), dns_record("rsa", DOMAIN, rsa_pem)]

    signed = DkimSigner(keys, canonicalization).sign(message) + message

    assert signed.count(b"DKIM-Signature:") == 2
    assert verifies(signed, records, 0) and verifies(signed, records, 1)


def test_the_rsa_signature_is_byte_for_byte_the_one_dkimpy_makes(rsa_pem, monkeypatch):
    monkeypatch.setattr(time, "time", lambda: 1_800_000_000)
    message = b"From: Ann <ann@example.org>\r\nTo: bob@example.net\r\nSubject: Hello\r\n  folded\r\n\r\nHi  there \r\n\r\n"
    for canonicalization in ((b"relaxed", b"relaxed"), (b"simple", b"simple")):
        ours = DkimSigner([DkimKey("rsa", DOMAIN, rsa_pem.encode())], canonicalization).sign(message)
        theirs = dkim.sign(message, b"rsa", DOMAIN.encode(), rsa_pem.encode(), canonicalize=canonicalization,
                           include_headers=list(SIGNED_HEADERS))
        assert ours == theirs


def test_a_tampered_body_or_header_fails_verification(rsa_pem):
    message = b"From: ann@example.org\r\nSubject: Offer\r\n\r\nPrice: 10\r\n"
    signed = DkimSigner([DkimKey("rsa", DOMAIN, rsa_pem.encode())]).sign(message) + message
    records = [dns_record("rsa", DOMAIN, rsa_pem)]

    assert verifies(signed, records)
    assert not verifies(signed.replace(b"Price: 10", b"Price: 99"), records)
    assert not verifies(signed.replace(b"Subject: Offer", b"Subject: Other"), records)


def test_key_checks_say_what_is_wrong(rsa_pem, ed_pem):
    assert check_private_key(rsa_pem) == ("rsa", 2048)
    assert check_private_key(ed_pem.replace("\n", "\r\n")) == ("ed25519", 256)
    public = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    short = subprocess.run(["openssl", "genrsa", "512"], check=True, capture_output=True, text=True).stdout
    encrypted = rsa.generate_private_key(public_exponent=65537, key_size=1024).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")).decode()
    for pem, says in ((public, "This is a public key"), (short, "This key has 512 bits"),
                      (encrypted, "protected by a passphrase"), ("not a key at all", "not an RSA or Ed25519 private key")):
        with pytest.raises(InvalidDkimKey, match=says):
            check_private_key(pem)


def test_the_dns_records_name_the_key_type(rsa_pem, ed_pem):
    assert dns_record("s1", DOMAIN, rsa_pem) == ("s1._domainkey.example.com", f"v=DKIM1; k=rsa; p={public_key_base64(rsa_pem)}")
    name, value = dns_record("s2", DOMAIN, ed_pem)
    assert name == "s2._domainkey.example.com" and value.startswith("v=DKIM1; k=ed25519; p=") and len(value.split("p=")[1]) == 44


@settings(max_examples=500)
@given(st.lists(st.sampled_from([b" ", b"  ", b"\t", b"\r\n", b"\r", b"\n", b"a", b"Zo\xc3\xab", b"\x0b", b".", b"\r\n\r\n"]),
                max_size=40))
def test_relaxed_body_canonicalisation_equals_dkimpys(pieces):
    from dkim.canonicalization import Relaxed

    from webapp.mail.dkim import relaxed_body

    body = b"".join(pieces)

    assert relaxed_body(body) == Relaxed.canonicalize_body(body)
