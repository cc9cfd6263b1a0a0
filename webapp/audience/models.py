from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.common import vocabulary
from webapp.extensions import db

CONTACT_STATUSES = tuple(vocabulary.CONTACT_STATUSES)
SUPPRESSION_REASONS = tuple(vocabulary.SUPPRESSION_REASONS)
IMPORT_STATES = tuple(vocabulary.IMPORT_STATES)
LIST_KINDS = tuple(vocabulary.LIST_KINDS)


class Contact(db.Model):
    """A person we may email. `email` is stored normalised and lower-cased: one contact per mailbox."""

    __tablename__ = "contacts"
    __table_args__ = (
        CheckConstraint(f"status IN {CONTACT_STATUSES}", name="status"),
        # Prefix search (the contact list) on each searchable column, case-insensitively; the
        # sortable ones end in id, the keyset pages' tie-breaker, so a page walks one index range.
        # Creation order needs none: ids grow with it, so that sort walks the primary key.
        Index("ix_contacts_first_name_lower", func.lower("first_name")),
        Index("ix_contacts_last_name_lower_id", func.lower("last_name"), "id"),
        Index("ix_contacts_company_lower_id", func.lower("company"), "id"),
        Index("ix_contacts_status_id", "status", "id"),
        Index("ix_contacts_last_activity_at_id", "last_activity_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    # The part after "@", kept separately so a domain search and domain suppressions use an index.
    email_domain: Mapped[str] = mapped_column(String(255), index=True)
    first_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    last_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    company: Mapped[str] = mapped_column(String(200), default="", server_default="")
    custom_fields: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="active", server_default="active")
    last_activity_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())

    memberships: Mapped[list["ListMembership"]] = relationship(back_populates="contact", cascade="all, delete-orphan", passive_deletes=True)

    @property
    def full_name(self):
        return " ".join(part for part in (self.first_name, self.last_name) if part)


class TargetList(db.Model):
    """A static list keeps its members as memberships; a segment keeps a filter instead (audience/segments.py),
    and its members are whoever matches that filter at the moment someone asks."""

    __tablename__ = "target_lists"
    __table_args__ = (CheckConstraint(f"kind IN {LIST_KINDS}", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    kind: Mapped[str] = mapped_column(String(20), default="static", server_default="static")
    # A segment's filter: {"conditions": [...]} as audience.filters.ContactFilter reads it; NULL for a static list.
    filter: Mapped[dict | None] = mapped_column(JSON)

    @property
    def is_segment(self):
        return self.kind == "segment"

    memberships: Mapped[list["ListMembership"]] = relationship(back_populates="target_list", cascade="all, delete-orphan", passive_deletes=True)


class ListMembership(db.Model):
    """A contact on a list. `opted_out_at` is the per-list opt-out (EspoCRM's 'opt out of this list')."""

    __tablename__ = "list_memberships"
    __table_args__ = (Index("ix_list_memberships_contact_id", "contact_id"),)

    list_id: Mapped[int] = mapped_column(ForeignKey("target_lists.id", ondelete="CASCADE"), primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(server_default=func.now())
    opted_out_at: Mapped[datetime | None]

    target_list: Mapped[TargetList] = relationship(back_populates="memberships")
    contact: Mapped[Contact] = relationship(back_populates="memberships")


class Suppression(db.Model):
    """An address or a whole domain we must never email, with why and who said so."""

    __tablename__ = "suppressions"
    __table_args__ = (
        CheckConstraint("(email IS NULL) <> (domain IS NULL)", name="email_xor_domain"),
        CheckConstraint(f"reason IN {SUPPRESSION_REASONS}", name="reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    domain: Mapped[str | None] = mapped_column(String(255), unique=True)
    reason: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(200), default="", server_default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)


class ContactImport(db.Model):
    """One CSV upload: the stored file, the column mapping, progress and the rejected rows."""

    __tablename__ = "contact_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    stored_path: Mapped[str] = mapped_column(String(500))
    mapping: Mapped[dict] = mapped_column(JSON, default=dict)
    target_list_id: Mapped[int | None] = mapped_column(ForeignKey("target_lists.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(20), default="uploaded", server_default="uploaded")
    total_rows: Mapped[int] = mapped_column(default=0, server_default="0")
    processed_rows: Mapped[int] = mapped_column(default=0, server_default="0")
    created_count: Mapped[int] = mapped_column(default=0, server_default="0")
    updated_count: Mapped[int] = mapped_column(default=0, server_default="0")
    error_count: Mapped[int] = mapped_column(default=0, server_default="0")
    duplicate_count: Mapped[int] = mapped_column(default=0, server_default="0")  # exact repeats of an earlier row
    # The rejected rows, as a CSV with line numbers and reasons (downloadable), kept beside the upload.
    errors_path: Mapped[str | None] = mapped_column(String(500))
    failure: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    finished_at: Mapped[datetime | None]

    target_list: Mapped[TargetList | None] = relationship()
