"""Deferred recipients the batch chain did not come back for: retried when due, bounced when too old.

A batch that leaves only deferred rows queues its successor at the earliest retry (sending/sender.py).
Should that delayed job be lost (Redis restarted, no scheduler running), the rows would wait for
ever: this finds mass emails whose retries are overdue and queues a batch, which claims them as
usual (a second batch beside a live one is harmless: claims are atomic). A deferral older than
the retry window (72 h, as retries.py) becomes a soft bounce through events/ingest.py, and the
mass email gets a batch that finds nothing left and marks it sent.
"""
from datetime import timedelta

from sqlalchemy import select

from webapp.events.ingest import Incoming, ingest
from webapp.extensions import db
from webapp.sending.models import MassEmail, Recipient
from webapp.sending.retries import RETRY_WINDOW
from webapp.sending.sender import enqueue_batch

# Past this, a due retry's own delayed job has surely been lost rather than just busy.
OVERDUE = timedelta(minutes=10)
CHUNK = 1000


def reconcile(now, window=RETRY_WINDOW):
    """Expire old deferrals and queue batches for overdue ones; returns (expired, mass email ids queued)."""
    expired, touched = _expire(now - window, now)
    overdue = set(db.session.scalars(
        select(Recipient.mass_email_id)
        .where(Recipient.status == "deferred", Recipient.next_attempt_at <= now - OVERDUE).distinct()
    ))
    sending = db.session.scalars(
        select(MassEmail.id).where(MassEmail.id.in_(overdue | touched), MassEmail.state == "sending", MassEmail.kind != "drip")
    ).all()
    db.session.commit()
    for mass_email_id in sending:
        enqueue_batch(mass_email_id)
    return expired, sorted(sending)


def _expire(before, now):
    rows = db.session.execute(
        select(Recipient.id, Recipient.mass_email_id, Recipient.smtp_reply)
        .where(Recipient.status == "deferred", Recipient.deferred_at <= before).order_by(Recipient.id)
    ).all()
    for start in range(0, len(rows), CHUNK):
        ingest([
            Incoming(kind="bounced", at=now, source="smtp", recipient_id=row.id, dedupe_key=f"expired:{row.id}",
                     detail={"kind": "soft", "reply": f"Deferred for over {int(RETRY_WINDOW.total_seconds() // 3600)} hours: "
                                                      f"{row.smtp_reply or 'no reply'}"})
            for row in rows[start:start + CHUNK]
        ])
    return len(rows), {row.mass_email_id for row in rows}
