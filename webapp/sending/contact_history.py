"""A contact's mass emails on its timeline: one entry per Recipient row, with the row's story in the popover."""
from sqlalchemy import select

from webapp.audience.contacts import TimelineEntry
from webapp.extensions import db
from webapp.sending.models import MassEmail, Recipient

# Status -> (icon, what the marketer reads): the icon says at a glance where the email stands.
STATUS_LOOK = {
    "queued": ("⏳", "waiting to be sent"),
    "sending": ("➤", "being sent"),
    "sent": ("✉", "sent"),
    "delivered": ("✓", "delivered"),
    "deferred": ("↻", "deferred, will retry"),
    "bounced": ("↩", "bounced"),
    "dropped": ("⊘", "not sent"),
    "unconfirmed": ("?", "sent, unconfirmed"),
    "failed": ("✕", "failed"),
}


def _details(row):
    facts = {"Status": STATUS_LOOK[row.status][1], "Address": row.email}
    if row.drop_reason:
        facts["Why not sent"] = row.drop_reason.replace("_", " ")
    if row.sent_at:
        facts["Sent"] = row.sent_at.strftime("%Y-%m-%d %H:%M")
    if row.bounce_kind:
        facts["Bounce"] = row.bounce_kind
    if row.smtp_reply:
        facts["Server reply"] = row.smtp_reply
    if row.sent_at:  # opens and clicks only mean something once it went out
        facts["Opens"], facts["Clicks"] = row.open_count, row.click_count
    return facts


def recipient_entries(contact):
    """Every mass email the contact is a recipient of, dropped ones included; found by the
    (contact_id, mass_email_id) index."""
    rows = db.session.execute(
        select(Recipient, MassEmail.name, MassEmail.created_at)
        .join(MassEmail, MassEmail.id == Recipient.mass_email_id)
        .where(Recipient.contact_id == contact.id)
    ).all()
    for row, name, created_at in rows:
        icon, label = STATUS_LOOK[row.status]
        yield TimelineEntry(row.sent_at or row.status_changed_at or created_at, f"email_{row.status}", icon,
                            f"{name}: {label}", _details(row), is_email=True,
                            link=("sending.mass_email", {"mass_email_id": row.mass_email_id}))
