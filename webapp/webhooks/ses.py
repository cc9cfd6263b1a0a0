"""Amazon SES events through an SNS topic: feedback notifications ("notificationType") and event
publishing ("eventType"), one message a POST. The recipient id rides in a message tag
(X-SES-MESSAGE-TAGS), which SES returns in mail.tags."""
import json
import logging

from webapp.webhooks import sns
from webapp.webhooks.headers import FIELD
from webapp.webhooks.receive import Refused, each, event, from_iso, receive

log = logging.getLogger(__name__)

SOURCE = "ses"


def handle(topic_arn, body):
    """Returns events.ingest's Ingested, or None for an SNS subscription message."""
    if not topic_arn:
        raise Refused(404, "SES webhook is not configured")
    try:
        message = json.loads(body)
    except ValueError as error:
        raise Refused(400, "not JSON") from error
    if not isinstance(message, dict):
        raise Refused(400, "not an SNS message")
    sns.verify(message, topic_arn)
    if message["Type"] == "SubscriptionConfirmation":
        sns.confirm_subscription(message)
        log.info("SES webhook: subscribed to %s", topic_arn)
        return None
    if message["Type"] == "UnsubscribeConfirmation":
        log.warning("SES webhook: %s unsubscribed this endpoint", topic_arn)
        return None
    try:
        notification = json.loads(message["Message"])
    except ValueError as error:
        raise Refused(400, "the Message is not JSON") from error
    return receive(SOURCE, each(SOURCE, [(message["MessageId"], notification)], parse))


def parse(item):
    key, data = item
    name = data.get("eventType") or data.get("notificationType")
    mail = data["mail"]
    tags = mail.get("tags") or {}
    token = (tags.get(FIELD) or [None])[0]
    common = dict(token=token, message_id=_message_id(mail))
    if name == "Send":
        return [event("sent", from_iso(mail["timestamp"]), SOURCE, key, **common)]
    if name == "Delivery":
        delivery = data["delivery"]
        return [event("delivered", from_iso(delivery["timestamp"]), SOURCE, key, **common,
                      detail={"reply": delivery.get("smtpResponse")})]
    if name == "DeliveryDelay":
        delay = data["deliveryDelay"]
        return [event("deferred", from_iso(delay["timestamp"]), SOURCE, key, **common, detail={"reply": delay.get("delayType")})]
    if name == "Bounce":
        bounce = data["bounce"]
        first = (bounce.get("bouncedRecipients") or [{}])[0]
        return [event("bounced", from_iso(bounce["timestamp"]), SOURCE, key, **common, detail={
            "kind": "hard" if bounce.get("bounceType") == "Permanent" else "soft",
            "status": first.get("status"), "diagnostic": first.get("diagnosticCode") or bounce.get("bounceSubType")})]
    if name == "Complaint":
        complaint = data["complaint"]
        if complaint.get("complaintFeedbackType") == "not-spam":
            return []
        return [event("complaint", from_iso(complaint["timestamp"]), SOURCE, key, **common)]
    if name == "Open":
        opened = data["open"]
        return [event("open", from_iso(opened["timestamp"]), SOURCE, key, **common, ip=opened.get("ipAddress"),
                      user_agent=opened.get("userAgent"))]
    if name == "Click":
        click = data["click"]
        return [event("click", from_iso(click["timestamp"]), SOURCE, key, **common, ip=click.get("ipAddress"),
                      user_agent=click.get("userAgent"), url=click.get("link"))]
    return []  # Reject, Rendering Failure, Subscription: nothing of ours changes


def _message_id(mail):
    """Our Message-ID: SES replaces the header, and gives the original in commonHeaders or headers."""
    found = (mail.get("commonHeaders") or {}).get("messageId")
    if found:
        return found
    for header in mail.get("headers") or []:
        if str(header.get("name", "")).lower() == "message-id":
            return header.get("value")
    return None
