"""The hot endpoints' events travel through a Redis stream to the drain, which ingests them in bulk.

The open pixel and the click redirect must answer in a millisecond or two and never write to
the database per hit. So each hit is one XADD to `mailroom:events` before the answer: once the
client has its answer, the event is in Redis. The drain (a job the clock runs every few
seconds) reads the stream in a consumer group, ingests a batch in one transaction, and only
after the commit acknowledges and deletes the entries:

- a drain killed before its commit leaves its entries pending; the next drain claims entries
  idle for RECLAIM_SECONDS (XAUTOCLAIM) and ingests them: nothing is lost;
- a drain killed after its commit and before the acknowledgement has them ingested again, but
  each event's dedupe key is its stream entry id, so nothing is stored twice;
- an event whose recipient is still being sent stays pending and comes back later.

Redis must persist (AOF), as for the send journal, or a Redis restart loses what waits here.
"""
import json
import logging
import os
import socket
import time
from datetime import datetime

from flask import current_app
from redis.exceptions import ResponseError

from webapp.common.queues import redis_connection
from webapp.events.ingest import Incoming, ingest
from webapp.settings.service import get_settings

log = logging.getLogger(__name__)

STREAM = "mailroom:events"
GROUP = "drain"
BATCH = 1000
_FIELDS = ("kind", "source", "recipient_id", "contact_id", "link_index", "url", "ip", "user_agent", "detail")


def publish(redis, event):
    """One XADD of an Incoming event (the entry id becomes its dedupe key unless it has one)."""
    values = {name: getattr(event, name) for name in _FIELDS}
    values.update(at=event.at.isoformat(), key=event.dedupe_key)
    return redis.xadd(STREAM, {"e": json.dumps(values, separators=(",", ":"))})


def _incoming(entry_id, fields):
    """The Incoming event of a stream entry, or None for an entry that is not one (it is dropped)."""
    try:
        values = json.loads(fields[b"e"])
        return Incoming(**{name: values.get(name) for name in _FIELDS if name != "detail"}, detail=values.get("detail") or {},
                        at=datetime.fromisoformat(values["at"]), dedupe_key=values.get("key") or f"stream:{entry_id.decode()}")
    except (KeyError, ValueError, TypeError):
        return None


def _ensure_group(redis):
    try:
        redis.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    except ResponseError as error:
        if "BUSYGROUP" not in str(error):
            raise


def drain(max_seconds=10):
    """Ingest what waits in the stream, batch by batch, for at most about `max_seconds`; returns how many were stored."""
    redis = redis_connection()
    _ensure_group(redis)
    consumer = f"{socket.gethostname()}:{os.getpid()}"
    reclaim_ms = int(current_app.config["EVENT_RECLAIM_SECONDS"] * 1000)
    deadline = time.monotonic() + max_seconds
    stored = 0
    while time.monotonic() < deadline:
        # Entries a dead drain (or a waiting event) left pending first, then new ones.
        # Redis 7 answers (next id, entries, deleted ids), Redis 6.2 (next id, entries).
        entries = redis.xautoclaim(STREAM, GROUP, consumer, min_idle_time=reclaim_ms, start_id="0-0", count=BATCH)[1]
        if not entries:
            entries = [entry for _, batch in redis.xreadgroup(GROUP, consumer, {STREAM: ">"}, count=BATCH) for entry in batch]
        entries = [(entry_id, fields) for entry_id, fields in entries if fields is not None]  # deleted meanwhile
        if not entries:
            break
        stored += _ingest_entries(redis, entries)
    return stored


def _ingest_entries(redis, entries):
    events, done = [], []
    for entry_id, fields in entries:
        event = _incoming(entry_id, fields)
        if event is None:
            log.warning("dropping a stream entry that is not an event: %s %r", entry_id, fields)
            done.append(entry_id)
        else:
            events.append((entry_id, event))
    settings = get_settings()
    wanted = [(entry_id, event) for entry_id, event in events if event.kind != "open" or settings.open_tracking]
    if len(wanted) < len(events):  # open tracking is off: the opens of messages sent before are dropped
        kept = {entry_id for entry_id, _ in wanted}
        done += [entry_id for entry_id, _ in events if entry_id not in kept]
    result = ingest([event for _, event in wanted], settings)  # commits
    waiting = {event.dedupe_key for event in result.waiting}
    done += [entry_id for entry_id, event in wanted if event.dedupe_key not in waiting]
    if done:
        pipe = redis.pipeline(transaction=True)
        pipe.xack(STREAM, GROUP, *done)
        pipe.xdel(STREAM, *done)
        pipe.execute()
    return result.stored
