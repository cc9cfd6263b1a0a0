"""The Redis journal of one batch claim: what the SMTP server answered, kept the moment it answered.

Rule: an SMTP outcome is written to Redis before the next message is handed to the server,
and only later folded into the database in bulk. A database write per message would cost more
than the message; losing the answer in a crash could mean sending twice. So per claim there
are two keys:

- `mailroom:journal:<claim_token>`, a hash recipient id -> Entry (JSON): the outcome of every
  message the server answered (sent, deferred, bounced) or that could not be built (failed);
- `mailroom:inflight:<claim_token>`, "recipient id|Message-ID": the one message handed to the
  server and not yet answered. If it is still there after a crash, that one message may have
  reached the server with its reply lost.

Both move in ONE MULTI per message (advance()): it journals message N's outcome and marks
message N+1 in flight, so the server gets N+1 only once N's answer is safe, and never more than
one message per connection is in the uncertain window. One round trip per message instead of
two: at thousands of messages a second the Redis round trips were most of a batch's time.

fold() writes a claim's journal into its recipient rows with one executemany UPDATE, hands the
outcomes to the event ingestion (OUTCOMES_FOLDED: events, counters, suppressions of hard
bounces) in the same transaction, commits, and only then deletes the folded entries, so a
crash between the two folds again harmlessly: only rows still 'sending' under that claim take
an entry. Redis must persist (AOF) for the journal to survive a
Redis restart; a lost journal would send its entries' recipients again.
"""
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, update

from webapp.common.hooks import Hooks
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
    merge_values: dict | None = None  # what the message was rendered with (Recipient.merge_values)

    def dumps(self):
        # By hand rather than asdict(), which deep-copies every field: this runs once per message.
        return json.dumps({
            "status": self.status, "at": self.at.isoformat(), "message_id": self.message_id,
            "smtp_reply": self.smtp_reply, "bounce_kind": self.bounce_kind,
            "next_attempt_at": self.next_attempt_at.isoformat() if self.next_attempt_at else None,
            "merge_values": self.merge_values,
        })

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

    def advance(self, outcomes, in_flight=None, pipe=None):
        """Journal `outcomes` ({recipient id: Entry}) and mark `in_flight` ((recipient id, Message-ID),
        or None: nothing in flight) in one MULTI/EXEC; returns the pipeline's results.

        `pipe` is a transaction pipeline the caller has already queued commands of its own on
        (their results come first), so they ride the same round trip.
        """
        pipe = pipe if pipe is not None else self.redis.pipeline(transaction=True)
        if outcomes:
            pipe.hset(self.key, mapping={str(rid): entry.dumps() for rid, entry in outcomes.items()})
            pipe.expire(self.key, KEEP_SECONDS)
        if in_flight is None:
            pipe.delete(self.in_flight_key)
        else:
            pipe.set(self.in_flight_key, f"{in_flight[0]}|{in_flight[1]}", ex=KEEP_SECONDS)
        return pipe.execute()

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
        sent_at=bindparam("b_sent_at"), status_changed_at=bindparam("b_at"), merge_values=bindparam("b_merge_values"),
        attempts=_recipients.c.attempts + 1, claim_token=None, claimed_until=None,
    )
)


# Called in fold's transaction with {recipient id: Entry} of the rows it moved out of 'sending':
# the event ingestion (events/ingest.py) records them as events and counts them.
OUTCOMES_FOLDED = Hooks()


def fold(journal):
    """Write the journal's entries into their recipient rows and commit; returns how many were folded.

    Only rows still 'sending' under this claim take their entry: a second fold of the same
    entries (a crash between the commit and the forget) changes and records nothing.
    """
    entries = journal.entries()
    if not entries:
        return 0
    claimed = set(db.session.scalars(select(Recipient.id).where(
        Recipient.claim_token == journal.claim_token, Recipient.status == "sending", Recipient.id.in_(list(entries)))))
    applied = {rid: entry for rid, entry in entries.items() if rid in claimed}
    if applied:
        db.session.execute(_FOLD, [
            {"b_id": rid, "b_token": journal.claim_token, "b_status": entry.status, "b_message_id": entry.message_id,
             "b_smtp_reply": entry.smtp_reply, "b_bounce_kind": entry.bounce_kind,
             "b_next_attempt_at": entry.next_attempt_at, "b_sent_at": entry.at if entry.status == "sent" else None,
             "b_at": entry.at, "b_merge_values": entry.merge_values}
            for rid, entry in applied.items()
        ])
        for record in OUTCOMES_FOLDED:
            record(applied)
    db.session.commit()
    journal.forget(list(entries))
    return len(entries)
