"""What one message in the bounce mailbox says, read without touching the database.

A message is one of:

- a DSN (RFC 3464 multipart/report with message/delivery-status): one entry per recipient with
  its Action, Status (RFC 3463), Diagnostic-Code and the Reporting-MTA; flufl.bounce finds the
  failed addresses of the bounces that have no such part (classic Exim, Yahoo, qmail);
- an ARF complaint (RFC 5965 multipart/report with message/feedback-report);
- an unsubscribe sent to the List-Unsubscribe mailto address (subject `unsubscribe <token>`);
- an auto-reply (RFC 3834 Auto-Submitted, vacation headers and subjects), left alone;
- anything else, also left alone.

Alongside, the addresses a VERP envelope sender may appear in (the report's To and delivery
headers, the returned message's Return-Path, ARF's Original-Mail-From) and the returned
message's Message-ID, so reconcile.py can find the recipient.
"""
import email
import re
from dataclasses import asdict, dataclass, field
from email.message import Message
from email.utils import getaddresses

from flufl.bounce import all_failures

from webapp.mail.replies import SOFT, bounce_kind

DSN, ARF, AUTOREPLY, UNSUBSCRIBE, UNKNOWN = "dsn", "arf", "autoreply", "unsubscribe", "unknown"
FAILED, DELAYED, DELIVERED = "failed", "delayed", "delivered"
# RFC 3464 actions: "relayed" and "expanded" went on to a system that sends no DSN, which is as far as we can know.
_ACTIONS = {"failed": FAILED, "delayed": DELAYED, "delivered": DELIVERED, "relayed": DELIVERED, "expanded": DELIVERED}
_STATUS = re.compile(r"(?<![\d.])([245]\.\d{1,3}\.\d{1,3})(?![\d.])")
# A reply in a bounce's prose: "550 5.1.1 <x@y>: Recipient address rejected", "554 delivery error: dd ...".
_REPLY_LINE = re.compile(r"^.*?\b[45]\d\d[ :-].*$", re.MULTILINE)
_MESSAGE_ID_LINE = re.compile(r"^Message-ID:\s*(<[^>\s]+>)", re.IGNORECASE | re.MULTILINE)
_RETURN_PATH_LINE = re.compile(r"^Return-Path:\s*<?([^>\s]+)>?", re.IGNORECASE | re.MULTILINE)
_UNSUBSCRIBE_SUBJECT = re.compile(r"^\s*unsubscribe\s+([A-Za-z0-9_-]{8,200})\s*$", re.IGNORECASE)
_AUTOREPLY_SUBJECT = re.compile(r"^\s*(auto(matic)?[ -]?reply|auto:|out of (the )?office|abwesenheit|absence|vacation)",
                                re.IGNORECASE)
# Where the receiving system writes the envelope recipient (our VERP address) into the report.
_ENVELOPE_HEADERS = ("To", "Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "X-Failed-Recipients-To")


@dataclass
class Bounce:
    address: str
    kind: str | None  # HARD or SOFT for failed and delayed; None for delivered
    status: str | None  # enhanced status, "5.1.1"
    action: str  # FAILED, DELAYED or DELIVERED
    diagnostic: str = ""
    reporting_mta: str = ""
    recipient_id: int | None = None  # the report's, for the CLI's output


@dataclass
class Report:
    kind: str
    bounces: list = field(default_factory=list)
    complaint: bool = False
    message_id: str | None = None  # the report's own, for idempotence
    original_message_id: str | None = None  # the returned message's: ours
    verp_candidates: list = field(default_factory=list)  # addresses that may be our VERP envelope sender
    unsubscribe_token: str | None = None
    complaint_address: str | None = None
    recipient_id: int | None = None  # whom the report is about, filled in by reconcile.py

    def summary(self):
        """The JSON the CLI prints."""
        return {
            "kind": self.kind,
            "bounces": [{name: value for name, value in asdict(bounce).items() if name != "reporting_mta"}
                        for bounce in self.bounces],
            "complaint": self.complaint,
        }


def parse(raw):
    """The Report of one message given as bytes (or str)."""
    message = email.message_from_bytes(raw) if isinstance(raw, bytes) else email.message_from_string(raw)
    report = Report(UNKNOWN, message_id=_clean(message.get("Message-ID")))
    report.verp_candidates = [address for name in _ENVELOPE_HEADERS for _, address in getaddresses(message.get_all(name, []))]
    original = _returned_headers(message)
    if original is not None:
        report.original_message_id = _clean(original.get("Message-ID"))
        report.verp_candidates += [address for _, address in getaddresses(original.get_all("Return-Path", []))]
    feedback = _part(message, "message/feedback-report")
    if feedback is not None:
        return _complaint(report, feedback)
    status_part = _part(message, "message/delivery-status")
    if status_part is not None:
        report.kind, report.bounces = DSN, _dsn_entries(status_part)
    if not report.bounces:
        report.bounces = _detected(message)
        if report.bounces:
            report.kind = DSN
            _from_prose(message, report)
    if report.kind == DSN:
        return report
    match = _UNSUBSCRIBE_SUBJECT.match(str(message.get("Subject", "")))
    if match:
        report.kind, report.unsubscribe_token = UNSUBSCRIBE, match.group(1)
    elif _is_autoreply(message):
        report.kind = AUTOREPLY
    return report


def classify(status, action, diagnostic=""):
    """HARD or SOFT (RFC 3463): a delay, any 4.x.x, a full mailbox (5.2.2), a message too large
    (5.2.3) and policy or security refusals (5.7.x) are soft; failures that blame the address
    (5.1.x, 5.2.1 ...) hard, as mail/replies.py judges an SMTP reply."""
    if action == DELAYED or (status or "").startswith("4.") or status in ("5.2.2", "5.2.3") \
            or (status or "").startswith("5.7."):
        return SOFT
    return bounce_kind(status, diagnostic)


def _clean(value):
    value = " ".join(str(value or "").split())
    return value or None


def _part(message, content_type):
    return next((part for part in message.walk() if part.get_content_type() == content_type), None)


def _field_blocks(part):
    """The header blocks of a message/delivery-status or message/feedback-report part."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    text = payload if isinstance(payload, str) else ""
    blocks = re.split(r"\r?\n\s*\r?\n", text.strip())
    return [email.message_from_string(block + "\n") for block in blocks if block.strip()]


def _typed(value):
    """'rfc822; ann@example.com' -> 'ann@example.com'; 'smtp; 550 ...' -> '550 ...'."""
    value = _clean(value) or ""
    return value.split(";", 1)[1].strip() if ";" in value else value


def _dsn_entries(part):
    blocks = _field_blocks(part)
    if not blocks:
        return []
    reporting_mta = _typed(blocks[0].get("Reporting-MTA"))
    entries = []
    for block in blocks[1:] or blocks:
        address = _typed(block.get("Final-Recipient") or block.get("Original-Recipient")).strip("<>")
        action = _ACTIONS.get((_clean(block.get("Action")) or "").lower())
        if not address or action is None:
            continue
        match = _STATUS.search(_clean(block.get("Status")) or "")
        status = match.group(1) if match else None
        diagnostic = _typed(block.get("Diagnostic-Code"))
        kind = None if action == DELIVERED else classify(status, action, diagnostic)
        entries.append(Bounce(address, kind, status, action, diagnostic, reporting_mta))
    return entries


def _detected(message):
    """Failed addresses of a bounce without a delivery-status part, by flufl.bounce's detectors."""
    try:
        temporary, permanent = all_failures(message)
    except Exception:  # noqa: BLE001  its detectors trip over odd messages (no From, say): then nothing was detected
        return []
    found = [(address, FAILED) for address in sorted(permanent)]
    found += [(address, DELAYED) for address in sorted(temporary - permanent)]
    return [Bounce(address.decode("utf-8", "replace"), None, None, action) for address, action in found]


def _from_prose(message, report):
    """Status and diagnostic of a prose bounce: the first reply line that names the address, else any."""
    text = _body_text(message)
    lines = _REPLY_LINE.findall(text)
    for bounce in report.bounces:
        line = next((line for line in lines if bounce.address.lower() in line.lower()), lines[0] if lines else "")
        match = _STATUS.search(line)
        bounce.status = match.group(1) if match else None
        bounce.diagnostic = " ".join(line.split())[:500]
        bounce.kind = classify(bounce.status, bounce.action, bounce.diagnostic)
    if report.original_message_id is None:  # the copy of the message is in the prose too
        match = _MESSAGE_ID_LINE.search(text)
        report.original_message_id = match.group(1) if match else None
        report.verp_candidates += _RETURN_PATH_LINE.findall(text)


def _body_text(message):
    texts = []
    for part in message.walk():
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True) or b""
            texts.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
    return "\n".join(texts)


def _returned_headers(message):
    """The headers of the message that bounced, from a text/rfc822-headers or message/rfc822 part."""
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "text/rfc822-headers":
            payload = part.get_payload(decode=True) or b""
            return email.message_from_bytes(payload)
        if content_type == "message/rfc822":
            payload = part.get_payload()
            if isinstance(payload, list) and payload:
                return payload[0]
    return None


def _complaint(report, feedback):
    fields = _field_blocks(feedback)
    block = fields[0] if fields else Message()
    # abuse, fraud, virus, other: a complaint; "not-spam" takes one back, which we do not act on.
    report.kind, report.complaint = ARF, (_clean(block.get("Feedback-Type")) or "abuse").lower() != "not-spam"
    report.complaint_address = _clean(block.get("Original-Rcpt-To"))
    report.verp_candidates += [address for _, address in getaddresses(block.get_all("Original-Mail-From", []))]
    return report


def _is_autoreply(message):
    auto_submitted = (_clean(message.get("Auto-Submitted")) or "no").lower()
    return (auto_submitted != "no" or any(message.get(name) for name in ("X-Autoreply", "X-Autorespond"))
            or (_clean(message.get("Precedence")) or "").lower() == "auto_reply"
            or bool(_AUTOREPLY_SUBJECT.match(str(message.get("Subject", "")))))
