"""Drips (advanced mass emails): one recipient per tick, on the schedule of drip_schedule.py.

A drip's one clock is MassEmail.next_send_at. Every tick job carries the due time it was
queued for, and before anything else moves next_send_at on from exactly that value in one
conditional UPDATE. So of any number of ticks for one moment (a duplicate, the cron's
rescue) exactly one goes on, and a pause (next_send_at NULL), a resume or an edit (a new
time) retires every tick already waiting in RQ: pause and resume act at once.

A tick is one send step of size one (step.py: a claim of one, the journal, settle_claim), so the
exactly-once rules of batches.py hold for drips unchanged. It stamps the row with the template
version it built the message from: an edit of the content changes the mass email's version,
which only rows not yet sent will take.
The next tick is due one interval after this tick's message went out, moved into the next
sending window, or later when the hourly limit or the only due retry says so.
"""
from datetime import UTC, timedelta

from sqlalchemy import select, update

from webapp.common.clock import utcnow
from webapp.common.queues import queue
from webapp.extensions import db
from webapp.sending.models import MassEmail
from webapp.sending.sender import QUEUE
from webapp.sending.step import RECONNECT_SECONDS, first_retry_at, note_batch_error, recount, send_step
from webapp.settings.service import get_settings

JOB = "jobs.sending.drip_tick"
# A tick this late was lost (its worker died before queueing the next): the cron queues it again.
STALLED_AFTER = timedelta(minutes=2)
TICK_TIMEOUT_SECONDS = 600


def enqueue_tick(mass_email_id, due_at):
    """Queue the tick for `due_at` (naive UTC) on the sending queue; RQ's scheduler runs it on time."""
    return queue(QUEUE).enqueue_at(due_at.replace(tzinfo=UTC), JOB, mass_email_id, due_at.isoformat(),
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
    try:
        return _tick(mass_email_id, due_at, now)
    except Exception as error:
        note_batch_error(mass_email_id, error)
        raise


def _tick(mass_email_id, due_at, now):
    mass_email = db.session.get(MassEmail, mass_email_id)
    if mass_email is None or mass_email.kind != "drip":
        return "not a drip"
    schedule = mass_email.drip_schedule
    interval = timedelta(seconds=schedule.interval_seconds)
    # Provisional: if this tick dies before it sets the real time, the cron finds this one stalled.
    provisional = schedule.next_slot(now + interval)
    if not _move_clock(mass_email_id, due_at, provisional):
        return "superseded"
    settings = get_settings()
    step = send_step(mass_email, settings, 1, now, stamp_version=True)
    if step.outcome in ("failed", "paused"):
        return step.outcome
    if step.outcome == "hourly limit":
        refilled = now + timedelta(seconds=step.refill_seconds)
        return _next(mass_email_id, provisional, schedule.next_slot(max(provisional, refilled)))
    pending = recount(mass_email_id, utcnow())
    if not pending:
        return "done"
    due = schedule.next_slot(utcnow() + interval)
    if step.lost is not None:
        due = schedule.next_slot(max(due, utcnow() + timedelta(seconds=RECONNECT_SECONDS)))
    elif not pending.get("queued"):
        # Only retries are left: wake up when the first is due, not every interval until then.
        first_retry = first_retry_at(mass_email_id)
        if first_retry is not None:
            due = schedule.next_slot(max(due, first_retry))
    return _next(mass_email_id, provisional, due, "sent one" if step.claimed else "nothing due")

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
