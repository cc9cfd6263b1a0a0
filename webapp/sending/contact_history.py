"""A contact's mass emails: its timeline entries (one per Recipient row, the row's story in the
popover), and its rows kept for the reports when the contact is deleted."""
from sqlalchemy import select, update

from webapp.audience.contacts import TimelineEntry
from webapp.common.filters import datetime_
from webapp.common.vocabulary import Term, term
from webapp.extensions import db
from webapp.sending.models import PENDING_STATUSES, MassEmail, Recipient


# A cancelled or failed mass email never sends the rows still waiting: "waiting to be sent" would mislead.
NEVER_SENT = Term("cancelled, not sent", "", "⊘")


def _status(row, state):
    if state in ("cancelled", "failed") and row.status in PENDING_STATUSES:
        return NEVER_SENT
    return term("recipient_status", row.status)


def _details(row, status):
    facts = {"Status": status.label, "Address": row.email}
    if row.drop_reason:
        facts["Why not sent"] = term("drop_reason", row.drop_reason).label
    if row.sent_at:
        facts["Sent"] = datetime_(row.sent_at)
    if row.bounce_kind:
        facts["Bounce"] = row.bounce_kind
    if row.smtp_reply:
        facts["Server reply"] = row.smtp_reply
    for label, at in (("Delivered", row.delivered_at), ("First opened", row.first_opened_at),
                      ("First clicked", row.first_clicked_at), ("Likely human since", row.human_at),
                      ("Marked as spam", row.complained_at), ("Unsubscribed", row.unsubscribed_at)):
        if at:
            facts[label] = datetime_(at)
    if row.sent_at:  # opens and clicks only mean something once it went out
        facts["Opens"], facts["Clicks"] = row.open_count, row.click_count
    return facts


def recipient_entries(contact):
    """Every mass email the contact is a recipient of, dropped ones included; found by the
    (contact_id, mass_email_id) index."""
    rows = db.session.execute(
        select(Recipient, MassEmail.name, MassEmail.created_at, MassEmail.state)
        .join(MassEmail, MassEmail.id == Recipient.mass_email_id)
        .where(Recipient.contact_id == contact.id)
    ).all()
    for row, name, created_at, state in rows:
        status = _status(row, state)
        kind = "email_not_sent" if status is NEVER_SENT else f"email_{row.status}"
        yield TimelineEntry(row.sent_at or row.status_changed_at or created_at, kind, status.icon,
                            f"{name}: {status.label}", _details(row, status), is_email=True,
                            link=("sending.mass_email", {"mass_email_id": row.mass_email_id}))


def detach_recipients(contact_id):
    """The contact is being deleted: its recipient rows stay for the reports, with contact_id NULL.
    Recipients have no foreign key to do it (see Recipient), so it is done here, in the delete's transaction."""
    db.session.execute(update(Recipient).where(Recipient.contact_id == contact_id).values(contact_id=None))
