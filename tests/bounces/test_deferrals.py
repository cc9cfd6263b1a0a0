"""The periodic reconciliation of deferrals: old ones expire as soft bounces, overdue ones get a batch."""
from datetime import timedelta

from tests.factories import a_contact, a_mass_email, a_recipient
from webapp.bounces import deferrals
from webapp.common.clock import utcnow
from webapp.common.queues import queue
from webapp.extensions import db
from webapp.sending.models import MassEmail, Recipient


def deferred(mass_email, email, first_deferred_ago, retry_in):
    now = utcnow()
    return a_recipient(mass_email, email, contact=a_contact(email), status="deferred", deferred_at=now - first_deferred_ago,
                       next_attempt_at=now + retry_in, smtp_reply="451 4.7.1 Greylisted", attempts=5)


def test_a_deferral_older_than_72_hours_becomes_a_soft_bounce_and_the_send_finishes(ctx):
    mass_email = a_mass_email(state="sending", deferred_count=2)
    old = deferred(mass_email, "old@example.org", timedelta(hours=73), timedelta(hours=1))
    young = deferred(mass_email, "young@example.org", timedelta(hours=2), timedelta(hours=1))

    expired, queued = deferrals.reconcile(utcnow())

    assert (expired, queued) == (1, [mass_email.id])
    db.session.expire_all()
    row = db.session.get(Recipient, old.id)
    assert (row.status, row.bounce_kind) == ("bounced", "soft")
    assert row.smtp_reply == "Deferred for over 72 hours: 451 4.7.1 Greylisted"
    assert db.session.get(Recipient, young.id).status == "deferred"
    assert db.session.get(MassEmail, mass_email.id).bounced_count == 1
    assert queue("sending").count == 1  # its batch marks it sent once nothing is left


def test_an_overdue_retry_whose_batch_was_lost_gets_a_batch(ctx):
    overdue = a_mass_email(state="sending")
    deferred(overdue, "a@example.org", timedelta(hours=1), -timedelta(minutes=30))
    on_time = a_mass_email(state="sending", name="On time")
    deferred(on_time, "b@example.org", timedelta(hours=1), -timedelta(minutes=1))  # its own job is due about now
    paused = a_mass_email(state="paused", name="Paused")
    deferred(paused, "c@example.org", timedelta(hours=1), -timedelta(minutes=30))

    assert deferrals.reconcile(utcnow()) == (0, [overdue.id])
    assert queue("sending").count == 1
