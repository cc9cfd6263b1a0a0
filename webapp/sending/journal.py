"""The Redis journal of one batch claim: what the SMTP server answered, kept the moment it answered.

Rule: an SMTP outcome is written to Redis before the next message is started, and only later
folded into the database in bulk. A database write per message would cost more than the
message; losing the answer in a crash could mean sending twice. So per claim there are two keys:

- `mailroom:journal:<claim_token>`, a hash recipient id -> Entry (JSON): the outcome of every
  message the server answered (sent, deferred, bounced) or that could not be built (failed);
- `mailroom:inflight:<claim_token>`, "recipient id|Message-ID": set just before a message is
  handed to the server and removed in the same MULTI that journals its outcome. If it is still
  there after a crash, that one message may have reached the server with its reply lost.

fold() writes a claim's journal into its recipient rows with one executemany UPDATE and one
INSERT ... SELECT for hard-bounce suppressions, commits, and only then deletes the folded
entries, so a crash between the two folds again harmlessly: the UPDATE only touches rows that
are still 'sending' under that claim. Redis must persist (AOF) for the journal to survive a
Redis restart; a lost journal would send its entries' recipients again.
"""
import json
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import bindparam, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite

from webapp.audience.models import Suppression
from webapp.extensions import db
from webapp.sending.models import Recipient

JOURNAL_PREFIX = "mailroom:journal:"
IN_FLIGHT_PREFIX = "mailroom:inflight:"
# Long enough for the periodic recovery to find a crashed claim's journal, short enough not to pile up.
KEEP_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class Entry:
    status: str  # sent, deferred, bounced or failed
    at: datetime
    message_id: str | None = None
    smtp_reply: str | None = None
    bounce_kind: str | None = None
    next_attempt_at: datetime | None = None

    def dumps(self):
        values = asdict(self)
        for name in ("at", "next_attempt_at"):
            values[name] = values[name].isoformat() if values[name] else None
        return json.dumps(values)

    @classmethod
    def loads(cls, raw):
        values = json.loads(raw)
        for name in ("at", "next_attempt_at"):
            values[name] = datetime.fromisoformat(values[name]) if values[name] else None
        return cls(**values)


class Journal:
    def __init__(self, redis, claim_token):
        self.redis = redis
        self.claim_token = claim_token
        self.key = JOURNAL_PREFIX + claim_token
        self.in_flight_key = IN_FLIGHT_PREFIX + claim_token

    def mark_in_flight(self, recipient_id, message_id):
        self.redis.set(self.in_flight_key, f"{recipient_id}|{message_id}", ex=KEEP_SECONDS)

    def record(self, recipient_id, entry):
        """Journal one outcome and clear the in-flight marker, atomically (MULTI/EXEC)."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(self.key, str(recipient_id), entry.dumps())
        pipe.expire(self.key, KEEP_SECONDS)
        pipe.delete(self.in_flight_key)
        pipe.execute()

    def entries(self):
        return {int(rid): Entry.loads(raw) for rid, raw in self.redis.hgetall(self.key).items()}

    def in_flight(self):
        """(recipient id, Message-ID) of the message handed to the server and not answered, or None."""
        raw = self.redis.get(self.in_flight_key)
        if raw is None:
            return None
        recipient_id, message_id = raw.decode().split("|", 1)
        return int(recipient_id), message_id

    def forget(self, recipient_ids):
        if recipient_ids:
            self.redis.hdel(self.key, *map(str, recipient_ids))

    def discard(self):
        self.redis.delete(self.key, self.in_flight_key)


_recipients = Recipient.__table__
_FOLD = (
    update(_recipients)
    .where(_recipients.c.id == bindparam("b_id"), _recipients.c.claim_token == bindparam("b_token"),
           _recipients.c.status == "sending")
    .values(
        status=bindparam("b_status"), message_id=bindparam("b_message_id"), smtp_reply=bindparam("b_smtp_reply"),
        bounce_kind=bindparam("b_bounce_kind"), next_attempt_at=bindparam("b_next_attempt_at"),
        sent_at=bindparam("b_sent_at"), status_changed_at=bindparam("b_at"),
        attempts=_recipients.c.attempts + 1, claim_token=None, claimed_until=None,
    )
)


def fold(journal):
    """Write the journal's entries into their recipient rows and commit; returns how many were folded."""
    entries = journal.entries()
    if not entries:
        return 0
    db.session.execute(_FOLD, [
        {"b_id": rid, "b_token": journal.claim_token, "b_status": entry.status, "b_message_id": entry.message_id,
         "b_smtp_reply": entry.smtp_reply, "b_bounce_kind": entry.bounce_kind,
         "b_next_attempt_at": entry.next_attempt_at, "b_sent_at": entry.at if entry.status == "sent" else None,
         "b_at": entry.at}
        for rid, entry in entries.items()
    ])
    hard = [rid for rid, entry in entries.items() if entry.status == "bounced" and entry.bounce_kind == "hard"]
    if hard:
        _suppress_hard_bounces(hard)
    db.session.commit()
    journal.forget(list(entries))
    return len(entries)


def _suppress_hard_bounces(recipient_ids):
    """The addresses are gone for good: no later send may try them (set-based, duplicates ignored)."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    addresses = select(Recipient.email, literal("hard_bounce"), literal("smtp")).where(Recipient.id.in_(recipient_ids)).distinct()
    db.session.execute(
        dialect.insert(Suppression)
        .from_select([Suppression.email, Suppression.reason, Suppression.source], addresses)
        .on_conflict_do_nothing()
    )
