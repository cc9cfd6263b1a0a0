"""Amazon SNS messages: what is signed, by whom, and fetching only from Amazon.

A message names the certificate that signs it (SigningCertURL) and, for a subscription, the URL
that confirms it (SubscribeURL): both are attacker-controlled until the signature is checked, so
each must be an https URL of an SNS regional endpoint before anything is fetched, and the
SubscribeURL is fetched only after the signature is good. Certificates are kept (they change
rarely; a bounded cache per app). SignatureVersion 1 signs with SHA1, 2 with SHA256.
"""
import base64
import binascii
import http.client
import re
import urllib.request
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from flask import current_app

from webapp.webhooks.receive import Refused

_REGION = r"[a-z]{2}(?:-[a-z]+)+-\d"
CERT_URL = re.compile(rf"https://sns\.{_REGION}\.amazonaws\.com/SimpleNotificationService-[0-9a-f]+\.pem")
SNS_HOST = re.compile(rf"sns\.{_REGION}\.amazonaws\.com")
SIGNED = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}
HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}
CACHED_CERTS = 16
FETCH_SECONDS = 10


def string_to_sign(message):
    """SNS's canonical form: "name\\nvalue\\n" for each signed field present, in this order."""
    return "".join(f"{name}\n{message[name]}\n" for name in SIGNED[message["Type"]] if name in message).encode()


def verify(message, topic_arn):
    """Check a parsed SNS message (a dict) for our topic; Refused unless Amazon signed it."""
    kind = message.get("Type")
    if kind not in SIGNED or not all(isinstance(message.get(name), str) for name in SIGNED[kind] if name != "Subject"):
        raise Refused(400, "not an SNS message")
    if message["TopicArn"] != topic_arn:
        raise Refused(403, f"not our topic: {message['TopicArn'][:200]}")
    algorithm = HASHES.get(message.get("SignatureVersion"))
    if algorithm is None:
        raise Refused(400, "unknown SignatureVersion")
    url = message.get("SigningCertURL")
    if not isinstance(url, str) or not CERT_URL.fullmatch(url):
        raise Refused(403, f"SigningCertURL is not Amazon's: {str(url)[:200]}")
    try:
        signature = base64.b64decode(message.get("Signature") or "", validate=True)
        _public_key(url).verify(signature, string_to_sign(message), padding.PKCS1v15(), algorithm())
    except (InvalidSignature, ValueError, binascii.Error, TypeError) as error:
        raise Refused(403, "bad signature") from error


def confirm_subscription(message):
    """Visit the SubscribeURL of a verified SubscriptionConfirmation (an SNS endpoint's ConfirmSubscription)."""
    url = message["SubscribeURL"]
    parts = urlsplit(url)
    if parts.scheme != "https" or not SNS_HOST.fullmatch(parts.hostname or "") or parts.port \
            or parse_qs(parts.query).get("Action") != ["ConfirmSubscription"]:
        raise Refused(403, f"SubscribeURL is not Amazon's: {url[:200]}")
    _fetch(url)


def _public_key(url):
    certs = current_app.extensions.setdefault("sns_certs", {})
    key = certs.get(url)
    if key is None:
        key = x509.load_pem_x509_certificate(_fetch(url)).public_key()
        if len(certs) >= CACHED_CERTS:
            certs.pop(next(iter(certs)))
        certs[url] = key
    return key


def _fetch(url):
    fetch = current_app.config.get("SNS_FETCH") or _https_get
    try:
        return fetch(url)
    except (OSError, ValueError, http.client.HTTPException) as error:  # refused, unreachable, not HTTP
        raise Refused(400, f"could not fetch {url[:200]}: {error}") from error


def _https_get(url):
    with urllib.request.urlopen(url, timeout=FETCH_SECONDS) as answer:  # noqa: S310  (https, checked above)
        return answer.read(64 * 1024)
