"""compose.service.MESSAGE_HEADERS: a signed recipient id in each configured provider's custom-data
header, which the provider hands back with every event of the message."""
import json

from webapp.compose.tokens import TokenSigner
from webapp.webhooks.secrets import secrets

FIELD = "mailroom_recipient"  # the custom data's name in every provider's events
# How each provider takes custom data over SMTP. SES tag values allow [A-Za-z0-9_.@-]: a token fits.
HEADERS = {
    "sendgrid": lambda token: "X-SMTPAPI: " + json.dumps({"unique_args": {FIELD: token}}, separators=(",", ":")),
    "mailgun": lambda token: "X-Mailgun-Variables: " + json.dumps({FIELD: token}, separators=(",", ":")),
    "ses": lambda token: f"X-SES-MESSAGE-TAGS: {FIELD}={token}",
    "postmark": lambda token: f"X-PM-Metadata-{FIELD}: {token}",
}


def recipient_headers(app_settings, app_config):
    """None while no provider is configured, else recipient_id -> [header lines]; built once per send."""
    makers = [HEADERS[provider] for provider in secrets(app_settings, app_config).configured()]
    if not makers:
        return None
    signer = TokenSigner(app_config["SECRET_KEY"])

    def headers(recipient_id):
        token = signer.sign("webhook", recipient_id)
        return [make(token) for make in makers]

    return headers
