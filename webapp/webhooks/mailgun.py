"""Mailgun's webhooks: one JSON event a POST, {"signature": {timestamp, token, signature}, "event-data": ...}.
The signature is the HMAC-SHA256 hex of timestamp + token under the webhook signing key; a token is
taken once and a timestamp only while fresh, so a captured request cannot be played again."""
import hashlib
import hmac
import json
import time

from webapp.common.queues import redis_connection
from webapp.webhooks.headers import FIELD
from webapp.webhooks.receive import Refused, each, event, from_unix, receive

SOURCE = "mailgun"
FRESH_SECONDS = 300
TOKEN_KEY = "mailroom:webhooks:mailgun-token:{}"
TOKEN_SECONDS = 2 * FRESH_SECONDS  # a token older than the window is refused by its timestamp anyway


def verify(signing_key, signature):
    if not signing_key:
        raise Refused(404, "Mailgun webhook is not configured")
    if not isinstance(signature, dict):
        raise Refused(401, "unsigned")
    timestamp, token, given = (signature.get(name) for name in ("timestamp", "token", "signature"))
    if not all(isinstance(value, str) and 0 < len(value) <= 256 for value in (timestamp, token, given)):
        raise Refused(401, "unsigned")
    expected = hmac.new(signing_key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise Refused(403, "bad signature")
    try:
        age = time.time() - float(timestamp)
    except ValueError as error:
        raise Refused(403, "bad timestamp") from error
    if not abs(age) <= FRESH_SECONDS:  # not <=: NaN is refused too
        raise Refused(403, f"stale timestamp ({age:.0f} s)")
    if not redis_connection().set(TOKEN_KEY.format(token), 1, nx=True, ex=TOKEN_SECONDS):
        raise Refused(403, "token used before (a replay)")


def handle(signing_key, body):
    try:
        payload = json.loads(body)
    except ValueError as error:
        raise Refused(400, "not JSON") from error
    if not isinstance(payload, dict):
        raise Refused(400, "not a Mailgun webhook")
    verify(signing_key, payload.get("signature"))
    return receive(SOURCE, each(SOURCE, [payload.get("event-data")], parse))


def parse(data):
    name, at, key = data["event"], from_unix(data["timestamp"]), data["id"]
    variables = data.get("user-variables") or {}
    headers = (data.get("message") or {}).get("headers") or {}
    client = data.get("client-info") or {}
    status = data.get("delivery-status") or {}
    common = dict(token=variables.get(FIELD), message_id=headers.get("message-id"), ip=data.get("ip"),
                  user_agent=client.get("user-agent"))
    reply = " ".join(str(part) for part in (status.get("code"), status.get("message") or status.get("description")) if part)
    if name == "accepted":
        return [event("sent", at, SOURCE, key, **common)]
    if name == "delivered":
        return [event("delivered", at, SOURCE, key, **common, detail={"reply": reply})]
    if name == "failed":
        if data.get("severity") == "temporary":
            return [event("deferred", at, SOURCE, key, **common, detail={"reply": reply})]
        return [event("bounced", at, SOURCE, key, **common,
                      detail={"kind": "hard", "status": str(status.get("code") or ""), "diagnostic": status.get("message")
                              or status.get("description") or data.get("reason")})]
    if name == "opened":
        return [event("open", at, SOURCE, key, **common)]
    if name == "clicked":
        return [event("click", at, SOURCE, key, **common, url=data.get("url"))]
    if name == "unsubscribed":
        return [event("unsubscribe", at, SOURCE, key, **common, detail={"scope": "all"})]
    if name == "complained":
        return [event("complaint", at, SOURCE, key, **common)]
    return []
