"""SendGrid's Event Webhook: a JSON array of events, signed (ECDSA P-256, SHA-256) over the
X-Twilio-Email-Event-Webhook-Timestamp header's value followed by the raw body.

The timestamp is not held to a window: SendGrid documents none and retries a batch for up to
72 hours, and a replayed batch changes nothing (every event is stored once, by sg_event_id)."""
import base64
import binascii
import functools
import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key

from webapp.webhooks.headers import FIELD
from webapp.webhooks.receive import Refused, each, event, from_unix, receive

SOURCE = "sendgrid"
# "dropped": SendGrid will not send it (its own suppression lists); these reasons blame the address.
ADDRESS_DROPS = ("Bounced Address", "Invalid")


class InvalidKey(ValueError):
    pass


@functools.lru_cache(maxsize=4)
def public_key(encoded):
    """The verification key SendGrid shows (base64 DER); InvalidKey for anything else."""
    try:
        key = load_der_public_key(base64.b64decode("".join(encoded.split()), validate=True))
    except (ValueError, binascii.Error, TypeError) as error:
        raise InvalidKey("This is not the base64 public key SendGrid shows for the signed Event Webhook.") from error
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise InvalidKey("SendGrid signs with an ECDSA P-256 key; this key is another kind.")
    return key


def verify(encoded_key, signature, timestamp, body):
    if not encoded_key:
        raise Refused(404, "SendGrid webhook is not configured")
    if not signature or not timestamp:
        raise Refused(401, "unsigned")
    try:
        key = public_key(encoded_key)
        key.verify(base64.b64decode(signature, validate=True), timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    except InvalidKey as error:
        raise Refused(403, f"the configured public key is unusable: {error}") from error
    except (InvalidSignature, ValueError, binascii.Error) as error:
        raise Refused(403, "bad signature") from error


def handle(encoded_key, signature, timestamp, body):
    """Verify and ingest one POST; returns events.ingest's Ingested."""
    verify(encoded_key, signature, timestamp, body)
    try:
        items = json.loads(body)
    except ValueError as error:
        raise Refused(400, "not JSON") from error
    if not isinstance(items, list):
        raise Refused(400, "not a list of events")
    return receive(SOURCE, each(SOURCE, items, parse))


def parse(item):
    name = item["event"]
    common = dict(token=item.get(FIELD), message_id=item.get("smtp-id"), ip=item.get("ip"), user_agent=item.get("useragent"))
    at, key = from_unix(item["timestamp"]), item.get("sg_event_id") or json.dumps(item, sort_keys=True)
    if name == "processed":
        return [event("sent", at, SOURCE, key, **common)]
    if name == "delivered":
        return [event("delivered", at, SOURCE, key, **common, detail={"reply": item.get("response")})]
    if name == "deferred":
        return [event("deferred", at, SOURCE, key, **common, detail={"reply": item.get("response")})]
    if name == "bounce":  # type "blocked": the receiver refused this message, not the address
        kind = "soft" if item.get("type") == "blocked" else "hard"
        return [event("bounced", at, SOURCE, key, **common,
                      detail={"kind": kind, "status": item.get("status"), "diagnostic": item.get("reason")})]
    if name == "dropped":
        reason = item.get("reason")
        return [event("bounced", at, SOURCE, key, **common,
                      detail={"kind": "hard" if reason in ADDRESS_DROPS else "soft", "status": "dropped", "diagnostic": reason})]
    if name == "open":
        return [event("open", at, SOURCE, key, **common, detail={"machine_open": True} if item.get("sg_machine_open") is True else {})]
    if name == "click":
        return [event("click", at, SOURCE, key, **common, url=item.get("url"))]
    if name == "spamreport":
        return [event("complaint", at, SOURCE, key, **common)]
    if name in ("unsubscribe", "group_unsubscribe"):
        return [event("unsubscribe", at, SOURCE, key, **common, detail={"scope": "all" if name == "unsubscribe" else "lists"})]
    return []  # group_resubscribe and account events: nothing of ours changes
