"""When a contact is inactive: no activity (an open, a click, an imported "Last activity" date) for
AppSettings.inactivity_days. Sends leave inactive contacts out (sending/resolve.py), which protects the
sender's reputation. A contact never active counts from when it was created, so a fresh import is not
inactive before its first send.
"""
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func

from webapp.audience.models import Contact

# The moment a contact was last known active, in SQL: what the send-time rule compares.
LAST_ACTIVE = func.coalesce(Contact.last_activity_at, Contact.created_at)


def inactive_cutoff(now, inactivity_days):
    """Contacts last active before this are inactive; None when the rule is off."""
    return None if inactivity_days is None else now - timedelta(days=inactivity_days)


@dataclass(frozen=True)
class Inactivity:
    since: object  # the moment the contact became inactive (naive UTC)
    days: int


def inactivity(contact, now, inactivity_days):
    """An Inactivity when `contact` is inactive now, else None."""
    cutoff = inactive_cutoff(now, inactivity_days)
    last_active = contact.last_activity_at or contact.created_at
    if cutoff is None or last_active is None or last_active >= cutoff:
        return None
    return Inactivity(last_active + timedelta(days=inactivity_days), inactivity_days)
