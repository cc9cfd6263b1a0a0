"""From a parsed report (parse.py) to events: whom it is about, and what it does, through events/ingest.py.

The recipient is found by the VERP envelope sender the report was sent back to (signed, so a
forged bounce names nobody), else by our Message-ID in the returned headers (ingest matches it).
Every event's dedupe_key comes from the report's own Message-ID, so reading the same report
twice (a crash before it was moved, the CLI run again) changes nothing.
"""
import hashlib
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from webapp.bounces import parse
from webapp.common.clock import utcnow
from webapp.compose.tokens import TokenSigner, read_unsubscribe_token
from webapp.compose.verp import Verp
from webapp.events.ingest import Incoming, ingest, normalize_message_id
from webapp.extensions import db
from webapp.sending.models import Recipient
from webapp.settings.service import get_settings

_BOUNCE_EVENTS = {parse.FAILED: "bounced", parse.DELAYED: "deferred", parse.DELIVERED: "delivered"}


@dataclass
class Applied:
    report: parse.Report
    stored: int = 0
    unmatched: int = 0
    waiting: int = 0  # about a recipient still being sent: offer the report again later


def read(raw, settings=None):
    """The Report of a raw message with each bounce's recipient id filled in (reads only)."""
    settings = settings or get_settings()
    report = parse.parse(raw)
    if report.kind == parse.UNSUBSCRIBE:  # the signed token names the recipient
        report.recipient_id = read_unsubscribe_token(TokenSigner(current_app.config["SECRET_KEY"]), report.unsubscribe_token)
    else:
        report.recipient_id = _verp_recipient(report, settings) or _by_message_id(report.original_message_id)
    for bounce in report.bounces:
        bounce.recipient_id = report.recipient_id
    return report


def apply(raw, settings=None, now=None):
    """Read a raw message and ingest what it says; returns Applied (the report, what was stored)."""
    settings = settings or get_settings()
    report = read(raw, settings)
    events = events_of(report, now or utcnow(), _key(raw, report))
    result = ingest(events, settings) if events else None
    applied = Applied(report)
    if result is not None:
        applied.stored, applied.unmatched, applied.waiting = result.stored, len(result.unmatched), len(result.waiting)
    return applied


def events_of(report, now, key):
    """The Incoming events a report (from read()) asks for; `key` makes their dedupe keys."""
    if report.kind == parse.DSN:
        return [
            Incoming(kind=_BOUNCE_EVENTS[bounce.action], at=now, source="dsn", recipient_id=report.recipient_id,
                     message_id=report.original_message_id, dedupe_key=f"dsn:{key}:{_digest(bounce.address, bounce.action)}",
                     detail={"kind": bounce.kind, "status": bounce.status, "action": bounce.action,
                             "diagnostic": bounce.diagnostic[:500], "reporting_mta": bounce.reporting_mta[:255],
                             "address": bounce.address[:320]})
            for bounce in report.bounces
        ]
    if report.kind == parse.ARF and report.complaint:
        return [Incoming(kind="complaint", at=now, source="arf", recipient_id=report.recipient_id,
                         message_id=report.original_message_id, dedupe_key=f"arf:{key}")]
    if report.kind == parse.UNSUBSCRIBE and report.recipient_id is not None:
        return [Incoming(kind="unsubscribe", at=now, source="mailto", recipient_id=report.recipient_id, dedupe_key=f"mailto:{key}")]
    return []


def _verp_recipient(report, settings):
    if not settings.bounce_address:
        return None
    try:
        verp = Verp(current_app.config["SECRET_KEY"], settings.bounce_address)
    except ValueError:
        return None
    return next(filter(None, map(verp.recipient_id, report.verp_candidates)), None)


def _by_message_id(message_id):
    message_id = normalize_message_id(message_id)
    if message_id is None:
        return None
    return db.session.scalar(select(Recipient.id).where(Recipient.message_id == message_id))


def _key(raw, report):
    """The report's identity: its Message-ID, or its bytes when it has none."""
    data = raw if isinstance(raw, bytes) else raw.encode("utf-8", "replace")
    return _digest(report.message_id or "", "" if report.message_id else data)


def _digest(*parts):
    hashed = hashlib.sha256()
    for part in parts:
        hashed.update(part if isinstance(part, bytes) else str(part).encode("utf-8", "replace"))
        hashed.update(b"\0")
    return hashed.hexdigest()[:40]
