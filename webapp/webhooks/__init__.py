"""ESP event webhooks: SendGrid, Mailgun, Amazon SES (through SNS) and Postmark tell us what became
of each message; every event goes through events.ingest like our own.

    POST /webhooks/sendgrid   ECDSA P-256 signature over timestamp + body (sendgrid.py)
    POST /webhooks/mailgun    HMAC-SHA256 of timestamp + token, each token once (mailgun.py)
    POST /webhooks/ses        SNS messages, signature v1/v2 by Amazon's certificate (sns.py, ses.py)
    POST /webhooks/postmark   basic-auth credentials in the URL (postmark.py)

Hostile ground: nothing is parsed before the signature (or credentials) check, anything refused is
a logged 4xx, and no answer sets a cookie. An event finds its recipient by the signed recipient id
headers.py adds to every message while a provider is configured (the provider echoes it as custom
data), else by our Message-ID. Secrets come from the Webhooks settings page or, overriding it, the
environment (secrets.py).
"""
from flask import Blueprint

bp = Blueprint("webhooks", __name__)


def init_app(app):
    from webapp.compose.service import MESSAGE_HEADERS
    from webapp.webhooks import routes  # noqa: F401  (routes register on bp)
    from webapp.webhooks.headers import recipient_headers

    MESSAGE_HEADERS.register(recipient_headers)
    app.register_blueprint(bp)
