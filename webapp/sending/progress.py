"""What the mass email pages show: the list of sends, and the live progress of one."""
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.sending.batches import status_counts
from webapp.sending.lifecycle import FINAL_STATES
from webapp.sending.models import PENDING_STATUSES, MassEmail, Recipient

# The sending rate is measured over this recent window, so a pause or a slow hour shows at once.
RATE_WINDOW = timedelta(minutes=5)
LIST_LIMIT = 200


def mass_emails_page(owner_id=None):
    """The newest mass emails first; only `owner_id`'s when given."""
    statement = select(MassEmail).order_by(MassEmail.created_at.desc(), MassEmail.id.desc()).limit(LIST_LIMIT)
    if owner_id is not None:
        statement = statement.where(MassEmail.owner_id == owner_id)
    return db.session.scalars(statement).all()


@dataclass(frozen=True)
class Progress:
    state: str
    emailing: int  # recipients to attempt (not dropped)
    done: int  # attempted and settled: sent, bounced, failed, unconfirmed
    sent: int
    bounced: int
    failed: int
    remaining: int  # queued, deferred or being sent now
    deferred: int
    unconfirmed: int
    rate_per_minute: float
    eta_minutes: float | None

    @property
    def final(self):
        return self.state in FINAL_STATES


def progress(mass_email, now):
    counts = status_counts(mass_email.id)
    sent = counts.get("sent", 0) + counts.get("delivered", 0)
    remaining = sum(counts.get(status, 0) for status in PENDING_STATUSES)
    emailing = sum(counts.values()) - counts.get("dropped", 0)
    window_start = max(now - RATE_WINDOW, mass_email.started_at or now)
    recent = db.session.scalar(
        select(func.count()).where(Recipient.mass_email_id == mass_email.id, Recipient.sent_at >= window_start)
    )
    # At least a few seconds of window, so the first second of a send does not read as thousands a minute.
    minutes = max((now - window_start).total_seconds(), 5) / 60
    rate = recent / minutes
    active = mass_email.state == "sending"
    return Progress(
        state=mass_email.state, emailing=emailing, done=emailing - remaining, sent=sent,
        bounced=counts.get("bounced", 0), failed=counts.get("failed", 0), remaining=remaining,
        deferred=counts.get("deferred", 0), unconfirmed=counts.get("unconfirmed", 0),
        rate_per_minute=rate, eta_minutes=remaining / rate if active and rate and remaining else None,
    )
