"""The SMTP connection every part of Mailroom sends through: test emails, invites, and mass sending.

`smtp_config()` decides which server to use (the admin's stored relay, or the
app's MAIL_* configuration when no host is stored) and `connect()` opens a
Flask-Mail connection to it. Errors come back as `SmtpFailure` with a sentence
a person can act on; the original smtplib exception stays attached as the cause
so sending code can still read reply codes.
"""
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.utils import formataddr, parseaddr

from flask_mail import Connection, Mail, Message

from webapp.mail.hosts import BlockedHost, checked_address

SECURITY_CHOICES = ("none", "starttls", "ssl")
# Without a timeout smtplib waits forever on a silent host, and a web request would hang with it.
SMTP_TIMEOUT_SECONDS = 20


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str
    password: str
    security: str  # one of SECURITY_CHOICES
    sender: str  # "Name <address>", the From of everything Mailroom sends
    from_app_config: bool  # True when the admin left the host empty and MAIL_* is used
    password_from_env: bool
    timeout: float = SMTP_TIMEOUT_SECONDS
    # The host set in Settings is held to mail.hosts' rules; the operator's MAIL_SERVER is trusted.
    check_address: bool = False
    allow_private: bool = False

    @property
    def address(self):
        return f"{self.host}:{self.port}"

    @property
    def sender_email(self):
        return parseaddr(self.sender)[1]


class SmtpFailure(Exception):
    """Sending failed; str(error) says why in words for people."""


def smtp_config(settings, app_config):
    """The effective SMTP server, from the settings row and the app config (env vars).

    MAIL_PASSWORD from the environment wins over a stored password, so secrets can stay out of the database.
    """
    env_password = app_config.get("MAIL_PASSWORD") or ""
    if settings.from_email:
        sender = formataddr((settings.from_name, settings.from_email))
    else:
        sender = app_config.get("MAIL_DEFAULT_SENDER") or "Mailroom <mailroom@localhost>"
    if settings.smtp_host:
        return SmtpConfig(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=env_password or settings.smtp_password,
            security=settings.smtp_security,
            sender=sender,
            from_app_config=False,
            password_from_env=bool(env_password),
            check_address=True,
            allow_private=bool(app_config.get("ALLOW_PRIVATE_SMTP")),
        )
    security = "ssl" if app_config.get("MAIL_USE_SSL") else "starttls" if app_config.get("MAIL_USE_TLS") else "none"
    return SmtpConfig(
        host=app_config.get("MAIL_SERVER") or "127.0.0.1",
        port=int(app_config.get("MAIL_PORT") or 25),
        username=app_config.get("MAIL_USERNAME") or "",
        password=env_password,
        security=security,
        sender=sender,
        from_app_config=True,
        password_from_env=bool(env_password),
    )


class _CheckedSocket:
    """smtplib's connection opened to the address mail.hosts allows, resolved once and checked;
    TLS still verifies the certificate against the host name (smtplib's `_host`)."""

    def __init__(self, *args, config, **kwargs):
        self.config = config
        super().__init__(*args, **kwargs)

    def _get_socket(self, host, port, timeout):
        if self.config.check_address:
            host = checked_address(host, port, self.config.allow_private)
        return super()._get_socket(host, port, timeout)


class _SMTP(_CheckedSocket, smtplib.SMTP):
    pass


class _SMTP_SSL(_CheckedSocket, smtplib.SMTP_SSL):
    pass


class _VerifiedConnection(Connection):
    """Flask-Mail's connection, with a timeout and certificate-checked TLS (its own has neither)."""

    def __init__(self, config):
        state = Mail().init_mail({
            "MAIL_SERVER": config.host,
            "MAIL_PORT": config.port,
            "MAIL_USERNAME": config.username,
            "MAIL_PASSWORD": config.password,
            "MAIL_USE_TLS": config.security == "starttls",
            "MAIL_USE_SSL": config.security == "ssl",
            "MAIL_DEFAULT_SENDER": config.sender,
            # Sending is what the caller asked for, also under TESTING (Flask-Mail would suppress it).
            "MAIL_SUPPRESS_SEND": False,
        })
        super().__init__(state)
        self.config = config
        self.timeout = config.timeout

    def configure_host(self):
        mail = self.mail
        if mail.use_ssl:
            host = _SMTP_SSL(mail.server, mail.port, timeout=self.timeout, context=ssl.create_default_context(),
                             config=self.config)
        else:
            host = _SMTP(mail.server, mail.port, timeout=self.timeout, config=self.config)
        try:
            if mail.use_tls:
                host.starttls(context=ssl.create_default_context())
            if mail.username and mail.password:
                host.login(mail.username, mail.password)
        except BaseException:
            host.close()
            raise
        return host


def connect(config):
    """A Flask-Mail connection to the configured server: `with connect(cfg) as conn: conn.send(message)`."""
    return _VerifiedConnection(config)


def describe_smtp_error(error, config):
    """A sentence for people about why talking to the SMTP server failed."""
    where = config.address
    if isinstance(error, BlockedHost):
        return str(error)
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return f"{where} refused the username or password: {_reply(error)}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        replies = "; ".join(f"{rcpt}: {code} {_text(msg)}" for rcpt, (code, msg) in error.recipients.items())
        return f"{where} refused the recipient: {replies}"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{where} replied {_reply(error)}"
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return f"{where} does not support that: {str(error).rstrip('.')}. Check the security setting."
    # smtplib reports a reply that never came as a disconnect; the timeout is the real story.
    if isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError):
        return f"No answer from {where} within {config.timeout:g} seconds. Check the host, the port and any firewall."
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return f"{where} closed the connection unexpectedly. Check the port and the security setting."
    if isinstance(error, ConnectionRefusedError):
        return f"Could not connect to {where}: connection refused. Is the host and port right, and the server running?"
    if isinstance(error, socket.gaierror):
        return f"Unknown host {config.host!r}: {error.strerror or error}."
    if isinstance(error, ssl.SSLError):
        return f"The TLS handshake with {where} failed: {error.reason or error}. Check the security setting and port."
    return f"Could not send through {where}: {error}"


def _text(raw):
    return raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)


def _reply(error):
    return f"{error.smtp_code} {_text(error.smtp_error)}"


def send_mail(config, subject, recipient, body, html=None):
    """Send one message through the configured server; raises SmtpFailure with a readable reason."""
    message = Message(subject=subject, recipients=[recipient], body=body, html=html, sender=config.sender)
    try:
        with connect(config) as connection:
            connection.send(message)
    except (smtplib.SMTPException, OSError) as error:
        raise SmtpFailure(describe_smtp_error(error, config)) from error


def send_test_email(config, recipient):
    """Send a short test email; returns what to tell the admin, or raises SmtpFailure."""
    send_mail(
        config,
        "Mailroom SMTP test",
        recipient,
        f"This is a test email from Mailroom, sent through {config.address} as {config.sender}.\n\n"
        "If you can read it, the SMTP settings work.",
    )
    return f"Accepted by {config.address}"
