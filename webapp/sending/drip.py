"""Drips (advanced mass emails): one recipient per tick, on the schedule of drip_schedule.py.

A drip's one clock is MassEmail.next_send_at. Every tick job carries the due time it was
queued for, and before anything else moves next_send_at on from exactly that value in one
conditional UPDATE. So of any number of ticks for one moment (a duplicate, the cron's
rescue) exactly one goes on, and a pause (next_send_at NULL), a resume or an edit (a new
time) retires every tick already waiting in RQ: pause and resume act at once.

A tick sends at most one recipient through the batch machinery (a claim of one, the
journal, settle_claim), so the exactly-once rules of batches.py hold for drips unchanged.
It stamps the row with the template version it built the message from: an edit of the
content changes the mass email's version, which only rows not yet sent will take.
The next tick is due one interval after this tick's message went out, moved into the next
sending window, or later when the hourly limit or the only due retry says so.
"""
from datetime import UTC, timedelta

from sqlalchemy import select, update

from webapp.common.clock import utcnow
from webapp.common.queues import queue, redis_connection
from webapp.extensions import db
from webapp.mail.smtp import SmtpFailure
from webapp.sending import sender
from webapp.sending.batches import claim_batch, recover_expired_claims
from webapp.sending.models import MassEmail, Recipient
from webapp.sending.throttle import HourlyBucket
from webapp.settings.service import get_settings

JOB = "jobs.sending.drip_tick"
# A tick this late was lost (its worker died before queueing the next): the cron queues it again.
STALLED_AFTER = timedelta(minutes=2)
TICK_TIMEOUT_SECONDS = 600


def enqueue_tick(mass_email_id, due_at):
    """Queue the tick for `due_at` (naive UTC) on the sending queue; RQ's scheduler runs it on time."""
    return queue(sender.QUEUE).enqueue_at(due_at.replace(tzinfo=UTC), JOB, mass_email_id, due_at.isoformat(),
                                          job_timeout=TICK_TIMEOUT_SECONDS)


def schedule_from(mass_email_id, not_before):
    """(Re)start the drip's clock: next_send_at := the first slot at or after `not_before`, and its tick.

    Start, resume and edits call this; whatever tick was waiting no longer matches and retires.
    """
    mass_email = db.session.get(MassEmail, mass_email_id, populate_existing=True)
    due_at = mass_email.drip_schedule.next_slot(not_before)
    changed = db.session.execute(
        update(MassEmail).where(MassEmail.id == mass_email_id, MassEmail.state == "sending").values(next_send_at=due_at)
    ).rowcount
    db.session.commit()
    if changed:
        enqueue_tick(mass_email_id, due_at)
    return due_at


def _move_clock(mass_email_id, expected, due_at):
    """next_send_at: expected -> due_at, only if nobody moved it meanwhile; True when it moved."""
    moved = db.session.execute(
        update(MassEmail)
        .where(MassEmail.id == mass_email_id, MassEmail.state == "sending", MassEmail.next_send_at == expected)
        .values(next_send_at=due_at)
    ).rowcount
    db.session.commit()
    return bool(moved)


def tick(mass_email_id, due_at, now):
    """Send the drip's next recipient if this tick is still the one due; returns a summary for the job."""
    mass_email = db.session.get(MassEmail, mass_email_id)
    if mass_email is None or mass_email.kind != "drip":
        return "not a drip"
    schedule = mass_email.drip_schedule
    interval = timedelta(seconds=schedule.interval_seconds)
    # Provisional: if this tick dies before it sets the real time, the cron finds this one stalled.
    provisional = schedule.next_slot(now + interval)
    if not _move_clock(mass_email_id, due_at, provisional):
        return "superseded"
    recover_expired_claims(now, mass_email_id)
    settings = get_settings()
    batch = sender.prepare(mass_email, settings)
    if batch is None:
        return "failed"
    bucket = HourlyBucket(redis_connection(), settings.max_per_hour)
    if not bucket.take(1, now):
        refilled = now + timedelta(seconds=bucket.seconds_until_refill(now))
        return _next(mass_email_id, provisional, schedule.next_slot(max(provisional, refilled)))
    claim_token, recipient_ids = claim_batch(mass_email_id, 1, sender.LEASE_SECONDS, now)
    bucket.give_back(1 - len(recipient_ids), now)
    lost = None
    if recipient_ids:
        # The version this tick built, whatever an edit committed since: the row records what it got.
        db.session.execute(update(Recipient).where(Recipient.id.in_(recipient_ids)).values(template_version_id=batch.version_id))
        try:
            lost = sender.send_and_settle(batch, claim_token, mass_email_id, bucket, now)
        except SmtpFailure:
            return "paused"
    pending = sender.recount(mass_email_id, utcnow())
    if not pending:
        return "done"
    due = schedule.next_slot(utcnow() + interval)
    if lost is not None:
        due = schedule.next_slot(max(due, utcnow() + timedelta(seconds=sender.RECONNECT_SECONDS)))
    elif not pending.get("queued"):
        # Only retries are left: wake up when the first is due, not every interval until then.
        first_retry = sender.first_retry_at(mass_email_id)
        if first_retry is not None:
            due = schedule.next_slot(max(due, first_retry))
    return _next(mass_email_id, provisional, due, "sent one" if recipient_ids else "nothing due")


def _next(mass_email_id, provisional, due_at, summary="hourly limit reached"):
    if _move_clock(mass_email_id, provisional, due_at):
        enqueue_tick(mass_email_id, due_at)
    return summary


def rescue_stalled(now):
    """Queue again the ticks of drips whose next send is long overdue; returns their ids. Run every minute."""
    stalled = db.session.execute(
        select(MassEmail.id, MassEmail.next_send_at).where(
            MassEmail.kind == "drip", MassEmail.state == "sending", MassEmail.next_send_at < now - STALLED_AFTER)
    ).all()
    for mass_email_id, due_at in stalled:
        enqueue_tick(mass_email_id, due_at)
    return [mass_email_id for mass_email_id, _ in stalled]
