"""What an SMTP reply means for one recipient (sending/retries.py says when to try a deferred one again).

`classify(code, text)` turns a reply into an Outcome:

| reply                                   | kind       | bounce_kind |
| --------------------------------------- | ---------- | ----------- |
| 2xx                                     | sent       |             |
| 421 (the server is closing the session) | connection |             |
| other 4xx                               | deferred   |             |
| 5xx with X.1.1 X.1.2 X.1.3 X.1.6 X.1.10 | bounced    | hard        |
|   (bad mailbox, domain, address, moved) |            |             |
| 5xx with X.2.1 (mailbox disabled)       | bounced    | hard        |
| 5xx with X.2.x other (X.2.2 full, ...)  | bounced    | soft        |
| 5xx with X.3.x (receiving system)       | bounced    | soft        |
| 5xx with X.4.x (routing, DNS, loops)    | bounced    | soft        |
| 5xx with X.7.25 X.7.26 X.7.27           | bounced    | soft        |
|   (reverse DNS, DMARC/SPF/DKIM failed)  |            |             |
| any other 5xx, with or without a code   | bounced    | hard if the text says the address does not exist, else soft |
|   (X.7.1 policy/spam, X.0.0, X.5.x, ...)|            |             |
| anything else (1xx, 3xx, garbage)       | deferred   |             |

A hard bounce suppresses the address for good, so it is kept for replies that blame
the address itself; spam and policy refusals, authentication failures and full
mailboxes are the sender's or the moment's problem, not the address's. The enhanced
status code (RFC 3463) decides where it is given; the first digit of the reply
alone would suppress every address a spam filter ever refused.
"""
import re
from dataclasses import dataclass

SENT, DEFERRED, BOUNCED, CONNECTION = "sent", "deferred", "bounced", "connection"
HARD, SOFT = "hard", "soft"

# subject.detail of enhanced codes that blame the address (RFC 3463 §3.2, §3.3).
HARD_STATUSES = frozenset({"1.1", "1.2", "1.3", "1.6", "1.10", "2.1"})
# Codes whose meaning is settled whatever the text says: the address is fine.
SOFT_STATUSES = frozenset({"7.25", "7.26", "7.27"})
SOFT_SUBJECTS = frozenset({"2", "3", "4"})

# Anywhere in the text (some servers put it after a prefix), but not inside an IP address.
_ENHANCED_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_ADDRESS_UNKNOWN = re.compile(
    r"user unknown|unknown user|no such (?:user|mailbox|recipient)|does not exist|doesn't exist"
    r"|mailbox (?:is )?unavailable|mailbox not found|unknown recipient|recipient not found|invalid recipient"
    r"|address not found|doesn't have an? \S+ account",
    re.IGNORECASE,
)
_RETRY_AFTER = re.compile(
    r"(?:try|retry)\D{0,30}?(\d+)\s*(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h)\b",
    re.IGNORECASE,
)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}


@dataclass(frozen=True)
class Outcome:
    kind: str  # SENT, DEFERRED, BOUNCED or CONNECTION
    code: int
    text: str
    status: str | None = None  # enhanced status code "5.1.1", when the server gave one
    bounce_kind: str | None = None  # HARD or SOFT for BOUNCED
    retry_after: int | None = None  # seconds the server asked us to wait, when it said so


def classify(code, text):
    """The Outcome of one SMTP reply; `text` is the reply's text (bytes or str) without the code."""
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    match = _ENHANCED_STATUS.search(text)
    status = ".".join(match.groups()) if match else None
    retry_after = parse_retry_after(text)
    if 200 <= code < 300:
        return Outcome(SENT, code, text, status)
    if 500 <= code < 600:
        return Outcome(BOUNCED, code, text, status, bounce_kind(status, text), retry_after)
    # 421 also ends the session; anything unexpected is retried rather than trusted.
    kind = CONNECTION if code == 421 else DEFERRED
    return Outcome(kind, code, text, status, None, retry_after)


def bounce_kind(status, text):
    """HARD or SOFT for a permanent refusal, by the table in this module's docstring."""
    detail = status.split(".", 1)[1] if status else None
    if detail in HARD_STATUSES:
        return HARD
    if detail in SOFT_STATUSES or (detail and detail.split(".")[0] in SOFT_SUBJECTS):
        return SOFT
    return HARD if _ADDRESS_UNKNOWN.search(text) else SOFT


def parse_retry_after(text):
    """Seconds from "try again in 120 seconds", "retry in 5 minutes", "try later (30s)"; else None."""
    match = _RETRY_AFTER.search(text)
    if not match:
        return None
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)[0].lower()]
