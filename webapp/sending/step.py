"""One send step, shared by batch jobs (sender.py) and drip ticks (drip.py): claim -> send -> settle.

A step: settles expired claims of its mass email (batches.py), builds the SendContext, takes
tokens from the hourly bucket (throttle.py), claims that many due recipients, and sends them one
by one over one SMTP connection. Each message costs one Redis round trip before it is handed to
the server: a MULTI that journals the previous message's outcome and marks this one in flight
(_Ledger, journal.py). Every FOLD_EVERY messages and at the end the journal is folded into the
rows in bulk. What comes next (the next batch, the next tick) is the caller's business.

Outcomes: 2xx -> sent; 4xx -> deferred with the backoff of retries.next_retry_delay (a soft
bounce once the retry window since the send started is over); 5xx -> bounced hard or soft
(hard also suppresses the address and marks the contact bounced); a template that fails to
render for one contact -> failed. A lost connection settles the claim (the in-flight message
is 'unconfirmed' only if its DATA started); the caller retries after RECONNECT_SECONDS.
SMTP settings a person must fix (login, TLS) pause the mass email, and so does a burst of
refusals (failure_window.py), each with its reason on the progress page.
"""
import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update

from webapp.audience.models import Contact
from webapp.common.clock import utcnow
from webapp.common.queues import redis_connection
from webapp.compose.mime import MessageBuilder
from webapp.compose.rendering import RenderError, TemplateProblems, contact_context, merge_values_of
from webapp.compose.service import compile_version, message_settings, with_template_identity
from webapp.extensions import db
from webapp.mail.addresses import NeedsSmtpUtf8
from webapp.mail.delivery import ConnectionLost, SmtpDelivery
from webapp.mail.replies import BOUNCED, DEFERRED, SENT, SOFT
from webapp.mail.smtp import SmtpFailure, smtp_config
from webapp.sending.batches import claim_batch, recover_expired_claims, renew_lease, settle_claim
from webapp.sending.failure_window import FailureWindow, PauseRule
from webapp.sending.journal import Entry, Journal, fold
from webapp.sending.models import PENDING_STATUSES, MassEmail, Recipient
from webapp.sending.retries import next_retry_delay, retry_window_exhausted
from webapp.sending.throttle import HourlyBucket

log = logging.getLogger(__name__)

LEASE_SECONDS = 600
# A step stops sending this long before its lease ends: more than one SMTP timeout, so a
# message started before the margin has its answer before anyone may take the claim over.
LEASE_MARGIN_SECONDS = 120
FOLD_EVERY = 100
RECONNECT_SECONDS = 60


class SendContext:
    """What one batch (or drip tick) prepares once and uses for every message: the built template, SMTP settings."""

    def __init__(self, mass_email, settings):
        version = mass_email.template_version
        self.version_id = version.id
        identity = {
            "from_email": mass_email.from_email or version.from_email,
            "from_name": mass_email.from_name or version.from_name,
            "reply_to": mass_email.reply_to or version.reply_to,
        }
        self.builder = MessageBuilder(compile_version(version, settings), with_template_identity(message_settings(settings, current_app.config), identity))
        self.started_at = mass_email.started_at
        self.smtp = smtp_config(settings, current_app.config)
        self.pause_rule = PauseRule.from_settings(settings)

    def outcome_entry(self, outcome, attempts, message_id, merge_values):
        now = utcnow()
        reply = f"{outcome.code} {outcome.text}"
        if outcome.kind == SENT:
            return Entry("sent", now, message_id, reply, merge_values=merge_values)
        if outcome.kind == DEFERRED and not retry_window_exhausted(self.started_at or now, now):
            retry_at = now + timedelta(seconds=next_retry_delay(attempts + 1, outcome.retry_after))
            return Entry("deferred", now, message_id, reply, next_attempt_at=retry_at, merge_values=merge_values)
        bounce_kind = outcome.bounce_kind if outcome.kind == BOUNCED else SOFT  # deferred too long: soft
        return Entry("bounced", now, message_id, reply, bounce_kind=bounce_kind, merge_values=merge_values)


def _claimed_rows(claim_token):
    """The claim's recipients with their contact's fields, in ONE query for the whole batch."""
    return db.session.execute(
        select(Recipient.id, Recipient.email, Recipient.attempts, Contact.first_name, Contact.last_name,
               Contact.company, Contact.custom_fields)
        .outerjoin(Contact, Contact.id == Recipient.contact_id)
        .where(Recipient.claim_token == claim_token, Recipient.status == "sending")
        .order_by(Recipient.id)
    ).all()



@dataclass(frozen=True)
class Step:
    """What one step did. `outcome`: "sent" (something was claimed and sent), "nothing due",
    "hourly limit" (wait `refill_seconds`), "failed" (the template cannot be sent) or "paused"
    (SMTP settings a person must fix); `lost` is the ConnectionLost that ended the connection."""

    outcome: str
    claimed: int = 0
    lost: ConnectionLost | None = None
    refill_seconds: float = 0


def send_step(mass_email, settings, size, now, stamp_version=False):
    """Claim up to `size` due recipients of a sending mass email and send them; returns a Step.

    `stamp_version` records on each claimed row the template version it is sent (drips: an
    edit of the content then changes only the rows not sent yet).
    """
    recover_expired_claims(now, mass_email.id)
    batch = prepare(mass_email, settings)
    if batch is None:
        return Step("failed")
    bucket = HourlyBucket(redis_connection(), settings.max_per_hour)
    granted = bucket.take(size, now)
    if not granted:
        return Step("hourly limit", refill_seconds=bucket.seconds_until_refill(now))
    claim_token, recipient_ids = claim_batch(mass_email.id, granted, LEASE_SECONDS, now)
    bucket.give_back(granted - len(recipient_ids), now)
    if not recipient_ids:
        return Step("nothing due")
    if stamp_version:
        # The version this step built, whatever an edit committed since: the row records what it got.
        db.session.execute(update(Recipient).where(Recipient.id.in_(recipient_ids)).values(template_version_id=batch.version_id))
    try:
        lost = send_and_settle(batch, claim_token, mass_email.id, bucket, now)
    except SmtpFailure:
        return Step("paused", len(recipient_ids))
    return Step("sent", len(recipient_ids), lost)


def prepare(mass_email, settings):
    """The SendContext of the mass email's template version, or None once a template that cannot
    be sent has failed the mass email (with the problems shown on its page)."""
    try:
        return SendContext(mass_email, settings)
    except TemplateProblems as problems:
        stop(mass_email.id, "failed", f"The template cannot be sent: {problems}")
        return None


def send_and_settle(batch, claim_token, mass_email_id, bucket, now):
    """Send a claim over one connection, settle it, and give its unsent rows' tokens back to the bucket.

    Returns the ConnectionLost that ended the connection, or None. Re-raises SmtpFailure
    (credentials or TLS) after pausing the mass email with its reason: a person must fix the
    settings, and retrying would only fail again.
    """
    try:
        lost = send_claimed(batch, claim_token, mass_email_id)
    except SmtpFailure as failure:
        settled = settle_claim(claim_token, utcnow(), in_flight_may_be_delivered=False)
        bucket.give_back(settled.released, now)
        stop(mass_email_id, "paused", str(failure))
        raise
    settled = settle_claim(claim_token, utcnow(), in_flight_may_be_delivered=bool(lost and lost.data_started))
    bucket.give_back(settled.released, now)
    return lost


class _Ledger:
    """What a batch has to tell Redis, carried by one round trip per message (journal.Journal.advance).

    The outcome of message N waits here until message N+1 is built; then one MULTI journals it,
    pushes it into the failure window and marks N+1 in flight, and only after that does the
    server get N+1. So an outcome is in Redis before the next message is handed over, and at
    most one message of the connection is ever in flight.
    """

    def __init__(self, journal, window):
        self.journal = journal
        self.window = window
        self.outcomes = {}
        # The last answered message for the failure window: its refusal or why it failed, "" if accepted.
        self.attempt = None
        self.in_flight = False

    def answered(self, recipient_id, entry):
        self.outcomes[recipient_id] = entry
        self.attempt = "" if entry.status == "sent" else entry.smtp_reply

    def advance(self, in_flight=None):
        """Write what waits and mark `in_flight` (or nothing) in flight; returns a pause reason or None."""
        if not (self.outcomes or self.in_flight or in_flight):
            return None
        pipe = self.journal.redis.pipeline(transaction=True)
        watched = self.attempt is not None and self.window.watching
        if watched:
            self.window.push(pipe, self.attempt)
        results = self.journal.advance(self.outcomes, in_flight, pipe)
        self.outcomes, self.attempt, self.in_flight = {}, None, in_flight is not None
        return self.window.verdict(results[0]) if watched else None


def send_claimed(batch, claim_token, mass_email_id):
    """Send the claim's rows over one connection; returns the ConnectionLost that ended it, or None.

    Stops early when the lease is nearly over, when the mass email is no longer sending (checked
    at every fold), and when a burst of refusals or failures pauses it (failure_window.py).
    """
    redis = redis_connection()
    journal = Journal(redis, claim_token)
    window = FailureWindow(redis, mass_email_id, batch.pause_rule)
    ledger = _Ledger(journal, window)
    lease = _Lease(claim_token)
    since_fold = 0
    rows = _claimed_rows(claim_token)
    db.session.commit()  # no transaction stays open while we talk SMTP
    pause_reason = None
    try:
        with SmtpDelivery(batch.smtp) as delivery:
            for rid, email, attempts, first_name, last_name, company, custom_fields in rows:
                if lease.nearly_over():
                    break
                merge_values = merge_values_of(first_name, last_name, company, custom_fields)
                try:
                    message = batch.builder.build(rid, email, contact_context(email, **merge_values))
                    recipient = delivery.recipient(message.to)
                except Exception as error:  # noqa: BLE001  one recipient's problem fails that one, not the batch
                    ledger.answered(rid, Entry("failed", utcnow(), smtp_reply=f"Not sent: {_why_not(error)}"))
                    # Into the failure window at once: a template that fails for everyone pauses the send.
                    pause_reason = ledger.advance()
                    if pause_reason:
                        break
                    continue
                pause_reason = ledger.advance((rid, message.message_id))
                if pause_reason:
                    break  # this message was never handed over: advance() below clears its marker
                outcome = delivery.send(message.envelope_from, recipient, message.data, envid=rid)
                ledger.answered(rid, batch.outcome_entry(outcome, attempts, message.message_id, merge_values))
                since_fold += 1
                if since_fold >= FOLD_EVERY:
                    since_fold = 0
                    pause_reason = ledger.advance()
                    if pause_reason or not _still_sending(journal, lease, mass_email_id):
                        break
            pause_reason = ledger.advance() or pause_reason
    except ConnectionLost as lost:
        log.warning("mass email %s: %s; retrying the batch in %ss", mass_email_id, lost.reason, RECONNECT_SECONDS)
        # Nothing waits in the ledger: send() only runs right after advance() emptied it.
        _pause_on(mass_email_id, window.record(lost.reason))
        return lost
    _pause_on(mass_email_id, pause_reason)
    return None


def _why_not(error):
    """Why one recipient's message could not be handed over, in words for its row."""
    if isinstance(error, RenderError):
        return str(error.problem)
    if isinstance(error, NeedsSmtpUtf8):
        return str(error)
    log.exception("a recipient's message could not be built")
    return f"{type(error).__name__}: {error}"


def _still_sending(journal, lease, mass_email_id):
    """Fold the journal, keep the lease, and say whether the mass email is still sending (not paused or cancelled)."""
    fold(journal)
    lease.keep()
    state = db.session.scalar(select(MassEmail.state).where(MassEmail.id == mass_email_id))
    db.session.commit()
    return state == "sending"


class _Lease:
    """The claim's lease as the batch sees it: renewed once half of it is gone, so a batch of a few
    seconds never pays for the renewal (an UPDATE by claim token, which no index serves) and a
    long one never loses its lease."""

    def __init__(self, claim_token):
        self.claim_token = claim_token
        self._renewed(time.monotonic())

    def _renewed(self, at):
        self.renew_after = at + LEASE_SECONDS / 2
        # Past this we stop sending: the margin covers one SMTP timeout before anyone may take the claim over.
        self.deadline = at + LEASE_SECONDS - LEASE_MARGIN_SECONDS

    def nearly_over(self):
        return time.monotonic() > self.deadline

    def keep(self):
        now = time.monotonic()
        if now > self.renew_after:
            renew_lease(self.claim_token, LEASE_SECONDS, utcnow())
            self._renewed(now)


def _pause_on(mass_email_id, reason):
    if reason:
        stop(mass_email_id, "paused", reason)


def stop(mass_email_id, state, reason):
    """Pause or fail a sending mass email with the reason shown on its page; a person's action meanwhile wins."""
    db.session.execute(update(MassEmail).where(MassEmail.id == mass_email_id, MassEmail.state == "sending")
                       .values(state=state, failure_reason=reason))
    db.session.commit()
    log.warning("mass email %s %s: %s", mass_email_id, state, reason)


def note_batch_error(mass_email_id, error):
    """A batch or tick died of an unexpected error: say so on the mass email's page at once. Its
    claim is settled by the periodic recovery once its lease runs out, and sending goes on."""
    db.session.rollback()
    log.exception("mass email %s: a batch stopped", mass_email_id)
    db.session.execute(update(MassEmail).where(MassEmail.id == mass_email_id)
                       .values(batch_error=f"{type(error).__name__}: {error}"[:2000], batch_error_at=utcnow()))
    db.session.commit()


def recount(mass_email_id, now):
    """Mark the mass email sent when nothing is left to send or in flight.

    Returns {status: count} of the recipients still to send (queued, deferred, sending), empty
    when done; and empty too when the mass email is no longer sending (paused, cancelled). The
    report's counters are not counted here: the event ingestion keeps them as outcomes arrive.
    """
    db.session.execute(update(MassEmail).where(MassEmail.id == mass_email_id, MassEmail.batch_error.is_not(None))
                       .values(batch_error=None, batch_error_at=None))  # this batch ended well
    pending = dict(db.session.execute(
        select(Recipient.status, func.count())
        .where(Recipient.mass_email_id == mass_email_id, Recipient.status.in_(PENDING_STATUSES))
        .group_by(Recipient.status)
    ).all())
    if not pending:
        # Only a mass email still sending changes state: a pause or cancel meanwhile wins.
        db.session.execute(update(MassEmail).where(MassEmail.id == mass_email_id, MassEmail.state == "sending")
                           .values(state="sent", finished_at=now, next_send_at=None))
    db.session.commit()
    if db.session.scalar(select(MassEmail.state).where(MassEmail.id == mass_email_id)) != "sending":
        return {}
    return pending


def first_retry_at(mass_email_id):
    """When the mass email's earliest deferred recipient may be tried again, or None."""
    return db.session.scalar(
        select(func.min(Recipient.next_attempt_at)).where(Recipient.mass_email_id == mass_email_id, Recipient.status == "deferred")
    )
