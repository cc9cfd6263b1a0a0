"""Claiming recipients for a batch, and settling a claim when the batch ends or has crashed.

A claim is a set of rows a batch marked status='sending' with its own claim_token and a
lease (claimed_until). Only the claim's batch sends them, and only until
`claimed_until - LEASE_MARGIN` by its own clock: a batch stops (and settles) before its
lease runs out, and renews the lease (checked at each fold of its journal) once half of it
is gone. So a claim whose lease has expired belongs to a batch that is gone (killed,
crashed, timed out).

Recovery rule for an expired claim (recover_expired_claims, run at the start of every batch
and from the periodic job), per row still 'sending':
1. the journal holds the server's answer -> the row takes it (sent, deferred, bounced);
2. the row is the claim's in-flight message (its DATA may have been sent and the 250 lost)
   -> 'unconfirmed', and it is NEVER resent automatically: only a person may choose to
   (lifecycle.resend_unconfirmed). There is at most one such row per claim: a claim sends
   over one connection, one message at a time, and the one Redis round trip that marks a
   message in flight also journals the outcome of the one before (journal.Journal.advance);
3. any other row was never handed to the server -> back to 'queued' (or 'deferred' with
   its old next_attempt_at, if it was a due retry), to be claimed again.
A batch that ends normally or loses its connection settles its own claim by the same rule,
except that it knows whether the in-flight message's DATA started (ConnectionLost.data_started).
"""
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, case, or_, select, update

from webapp.common.queues import redis_connection
from webapp.extensions import db
from webapp.sending.journal import Journal, fold
from webapp.sending.models import MassEmail, Recipient

# States in which a mass email may still have claims out (a pause lets the running batch finish).
ACTIVE_STATES = ("sending", "paused", "cancelled")


@dataclass(frozen=True)
class Settled:
    folded: int  # rows that took their journaled outcome
    unconfirmed: int  # 0 or 1
    released: int  # rows back in the queue, never attempted


def _due(now):
    return or_(Recipient.status == "queued", and_(Recipient.status == "deferred", Recipient.next_attempt_at <= now))


def claim_batch(mass_email_id, size, lease_seconds, now):
    """(claim_token, [recipient ids]): up to `size` due rows of the mass email, now ours alone.

    One UPDATE ... WHERE id IN (SELECT ... LIMIT) RETURNING id. On PostgreSQL the SELECT
    (a materialized CTE) locks its rows FOR UPDATE SKIP LOCKED, so concurrent claimers take
    disjoint rows without waiting on each other. SQLite runs one writer at a time and a single UPDATE statement takes
    the write lock before it reads, so the statement is atomic; the commit before it makes sure
    it starts its own transaction rather than continuing one that read an older snapshot.
    Rows of an expired claim are not taken here: recover_expired_claims() first decides
    which of them may be sent again.
    """
    db.session.commit()
    token = uuid.uuid4().hex
    candidates = (
        select(Recipient.id).where(Recipient.mass_email_id == mass_email_id, _due(now)).order_by(Recipient.id).limit(size)
    )
    if db.engine.dialect.name == "postgresql":
        # MATERIALIZED: as a plain subquery the planner may rescan it per row, and each rescan
        # skips the rows this very UPDATE changed and locks the next ones: a claim past `size`.
        picked = candidates.with_for_update(skip_locked=True).cte("picked").prefix_with("MATERIALIZED")
        candidates = select(picked.c.id)
    claimed = db.session.scalars(
        update(Recipient)
        .where(Recipient.id.in_(candidates.scalar_subquery()), _due(now))
        .values(status="sending", claim_token=token, claimed_until=now + timedelta(seconds=lease_seconds))
        .returning(Recipient.id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return token, sorted(claimed)


def renew_lease(claim_token, lease_seconds, now):
    db.session.execute(
        update(Recipient)
        .where(Recipient.claim_token == claim_token, Recipient.status == "sending")
        .values(claimed_until=now + timedelta(seconds=lease_seconds))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def settle_claim(claim_token, now, in_flight_may_be_delivered=True):
    """End a claim by the rule in the module docstring; returns Settled.

    `in_flight_may_be_delivered` is False when the caller knows the in-flight message's
    DATA never started (the server cannot have it), so that row goes back to the queue.
    """
    journal = Journal(redis_connection(), claim_token)
    folded = fold(journal)
    unconfirmed = 0
    in_flight = journal.in_flight()
    if in_flight is not None and in_flight_may_be_delivered:
        recipient_id, message_id = in_flight
        unconfirmed = db.session.execute(
            update(Recipient)
            .where(Recipient.id == recipient_id, Recipient.claim_token == claim_token, Recipient.status == "sending")
            .values(status="unconfirmed", message_id=message_id, status_changed_at=now, attempts=Recipient.attempts + 1,
                    claim_token=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        ).rowcount
    released = db.session.execute(
        update(Recipient)
        .where(Recipient.claim_token == claim_token, Recipient.status == "sending")
        # A due retry goes back to 'deferred' with its time, still due; anything else was queued.
        .values(status=case((Recipient.next_attempt_at.is_(None), "queued"), else_="deferred"),
                claim_token=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    journal.discard()
    return Settled(folded, unconfirmed, released)


def recover_expired_claims(now, mass_email_id=None):
    """Settle every claim whose lease ran out (of one mass email, or of all active ones).

    Returns [(mass_email_id, Settled)] of the claims settled, so the caller can restart sending.
    """
    statement = (
        select(Recipient.mass_email_id, Recipient.claim_token)
        .where(Recipient.status == "sending", Recipient.claimed_until < now)
        .distinct()
    )
    if mass_email_id is None:
        statement = statement.where(
            Recipient.mass_email_id.in_(select(MassEmail.id).where(MassEmail.state.in_(ACTIVE_STATES)))
        )
    else:
        statement = statement.where(Recipient.mass_email_id == mass_email_id)
    return [(owner_id, settle_claim(claim_token, now)) for owner_id, claim_token in db.session.execute(statement).all()]
