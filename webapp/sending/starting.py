"""Starting a send: recipient resolution runs in a job, never in a web request.

"Send now" (and the clock, for a scheduled send) only moves the mass email to 'preparing' and
queues prepare_send (lifecycle.start_mass_email). The job resolves the recipients (resolve.py:
one INSERT .. SELECT in one transaction), then moves 'preparing' -> 'sending' and queues the
first batches or the drip's first tick; a mass email nobody on the lists can be emailed is 'sent'.

A job that dies with its worker leaves the mass email 'preparing'. While the job runs, a
heartbeat key in Redis is renewed; the periodic recovery (recover_stalled) queues the job again
for a mass email that is 'preparing' with neither a live heartbeat nor a job waiting in RQ.
That is safe whatever happened: a killed resolution rolled back and left no rows, a finished one
froze the list sizes and is not redone, and two jobs at once serialise on the mass email's row,
so every recipient is written once. A resolution that raises stores why on the mass email
(failure_reason, shown on its page with Retry and Cancel) and waits for a person: retrying an
error by itself would only repeat it.
"""
import logging

from flask import current_app
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import select, update

from webapp.common.clock import utcnow
from webapp.common.heartbeat import Heartbeat, is_alive
from webapp.common.queues import redis_connection
from webapp.extensions import db
from webapp.sending import lifecycle
from webapp.sending.models import MassEmail
from webapp.sending.resolve import resolve_recipients
from webapp.settings.service import get_settings

log = logging.getLogger(__name__)

_WAITING = (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED)


def _heartbeat_key(mass_email_id):
    return f"mailroom:preparing:{mass_email_id}"


def prepare_send(mass_email_id, now=None):
    """The job: resolve the recipients of a 'preparing' mass email and start sending it."""
    ttl = current_app.config["PREPARE_HEARTBEAT_SECONDS"]
    with Heartbeat(redis_connection(), _heartbeat_key(mass_email_id), ttl):
        return _prepare(mass_email_id, now or utcnow())


def _prepare(mass_email_id, now):
    mass_email = db.session.get(MassEmail, mass_email_id)
    if mass_email is None or mass_email.state != "preparing":
        return "not preparing"
    try:
        summary = resolve_recipients(mass_email_id, now, get_settings())
    except Exception as error:  # noqa: BLE001  whatever broke, a person sees why and decides
        db.session.rollback()
        log.exception("mass email %s: preparing the recipients failed", mass_email_id)
        db.session.execute(update(MassEmail).where(MassEmail.id == mass_email_id, MassEmail.state == "preparing")
                           .values(failure_reason=f"Preparing the recipients failed: {error}"))
        db.session.commit()
        return "failed"
    if summary["emailing"] == 0:
        db.session.execute(update(MassEmail).where(MassEmail.id == mass_email_id, MassEmail.state == "preparing")
                           .values(state="sent", finished_at=now, failure_reason=None))
        db.session.commit()
        return "nobody to email"
    try:
        # failure_reason: a duplicate job that failed on a lock while this one resolved leaves none behind.
        mass_email = lifecycle.move(mass_email_id, "prepared", failure_reason=None)
    except lifecycle.LifecycleError:
        return "cancelled meanwhile"
    lifecycle.carry_on(mass_email, now, summary["emailing"])
    return f"{summary['emailing']} to send"


def recover_stalled():
    """Queue again the preparations whose job died; returns their mass email ids. Run every minute."""
    redis = redis_connection()
    preparing = db.session.scalars(
        select(MassEmail.id).where(MassEmail.state == "preparing", MassEmail.failure_reason.is_(None))
    ).all()
    stalled = [mass_email_id for mass_email_id in preparing
               if not is_alive(redis, _heartbeat_key(mass_email_id)) and not _job_waiting(redis, mass_email_id)]
    for mass_email_id in stalled:
        log.warning("mass email %s: its preparation died; queueing it again", mass_email_id)
        lifecycle.enqueue_preparation(mass_email_id)
    return stalled


def _job_waiting(redis, mass_email_id):
    try:
        job = Job.fetch(lifecycle.preparation_job_id(mass_email_id), connection=redis)
    except NoSuchJobError:
        return False
    return job.get_status() in _WAITING
