"""The states and reasons Mailroom speaks of, each with the words and badge a page shows for it.

One place for both: the models build their CHECK constraints from these keys, and the pages
show these labels (through the Jinja filters of common/filters.py), so a new state cannot
reach the database without words for people.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    label: str  # what a person reads
    badge: str = ""  # the CSS class of its badge: pending, running, done, failed, or plain
    icon: str = ""  # a glyph every font has (timelines, status columns)


MASS_EMAIL_STATES = {
    "draft": Term("draft"),
    "scheduled": Term("scheduled", "badge-pending"),
    "preparing": Term("preparing recipients", "badge-running"),
    "sending": Term("sending", "badge-running"),
    "paused": Term("paused", "badge-pending"),
    "sent": Term("sent", "badge-done"),
    "cancelled": Term("cancelled"),
    "failed": Term("failed", "badge-failed"),
}

RECIPIENT_STATUSES = {
    "queued": Term("waiting to be sent", "badge-pending", "◷"),
    "sending": Term("being sent", "badge-running", "➤"),
    "sent": Term("sent", "badge-done", "✉"),
    "delivered": Term("delivered", "badge-done", "✓"),
    "deferred": Term("deferred, will retry", "badge-pending", "↻"),
    "bounced": Term("bounced", "badge-failed", "↩"),
    "dropped": Term("not sent", "", "⊘"),
    "unconfirmed": Term("sent, unconfirmed", "badge-pending", "?"),
    "failed": Term("failed", "badge-failed", "✕"),
}

# Why a recipient was never attempted; resolution picks the first that applies, in this order.
DROP_REASONS = {
    "invalid_address": Term("Invalid address"),
    "contact_unsubscribed": Term("Contact unsubscribed"),
    "contact_bounced": Term("Contact bounced before"),
    "contact_complained": Term("Contact complained"),
    "suppressed_hard_bounce": Term("Suppressed: hard bounce"),
    "suppressed_complaint": Term("Suppressed: complaint"),
    "suppressed_unsubscribe": Term("Suppressed: unsubscribed"),
    "suppressed_manual": Term("Suppressed by hand"),
    "suppressed_invalid": Term("Suppressed: invalid"),
    "suppressed_soft_bounces": Term("Suppressed: repeated soft bounces"),
    "suppressed_domain": Term("Domain suppressed"),
    "list_opt_out": Term("Opted out of the lists"),
    "inactive": Term("Inactive too long"),
    "over_cap": Term("Over the per-send cap"),
    # For recipients added outside resolution (a drip's later additions) whose address is already on the send.
    "duplicate_address": Term("Address already on this send"),
}

CONTACT_STATUSES = {
    "active": Term("active", "badge-done"),
    "unsubscribed": Term("unsubscribed", "badge-pending"),
    "bounced": Term("bounced", "badge-failed"),
    "complained": Term("complained", "badge-failed"),
}

SUPPRESSION_REASONS = {
    "hard_bounce": Term("Hard bounce"),
    "complaint": Term("Spam complaint"),
    "unsubscribe": Term("Unsubscribe"),
    "manual": Term("Manual"),
    "invalid": Term("Invalid address"),
    "soft_bounces": Term("Repeated soft bounces"),
}

# What a target list is: members kept by hand (and copied from filters), or a saved filter that stays live.
LIST_KINDS = {
    "static": Term("list"),
    "segment": Term("segment", "badge-running"),
}

IMPORT_STATES = {
    "uploaded": Term("waiting for mapping", "badge-pending"),
    "queued": Term("queued", "badge-pending"),
    "running": Term("importing", "badge-running"),
    "done": Term("done", "badge-done"),
    "failed": Term("failed", "badge-failed"),
}

# What an Event row records (events/models.py); the icon shows on timelines and side panels.
EVENT_KINDS = {
    "sent": Term("sent", "badge-done", "✉"),
    "deferred": Term("deferred", "badge-pending", "↻"),
    "bounced": Term("bounced", "badge-failed", "↩"),
    "failed": Term("failed", "badge-failed", "✕"),
    "delivered": Term("delivered", "badge-done", "✓"),
    "open": Term("opened", "", "◉"),
    "click": Term("clicked", "", "➚"),
    "complaint": Term("marked as spam", "badge-failed", "⚑"),
    "unsubscribe": Term("unsubscribed", "badge-pending", "⊘"),
    "resubscribe": Term("resubscribed", "badge-done", "↺"),
}

EVENT_SOURCES = {
    "smtp": Term("SMTP reply"),
    "pixel": Term("open pixel"),
    "redirect": Term("tracked link"),
    "unsubscribe_page": Term("unsubscribe page"),
    "one_click": Term("one-click unsubscribe"),
    "mailto": Term("unsubscribe email"),
    "preferences": Term("preference page"),
    "dsn": Term("bounce report"),
    "arf": Term("complaint report"),
    "sendgrid": Term("SendGrid"),
    "mailgun": Term("Mailgun"),
    "ses": Term("Amazon SES"),
    "postmark": Term("Postmark"),
}

# How an open or click was judged (events/bots.py).
VERDICTS = {
    "human": Term("Likely Human", "badge-done"),
    "bot": Term("Likely Bot", "badge-pending"),
    "proxy": Term("Privacy proxy", "badge-pending"),
}

# Which rule of events/bots.py gave a verdict, in words for the side panel and the contact timeline.
VERDICT_RULES = {
    "machine_open": Term("the provider flagged a machine open"),
    "hidden_link": Term("a link no person can see"),
    "privacy_proxy": Term("a mail provider's image proxy"),
    "scanner_user_agent": Term("a known scanner's user agent"),
    "fast_open": Term("opened within seconds of arriving"),
    "simultaneous_clicks": Term("several links clicked at once"),
}

VOCABULARIES = {
    "mass_email_state": MASS_EMAIL_STATES,
    "recipient_status": RECIPIENT_STATUSES,
    "drop_reason": DROP_REASONS,
    "contact_status": CONTACT_STATUSES,
    "suppression_reason": SUPPRESSION_REASONS,
    "import_state": IMPORT_STATES,
    "list_kind": LIST_KINDS,
    "event_kind": EVENT_KINDS,
    "event_source": EVENT_SOURCES,
    "verdict": VERDICTS,
    "verdict_rule": VERDICT_RULES,
}


def term(vocabulary, key):
    """The Term for `key`; an unknown key (a state added by a newer release) reads as itself."""
    return VOCABULARIES[vocabulary].get(key) or Term(str(key).replace("_", " "))
