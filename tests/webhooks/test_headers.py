"""The signed recipient id each configured provider echoes back, added through compose's MESSAGE_HEADERS."""
import email

from tests.webhooks.helpers import MAILGUN_KEY, TOPIC, configure
from webapp.compose.mime import MessageBuilder
from webapp.compose.rendering import compile_template, contact_context
from webapp.compose.service import message_settings
from webapp.compose.tokens import read_webhook_token
from webapp.settings.service import get_settings
from webapp.tracking.hits import signer


def built(app, recipient_id=42):
    compiled = compile_template("Hi", "<p>Hi</p>", None, {}, click_tracking=False, open_tracking=False, optout_footer=False)
    builder = MessageBuilder(compiled, message_settings(get_settings(), app.config))
    return email.message_from_bytes(builder.build(recipient_id, "ann@example.com", contact_context("ann@example.com")).data)


def test_each_configured_provider_gets_its_header(app, ctx, sendgrid_key):
    configure(sendgrid_public_key=sendgrid_key.public, mailgun_signing_key=MAILGUN_KEY, ses_topic_arn=TOPIC,
              postmark_webhook_token="user:token")
    message = built(app)

    token = message["X-PM-Metadata-mailroom_recipient"]
    assert read_webhook_token(signer(), token) == 42
    assert message["X-SMTPAPI"] == '{"unique_args":{"mailroom_recipient":"%s"}}' % token
    assert message["X-Mailgun-Variables"] == '{"mailroom_recipient":"%s"}' % token
    assert message["X-SES-MESSAGE-TAGS"] == f"mailroom_recipient={token}"
    assert read_webhook_token(signer(), signer().sign("view", 42)) is None  # a token of another purpose


def test_no_provider_no_header(app, ctx):
    message = built(app)
    assert [name for name in message.keys() if name.startswith(("X-SMTPAPI", "X-Mailgun", "X-SES", "X-PM"))] == []
