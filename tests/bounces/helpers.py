"""What the bounce tests share: the samples (tests/bounces/samples/*.eml, with $VERP, $ADDRESS,
$MESSAGE_ID, $BOUNCES and $TOKEN filled in for a recipient) and a recipient our relay took."""
from pathlib import Path
from string import Template

from flask import current_app

from tests.factories import a_contact, a_mass_email, a_recipient
from webapp.common.clock import utcnow
from webapp.compose.tokens import TokenSigner, TrackingUrls
from webapp.compose.verp import Verp
from webapp.extensions import db
from webapp.settings.service import get_settings

SAMPLES = Path(__file__).parent / "samples"
BOUNCES = "bounces@mail.example.com"


def use_bounce_address(verp=True):
    settings = get_settings()
    settings.bounce_address, settings.verp = BOUNCES, verp
    db.session.commit()


def a_sent_recipient(email="gone@example.org", contact=None, **fields):
    """A recipient of a new sent mass email, for `contact` (a new one when None), accepted by our relay just now."""
    mass_email = a_mass_email(state="sent", sent_count=1)
    contact = contact or a_contact(email)
    values = {"status": "sent", "sent_at": utcnow(), "message_id": f"<r.{mass_email.id}@mail.example.com>", **fields}
    return a_recipient(mass_email, email, contact=contact, **values)


def sample(name, recipient, verp=True, message_id=True):
    """The sample's bytes about `recipient`: its VERP address, address, Message-ID and unsubscribe token."""
    secret = current_app.config["SECRET_KEY"]
    token = TrackingUrls(TokenSigner(secret), "http://x").unsubscribe_url(recipient.id).rsplit("/", 1)[1]
    text = Template((SAMPLES / name).read_text()).substitute(
        VERP=Verp(secret, BOUNCES).envelope_sender(recipient.id) if verp else BOUNCES, ADDRESS=recipient.email,
        MESSAGE_ID=recipient.message_id if message_id else "<elsewhere@other.example>", BOUNCES=BOUNCES, TOKEN=token)
    return text.replace("\n", "\r\n").encode()
