"""The bounce mailbox's IMAP connection (imapclient): the poller reads it, the Settings page tests it.

Errors come back as ImapFailure with a sentence a person can act on, as smtp.py does for SMTP.
"""
import socket
import ssl
from contextlib import contextmanager
from dataclasses import dataclass

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from webapp.mail.hosts import checked_address

SECURITY_CHOICES = ("ssl", "starttls", "none")
IMAP_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int
    security: str  # one of SECURITY_CHOICES
    username: str
    password: str
    folder: str
    processed_folder: str
    other_folder: str
    timeout: float = IMAP_TIMEOUT_SECONDS
    allow_private: bool = False  # ALLOW_PRIVATE_SMTP, as for the SMTP host (see hosts.py)

    @property
    def address(self):
        return f"{self.host}:{self.port}"


class ImapFailure(Exception):
    """The mailbox could not be read; str(error) says why in words for people."""


def imap_config(settings, allow_private=False):
    """The bounce mailbox of the settings row, or None while no host is set."""
    if not settings.imap_host:
        return None
    return ImapConfig(settings.imap_host, settings.imap_port, settings.imap_security, settings.imap_username,
                      settings.imap_password, settings.imap_folder or "INBOX", settings.imap_processed_folder or "Processed",
                      settings.imap_other_folder or "Not bounces", allow_private=allow_private)


@contextmanager
def connect(config):
    """A logged-in IMAPClient with the bounce folder selected and the other two folders created."""
    client = None
    try:
        context = ssl.create_default_context()
        checked_address(config.host, config.port, config.allow_private, "IMAP")  # a BlockedHost is an OSError
        client = IMAPClient(config.host, port=config.port, ssl=config.security == "ssl", ssl_context=context,
                            timeout=config.timeout)
        if config.security == "starttls":
            client.starttls(context)
        client.login(config.username, config.password)
        for folder in (config.processed_folder, config.other_folder):
            if not client.folder_exists(folder):
                client.create_folder(folder)
        client.select_folder(config.folder)
    except LoginError as error:
        _close(client)
        raise ImapFailure(f"{config.address} refused the user name or password.") from error
    except ssl.SSLError as error:
        _close(client)
        raise ImapFailure(f"TLS with {config.address} failed ({error.reason or error}): check the security setting and port "
                          "(993 for SSL/TLS, 143 for STARTTLS).") from error
    except (OSError, socket.timeout) as error:
        _close(client)
        raise ImapFailure(f"Could not reach {config.address}: {error}.") from error
    except IMAPClientError as error:
        _close(client)
        raise ImapFailure(f"{config.address} answered: {error}") from error
    try:
        yield client
    except (OSError, IMAPClientError) as error:
        raise ImapFailure(f"{config.address} stopped answering or refused a command: {error}") from error
    finally:
        _close(client)


def move(client, uids, folder):
    """Move messages to a folder: MOVE where the server has it (RFC 6851), else copy, flag and expunge."""
    if not uids:
        return
    if client.has_capability("MOVE"):
        client.move(uids, folder)
    else:
        client.copy(uids, folder)
        client.delete_messages(uids)
        client.expunge()


def check_connection(config):
    """A sentence saying what the mailbox holds; raises ImapFailure."""
    with connect(config) as client:
        count = client.folder_status(config.folder, ["MESSAGES"])[b"MESSAGES"]
    return f"Connected to {config.address} as {config.username}: {config.folder} holds {count} message{'' if count == 1 else 's'}."


def _close(client):
    if client is None:
        return
    try:
        client.logout()
    except (OSError, IMAPClientError):
        try:
            client.shutdown()
        except OSError:
            pass
