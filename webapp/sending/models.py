from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, func, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.common import vocabulary
from webapp.compose.models import TemplateVersion
from webapp.extensions import db
from webapp.sending.drip_schedule import DripSchedule

MASS_EMAIL_KINDS = ("standard", "drip")
MASS_EMAIL_STATES = tuple(vocabulary.MASS_EMAIL_STATES)
RECIPIENT_STATUSES = tuple(vocabulary.RECIPIENT_STATUSES)
PENDING_STATUSES = ("queued", "deferred", "sending")  # still to send, or being sent
BOUNCE_KINDS = ("hard", "soft")
DROP_REASONS = tuple(vocabulary.DROP_REASONS)  # in the order resolve.py applies them


class MassEmail(db.Model):
    """One send of a template snapshot to target lists, standard (batched) or drip (one per tick)."""

    __tablename__ = "mass_emails"
    __table_args__ = (
        CheckConstraint(f"state IN {MASS_EMAIL_STATES}", name="state"),
        CheckConstraint(f"kind IN {MASS_EMAIL_KINDS}", name="kind"),
        Index("ix_mass_emails_state_scheduled_at", "state", "scheduled_at"),
        Index("ix_mass_emails_created_at_id", "created_at", "id"),  # the mass email list's default order
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    campaign: Mapped[str | None] = mapped_column(String(200))
    # RESTRICT: the version is what was actually sent, and the reports must keep showing it.
    template_version_id: Mapped[int] = mapped_column(ForeignKey("template_versions.id", ondelete="RESTRICT"), index=True)
    from_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    from_email: Mapped[str] = mapped_column(String(320), default="", server_default="")
    reply_to: Mapped[str] = mapped_column(String(320), default="", server_default="")
    kind: Mapped[str] = mapped_column(String(20), default="standard", server_default="standard")
    state: Mapped[str] = mapped_column(String(20), default="draft", server_default="draft")
    failure_reason: Mapped[str | None] = mapped_column(Text)
    # The error a batch or drip tick died of, for the progress page; a later batch that ends well clears it.
    batch_error: Mapped[str | None] = mapped_column(Text)
    batch_error_at: Mapped[datetime | None]
    scheduled_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # Frozen by recipient resolution when sending starts; None until then.
    list_size_all: Mapped[int | None]
    list_size_emailing: Mapped[int | None]
    # Unsubscribes take the contact off everything (EspoCRM's "opt out entirely"), or only off this
    # mass email's target lists.
    opt_out_entirely: Mapped[bool] = mapped_column(default=True, server_default=true())
    # The report's numbers, kept by the event ingestion (events/ingest.py) as events arrive, so
    # no page counts recipients: recipients that reached sent (accepted by our relay), that are
    # delivered or bounced now, that were ever deferred, dropped at resolution; unique and total
    # opens and clicks, the unique ones judged Likely Human; spam complaints and unsubscribes.
    sent_count: Mapped[int] = mapped_column(default=0, server_default="0")
    delivered_count: Mapped[int] = mapped_column(default=0, server_default="0")
    bounced_count: Mapped[int] = mapped_column(default=0, server_default="0")
    dropped_count: Mapped[int] = mapped_column(default=0, server_default="0")
    deferred_count: Mapped[int] = mapped_column(default=0, server_default="0")
    unique_open_count: Mapped[int] = mapped_column(default=0, server_default="0")
    human_open_count: Mapped[int] = mapped_column(default=0, server_default="0")
    open_count: Mapped[int] = mapped_column(default=0, server_default="0")
    unique_click_count: Mapped[int] = mapped_column(default=0, server_default="0")
    human_click_count: Mapped[int] = mapped_column(default=0, server_default="0")
    click_count: Mapped[int] = mapped_column(default=0, server_default="0")
    complaint_count: Mapped[int] = mapped_column(default=0, server_default="0")
    unsubscribe_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # A drip's schedule (NULL for standard sends), read through drip_schedule; see drip_schedule.py.
    drip_interval_seconds: Mapped[int | None]
    drip_days: Mapped[str | None] = mapped_column(String(7))
    drip_start_hour: Mapped[int | None]
    drip_end_hour: Mapped[int | None]
    drip_timezone: Mapped[str | None] = mapped_column(String(64))
    # When the drip's next message is due; the one tick scheduled for exactly this time may send it.
    next_send_at: Mapped[datetime | None]

    lists: Mapped[list["MassEmailList"]] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    exclusions: Mapped[list["MassEmailExclusion"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, foreign_keys="MassEmailExclusion.mass_email_id")
    template_version: Mapped[TemplateVersion] = relationship()

    @property
    def drip_schedule(self):
        if self.kind != "drip":
            return None
        return DripSchedule(self.drip_interval_seconds, self.drip_days, self.drip_start_hour, self.drip_end_hour,
                            self.drip_timezone)

    @drip_schedule.setter
    def drip_schedule(self, schedule):
        self.drip_interval_seconds = schedule.interval_seconds
        self.drip_days = schedule.days
        self.drip_start_hour = schedule.start_hour
        self.drip_end_hour = schedule.end_hour
        self.drip_timezone = schedule.timezone


class MassEmailList(db.Model):
    """A list a mass email sends to, or (excluding) whose members it must not reach."""

    __tablename__ = "mass_email_lists"

    mass_email_id: Mapped[int] = mapped_column(ForeignKey("mass_emails.id", ondelete="CASCADE"), primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("target_lists.id", ondelete="CASCADE"), primary_key=True, index=True)
    excluding: Mapped[bool] = mapped_column(default=False)


class MassEmailExclusion(db.Model):
    """An earlier mass email whose recipients this one skips (so a retry reaches nobody twice)."""

    __tablename__ = "mass_email_exclusions"

    mass_email_id: Mapped[int] = mapped_column(ForeignKey("mass_emails.id", ondelete="CASCADE"), primary_key=True)
    excluded_mass_email_id: Mapped[int] = mapped_column(ForeignKey("mass_emails.id", ondelete="CASCADE"), primary_key=True)


class Recipient(db.Model):
    """One contact on one mass email: the unit of exactly-once delivery.

    The row keeps the address it was resolved with and outlives the contact (contact_id
    becomes NULL), so reports still say who got what.

    No foreign keys: resolution inserts a million rows in one statement, and a key costs a
    check per row (half of resolution's time). What they did is done set-based instead:
    audience.contacts.delete_contact nulls contact_id, and mass emails are never deleted
    (a delete would have to delete their recipients first). A contact deleted during a
    resolution on PostgreSQL may leave its id behind (SQLite serialises the two); sequence
    ids are never reused, so it names nobody.
    """

    __tablename__ = "recipients"
    __table_args__ = (
        CheckConstraint(f"status IN {RECIPIENT_STATUSES}", name="status"),
        CheckConstraint(f"drop_reason IS NULL OR drop_reason IN {DROP_REASONS}", name="drop_reason"),
        CheckConstraint(f"bounce_kind IS NULL OR bounce_kind IN {BOUNCE_KINDS}", name="bounce_kind"),
        # The batch claim: "queued (or deferred and due) rows of this mass email".
        Index("ix_recipients_claim", "mass_email_id", "status", "next_attempt_at"),
        # One row per contact per send (resolution and drips rely on it); contact first, so the same
        # index serves a contact's history and the detaching of a deleted contact's rows. Every index
        # costs seconds per million resolved rows, hence no separate one on contact_id.
        Index("uq_recipients_contact_id_mass_email_id", "contact_id", "mass_email_id", unique=True),
        # The report's contact table: keyset pages by last change, email or status (reports/detail.py).
        Index("ix_recipients_mass_email_id_status_changed_at", "mass_email_id", "status_changed_at", "id"),
        Index("ix_recipients_mass_email_id_email", "mass_email_id", "email", "id"),
        Index("ix_recipients_mass_email_id_status_id", "mass_email_id", "status", "id"),
        # Webhooks and bounces find their recipient by Message-ID; rows not yet sent have none to index.
        Index("ix_recipients_message_id", "message_id", postgresql_where=text("message_id IS NOT NULL"),
              sqlite_where=text("message_id IS NOT NULL")),
    )

    # Sends add millions of rows; SQLite only autoincrements a plain INTEGER primary key.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    mass_email_id: Mapped[int]
    contact_id: Mapped[int | None]
    email: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(20), default="queued", server_default="queued")
    drop_reason: Mapped[str | None] = mapped_column(String(40))
    # A batch's claim on the row; a claim past claimed_until belongs to a crashed batch and may be taken over.
    claim_token: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None]
    message_id: Mapped[str | None] = mapped_column(String(255))
    smtp_reply: Mapped[str | None] = mapped_column(Text)
    bounce_kind: Mapped[str | None] = mapped_column(String(10))
    sent_at: Mapped[datetime | None]
    # The content this recipient was sent when it differs by recipient: a drip stamps each row
    # with the version it sends, so an edit changes only the rows not yet sent. NULL: the mass
    # email's own version (a standard send never changes it). No FK: it would cost resolution a
    # trigger per inserted row; the versions stay because templates in use are never deleted.
    template_version_id: Mapped[int | None]
    status_changed_at: Mapped[datetime | None]
    # What happened after the relay took it, set by the event ingestion (events/ingest.py).
    # Flags are first times: an event never moves a row backwards, and opens and clicks never
    # change its status. human_at: the first event judged Likely Human (a recipient with opens or
    # clicks but none human is Likely Bot).
    delivered_at: Mapped[datetime | None]
    deferred_at: Mapped[datetime | None]
    first_opened_at: Mapped[datetime | None]
    first_clicked_at: Mapped[datetime | None]
    human_at: Mapped[datetime | None]
    complained_at: Mapped[datetime | None]
    unsubscribed_at: Mapped[datetime | None]
    last_event_at: Mapped[datetime | None]
    open_count: Mapped[int] = mapped_column(default=0, server_default="0")
    click_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # The merge values the message was rendered with (the `contact` placeholder), stored when it
    # is sent, so "view in browser" shows what this recipient got whatever the contact became since.
    merge_values: Mapped[dict | None] = mapped_column(JSON)
