"""Postmark's webhooks: one JSON event a POST, unsigned; the webhook URL carries basic-auth
credentials (https://user:token@host/webhooks/postmark), compared in constant time. Postmark has
no event id for every kind, so an event's key is the hash of its body: a retry is the same body."""
import hashlib
import hmac
import json

from webapp.webhooks.headers import FIELD
from webapp.webhooks.receive import Refused, each, event, from_iso, receive

SOURCE = "postmark"
HARD = ("HardBounce", "BadEmailAddress", "ManuallyDeactivated")
NOT_BOUNCES = ("AutoResponder", "AddressChange", "Subscribe", "Unsubscribe", "OpenRelayTest", "ChallengeVerification")


def verify(credentials, username, password):
    """`credentials` is the configured "user:token"; username and password what the request gave."""
    if not credentials:
        raise Refused(404, "Postmark webhook is not configured")
    if username is None or password is None:
        raise Refused(401, "no credentials")
    if not hmac.compare_digest(f"{username}:{password}".encode(), credentials.encode()):
        raise Refused(401, "wrong credentials")


def handle(credentials, username, password, body):
    verify(credentials, username, password)
    try:
        data = json.loads(body)
    except ValueError as error:
        raise Refused(400, "not JSON") from error
    if not isinstance(data, dict):
        raise Refused(400, "not a Postmark webhook")
    return receive(SOURCE, each(SOURCE, [(hashlib.sha256(body).hexdigest(), data)], parse))


def parse(item):
    key, data = item
    name = data["RecordType"]
    metadata = data.get("Metadata") or {}
    common = dict(token=metadata.get(FIELD))
    if name == "Delivery":
        return [event("delivered", from_iso(data["DeliveredAt"]), SOURCE, key, **common, detail={"reply": data.get("Details")})]
    if name == "Bounce":
        kind = data.get("Type")
        if kind in NOT_BOUNCES:
            return []
        return [event("bounced", from_iso(data["BouncedAt"]), SOURCE, key, **common, detail={
            "kind": "hard" if kind in HARD else "soft", "status": kind, "diagnostic": data.get("Details") or data.get("Description")})]
    if name == "SpamComplaint":
        return [event("complaint", from_iso(data["BouncedAt"]), SOURCE, key, **common)]
    if name in ("Open", "Click"):
        client = data.get("Client") or {}
        agent = data.get("UserAgent") or client.get("Name")
        ip = (data.get("Geo") or {}).get("IP")
        if name == "Open":
            return [event("open", from_iso(data["ReceivedAt"]), SOURCE, key, **common, ip=ip, user_agent=agent)]
        return [event("click", from_iso(data["ReceivedAt"]), SOURCE, key, **common, ip=ip, user_agent=agent,
                      url=data.get("OriginalLink"))]
    if name == "SubscriptionChange" and data.get("SuppressSending") is True:
        return [event("unsubscribe", from_iso(data["ChangedAt"]), SOURCE, key, **common, detail={"scope": "all"})]
    return []
