"""DKIM signatures at OpenSSL speed: dkimpy canonicalises and selects, `cryptography` signs.

dkimpy computes RSA in pure Python (about 100 signatures a second on one core); OpenSSL signs
RSA-2048 some 4,000 times a second. So dkimpy keeps what it does well (header parsing and
selection, canonicalisation, folding: the same functions its own signer and verifier use) and
the signature itself is made by `cryptography`: rsa-sha256 (PKCS#1 v1.5) and ed25519-sha256
(RFC 8463: Ed25519 over the SHA-256 of the header data). With an Ed25519 key beside the RSA
one, every message carries both signatures ("dual signing"): receivers that know Ed25519 check
it, the others the RSA one. tests/mail/test_dkim.py verifies our signatures with dkimpy.

Also the admin's side of a key: checking a pasted PEM and deriving the DNS TXT record to publish.
"""
import base64
import hashlib
import re
import time
from dataclasses import dataclass

import dkim
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from dkim.canonicalization import CanonicalizationPolicy

# RFC 8058 requires List-Unsubscribe and List-Unsubscribe-Post to be signed for one-click.
# Headers a message lacks (Reply-To) are signed too: "oversigning" stops anyone adding them later.
SIGNED_HEADERS = (
    b"From", b"To", b"Subject", b"Date", b"Message-ID", b"List-Unsubscribe", b"List-Unsubscribe-Post",
    b"MIME-Version", b"Content-Type", b"Reply-To", b"List-Id",
)
RELAXED = (b"relaxed", b"relaxed")
# Receivers ignore RSA keys shorter than this (RFC 8301); dkimpy's verifier refuses them too.
MIN_KEY_BITS = 1024
# dkimpy folds the header with a b= of this size before signing, so adding the real b= later
# does not move the folds of the tags before it (which simple header canonicalisation would see).
_B_PLACEHOLDER = b"0" * 60
_SPACE_RUN = re.compile(b"  +")


@dataclass(frozen=True)
class DkimKey:
    selector: str
    domain: str
    private_key_pem: bytes


class InvalidDkimKey(ValueError):
    """str(error) says what is wrong with the key, in words for an admin."""


class DkimSigner:
    """Signs every message of a send with one key or two (Ed25519 + RSA). Build it once per send:
    loading a PEM key costs more than a signature."""

    def __init__(self, keys, canonicalization=RELAXED, signed_headers=SIGNED_HEADERS):
        self._keys = [(key, _load_private_key(key.private_key_pem)) for key in keys]
        self._policy = CanonicalizationPolicy.from_c_value(b"/".join(canonicalization))
        self._c = self._policy.to_c_value()
        self._include = tuple(name.lower() for name in signed_headers)
        self._second, self._t = None, b""

    def sign(self, message):
        """The DKIM-Signature header line(s), CRLF-terminated, to put in front of `message`
        (CRLF line endings, as the message builder makes them)."""
        end = message.find(b"\r\n\r\n")
        head, body = (message, b"") if end < 0 else (message[:end + 2], message[end + 4:])
        headers, _ = dkim.rfc822_parse(head)
        body_hash = base64.b64encode(hashlib.sha256(self._canonical_body(body)).digest())
        # Selecting before canonicalising picks the same fields (names compare in lower case) and
        # spares canonicalising the fields that are not signed.
        signed = self._policy.canonicalize_headers(dkim.select_headers(headers, self._include))
        return b"".join(self._signature(key, private, signed, body_hash) for key, private in self._keys)

    def _canonical_body(self, body):
        if self._policy.body_algorithm.name == b"relaxed":
            return relaxed_body(body)
        return self._policy.canonicalize_body(body)

    def _timestamp(self):
        now = int(time.time())
        if now != self._second:
            self._second, self._t = now, str(now).encode()
        return self._t

    def _signature(self, key, private, signed, body_hash):
        ed = isinstance(private, ed25519.Ed25519PrivateKey)
        fields = [
            (b"v", b"1"), (b"a", b"ed25519-sha256" if ed else b"rsa-sha256"), (b"c", self._c),
            (b"d", key.domain.encode()), (b"i", b"@" + key.domain.encode()), (b"q", b"dns/txt"),
            (b"s", key.selector.encode()), (b"t", self._timestamp()), (b"h", b" : ".join(self._include)),
            (b"bh", body_hash), (b"b", _B_PLACEHOLDER),
        ]
        unsigned = dkim.RE_BTAG.sub(b"\\1", dkim.fold(b"; ".join(b"=".join(f) for f in fields), namelen=len(b"DKIM-Signature")))
        (name, value), = self._policy.canonicalize_headers([(b"DKIM-Signature", b" " + unsigned)])
        data = b"".join(n + b":" + v for n, v in signed) + name + b":" + value.rstrip()
        signature = private.sign(hashlib.sha256(data).digest()) if ed else private.sign(data, padding.PKCS1v15(), hashes.SHA256())
        fields[-1] = (b"b", base64.b64encode(signature))
        return b"DKIM-Signature: " + dkim.fold(b"; ".join(b"=".join(f) for f in fields) + b"\r\n", namelen=len(b"DKIM-Signature"))


def relaxed_body(body):
    """dkimpy's relaxed body canonicalisation (RFC 6376 3.4.4), without its two regular expressions
    that visit every space of a 60 KB message (2 ms): tabs become spaces, runs of spaces one space,
    a space before a line break goes, empty lines at the end go; each step only where needed.
    The property test in tests/mail/test_dkim.py holds it equal to dkimpy's."""
    if b"\t" in body:
        body = body.replace(b"\t", b" ")
    if b"  " in body:
        body = _SPACE_RUN.sub(b" ", body)  # a literal "  " prefix: the search skips along at C speed
    if b" \r\n" in body:
        body = body.replace(b" \r\n", b"\r\n")
    return dkim.canonicalization.correct_empty_body(dkim.canonicalization.strip_trailing_lines(body))


def _load_private_key(pem):
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, (rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey)):
        raise InvalidDkimKey("DKIM keys are RSA or Ed25519.")
    return key


def normalize_pem(text):
    """A pasted key as the parsers read it: textareas send CRLF."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip() + "\n"


def check_private_key(pem_text):
    """("rsa", bits) or ("ed25519", 256); raises InvalidDkimKey unless it is a private key that signs."""
    pem = normalize_pem(pem_text).encode()
    if b"PUBLIC KEY" in pem:
        raise InvalidDkimKey("This is a public key. Paste the private key (it starts with -----BEGIN PRIVATE KEY----- "
                             "or -----BEGIN RSA PRIVATE KEY-----); the public half goes into DNS.")
    if b"ENCRYPTED" in pem:
        raise InvalidDkimKey("This key is protected by a passphrase. Export it without one, "
                             "e.g. openssl pkey -in key.pem -out plain.pem.")
    try:
        key = _load_private_key(pem)
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise InvalidDkimKey("This is not an RSA or Ed25519 private key in PEM format (-----BEGIN PRIVATE KEY----- ... "
                             "-----END PRIVATE KEY-----). Generate one with: "
                             "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048") from error
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519", 256
    if key.key_size < MIN_KEY_BITS:
        raise InvalidDkimKey(f"This key has {key.key_size} bits; receivers ignore DKIM keys under {MIN_KEY_BITS} bits. "
                             "Use a 2048-bit key.")
    return "rsa", key.key_size


def public_key_base64(pem_text):
    """The p= value of the DKIM DNS record: SubjectPublicKeyInfo (RSA) or the raw 32-byte key (Ed25519), base64."""
    public = _load_private_key(normalize_pem(pem_text).encode()).public_key()
    if isinstance(public, ed25519.Ed25519PublicKey):
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    else:
        raw = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(raw).decode("ascii")


def dns_record(selector, domain, pem_text):
    """(name, value) of the TXT record receivers look up to verify the signature."""
    algorithm, _bits = check_private_key(pem_text)
    return f"{selector}._domainkey.{domain}", f"v=DKIM1; k={algorithm}; p={public_key_base64(pem_text)}"
