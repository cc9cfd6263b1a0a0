"""The Webhooks settings page's form: one secret per provider; the private ones are write-only."""
import re

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField, TextAreaField
from wtforms.validators import Length, ValidationError

from webapp.common.forms import strip
from webapp.webhooks.sendgrid import InvalidKey, public_key

_TOPIC_ARN = re.compile(r"arn:aws(?:-[a-z]+)*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}")
# Both halves go into the webhook URL as user:password, so only characters a URL carries as they are.
_CREDENTIALS = re.compile(r"[A-Za-z0-9._~-]{1,100}:[A-Za-z0-9._~-]{8,150}")
SHOWN = ("sendgrid_public_key", "ses_topic_arn")  # public values: shown, and an emptied field removes them
WRITE_ONLY = ("mailgun_signing_key", "postmark_webhook_token")  # never sent back to the browser


class WebhooksForm(FlaskForm):
    sendgrid_public_key = TextAreaField("Verification key", validators=[Length(max=2000)], filters=[strip])
    mailgun_signing_key = PasswordField("HTTP webhook signing key", validators=[Length(max=255)], filters=[strip])
    clear_mailgun_signing_key = BooleanField("Remove the stored signing key")
    ses_topic_arn = StringField("SNS topic ARN", validators=[Length(max=255)], filters=[strip])
    postmark_webhook_token = PasswordField("User name and password (user:password)", validators=[Length(max=255)], filters=[strip])
    clear_postmark_webhook_token = BooleanField("Remove the stored credentials")

    def validate_sendgrid_public_key(self, field):
        if field.data:
            try:
                public_key(field.data)
            except InvalidKey as error:
                raise ValidationError(str(error)) from error

    def validate_ses_topic_arn(self, field):
        if field.data and not _TOPIC_ARN.fullmatch(field.data):
            raise ValidationError("Enter the topic's ARN as SNS shows it, e.g. arn:aws:sns:us-east-1:123456789012:mailroom-events.")

    def validate_postmark_webhook_token(self, field):
        if field.data and not _CREDENTIALS.fullmatch(field.data):
            raise ValidationError("Enter user:password, e.g. mailroom:Xk29fLq0pWz: letters, digits, dots, dashes, underscores "
                                  "or tildes, a password of 8 or more characters.")

    def values(self):
        """What to store: the shown fields as they are, a write-only one only when something was typed."""
        return {name: getattr(self, name).data or "" for name in SHOWN} | \
               {name: getattr(self, name).data for name in WRITE_ONLY if getattr(self, name).data}

    def cleared(self):
        return [name for name in WRITE_ONLY if getattr(self, f"clear_{name}").data]
