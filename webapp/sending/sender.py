"""send_batch: one RQ job sends up to AppSettings.batch_size recipients over one SMTP connection.

The sending itself is one step of step.py, as for a drip tick. Then the counters are recounted,
and the batch enqueues its successor: at once while rows are queued, at the earliest retry while
only deferred rows are left, after RECONNECT_SECONDS when the connection was lost, when the
hourly bucket refills, or marks the mass email 'sent' when nothing is left to send or in flight.
"""
from datetime import timedelta

from webapp.common.clock import utcnow
from webapp.common.queues import queue
from webapp.extensions import db
from webapp.sending.models import MassEmail
from webapp.sending.step import RECONNECT_SECONDS, first_retry_at, note_batch_error, recount, send_step
from webapp.settings.service import get_settings

QUEUE = "sending"
JOB = "jobs.sending.send_batch"
JOB_TIMEOUT_SECONDS = 3600


def enqueue_batch(mass_email_id, delay_seconds=0):
    """Queue the mass email's next batch job, now or after a delay (RQ's scheduler runs it)."""
    sending = queue(QUEUE)
    # A batch keeps its lease alive as it goes; RQ's timeout is only a backstop for a hung job,
    # whose claim recovery then settles like any crashed batch's.
    options = {"job_timeout": JOB_TIMEOUT_SECONDS}
    if delay_seconds > 0:
        return sending.enqueue_in(timedelta(seconds=delay_seconds), JOB, mass_email_id, **options)
    return sending.enqueue(JOB, mass_email_id, **options)


def send_batch(mass_email_id):
    """Send one batch of the mass email; returns a short summary for the job's result."""
    try:
        return _send_batch(mass_email_id)
    except Exception as error:
        note_batch_error(mass_email_id, error)
        raise


def _send_batch(mass_email_id):
    now = utcnow()
    mass_email = db.session.get(MassEmail, mass_email_id)
    if mass_email is None or mass_email.state != "sending":
        return "not sending"
    if mass_email.kind == "drip":
        # A drip sends one recipient per tick, on its schedule; a batch job meant for it (say, from the
        # recovery of a tick that died) must not send the rest at once. Its next tick carries on.
        return "a drip: its ticks send"
    settings = get_settings()
    step = send_step(mass_email, settings, settings.batch_size, now)
    if step.outcome in ("failed", "paused"):
        return step.outcome
    if step.outcome == "hourly limit":
        enqueue_batch(mass_email_id, step.refill_seconds)
        return "hourly limit reached"
    return _finish(mass_email_id, step.lost)


def _finish(mass_email_id, lost):
    """Recount, then enqueue the next batch or mark the mass email sent."""
    now = utcnow()
    counts = recount(mass_email_id, now)
    if not counts:
        return "done"
    if lost is not None:
        enqueue_batch(mass_email_id, RECONNECT_SECONDS)
        return "connection lost"
    if counts.get("queued"):
        enqueue_batch(mass_email_id)
        return "more to send"
    next_retry = first_retry_at(mass_email_id)
    if next_retry is not None:
        enqueue_batch(mass_email_id, max(1, (next_retry - now).total_seconds()))
        return "waiting for retries"
    return "waiting for other batches"  # rows still claimed by another batch: it carries on

