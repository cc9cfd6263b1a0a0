"""Each provider's webhook secret: the environment's when set, else the settings row's."""
from dataclasses import dataclass

from webapp.extensions import db
from webapp.settings.service import get_settings

# settings column -> the env var (config.py) that overrides it
OVERRIDES = {
    "sendgrid_public_key": "SENDGRID_WEBHOOK_PUBLIC_KEY",
    "mailgun_signing_key": "MAILGUN_WEBHOOK_SIGNING_KEY",
    "ses_topic_arn": "SES_TOPIC_ARN",
    "postmark_webhook_token": "POSTMARK_WEBHOOK_TOKEN",
}
PROVIDERS = {"sendgrid": "sendgrid_public_key", "mailgun": "mailgun_signing_key", "ses": "ses_topic_arn",
             "postmark": "postmark_webhook_token"}


@dataclass(frozen=True)
class Secrets:
    sendgrid_public_key: str = ""
    mailgun_signing_key: str = ""
    ses_topic_arn: str = ""
    postmark_webhook_token: str = ""

    def configured(self):
        """The providers whose secret is set, in PROVIDERS order."""
        return [provider for provider, name in PROVIDERS.items() if getattr(self, name)]


def secrets(settings, config):
    return Secrets(**{name: (config.get(env) or getattr(settings, name) or "").strip() for name, env in OVERRIDES.items()})


def from_environment(config):
    """The settings the environment overrides (the page says so instead of offering a field)."""
    return {name for name, env in OVERRIDES.items() if (config.get(env) or "").strip()}


def update_secrets(values, clear=()):
    """Store the given settings (names of OVERRIDES) and empty those named in `clear`."""
    settings = get_settings()
    for name, value in values.items():
        setattr(settings, name, value)
    for name in clear:
        setattr(settings, name, "")
    db.session.commit()
    return settings
