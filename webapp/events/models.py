from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.common import vocabulary
from webapp.extensions import db

EVENT_KINDS = tuple(vocabulary.EVENT_KINDS)
VERDICTS = tuple(vocabulary.VERDICTS)


class Event(db.Model):
    """One thing that happened to a message or a contact: append-only, written only by events/ingest.py.

    No foreign keys, like recipients (a key costs a check per row, and events come in bulk);
    recipient, mass email and contact ids are copied from the recipient row when it is known.
    """

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint(f"kind IN {EVENT_KINDS}", name="kind"),
        CheckConstraint(f"verdict IS NULL OR verdict IN {VERDICTS}", name="verdict"),
        # The side panel: one recipient's history, in order.
        Index("ix_events_recipient_id_occurred_at", "recipient_id", "occurred_at"),
        # The charts: one mass email's opens or clicks over time.
        Index("ix_events_mass_email_id_kind_occurred_at", "mass_email_id", "kind", "occurred_at"),
        Index("ix_events_contact_id", "contact_id", postgresql_where=text("contact_id IS NOT NULL"),
              sqlite_where=text("contact_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    recipient_id: Mapped[int | None] = mapped_column(BigInteger)
    mass_email_id: Mapped[int | None]
    contact_id: Mapped[int | None]
    kind: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(20))
    # Idempotence: the provider's event id, the stream entry id, or the SMTP outcome's own key;
    # an event whose key is stored already is a repeat and changes nothing.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    link_index: Mapped[int | None]
    url: Mapped[str | None] = mapped_column(String(2000))
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    verdict: Mapped[str | None] = mapped_column(String(10))
    verdict_rule: Mapped[str | None] = mapped_column(String(40))
    # Kind-specific facts: bounce kind, status code and diagnostic, SMTP reply, unsubscribe scope ...
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
