"""What every provider's endpoint shares: refusing, turning provider fields into safe Incoming
events, and handing them to events.ingest."""
import hashlib
import ipaddress
import logging
from datetime import UTC, datetime

from webapp.common.queues import redis_connection
from webapp.compose.tokens import read_webhook_token
from webapp.events import stream
from webapp.events.ingest import Incoming, ingest
from webapp.tracking.hits import signer

log = logging.getLogger(__name__)

MAX_TEXT = 500  # a diagnostic or reply kept in an event's detail


class Refused(Exception):
    """A request we do not take: answered with `status`, logged with the reason."""

    def __init__(self, status, reason):
        super().__init__(reason)
        self.status = status


def receive(provider, events):
    """Ingest the events (one transaction); those for a recipient still being sent go to the event
    stream, whose drain offers them again. Returns events.ingest's Ingested."""
    result = ingest(events)
    if result.waiting:
        pipe = redis_connection().pipeline(transaction=False)
        for event in result.waiting:
            stream.publish(pipe, event)
        pipe.execute()
    if result.unmatched:
        log.info("%s webhook: %d of %d events match no message of ours", provider, len(result.unmatched), len(events))
    return result


def event(kind, at, source, key, *, token=None, message_id=None, ip=None, user_agent=None, url=None, detail=None):
    """An Incoming from provider values, each checked: a hostile payload can put anything anywhere."""
    return Incoming(
        kind=kind, at=at, source=source, dedupe_key=dedupe_key(source, key),
        recipient_id=read_webhook_token(signer(), token) if isinstance(token, str) else None,
        message_id=message_id if isinstance(message_id, str) and 0 < len(message_id) <= 255 else None,
        ip=_ip(ip), user_agent=user_agent if isinstance(user_agent, str) else None,
        url=url if isinstance(url, str) else None,
        detail={name: text(value) if isinstance(value, str) else value for name, value in (detail or {}).items()},
    )


def dedupe_key(source, key):
    """"<source>:<the provider's event id>", hashed when long (the column holds 200)."""
    key = str(key)
    if len(key) > 150:
        key = hashlib.sha256(key.encode()).hexdigest()
    return f"{source}:{key}"


def text(value):
    return value[:MAX_TEXT] if isinstance(value, str) else None


def _ip(value):
    try:
        return str(ipaddress.ip_address(value)) if isinstance(value, str) else None
    except ValueError:
        return None


def from_unix(value):
    """Naive UTC from Unix seconds; ValueError for anything else."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"not a timestamp: {value!r}")
    try:
        return datetime.fromtimestamp(float(value), UTC).replace(tzinfo=None)
    except (OverflowError, OSError) as error:
        raise ValueError(str(error)) from error


def from_iso(value):
    """Naive UTC from ISO 8601 ("2016-01-27T14:59:38.237Z", Postmark's seven fractional digits too)."""
    if not isinstance(value, str):
        raise ValueError(f"not a time: {value!r}")
    head, dot, rest = value.partition(".")
    if dot:  # Python 3.11 takes 3 or 6 fractional digits only
        digits = len(rest) - len(rest.lstrip("0123456789"))
        value = f"{head}.{rest[:digits][:6].ljust(6, '0')}{rest[digits:]}"
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def each(provider, items, parse_one):
    """parse_one(item) for every item: a list of Incoming (an item may give none). An item that is
    not what its provider documents is skipped and logged; the rest of the batch still counts."""
    events = []
    for item in items:
        try:
            events += parse_one(item)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            log.warning("%s webhook: skipping a malformed event (%s): %.300r", provider, error, item)
    return events
