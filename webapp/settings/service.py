"""The single settings row, read by every part that sends, tracks or filters."""
from urllib.parse import urlsplit

from webapp.extensions import db
from webapp.mail.dkim import DkimKey, DkimSigner, dns_record, normalize_pem
from webapp.settings.models import AppSettings

# What an admin may change through update_settings(); the SMTP password has its own rules.
EDITABLE_FIELDS = (
    "max_per_hour", "batch_size", "max_recipients_per_send", "auto_pause_percent", "auto_pause_window",
    "optout_link_mandatory", "postal_address",
    "open_tracking", "click_tracking", "verp", "site_url",
    "inactivity_days",
    "smtp_host", "smtp_port", "smtp_username", "smtp_security", "from_name", "from_email",
    "dkim_domain", "dkim_selector", "dkim_ed25519_selector",
    "bounce_address", "unsubscribe_mailto", "delivered_on_acceptance", "soft_bounce_limit", "soft_bounce_days",
    "imap_host", "imap_port", "imap_security", "imap_username", "imap_folder", "imap_processed_folder", "imap_other_folder",
)


# The bot rules (events/bots.py), edited on their own page; a change re-judges stored events.
BOT_RULE_FIELDS = ("bot_open_seconds", "bot_click_seconds", "bot_scanner_agents", "bot_hidden_link", "bot_machine_opens")


class InvalidSiteUrl(ValueError):
    """str(error) says what is wrong with the URL, in words for people."""


def get_settings():
    settings = db.session.get(AppSettings, 1)
    if settings is None:
        settings = AppSettings(id=1)
        db.session.add(settings)
        db.session.flush()
    return settings


def normalize_site_url(raw):
    """The public address of this Mailroom, as every tracking and invite link starts with it."""
    url = (raw or "").strip()
    if not url:
        raise InvalidSiteUrl("Enter the address people reach Mailroom at, e.g. https://mail.example.com.")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidSiteUrl("Use an absolute http:// or https:// address, e.g. https://mail.example.com.")
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise InvalidSiteUrl("Leave out the ?query and #fragment: tracking links add their own.")
    if parts.username or parts.password:
        raise InvalidSiteUrl("Leave out the user name and password: the address is in every email sent.")
    try:
        parts.port  # noqa: B018  (raises on a port outside 0..65535)
    except ValueError as error:
        raise InvalidSiteUrl("The port in the address is not a valid number.") from error
    return url.rstrip("/")


def adopt_site_url(url):
    """The address the first admin set Mailroom up at becomes the Site URL: the one address known
    to reach it (the default 127.0.0.1:5000 is wrong on any other port or host)."""
    settings = get_settings()
    settings.site_url = normalize_site_url(url)
    db.session.commit()


def update_settings(values, smtp_password=None, clear_smtp_password=False, dkim_private_key=None, clear_dkim_private_key=False,
                    dkim_ed25519_private_key=None, clear_dkim_ed25519_private_key=False, imap_password=None,
                    clear_imap_password=False):
    """Store validated values. A blank SMTP or IMAP password or DKIM key keeps the stored one (the
    fields are write-only: the page never sends a secret back to the browser)."""
    settings = get_settings()
    for name in EDITABLE_FIELDS:
        if name in values:
            setattr(settings, name, values[name])
    if clear_smtp_password:
        settings.smtp_password = ""
    elif smtp_password:
        settings.smtp_password = smtp_password
    if clear_imap_password:
        settings.imap_password = ""
    elif imap_password:
        settings.imap_password = imap_password
    if clear_dkim_private_key:
        settings.dkim_private_key = ""
    elif dkim_private_key and dkim_private_key.strip():
        settings.dkim_private_key = normalize_pem(dkim_private_key)
    if clear_dkim_ed25519_private_key:
        settings.dkim_ed25519_private_key = ""
    elif dkim_ed25519_private_key and dkim_ed25519_private_key.strip():
        settings.dkim_ed25519_private_key = normalize_pem(dkim_ed25519_private_key)
    db.session.commit()
    return settings


def update_bot_rules(values):
    """Store the bot rules; True when any of them changed (the stored events must be judged again)."""
    settings = get_settings()
    changed = any(getattr(settings, name) != values[name] for name in BOT_RULE_FIELDS)
    for name in BOT_RULE_FIELDS:
        setattr(settings, name, values[name])
    db.session.commit()
    return changed


def dkim_keys(settings):
    """The keys every mass email is signed with: the RSA key, and the Ed25519 one beside it when
    set; none while the domain, a selector or the RSA key is missing."""
    if not (settings.dkim_domain and settings.dkim_selector and settings.dkim_private_key):
        return []
    keys = [DkimKey(settings.dkim_selector, settings.dkim_domain, settings.dkim_private_key.encode())]
    if settings.dkim_ed25519_selector and settings.dkim_ed25519_private_key:
        keys.insert(0, DkimKey(settings.dkim_ed25519_selector, settings.dkim_domain, settings.dkim_ed25519_private_key.encode()))
    return keys


def dkim_signer(settings):
    """A DkimSigner of the stored keys (build it once per send), or None when signing is off."""
    keys = dkim_keys(settings)
    return DkimSigner(keys) if keys else None


def dkim_dns_records(settings):
    """[(name, value)] of the TXT records the admin publishes for the stored keys."""
    return [dns_record(key.selector, key.domain, key.private_key_pem.decode()) for key in dkim_keys(settings)]
