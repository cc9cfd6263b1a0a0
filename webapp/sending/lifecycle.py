"""The life of a standard mass email: draft, schedule, start, pause, resume, cancel.

Every state change goes through move(): one conditional UPDATE ... WHERE state IN (allowed),
so two people (or a person and the cron tick) acting at once cannot both win, and a batch
finishing meanwhile (step.recount only touches rows still 'sending') cannot undo a pause or
cancel. A refused move raises LifecycleError with a sentence for the page.

    draft -> scheduled -> preparing -> sending <-> paused -> sent;  cancelled from any non-final state;
    sent -> sending when a person resends the unconfirmed recipients (resend_unconfirmed);
    cancelled -> sending when a person sends a cancelled one to the recipients it has not reached (restart).

'preparing' is the recipient resolution, done by a job (starting.py), never in a request.
"""
import math

from flask import current_app
from sqlalchemy import func, select, update

from webapp.audience.segments import SegmentError
from webapp.common.filters import label
from webapp.common.queues import queue, redis_connection
from webapp.compose.models import Template
from webapp.extensions import db
from webapp.sending import drip, failure_window
from webapp.sending.models import PENDING_STATUSES, MassEmail, MassEmailExclusion, MassEmailList, Recipient
from webapp.sending.resolve import audience_of, preview_summary, skipped_counts
from webapp.sending.sender import QUEUE, enqueue_batch
from webapp.settings.service import get_settings

FINAL_STATES = ("sent", "cancelled", "failed")
# Until its recipients are being prepared a person may still change everything about a mass email.
EDITABLE_STATES = ("draft", "scheduled")
# Resolution of a million recipients takes seconds; this only stops a job that hangs for good.
PREPARE_TIMEOUT_SECONDS = 3600
# Where a person may send the unconfirmed again: a cancelled or failed mass email sends nothing more.
RESEND_STATES = ("sending", "paused", "sent")

# action -> (states it may start from, state it leads to)
TRANSITIONS = {
    "schedule": (("draft",), "scheduled"),
    "start": (("draft", "scheduled"), "preparing"),
    "prepared": (("preparing",), "sending"),
    "pause": (("sending",), "paused"),
    "resume": (("paused",), "sending"),
    "cancel": (("draft", "scheduled", "preparing", "sending", "paused"), "cancelled"),
    "restart": (("cancelled",), "sending"),
}
PREPARE_JOB = "jobs.sending.prepare_send"
_PAST = {"schedule": "scheduled", "start": "started", "prepared": "prepared", "pause": "paused", "resume": "resumed",
         "cancel": "cancelled", "restart": "sent to the rest"}


class LifecycleError(Exception):
    """A state change that the mass email's current state does not allow."""


def move(mass_email_id, action, require=(), **values):
    """Apply `action` atomically, where the state allows it and the `require` clauses hold; raise
    LifecycleError (with the current state) when it is not allowed."""
    allowed, target = TRANSITIONS[action]
    changed = db.session.execute(
        update(MassEmail)
        .where(MassEmail.id == mass_email_id, MassEmail.state.in_(allowed), *require)
        .values(state=target, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        _refuse(mass_email_id, lambda state: f"A mass email that is {label(state, 'mass_email_state')} cannot be {_PAST[action]}.")
    db.session.commit()
    return db.session.get(MassEmail, mass_email_id, populate_existing=True)


def _refuse(mass_email_id, why):
    """Undo the attempt and raise LifecycleError: the mass email is gone, or `why(its state)`."""
    db.session.rollback()
    state = db.session.scalar(select(MassEmail.state).where(MassEmail.id == mass_email_id))
    if state is None:
        raise LifecycleError("This mass email no longer exists.")
    raise LifecycleError(why(state))


def create_draft(owner_id, name, template_id, list_ids, excluding_list_ids, from_name="", from_email="", reply_to="",
                 campaign=None, scheduled_at=None, drip_schedule=None, excluding_mass_email_ids=()):
    """A new draft, a drip when given its DripSchedule; the template is snapshotted now and again when sending starts."""
    mass_email = MassEmail(owner_id=owner_id, state="draft")
    _fill(mass_email, name, template_id, list_ids, excluding_list_ids, from_name, from_email, reply_to, campaign,
          scheduled_at, drip_schedule, excluding_mass_email_ids)
    db.session.add(mass_email)
    db.session.commit()
    return mass_email


def update_draft(mass_email_id, name, template_id, list_ids, excluding_list_ids, from_name="", from_email="", reply_to="",
                 campaign=None, scheduled_at=None, drip_schedule=None, excluding_mass_email_ids=()):
    """Change a draft, or a scheduled mass email not started yet; it is a draft again, to be confirmed anew.

    The conditional UPDATE is the state check: once a send has started (or started meanwhile, by
    the clock or a person) it refuses with LifecycleError; on PostgreSQL it also holds the row, so a
    start waiting on it sends what was saved.
    """
    editable = db.session.execute(
        update(MassEmail).where(MassEmail.id == mass_email_id, MassEmail.state.in_(EDITABLE_STATES)).values(state="draft")
    ).rowcount
    if not editable:
        _refuse(mass_email_id, lambda state: f"A mass email that is {label(state, 'mass_email_state')} can no longer be edited.")
    mass_email = db.session.get(MassEmail, mass_email_id, populate_existing=True)
    _fill(mass_email, name, template_id, list_ids, excluding_list_ids, from_name, from_email, reply_to, campaign,
          scheduled_at, drip_schedule, excluding_mass_email_ids)
    db.session.commit()
    return mass_email


def _fill(mass_email, name, template_id, list_ids, excluding_list_ids, from_name, from_email, reply_to, campaign,
          scheduled_at, drip_schedule, excluding_mass_email_ids):
    """Everything a person chooses on the mass email form, written onto a draft."""
    template = db.session.get(Template, template_id)
    if template is None:
        db.session.rollback()
        raise LifecycleError("The chosen template no longer exists.")
    mass_email.name, mass_email.template_version = name.strip(), template.snapshot()
    mass_email.from_name, mass_email.from_email, mass_email.reply_to = from_name or "", from_email or "", reply_to or ""
    mass_email.campaign, mass_email.scheduled_at = (campaign or "").strip() or None, scheduled_at
    mass_email.kind = "standard" if drip_schedule is None else "drip"
    if drip_schedule is not None:
        mass_email.drip_schedule = drip_schedule
    mass_email.lists = [MassEmailList(list_id=list_id, excluding=False) for list_id in dict.fromkeys(list_ids)] + [
        MassEmailList(list_id=list_id, excluding=True) for list_id in dict.fromkeys(excluding_list_ids)
    ]
    mass_email.exclusions = [MassEmailExclusion(excluded_mass_email_id=earlier)
                             for earlier in dict.fromkeys(excluding_mass_email_ids)]


def schedule_mass_email(mass_email_id, scheduled_at):
    """draft -> scheduled: start_due() starts it once `scheduled_at` has passed."""
    return move(mass_email_id, "schedule", scheduled_at=scheduled_at)


def start_mass_email(mass_email_id, now):
    """draft|scheduled -> preparing: snapshot the template (what was confirmed is what is sent)
    and queue the job that resolves the recipients and starts sending (starting.prepare_send)."""
    mass_email = move(mass_email_id, "start", started_at=now, failure_reason=None)
    template = db.session.get(Template, mass_email.template_version.template_id)
    if template is not None:  # a deleted template leaves the draft's own snapshot to send
        mass_email.template_version = template.snapshot()
        db.session.commit()
    enqueue_preparation(mass_email_id)
    return mass_email


def enqueue_preparation(mass_email_id):
    """Queue prepare_send under one job id per mass email, so the recovery can ask RQ whether it waits."""
    return queue(QUEUE).enqueue(PREPARE_JOB, mass_email_id, job_id=preparation_job_id(mass_email_id),
                                job_timeout=PREPARE_TIMEOUT_SECONDS)


def preparation_job_id(mass_email_id):
    return f"mailroom-prepare-{mass_email_id}"


def retry_start(mass_email_id):
    """A preparation that failed (its reason on the page) is tried again, by a person's choice."""
    retried = db.session.execute(
        update(MassEmail)
        .where(MassEmail.id == mass_email_id, MassEmail.state == "preparing", MassEmail.failure_reason.is_not(None))
        .values(failure_reason=None)
    ).rowcount
    if not retried:
        _refuse(mass_email_id, lambda state: "Preparing the recipients has not failed: nothing to retry."
                if state == "preparing" else f"A mass email that is {state} cannot be prepared again.")
    db.session.commit()
    enqueue_preparation(mass_email_id)


def enqueue_batches(mass_email_id, waiting):
    """Batches of one mass email run side by side (claims are exclusive, see batches.py); each finished
    batch enqueues its successor, so SEND_PARALLEL_BATCHES chains keep that many workers busy."""
    for _ in range(min(current_app.config["SEND_PARALLEL_BATCHES"], math.ceil(waiting / get_settings().batch_size))):
        enqueue_batch(mass_email_id)


def start_due(now):
    """Start every scheduled mass email whose time has come; returns their ids. Run every minute."""
    due = db.session.scalars(
        select(MassEmail.id).where(MassEmail.state == "scheduled", MassEmail.scheduled_at <= now).order_by(MassEmail.scheduled_at)
    ).all()
    started = []
    for mass_email_id in due:
        try:
            start_mass_email(mass_email_id, now)
        except LifecycleError:
            continue  # cancelled or started by a person since we looked: nothing left to do
        started.append(mass_email_id)
    return started


def pause_mass_email(mass_email_id):
    """sending -> paused: running batches stop at their next check and put their unsent rows back;
    a drip's waiting tick finds its time gone and retires."""
    return move(mass_email_id, "pause", next_send_at=None)


def resume_mass_email(mass_email_id, now):
    """paused -> sending, with batches queued again, or the drip's next tick at its next slot from now
    (a pause by Mailroom itself, for the SMTP settings or a burst of refusals, clears its reason
    and the failure window)."""
    mass_email = move(mass_email_id, "resume", failure_reason=None)
    failure_window.clear(redis_connection(), mass_email_id)
    carry_on(mass_email, now)
    return mass_email


def carry_on(mass_email, now, waiting=None):
    """Queue what sends the `waiting` recipients (counted when None): batches, or the drip's next
    tick at its next slot from now."""
    if mass_email.kind == "drip":
        drip.schedule_from(mass_email.id, now)
    else:
        enqueue_batches(mass_email.id, max(1, unsent_count(mass_email.id) if waiting is None else waiting))


def resend_unconfirmed(mass_email_id, now):
    """A person's choice: the unconfirmed recipients go back to 'queued' to be sent again; returns how many.

    A 'sent' mass email goes back to 'sending'; a paused one sends them when resumed. This is
    the only path that ever resends a message. An unconfirmed recipient's message was handed to
    the server and its answer lost (batches.py): it most likely arrived, and no machine can
    tell. Mailroom promises that nobody gets two messages, so it never guesses; a person can
    weigh a possible duplicate against a possible miss (say, after reading the relay's logs).
    """
    resendable = select(MassEmail.id).where(MassEmail.id == mass_email_id, MassEmail.state.in_(RESEND_STATES))
    requeued = db.session.execute(
        update(Recipient)
        .where(Recipient.mass_email_id.in_(resendable), Recipient.status == "unconfirmed")
        .values(status="queued", next_attempt_at=None, status_changed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not requeued:
        _refuse(mass_email_id, lambda state: "No recipient is unconfirmed any more." if state in RESEND_STATES
                else f"A mass email that is {state} sends nothing more.")
    db.session.execute(update(MassEmail).where(MassEmail.id == mass_email_id, MassEmail.state == "sent")
                       .values(state="sending", finished_at=None))
    db.session.commit()
    mass_email = db.session.get(MassEmail, mass_email_id, populate_existing=True)
    if mass_email.state == "sending":
        carry_on(mass_email, now)
    return requeued


def edit_drip(mass_email_id, schedule, template_id, now):
    """Change a drip's schedule and content; recipients already sent keep what they were sent.

    The template is snapshotted (a new version only if its content changed since): every row
    sent from now on is stamped with it (drip.py), rows sent before keep their stamps. A
    sending drip's clock restarts from now on the new schedule.
    """
    mass_email = db.session.get(MassEmail, mass_email_id)
    if mass_email is None or mass_email.kind != "drip":
        raise LifecycleError("Only a drip can be edited once created.")
    if mass_email.state in FINAL_STATES:
        raise LifecycleError(f"A drip that is {mass_email.state} cannot be edited.")
    template = db.session.get(Template, template_id)
    if template is None:
        raise LifecycleError("The chosen template no longer exists.")
    mass_email.drip_schedule = schedule
    mass_email.template_version = template.snapshot()
    db.session.commit()
    if mass_email.state == "sending":
        drip.schedule_from(mass_email_id, now)
    return mass_email


def cancel_mass_email(mass_email_id, now):
    """Any non-final state -> cancelled; returns how many recipients will now never be sent."""
    move(mass_email_id, "cancel", finished_at=now)
    return unsent_count(mass_email_id)


def restart_mass_email(mass_email_id, now):
    """cancelled -> sending, for the recipients it has not reached; returns how many.

    Cancelling leaves the rows not sent waiting ('queued', or 'deferred' for their retry), and the
    rows sent, bounced or unconfirmed keep their status, so the batches claim exactly the rest:
    nobody is sent a second message. Only a send whose recipients were resolved has a rest.
    """
    waiting = unsent_count(mass_email_id)
    if not waiting:
        _refuse(mass_email_id, lambda state: "Every recipient was reached already: nothing is left to send."
                if state == "cancelled" else f"A mass email that is {label(state, 'mass_email_state')} cannot be restarted.")
    mass_email = move(mass_email_id, "restart", require=[MassEmail.list_size_all.is_not(None)], finished_at=None)
    carry_on(mass_email, now, waiting)
    return waiting


def unsent_count(mass_email_id):
    return db.session.scalar(
        select(func.count()).where(Recipient.mass_email_id == mass_email_id,
                                   Recipient.status.in_(PENDING_STATUSES))
    )


def dry_run_summary(mass_email_id, now):
    """The confirm step's numbers before sending: resolution's own rules, nothing written; with
    "skipped", how many on the target lists the exclusions take off (resolve.skipped_counts)."""
    return estimate(audience_of(mass_email_id), now)


def estimate(audience, now):
    """dry_run_summary() for an Audience not saved yet: the new mass email form's live estimate.

    A segment whose filter cannot be used counts nobody, and an added "problem" says why (sending would stop there)."""
    try:
        return dict(preview_summary(audience, now, get_settings()), skipped=skipped_counts(audience, now))
    except SegmentError as error:
        return dict(all=0, emailing=0, dropped={}, skipped={}, problem=str(error))
