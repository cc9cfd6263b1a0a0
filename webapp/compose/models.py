from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db

# The fields a version snapshots: everything that decides what a recipient receives.
VERSIONED_FIELDS = ("subject", "html", "text", "from_name", "from_email", "reply_to")


class Template(db.Model):
    """An email a marketer edits. `version` counts saved content changes; each has a TemplateVersion."""

    __tablename__ = "templates"
    __table_args__ = (
        # Unique among the templates in use: an archived one's name is free for a new template.
        Index("uq_templates_name", "name", unique=True, sqlite_where=text("archived_at IS NULL"),
              postgresql_where=text("archived_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(998), default="", server_default="")
    html: Mapped[str] = mapped_column(Text, default="", server_default="")
    # None (or blank) means the plain-text part is generated from the HTML when sending.
    text: Mapped[str | None] = mapped_column(Text)
    from_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    from_email: Mapped[str] = mapped_column(String(320), default="", server_default="")
    reply_to: Mapped[str] = mapped_column(String(320), default="", server_default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
    version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Set when a template that mass emails have sent is deleted: it leaves the lists and pickers,
    # and its versions stay for those mass emails' reports (see compose.deletion).
    archived_at: Mapped[datetime | None]

    versions: Mapped[list["TemplateVersion"]] = relationship(
        back_populates="template", cascade="all, delete-orphan", passive_deletes=True, order_by="TemplateVersion.version"
    )

    def snapshot(self):
        """Record the current content as the next version, unless it equals the latest one.

        A mass email points at the TemplateVersion it sent, so later edits never change
        what the reports say was sent. Returns the version that matches the current content.
        """
        latest = self.versions[-1] if self.versions else None
        if latest is not None and all(getattr(latest, f) == getattr(self, f) for f in VERSIONED_FIELDS):
            return latest
        self.version = (latest.version if latest else 0) + 1
        version = TemplateVersion(version=self.version, **{f: getattr(self, f) for f in VERSIONED_FIELDS})
        self.versions.append(version)
        return version


class TemplateVersion(db.Model):
    """What a template said at one point: the exact content a mass email sent. Never edited."""

    __tablename__ = "template_versions"
    __table_args__ = (UniqueConstraint("template_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("templates.id", ondelete="CASCADE"))
    version: Mapped[int]
    subject: Mapped[str] = mapped_column(String(998))
    html: Mapped[str] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    from_name: Mapped[str] = mapped_column(String(200))
    from_email: Mapped[str] = mapped_column(String(320))
    reply_to: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    template: Mapped[Template] = relationship(back_populates="versions")


class TrackingUrl(db.Model):
    """A named link (EspoCRM's tracking URL): templates use {{ tracking_url("Name") }} for it."""

    __tablename__ = "tracking_urls"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    url: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
