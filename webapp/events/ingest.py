"""The one way in for everything that comes back about a message, and for subscription changes.

SMTP replies (folded from a batch's journal), opens and clicks (drained from the Redis stream
the public endpoints write to), unsubscribes and resubscribes, bounce and complaint reports
from the bounce mailbox, and ESP webhooks all become `Incoming` events and go through
ingest(). In one transaction it:

1. finds each event's recipient (by id, or by our Message-ID);
2. stores each event once: its dedupe_key (the provider's event id, the stream entry, the SMTP
   outcome's own key) is unique, so a repeat changes nothing;
3. moves the recipient's status forward only (transitions.py): a late "delivered" after an
   open keeps the open, a bounce after "delivered" wins, nothing moves a row backwards;
4. re-judges and re-sums the recipient's opens and clicks from all its events (engagement.py);
5. updates the mass email's counters by the difference each recipient's row made, so the
   counters equal what the rows say by construction;
6. updates contacts (last_activity_at on human activity; status on a hard bounce, a complaint,
   an unsubscribe, a resubscribe), suppressions and per-list opt-outs.

No open or click ever changes a subscription: only unsubscribe and resubscribe events do.
Events for a recipient still queued or being sent (a webhook faster than our own fold) are
handed back as `waiting`, for the caller to offer again later.
"""
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import select, text, update

from webapp.common.sql import in_ids, insert_many_ignoring_conflicts, update_many
from webapp.events import engagement, transitions
from webapp.events.bots import Rules
from webapp.events.models import Event
from webapp.extensions import db
from webapp.sending.models import MassEmail, Recipient
from webapp.settings.service import get_settings

CHUNK = 1000
# Events about a contact rather than a message: they need no recipient.
CONTACT_KINDS = ("resubscribe",)
# Not yet sent: an event for such a recipient is early, not wrong.
NOT_SENT_YET = ("queued", "sending")


@dataclass
class Incoming:
    kind: str  # see vocabulary.EVENT_KINDS
    at: datetime
    source: str  # see vocabulary.EVENT_SOURCES
    recipient_id: int | None = None
    message_id: str | None = None  # ours, "<...@host>"; used when recipient_id is unknown
    contact_id: int | None = None  # for contact events (resubscribe)
    dedupe_key: str | None = None  # None: a new key (the event is unique by nature)
    link_index: int | None = None
    url: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    # bounce: kind (hard/soft), status, diagnostic; smtp: reply; unsubscribe: scope (all/lists);
    # resubscribe: list_ids; open: machine_open; click: hidden_link.
    detail: dict = field(default_factory=dict)
    # The SMTP fold has already moved the row (batches.py owns that); record the rest.
    status_applied: bool = False


@dataclass
class Ingested:
    stored: int = 0
    repeats: int = 0
    unmatched: list = field(default_factory=list)
    waiting: list = field(default_factory=list)


def normalize_message_id(value):
    value = (value or "").strip()
    if not value:
        return None
    return value if value.startswith("<") else f"<{value}>"


def ingest(events, settings=None, commit=True):
    """Store and apply `events` (a list of Incoming); returns Ingested. Idempotent."""
    result = Ingested()
    if not events:
        return result
    settings = settings or get_settings()
    events = [event if event.dedupe_key else replace(event, dedupe_key=f"new:{uuid.uuid4().hex}") for event in events]
    _lock_for_writing()
    _match_message_ids(events)
    states = _load_states({e.recipient_id for e in events if e.recipient_id is not None})
    matched = []
    for event in events:
        state = states.get(event.recipient_id)
        if state is None and event.kind not in CONTACT_KINDS:
            result.unmatched.append(event)
        elif state is not None and state.status in NOT_SENT_YET and not event.status_applied:
            result.waiting.append(event)
        else:
            matched.append(event)
    new = _store(matched, states)
    result.stored, result.repeats = len(new), len(matched) - len(new)
    effects = transitions.Effects()
    for event in sorted(new, key=lambda e: e.at):
        state = states.get(event.recipient_id)
        if event.status_applied:
            state.before_the_fold()
        transitions.apply(event, state, settings, effects)
    touched = {e.recipient_id for e in new if e.recipient_id is not None}
    _sum_engagement([states[rid] for rid in touched], Rules.from_settings(settings), effects)
    _write(states.values(), effects, settings)
    if commit:
        db.session.commit()
    return result


def rejudge(recipient_ids, settings=None):
    """Judge the opens and clicks of these recipients again by the current bot rules, and correct
    their rows and their mass emails' counters (a change of the rules; recompute.py)."""
    settings = settings or get_settings()
    _lock_for_writing()
    states = _load_states(recipient_ids)
    effects = transitions.Effects()
    _sum_engagement(list(states.values()), Rules.from_settings(settings), effects)
    _write(states.values(), effects, settings)
    db.session.commit()


def _lock_for_writing():
    """Hold the write lock before reading the rows this transaction will update. PostgreSQL locks
    the rows themselves (FOR UPDATE, below); SQLite only has a database lock, which a read does not
    take: without this, a second writer could slip in between our read and our write."""
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("UPDATE app_settings SET id = id WHERE 0"))


def _match_message_ids(events):
    wanted = {normalize_message_id(e.message_id) for e in events if e.recipient_id is None and e.message_id}
    found = {}
    wanted = sorted(filter(None, wanted))
    for start in range(0, len(wanted), CHUNK):
        found.update(db.session.execute(
            select(Recipient.message_id, Recipient.id).where(Recipient.message_id.in_(wanted[start:start + CHUNK]))
        ).all())
    for event in events:
        if event.recipient_id is None and event.message_id:
            event.recipient_id = found.get(normalize_message_id(event.message_id))


_STATE_COLUMNS = (
    "id", "mass_email_id", "contact_id", "email", "status", "sent_at", "delivered_at", "deferred_at",
    "first_opened_at", "first_clicked_at", "human_at", "complained_at", "unsubscribed_at", "last_event_at",
    "status_changed_at", "open_count", "click_count", "bounce_kind", "smtp_reply",
)


@dataclass
class RecipientState:
    """A recipient row as ingestion changes it; `before` keeps the loaded values for the counters."""

    id: int
    mass_email_id: int
    contact_id: int | None
    email: str
    status: str
    sent_at: datetime | None
    delivered_at: datetime | None
    deferred_at: datetime | None
    first_opened_at: datetime | None
    first_clicked_at: datetime | None
    human_at: datetime | None
    complained_at: datetime | None
    unsubscribed_at: datetime | None
    last_event_at: datetime | None
    status_changed_at: datetime | None
    open_count: int
    click_count: int
    bounce_kind: str | None
    smtp_reply: str | None

    def __post_init__(self):
        self.loaded = {name: getattr(self, name) for name in _STATE_COLUMNS}  # what the row holds
        self.before = dict(self.loaded)  # what the counters count from

    def before_the_fold(self):
        """The SMTP fold moved this row out of 'sending' in this same transaction, before it was
        loaded: count from the row as the claim had it."""
        self.before.update(status="sending", sent_at=None, bounce_kind=None, smtp_reply=None)

    def values(self):
        return {name: getattr(self, name) for name in _STATE_COLUMNS}

    def needs_writing(self):
        return self.values() != self.loaded

    def counts_differently(self):
        return self.values() != self.before


def _load_states(recipient_ids):
    ids = sorted(recipient_ids)
    states = {}
    columns = [getattr(Recipient, name) for name in _STATE_COLUMNS]
    for start in range(0, len(ids), CHUNK):
        statement = select(*columns).where(in_ids(Recipient.id, ids[start:start + CHUNK])).order_by(Recipient.id)
        if db.engine.dialect.name == "postgresql":
            statement = statement.with_for_update()  # in id order, so two ingestions never deadlock
        for row in db.session.execute(statement):
            states[row.id] = RecipientState(*row)
    return states


def _store(events, states):
    """Insert the events not stored before; returns those (a repeat's dedupe_key is taken)."""
    rows, keys = [], set()
    for event in events:
        if event.dedupe_key in keys:  # twice in one batch: the first one counts
            continue
        keys.add(event.dedupe_key)
        state = states.get(event.recipient_id)
        rows.append({
            "recipient_id": event.recipient_id, "mass_email_id": state.mass_email_id if state else None,
            "contact_id": state.contact_id if state else event.contact_id, "kind": event.kind,
            "occurred_at": event.at, "source": event.source, "dedupe_key": event.dedupe_key,
            "link_index": event.link_index, "url": (event.url or None) and event.url[:2000], "ip": event.ip,
            "user_agent": (event.user_agent or None) and event.user_agent[:500], "detail": event.detail,
        })
    stored = set(insert_many_ignoring_conflicts(Event.__table__, rows, "dedupe_key"))
    new = []
    for event in events:
        if event.dedupe_key in stored:
            stored.discard(event.dedupe_key)  # a key twice in the batch: its first event is the new one
            new.append(event)
    return new


def _sum_engagement(states, rules, effects):
    summed = engagement.judge_and_sum({state.id: state.delivered_at or state.sent_at for state in states}, rules)
    for state in states:
        totals = summed[state.id]
        if totals.last_human_at and state.contact_id:
            effects.active(state.contact_id, totals.last_human_at)
        state.first_opened_at, state.first_clicked_at = totals.first_opened_at, totals.first_clicked_at
        state.human_at, state.open_count, state.click_count = totals.human_at, totals.open_count, totals.click_count


_recipients = Recipient.__table__
_WRITTEN = [name for name in _STATE_COLUMNS if name not in ("id", "mass_email_id", "contact_id", "email")]
# What each counter counts, as a function of a recipient state's values (a dict).
COUNTERS = {
    "sent_count": lambda r: r["sent_at"] is not None,  # our relay took it, whatever happened next
    "delivered_count": lambda r: r["status"] == "delivered",
    "bounced_count": lambda r: r["status"] == "bounced",
    "deferred_count": lambda r: r["deferred_at"] is not None,
    "unique_open_count": lambda r: r["first_opened_at"] is not None,
    "human_open_count": lambda r: r["first_opened_at"] is not None and r["human_at"] is not None,
    "open_count": lambda r: r["open_count"],
    "unique_click_count": lambda r: r["first_clicked_at"] is not None,
    "human_click_count": lambda r: r["first_clicked_at"] is not None and r["human_at"] is not None,
    "click_count": lambda r: r["click_count"],
    "complaint_count": lambda r: r["complained_at"] is not None,
    "unsubscribe_count": lambda r: r["unsubscribed_at"] is not None,
}


def _write(states, effects, settings):
    states = list(states)
    update_many(_recipients, [{"id": state.id, **{name: getattr(state, name) for name in _WRITTEN}}
                              for state in states if state.needs_writing()])
    deltas = {}
    for state in states:
        if not state.counts_differently():
            continue
        after = state.values()
        for counter, counts in COUNTERS.items():
            difference = int(counts(after)) - int(counts(state.before))
            if difference:
                per_mass_email = deltas.setdefault(state.mass_email_id, {})
                per_mass_email[counter] = per_mass_email.get(counter, 0) + difference
    for mass_email_id, counters in deltas.items():
        db.session.execute(
            update(MassEmail).where(MassEmail.id == mass_email_id)
            .values(**{name: getattr(MassEmail, name) + amount for name, amount in counters.items()})
        )
    effects.write(settings)


def record_smtp_outcomes(entries):
    """sending.journal.OUTCOMES_FOLDED: the SMTP answers a batch folded ({recipient id: Entry}),
    recorded in the fold's own transaction (the fold commits)."""
    ingest([
        Incoming(kind=entry.status, at=entry.at, source="smtp", recipient_id=rid,
                 dedupe_key=f"smtp:{rid}:{entry.at.isoformat()}", status_applied=True,
                 detail={"reply": entry.smtp_reply, **({"kind": entry.bounce_kind} if entry.bounce_kind else {})})
        for rid, entry in entries.items()
    ], commit=False)
