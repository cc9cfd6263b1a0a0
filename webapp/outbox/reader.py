"""Reads what the dev SMTP catcher stored (a Maildir), newest first."""
import mailbox
from dataclasses import dataclass
from datetime import datetime, timezone
from email import policy
from email.parser import BytesHeaderParser, BytesParser

PAGE_SIZE = 50


@dataclass
class CaughtMessage:
    key: str
    received_at: datetime
    subject: str
    sender: str
    recipients: str
    message: object  # email.message.EmailMessage

    @property
    def html(self):
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part else None

    @property
    def text(self):
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part else None


def _parse(key, raw, received_at):
    message = BytesParser(policy=policy.default).parsebytes(raw)
    return CaughtMessage(
        key=key,
        received_at=received_at,
        subject=str(message.get("Subject", "(no subject)")),
        sender=str(message.get("From", "")),
        recipients=str(message.get("X-Mailroom-Envelope-To") or message.get("To", "")),
        message=message,
    )


def _matches(path, words):
    """Every word (lowercase) is in the message's To, From or Subject; only the headers are parsed."""
    with open(path, "rb") as file:
        headers = BytesHeaderParser(policy=policy.default).parse(file)
    fields = " ".join(str(headers.get(name, "")) for name in ("Subject", "From", "To", "X-Mailroom-Envelope-To")).lower()
    return all(word in fields for word in words)


def list_messages(directory, query="", page=1, page_size=PAGE_SIZE):
    """(the page's messages newest first, how many match): `query`'s words all in To, From or Subject."""
    box = mailbox.Maildir(str(directory), create=True)
    entries = []
    for key in box.keys():
        path = directory / box._lookup(key)  # noqa: SLF001  (mtime is the arrival time)
        entries.append((path.stat().st_mtime, key, path))
    entries.sort(reverse=True)
    words = query.lower().split()
    if words:
        entries = [entry for entry in entries if _matches(entry[2], words)]
    start = (page - 1) * page_size
    return [
        _parse(key, path.read_bytes(), datetime.fromtimestamp(mtime, timezone.utc))
        for mtime, key, path in entries[start:start + page_size]
    ], len(entries)


def get_message(directory, key):
    box = mailbox.Maildir(str(directory), create=True)
    try:
        path = directory / box._lookup(key)  # noqa: SLF001
    except KeyError:
        return None
    return _parse(key, path.read_bytes(), datetime.fromtimestamp(path.stat().st_mtime, timezone.utc))


def clear(directory):
    mailbox.Maildir(str(directory), create=True).clear()
