from sqlalchemy import String, Text, false, true
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db


class AppSettings(db.Model):
    """The admin-editable settings: exactly one row (id 1). Env vars may override secrets."""

    __tablename__ = "app_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Sending limits; None means no limit.
    max_per_hour: Mapped[int | None]
    batch_size: Mapped[int] = mapped_column(default=500, server_default="500")
    max_recipients_per_send: Mapped[int | None]  # e.g. 150, as some platforms cap; off by default
    # A mass email pauses itself when this share (%) of its last auto_pause_window attempts was
    # refused (sending/failure_window.py); None turns the safeguard off.
    auto_pause_percent: Mapped[int | None] = mapped_column(default=50, server_default="50")
    auto_pause_window: Mapped[int] = mapped_column(default=50, server_default="50")
    # Compliance and tracking
    optout_link_mandatory: Mapped[bool] = mapped_column(default=True, server_default=true())
    open_tracking: Mapped[bool] = mapped_column(default=True, server_default=true())
    click_tracking: Mapped[bool] = mapped_column(default=True, server_default=true())
    verp: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The mailbox bounces go to: the envelope sender, with VERP local+<signed recipient id>@domain.
    bounce_address: Mapped[str] = mapped_column(String(320), default="", server_default="")
    # The List-Unsubscribe mailto: address (read by the bounce mailbox poller); empty: https only.
    unsubscribe_mailto: Mapped[str] = mapped_column(String(320), default="", server_default="")
    # For a relay that is the last hop (it delivers itself): its 250 means delivered.
    delivered_on_acceptance: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Soft bounces are logged; this many within this many days suppress the address (None: never).
    soft_bounce_limit: Mapped[int | None] = mapped_column(default=3, server_default="3")
    soft_bounce_days: Mapped[int] = mapped_column(default=30, server_default="30")
    site_url: Mapped[str] = mapped_column(String(500), default="http://127.0.0.1:5000", server_default="http://127.0.0.1:5000")
    postal_address: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Contacts without activity for this many days are not emailed; None turns the rule off.
    inactivity_days: Mapped[int | None] = mapped_column(default=730, server_default="730")
    # SMTP relay; empty host means the app's MAIL_* configuration (the catcher in dev).
    smtp_host: Mapped[str] = mapped_column(String(255), default="", server_default="")
    smtp_port: Mapped[int] = mapped_column(default=587, server_default="587")
    smtp_username: Mapped[str] = mapped_column(String(255), default="", server_default="")
    smtp_password: Mapped[str] = mapped_column(String(255), default="", server_default="")
    smtp_security: Mapped[str] = mapped_column(String(10), default="starttls", server_default="starttls")  # none, starttls, ssl
    from_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    from_email: Mapped[str] = mapped_column(String(320), default="", server_default="")
    # DKIM signing; all three set means every mass email is signed. The key is PEM text (write-only in the form).
    dkim_domain: Mapped[str] = mapped_column(String(253), default="", server_default="")
    dkim_selector: Mapped[str] = mapped_column(String(63), default="", server_default="")
    dkim_private_key: Mapped[str] = mapped_column(Text, default="", server_default="")
    # An Ed25519 key beside the RSA one: every message then carries both signatures (RFC 8463).
    dkim_ed25519_selector: Mapped[str] = mapped_column(String(63), default="", server_default="")
    dkim_ed25519_private_key: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The bounce mailbox (IMAP) the periodic poller reads DSNs, complaints and mailto unsubscribes from.
    imap_host: Mapped[str] = mapped_column(String(255), default="", server_default="")
    imap_port: Mapped[int] = mapped_column(default=993, server_default="993")
    imap_security: Mapped[str] = mapped_column(String(10), default="ssl", server_default="ssl")  # ssl, starttls, none
    imap_username: Mapped[str] = mapped_column(String(255), default="", server_default="")
    imap_password: Mapped[str] = mapped_column(String(255), default="", server_default="")
    imap_folder: Mapped[str] = mapped_column(String(255), default="INBOX", server_default="INBOX")
    imap_processed_folder: Mapped[str] = mapped_column(String(255), default="Processed", server_default="Processed")
    imap_other_folder: Mapped[str] = mapped_column(String(255), default="Not bounces", server_default="Not bounces")
    # ESP event webhooks; env vars of the same purpose override these (webapp/webhooks/secrets.py).
    sendgrid_public_key: Mapped[str] = mapped_column(Text, default="", server_default="")
    mailgun_signing_key: Mapped[str] = mapped_column(String(255), default="", server_default="")
    ses_topic_arn: Mapped[str] = mapped_column(String(255), default="", server_default="")
    postmark_webhook_token: Mapped[str] = mapped_column(String(255), default="", server_default="")  # "user:password"
    # Bot rules (events/bots.py): a rule with None seconds, or False, is off.
    bot_open_seconds: Mapped[int | None] = mapped_column(default=2, server_default="2")
    bot_click_seconds: Mapped[int | None] = mapped_column(default=2, server_default="2")
    bot_scanner_agents: Mapped[bool] = mapped_column(default=True, server_default=true())
    bot_hidden_link: Mapped[bool] = mapped_column(default=True, server_default=true())
    bot_machine_opens: Mapped[bool] = mapped_column(default=True, server_default=true())
