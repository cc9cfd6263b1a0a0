"""What the settings tests (and others that change a setting through the page) share."""
from webapp.extensions import db

# The settings form, filled in so that it passes: a test changes the fields it is about.
VALID_SETTINGS = {
    "max_per_hour": "", "batch_size": "500", "max_recipients_per_send": "",
    "auto_pause_percent": "50", "auto_pause_window": "50",
    "optout_link_mandatory": "y", "postal_address": "1 Main St, Springfield",
    "open_tracking": "y", "click_tracking": "y", "site_url": "https://mail.example.com",
    "inactivity_days": "730",
    "smtp_host": "", "smtp_port": "587", "smtp_username": "", "smtp_password": "", "smtp_security": "starttls",
    "from_name": "", "from_email": "",
    "soft_bounce_limit": "3", "soft_bounce_days": "30", "imap_port": "993", "imap_security": "ssl",
    "imap_folder": "INBOX", "imap_processed_folder": "Processed", "imap_other_folder": "Not bounces",
}


def stored(app):
    """{column: value} of the settings as the database holds them."""
    from webapp.settings.service import get_settings

    with app.app_context():
        settings = get_settings()
        values = {c.name: getattr(settings, c.name) for c in settings.__table__.columns}
        db.session.commit()
        return values
