"""What the webhook tests share: a sent mass email, and signing as each provider signs."""
import base64
import hashlib
import hmac
import json
import time
from datetime import datetime

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select, update

from tests import factories
from webapp.compose.tokens import TokenSigner
from webapp.events.models import Event
from webapp.extensions import db
from webapp.sending.models import MassEmail, Recipient
from webapp.settings.service import get_settings

SENT_AT = datetime(2026, 6, 1, 9, 0)
MAILGUN_KEY = "key-mailgun-signing-0123456789abcdef"
TOPIC = "arn:aws:sns:us-west-2:123456789012:mailroom-events"
CERT_URL = "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem"


def a_sent_mass_email(count):
    """(mass email id, [recipient ids]) of `count` recipients sent at SENT_AT, Message-IDs <m0@mail.example.com> ..."""
    mail = factories.a_mass_email(recipients=count, state="sent")
    ids = db.session.scalars(select(Recipient.id).where(Recipient.mass_email_id == mail.id).order_by(Recipient.id)).all()
    for n, rid in enumerate(ids):
        db.session.execute(update(Recipient).where(Recipient.id == rid)
                           .values(status="sent", sent_at=SENT_AT, message_id=f"<m{n}@mail.example.com>"))
    db.session.execute(update(MassEmail).where(MassEmail.id == mail.id).values(sent_count=count))
    db.session.commit()
    return mail.id, ids


def configure(**secrets):
    """Store webhook secrets in the settings row, as the Webhooks page does."""
    settings = get_settings()
    for name, value in secrets.items():
        setattr(settings, name, value)
    db.session.commit()


def token(app, recipient_id):
    return TokenSigner(app.config["SECRET_KEY"]).sign("webhook", recipient_id)


def recipient(rid):
    db.session.expire_all()
    return db.session.get(Recipient, rid)


def stored(kind=None):
    statement = select(Event.kind, Event.source, Event.recipient_id).order_by(Event.id)
    if kind:
        statement = statement.where(Event.kind == kind)
    return db.session.execute(statement).all()


class SendGridKey:
    """An ECDSA P-256 key pair, the public half as SendGrid shows it (base64 DER)."""

    def __init__(self):
        self.private = ec.generate_private_key(ec.SECP256R1())
        der = self.private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        self.public = base64.b64encode(der).decode()

    def headers(self, body, timestamp=None):
        timestamp = str(timestamp or int(time.time()))
        signature = self.private.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        return {"X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
                "X-Twilio-Email-Event-Webhook-Timestamp": timestamp, "Content-Type": "application/json"}


def mailgun_body(event_data, key=MAILGUN_KEY, timestamp=None, token_value=None):
    timestamp = str(int(timestamp if timestamp is not None else time.time()))
    token_value = token_value or hashlib.sha256(json.dumps(event_data).encode() + timestamp.encode()).hexdigest()[:50]
    signature = hmac.new(key.encode(), (timestamp + token_value).encode(), hashlib.sha256).hexdigest()
    return json.dumps({"signature": {"timestamp": timestamp, "token": token_value, "signature": signature},
                       "event-data": event_data}).encode()
