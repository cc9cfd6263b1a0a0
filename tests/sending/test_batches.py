"""Claims, the journal and crash recovery: the pieces that make each recipient get one message at most."""
import threading
from datetime import datetime, timedelta

from sqlalchemy import select

from tests.factories import a_mass_email, a_suppression
from tests.sending.helpers import row, statuses
from webapp.audience.models import Suppression
from webapp.common.queues import redis_connection
from webapp.extensions import db
from webapp.sending.batches import claim_batch, recover_expired_claims, settle_claim
from webapp.sending.journal import Entry, Journal, fold
from webapp.sending.models import Recipient

NOW = datetime(2026, 6, 1, 12, 0)
LEASE = 600


def test_a_claim_takes_due_rows_in_id_order_and_leases_them(ctx):
    mail_id = a_mass_email(state="sending", recipients=5).id

    token, ids = claim_batch(mail_id, 3, LEASE, NOW)

    assert len(ids) == 3
    claimed = db.session.scalars(select(Recipient).where(Recipient.id.in_(ids))).all()
    assert {(r.status, r.claim_token, r.claimed_until) for r in claimed} == {("sending", token, NOW + timedelta(seconds=LEASE))}
    assert statuses(mail_id) == {"p0@example.com": "sending", "p1@example.com": "sending", "p2@example.com": "sending",
                                 "p3@example.com": "queued", "p4@example.com": "queued"}


def test_deferred_rows_are_claimed_only_once_their_retry_is_due(ctx):
    mail_id = a_mass_email(state="sending", recipients=2).id
    db.session.execute(Recipient.__table__.update().where(Recipient.email == "p0@example.com")
                       .values(status="deferred", next_attempt_at=NOW + timedelta(minutes=5)))
    db.session.commit()

    assert claim_batch(mail_id, 10, LEASE, NOW)[1] == [row("p1@example.com").id]
    assert claim_batch(mail_id, 10, LEASE, NOW + timedelta(minutes=5))[1] == [row("p0@example.com").id]


def test_two_claimers_at_once_never_get_the_same_recipient(app, ctx):
    mail_id = a_mass_email(state="sending", recipients=500).id
    results, errors = [], []
    start = threading.Barrier(4)

    def claimer():
        try:
            with app.app_context():
                start.wait()
                for _ in range(5):
                    results.append(claim_batch(mail_id, 25, LEASE, NOW)[1])
                db.session.remove()
        except Exception as error:  # reported below: an exception in a thread would pass silently
            errors.append(error)

    threads = [threading.Thread(target=claimer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    claimed = [rid for ids in results for rid in ids]
    assert len(claimed) == len(set(claimed)) == 500
    tokens = db.session.scalars(select(Recipient.claim_token).distinct()).all()
    assert len(tokens) == 20  # every claim got 25 rows of its own


def test_an_expired_claim_that_never_sent_goes_back_to_the_queue_and_is_claimed_again(ctx):
    mail_id = a_mass_email(state="sending", recipients=3).id
    _, first = claim_batch(mail_id, 3, LEASE, NOW)

    assert claim_batch(mail_id, 3, LEASE, NOW + timedelta(seconds=LEASE - 1))[1] == []  # lease still running
    later = NOW + timedelta(seconds=LEASE + 1)
    recover_expired_claims(later, mail_id)
    assert claim_batch(mail_id, 3, LEASE, later)[1] == first


def test_recovery_does_not_touch_a_claim_whose_lease_is_running(ctx):
    mail_id = a_mass_email(state="sending", recipients=2).id
    claim_batch(mail_id, 2, LEASE, NOW)

    assert recover_expired_claims(NOW + timedelta(seconds=LEASE - 1)) == []
    assert set(statuses(mail_id).values()) == {"sending"}


def test_the_journal_folds_into_the_rows_in_bulk_and_is_then_emptied(ctx):
    mail_id = a_mass_email(state="sending", recipients=3).id
    token, (sent_id, deferred_id, bounced_id) = claim_batch(mail_id, 3, LEASE, NOW)
    journal = Journal(redis_connection(), token)
    retry_at = NOW + timedelta(minutes=5)
    journal.advance({sent_id: Entry("sent", NOW, "<a@x>", "250 2.0.0 Ok")})
    journal.advance({deferred_id: Entry("deferred", NOW, "<b@x>", "451 4.7.1 Try later", next_attempt_at=retry_at)})
    journal.advance({bounced_id: Entry("bounced", NOW, "<c@x>", "550 5.1.1 User unknown", bounce_kind="hard")})

    assert fold(journal) == 3

    sent, deferred, bounced = row("p0@example.com"), row("p1@example.com"), row("p2@example.com")
    assert (sent.status, sent.message_id, sent.sent_at, sent.attempts, sent.claim_token) == ("sent", "<a@x>", NOW, 1, None)
    assert (deferred.status, deferred.next_attempt_at, deferred.smtp_reply) == ("deferred", retry_at, "451 4.7.1 Try later")
    assert (bounced.status, bounced.bounce_kind, bounced.sent_at) == ("bounced", "hard", None)
    suppression = db.session.scalar(select(Suppression))
    assert (suppression.email, suppression.reason, suppression.source) == ("p2@example.com", "hard_bounce", "smtp")
    assert journal.entries() == {}
    assert fold(journal) == 0


def test_a_hard_bounce_of_an_already_suppressed_address_folds_without_error(ctx):
    mail_id = a_mass_email(state="sending", recipients=1).id
    a_suppression("p0@example.com", reason="manual")
    token, (rid,) = claim_batch(mail_id, 1, LEASE, NOW)
    journal = Journal(redis_connection(), token)
    journal.advance({rid: Entry("bounced", NOW, "<c@x>", "550 5.1.1 User unknown", bounce_kind="hard")})

    fold(journal)

    assert db.session.scalars(select(Suppression.reason)).all() == ["manual"]


def test_folding_twice_after_a_crash_between_commit_and_cleanup_changes_nothing(ctx):
    mail_id = a_mass_email(state="sending", recipients=1).id
    token, (rid,) = claim_batch(mail_id, 1, LEASE, NOW)
    journal = Journal(redis_connection(), token)
    journal.advance({rid: Entry("sent", NOW, "<a@x>", "250 Ok")})
    entries = journal.entries()
    fold(journal)
    # The entry is back, as if the process died before deleting it: the row is no longer claimed.
    journal.advance({rid: entries[rid]})

    fold(journal)

    assert (row("p0@example.com").status, row("p0@example.com").attempts) == ("sent", 1)


def test_a_crashed_batch_is_recovered_sent_unconfirmed_or_requeued(ctx):
    """The batch got a 250 for p0, was killed while p1's message was in flight, never reached p2."""
    mail_id = a_mass_email(state="sending", recipients=3).id
    token, (p0, p1, p2) = claim_batch(mail_id, 3, LEASE, NOW)
    journal = Journal(redis_connection(), token)
    journal.advance({}, (p0, "<p0@x>"))
    journal.advance({p0: Entry("sent", NOW, "<p0@x>", "250 Ok")}, (p1, "<p1@x>"))  # p0's answer, p1 handed over
    # ... the process dies here; its lease runs out.

    recovered = recover_expired_claims(NOW + timedelta(seconds=LEASE + 1))

    assert [(owner, settled.folded, settled.unconfirmed, settled.released) for owner, settled in recovered] == \
        [(mail_id, 1, 1, 1)]
    assert statuses(mail_id) == {"p0@example.com": "sent", "p1@example.com": "unconfirmed", "p2@example.com": "queued"}
    assert row("p1@example.com").message_id == "<p1@x>"
    assert journal.entries() == {} and journal.in_flight() is None


def test_an_unconfirmed_recipient_is_never_claimed_again(ctx):
    mail_id = a_mass_email(state="sending", recipients=1).id
    token, (rid,) = claim_batch(mail_id, 1, LEASE, NOW)
    Journal(redis_connection(), token).advance({}, (rid, "<p0@x>"))
    later = NOW + timedelta(seconds=LEASE + 1)
    recover_expired_claims(later)

    assert claim_batch(mail_id, 10, LEASE, later + timedelta(days=30))[1] == []


def test_a_lost_connection_before_data_puts_the_in_flight_recipient_back_in_the_queue(ctx):
    mail_id = a_mass_email(state="sending", recipients=2).id
    token, (p0, _) = claim_batch(mail_id, 2, LEASE, NOW)
    Journal(redis_connection(), token).advance({}, (p0, "<p0@x>"))

    settled = settle_claim(token, NOW, in_flight_may_be_delivered=False)

    assert (settled.unconfirmed, settled.released) == (0, 2)
    assert set(statuses(mail_id).values()) == {"queued"}


def test_a_released_retry_stays_deferred_with_its_time(ctx):
    mail_id = a_mass_email(state="sending", recipients=1).id
    db.session.execute(Recipient.__table__.update().values(status="deferred", next_attempt_at=NOW))
    db.session.commit()
    token, _ = claim_batch(mail_id, 1, LEASE, NOW)

    settle_claim(token, NOW)

    assert (row("p0@example.com").status, row("p0@example.com").next_attempt_at) == ("deferred", NOW)
