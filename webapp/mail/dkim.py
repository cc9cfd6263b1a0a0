"""DKIM signatures (dkimpy) over the headers receivers and RFC 8058 care about.

Also the admin's side of a key: checking a pasted PEM and deriving the DNS TXT record to publish.
Both use dkimpy's own key parser, so Mailroom needs no `cryptography` package.
"""
import base64
from dataclasses import dataclass

import dkim
from dkim.crypto import UnparsableKeyError, parse_pem_private_key

# RFC 8058 requires List-Unsubscribe and List-Unsubscribe-Post to be signed for one-click.
# Headers a message lacks (Reply-To) are signed too: "oversigning" stops anyone adding them later.
SIGNED_HEADERS = (
    b"From", b"To", b"Subject", b"Date", b"Message-ID", b"List-Unsubscribe", b"List-Unsubscribe-Post",
    b"MIME-Version", b"Content-Type", b"Reply-To", b"List-Id",
)


@dataclass(frozen=True)
class DkimKey:
    selector: str
    domain: str
    private_key_pem: bytes

    def sign(self, message):
        """The DKIM-Signature header line (with CRLF) for the message bytes; prepend it."""
        return dkim.sign(
            message,
            self.selector.encode(),
            self.domain.encode(),
            self.private_key_pem,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=list(SIGNED_HEADERS),
        )


# Receivers ignore RSA keys shorter than this (RFC 8301); dkimpy's verifier refuses them too.
MIN_KEY_BITS = 1024
# rsaEncryption (1.2.840.113549.1.1.1), DER-encoded: the algorithm of a SubjectPublicKeyInfo.
_RSA_ENCRYPTION_OID = bytes.fromhex("2a864886f70d010101")


class InvalidDkimKey(ValueError):
    """str(error) says what is wrong with the key, in words for an admin."""


def normalize_pem(text):
    """A pasted key as dkimpy reads it: textareas send CRLF, dkimpy's parser wants LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip() + "\n"


def check_private_key(pem_text):
    """The key's size in bits; raises InvalidDkimKey unless it is an RSA private key that signs.

    The test is the real thing: dkimpy signs a tiny message with it, exactly as sending will.
    """
    pem = normalize_pem(pem_text).encode()
    if b"PUBLIC KEY" in pem:
        raise InvalidDkimKey("This is a public key. Paste the private key (it starts with -----BEGIN PRIVATE KEY----- "
                             "or -----BEGIN RSA PRIVATE KEY-----); the public half goes into DNS.")
    if b"ENCRYPTED" in pem:
        raise InvalidDkimKey("This key is protected by a passphrase. Export it without one, "
                             "e.g. openssl pkey -in key.pem -out plain.pem.")
    try:
        bits = parse_pem_private_key(pem)["modulus"].bit_length()
        dkim.sign(b"From: a@example.com\r\nSubject: key check\r\n\r\nkey check\r\n", b"check", b"example.com", pem)
    except (UnparsableKeyError, dkim.DKIMException, ValueError, IndexError) as error:
        raise InvalidDkimKey("This is not an RSA private key in PEM format (-----BEGIN PRIVATE KEY----- ... "
                             "-----END PRIVATE KEY-----). Generate one with: "
                             "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048") from error
    if bits < MIN_KEY_BITS:
        raise InvalidDkimKey(f"This key has {bits} bits; receivers ignore DKIM keys under {MIN_KEY_BITS} bits. "
                             "Use a 2048-bit key.")
    return bits


def _der(tag, content):
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    size = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


def _der_integer(number):
    return _der(0x02, number.to_bytes(number.bit_length() // 8 + 1, "big"))  # +1 byte keeps it positive


def public_key_base64(pem_text):
    """The p= value of the DKIM DNS record: the key's SubjectPublicKeyInfo, DER, base64."""
    key = parse_pem_private_key(normalize_pem(pem_text).encode())
    rsa_public_key = _der(0x30, _der_integer(key["modulus"]) + _der_integer(key["publicExponent"]))
    algorithm = _der(0x30, _der(0x06, _RSA_ENCRYPTION_OID) + _der(0x05, b""))
    spki = _der(0x30, algorithm + _der(0x03, b"\x00" + rsa_public_key))
    return base64.b64encode(spki).decode("ascii")


def dns_record(selector, domain, pem_text):
    """(name, value) of the TXT record receivers look up to verify the signature."""
    return f"{selector}._domainkey.{domain}", f"v=DKIM1; k=rsa; p={public_key_base64(pem_text)}"
