"""The bounce mailbox poller: read every message in the IMAP folder, apply it, move it on.

A DSN, complaint or mailto unsubscribe goes to the processed folder once ingested; an
auto-reply or anything else to the other folder untouched. A report about a recipient still
being sent (`waiting`) stays for the next poll. One bad message never stops the others: it is
logged and moved to the other folder, where a person can look at it.
"""
import logging
from dataclasses import dataclass

from flask import current_app

from webapp.bounces import parse, reconcile
from webapp.extensions import db
from webapp.mail.imap import ImapFailure, connect, imap_config, move
from webapp.settings.service import get_settings

log = logging.getLogger(__name__)

FETCH_CHUNK = 50
MAX_PER_POLL = 2000  # a flooded mailbox is read over several polls, none of which runs for long


@dataclass
class Poll:
    processed: int = 0
    other: int = 0
    failed: int = 0
    waiting: int = 0
    error: str | None = None  # why the mailbox could not be read; the next poll tries again


def poll():
    """Read the bounce mailbox once; returns a Poll, or None when no mailbox is set."""
    settings = get_settings()
    config = imap_config(settings, current_app.config.get("ALLOW_PRIVATE_SMTP", False))
    if config is None:
        return None
    result = Poll()
    try:
        with connect(config) as client:
            _read(client, config, settings, result)
    except ImapFailure as failure:
        result.error = str(failure)
        log.warning("bounce mailbox: %s", failure)
    log.info("bounce mailbox: %s", result)
    return result


def _read(client, config, settings, result):
    uids = sorted(client.search(["NOT", "DELETED"]))[:MAX_PER_POLL]
    for start in range(0, len(uids), FETCH_CHUNK):
        chunk = uids[start:start + FETCH_CHUNK]
        processed, other = [], []
        for uid, data in client.fetch(chunk, ["BODY.PEEK[]"]).items():
            folder = _handle(uid, data.get(b"BODY[]"), settings, result)
            (processed if folder == "processed" else other if folder == "other" else []).append(uid)
        move(client, processed, config.processed_folder)
        move(client, other, config.other_folder)


def _handle(uid, raw, settings, result):
    """Apply one message; the folder it goes to ("processed", "other"), or None to leave it."""
    try:
        applied = reconcile.apply(raw or b"", settings)
    except Exception:  # noqa: BLE001  one bad message is set aside; the others go on
        db.session.rollback()
        log.exception("bounce mailbox: message %s could not be read; moved aside", uid)
        result.failed += 1
        return "other"
    if applied.waiting:
        result.waiting += 1
        return None
    if applied.report.kind in (parse.AUTOREPLY, parse.UNKNOWN):
        result.other += 1
        return "other"
    if applied.unmatched:
        log.info("bounce mailbox: message %s (%s) names no recipient of ours", uid, applied.report.kind)
    result.processed += 1
    return "processed"
