"""What the sending tests share besides data (tests/factories.py) and fixtures (conftest.py): pointing
Mailroom at a test SMTP server, running batches as a worker would, reading what happened, and
killing workers mid-send."""
import asyncio
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from tests.smtp_servers import ScriptedSmtpServer
from webapp.common.clock import utcnow
from webapp.extensions import db
from webapp.sending.batches import recover_expired_claims
from webapp.sending.models import MassEmail, Recipient
from webapp.sending.sender import enqueue_batch, send_batch
from webapp.sending.step import LEASE_SECONDS
from webapp.settings.service import get_settings


def use_server(smtp, batch_size=50, max_per_hour=None):
    """Mailroom's SMTP settings point at this test server, with this batch size and hourly limit."""
    settings = get_settings()
    settings.smtp_host, settings.smtp_port, settings.smtp_security = "127.0.0.1", smtp.port, "none"
    settings.batch_size, settings.max_per_hour = batch_size, max_per_hour
    db.session.commit()


def send_until_done(mass_email_id, batches=20):
    """Run batches in this process as the worker would, until the mass email is no longer sending."""
    for _ in range(batches):
        send_batch(mass_email_id)
        if mass_email(mass_email_id).state != "sending":
            return
    raise AssertionError("still sending")


def mass_email(mass_email_id):
    """The mass email as the database has it now."""
    db.session.expire_all()
    return db.session.get(MassEmail, mass_email_id)


def only_mass_email(app):
    """The one mass email there is (None before there is one), read in an app context of its own."""
    with app.app_context():
        return db.session.scalar(select(MassEmail))


def statuses(mass_email_id):
    """{email: status} of the mass email's recipients."""
    return dict(db.session.execute(
        select(Recipient.email, Recipient.status).where(Recipient.mass_email_id == mass_email_id)
    ).all())


def row(email):
    """The recipient row of this address, as the database has it now."""
    db.session.expire_all()
    return db.session.scalar(select(Recipient).where(Recipient.email == email))


def received(smtp):
    """{address: how many messages the server took for it}."""
    return Counter(to for delivery in smtp.deliveries for to in delivery.rcpt_tos)


class SlowServer(ScriptedSmtpServer):
    """Takes a few milliseconds over each message, so a kill lands in the middle of a batch."""

    def __init__(self, delay):
        super().__init__()
        self.begun = 0  # messages whose DATA has begun, delivered or not
        handler = self.controller.handler
        record = handler.handle_DATA

        async def slow_data(server, session, envelope):
            self.begun += 1
            await asyncio.sleep(delay)
            return await record(server, session, envelope)

        handler.handle_DATA = slow_data


def kill(process):
    process.kill()  # SIGKILL: no cleanup of any kind
    process.wait(timeout=10)


def recover_dead_batches():
    """What the periodic job does once the dead batches' leases have run out (LEASE_SECONDS later)."""
    for owner, _ in recover_expired_claims(utcnow() + timedelta(seconds=LEASE_SECONDS + 1)):
        enqueue_batch(owner)


def assert_nobody_got_two_messages(server, mail_id, killed_connections):
    """Everyone got exactly one message but the unconfirmed (one or none), at most one of those per killed connection."""
    got = received(server)
    final = statuses(mail_id)
    assert max(got.values()) == 1  # nobody received two messages
    assert set(final.values()) <= {"sent", "unconfirmed"}
    unconfirmed = {email for email, status in final.items() if status == "unconfirmed"}
    assert len(unconfirmed) <= killed_connections
    sent = {email for email, status in final.items() if status == "sent"}
    assert sent <= set(got) <= sent | unconfirmed  # every "sent" arrived; nothing arrived unaccounted
    assert mass_email(mail_id).sent_count == len(sent)
