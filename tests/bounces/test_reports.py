"""Reports from the bounce mailbox: parsed from real-world formats, matched by VERP or Message-ID,
and applied through events/ingest.py (statuses, counters, suppressions, contacts)."""
import pytest
from sqlalchemy import select

from tests.bounces.helpers import a_sent_recipient, sample, use_bounce_address
from webapp.audience.models import Contact, Suppression
from webapp.bounces import parse, reconcile
from webapp.events.models import Event
from webapp.extensions import db
from webapp.sending.models import MassEmail, Recipient
from webapp.settings.service import get_settings


def reloaded(recipient):
    db.session.expire_all()
    return db.session.get(Recipient, recipient.id)


def suppression(email):
    return db.session.scalar(select(Suppression.reason).where(Suppression.email == email))


@pytest.mark.parametrize("name, kind, status, diagnostic", [
    ("postfix.eml", "hard", "5.1.1", "User unknown in virtual mailbox table"),
    ("exim.eml", "hard", "5.1.1", "Recipient address rejected: User unknown"),
    ("exchange.eml", "hard", "5.1.10", "RESOLVER.ADR.RecipientNotFound"),
    ("gmail.eml", "soft", "5.2.2", "out of storage space"),
    ("yahoo.eml", "hard", None, "doesn't have a yahoo.com account"),
])
def test_each_mta_s_bounce_is_read_with_its_status_and_kind(ctx, name, kind, status, diagnostic):
    use_bounce_address()
    recipient = a_sent_recipient()
    report = reconcile.read(sample(name, recipient))
    assert report.kind == parse.DSN
    [bounce] = report.bounces
    assert (bounce.address, bounce.kind, bounce.status, bounce.action) == ("gone@example.org", kind, status, "failed")
    assert diagnostic in bounce.diagnostic
    assert bounce.recipient_id == recipient.id


@pytest.mark.parametrize("name", ["postfix.eml", "exim.eml", "gmail.eml", "yahoo.eml"])
def test_a_bounce_is_matched_by_verp_alone(ctx, name):
    use_bounce_address()
    recipient = a_sent_recipient()
    report = reconcile.read(sample(name, recipient, message_id=False))
    assert report.bounces[0].recipient_id == recipient.id


def test_without_verp_a_bounce_is_matched_by_the_returned_message_id(ctx):
    use_bounce_address(verp=False)
    recipient = a_sent_recipient()
    assert reconcile.read(sample("exchange.eml", recipient, verp=False)).bounces[0].recipient_id == recipient.id
    assert reconcile.read(sample("postfix.eml", recipient, verp=False)).bounces[0].recipient_id == recipient.id


def test_a_forged_verp_address_names_nobody(ctx):
    use_bounce_address()
    recipient = a_sent_recipient()
    raw = sample("postfix.eml", recipient, message_id=False)
    forged = raw.replace(f"+{recipient.id}-".encode(), f"+{recipient.id + 1}-".encode())
    assert reconcile.read(forged).bounces[0].recipient_id is None


def test_a_hard_bounce_bounces_the_recipient_suppresses_the_address_and_marks_the_contact(ctx):
    use_bounce_address()
    recipient = a_sent_recipient()
    applied = reconcile.apply(sample("postfix.eml", recipient))
    assert applied.stored == 1
    row = reloaded(recipient)
    assert (row.status, row.bounce_kind) == ("bounced", "hard")
    assert row.smtp_reply.startswith("5.1.1 550 5.1.1")
    assert suppression("gone@example.org") == "hard_bounce"
    assert db.session.get(Contact, row.contact_id).status == "bounced"
    assert db.session.get(MassEmail, row.mass_email_id).bounced_count == 1
    event = db.session.scalars(select(Event).where(Event.kind == "bounced")).one()
    assert (event.source, event.detail["reporting_mta"], event.detail["status"]) == ("dsn", "mx1.mail.example.com", "5.1.1")


def test_the_same_report_twice_changes_nothing_more(ctx):
    use_bounce_address()
    recipient = a_sent_recipient()
    raw = sample("postfix.eml", recipient)
    reconcile.apply(raw)
    assert reconcile.apply(raw).stored == 0
    assert db.session.get(MassEmail, recipient.mass_email_id).bounced_count == 1


def test_a_soft_bounce_is_logged_and_only_repeated_ones_suppress(ctx):
    use_bounce_address()
    settings = get_settings()
    settings.soft_bounce_limit, settings.soft_bounce_days = 2, 30
    db.session.commit()
    first = a_sent_recipient("full@example.org")
    reconcile.apply(sample("gmail.eml", first))
    assert (reloaded(first).status, reloaded(first).bounce_kind) == ("bounced", "soft")
    assert suppression("full@example.org") is None
    assert db.session.get(Contact, first.contact_id).status == "active"
    second = a_sent_recipient("full@example.org", contact=first.contact_id)
    reconcile.apply(sample("gmail.eml", second).replace(b"8f5cSMTPIN", b"9a7dSMTPIN"))  # another report
    assert suppression("full@example.org") == "soft_bounces"


def test_a_delayed_report_marks_the_recipient_deferred_and_changes_no_status(ctx):
    use_bounce_address()
    recipient = a_sent_recipient()
    reconcile.apply(sample("postfix_delayed.eml", recipient))
    row = reloaded(recipient)
    assert (row.status, row.deferred_at is not None) == ("sent", True)
    assert db.session.get(MassEmail, row.mass_email_id).deferred_count == 1
    assert suppression(recipient.email) is None


def test_a_success_report_marks_the_recipient_delivered(ctx):
    use_bounce_address()
    recipient = a_sent_recipient()
    reconcile.apply(sample("postfix_delivered.eml", recipient))
    assert reloaded(recipient).status == "delivered"
    assert db.session.get(MassEmail, recipient.mass_email_id).delivered_count == 1


def test_a_bounce_after_a_success_report_still_wins(ctx):
    use_bounce_address()
    recipient = a_sent_recipient()
    reconcile.apply(sample("postfix_delivered.eml", recipient))
    reconcile.apply(sample("postfix.eml", recipient))
    assert reloaded(recipient).status == "bounced"
    mass_email = db.session.get(MassEmail, recipient.mass_email_id)
    assert (mass_email.delivered_count, mass_email.bounced_count) == (0, 1)


def test_an_arf_complaint_records_the_complaint_and_suppresses_the_address(ctx):
    use_bounce_address()
    recipient = a_sent_recipient("ann@yahoo.com")
    applied = reconcile.apply(sample("arf.eml", recipient, message_id=False))  # matched by Original-Mail-From (VERP)
    assert (applied.report.kind, applied.report.complaint, applied.stored) == ("arf", True, 1)
    assert reloaded(recipient).complained_at is not None
    assert suppression("ann@yahoo.com") == "complaint"
    assert db.session.get(Contact, recipient.contact_id).status == "complained"
    assert db.session.get(MassEmail, recipient.mass_email_id).complaint_count == 1


def test_an_auto_reply_is_left_alone(ctx):
    use_bounce_address()
    recipient = a_sent_recipient()
    applied = reconcile.apply(sample("autoreply.eml", recipient))
    assert (applied.report.kind, applied.stored) == ("autoreply", 0)
    assert reloaded(recipient).status == "sent"
    assert db.session.scalar(select(Event.id)) is None


def test_mail_to_the_unsubscribe_address_unsubscribes(ctx):
    use_bounce_address()
    recipient = a_sent_recipient("ann@example.org")
    applied = reconcile.apply(sample("unsubscribe.eml", recipient))
    assert (applied.report.kind, applied.stored) == ("unsubscribe", 1)
    assert reloaded(recipient).unsubscribed_at is not None
    assert suppression("ann@example.org") == "unsubscribe"
    assert db.session.scalar(select(Event.source).where(Event.kind == "unsubscribe")) == "mailto"


def test_an_unsubscribe_with_a_forged_token_does_nothing(ctx):
    use_bounce_address()
    recipient = a_sent_recipient("ann@example.org")
    raw = sample("unsubscribe.eml", recipient).replace(b"Subject: unsubscribe ", b"Subject: unsubscribe x")
    assert reconcile.apply(raw).stored == 0
    assert suppression("ann@example.org") is None


def test_a_report_about_a_message_not_ours_stores_nothing(ctx):
    use_bounce_address(verp=False)
    recipient = a_sent_recipient()
    applied = reconcile.apply(sample("postfix.eml", recipient, verp=False, message_id=False))
    assert (applied.stored, applied.unmatched) == (0, 1)
    assert reloaded(recipient).status == "sent"


def test_a_not_spam_feedback_report_records_no_complaint(ctx):
    use_bounce_address()
    recipient = a_sent_recipient("ann@yahoo.com")
    applied = reconcile.apply(sample("arf.eml", recipient).replace(b"Feedback-Type: abuse", b"Feedback-Type: not-spam"))
    assert (applied.report.kind, applied.report.complaint, applied.stored) == ("arf", False, 0)
    assert suppression("ann@yahoo.com") is None
