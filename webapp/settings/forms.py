import re

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, IntegerField, PasswordField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from webapp.common.forms import NormalizedEmail, strip
from webapp.mail.dkim import InvalidDkimKey, check_private_key
from webapp.mail.hosts import host_problem
from webapp.mail.imap import SECURITY_CHOICES as IMAP_SECURITY_CHOICES
from webapp.mail.smtp import SECURITY_CHOICES
from webapp.settings.service import EDITABLE_FIELDS, InvalidSiteUrl, get_settings, normalize_site_url

_HOSTNAME = re.compile(r"[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]")
_DOMAIN = re.compile(r"(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{2,63}")
_SELECTOR = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?")
SELECTOR_RULE = "A selector is letters, digits, dots, dashes or underscores, e.g. mailroom or s2026."
SECURITY_LABELS = {"none": "None (plain SMTP)", "starttls": "STARTTLS (usually port 587)", "ssl": "SSL/TLS (usually port 465)"}
IMAP_SECURITY_LABELS = {"ssl": "SSL/TLS (usually port 993)", "starttls": "STARTTLS (usually port 143)", "none": "None (plain IMAP)"}


class SettingsForm(FlaskForm):
    # Sending limits
    max_per_hour = IntegerField("Max emails per hour", validators=[
        Optional(), NumberRange(min=1, message="Enter 1 or more, or leave it empty for no hourly limit.")])
    batch_size = IntegerField("Batch size", validators=[
        InputRequired(message="Enter a batch size between 1 and 10,000."),
        NumberRange(min=1, max=10_000, message="Enter a batch size between 1 and 10,000.")])
    max_recipients_per_send = IntegerField("Max recipients per mass email", validators=[
        Optional(), NumberRange(min=1, message="Enter 1 or more, or leave it empty for no cap.")])
    auto_pause_percent = IntegerField("Pause automatically at (% refused)", validators=[
        Optional(), NumberRange(min=1, max=100, message="Enter a percentage from 1 to 100, or leave it empty to never pause automatically.")])
    auto_pause_window = IntegerField("Judged over the last (attempts)", default=50, validators=[
        InputRequired(message="Enter how many recent attempts to judge, from 20 to 1,000."),
        NumberRange(min=20, max=1000, message="Enter how many recent attempts to judge, from 20 to 1,000.")])
    # Compliance
    optout_link_mandatory = BooleanField("Every email must carry an opt-out link")
    postal_address = TextAreaField("Postal address", validators=[Length(max=1000)], filters=[strip])
    # Tracking
    open_tracking = BooleanField("Track opens")
    click_tracking = BooleanField("Track clicks")
    verp = BooleanField("VERP return paths")
    site_url = StringField("Site URL", filters=[strip])
    # Audience
    inactivity_days = IntegerField("Inactivity exclusion (days)", validators=[
        Optional(), NumberRange(min=1, max=36_500, message="Enter a number of days from 1 to 36,500, or leave it empty to turn the rule off.")])
    # SMTP
    smtp_host = StringField("SMTP host", validators=[Length(max=255)], filters=[strip])
    smtp_port = IntegerField("Port", default=587, validators=[
        InputRequired(message="Enter the SMTP port, e.g. 587."),
        NumberRange(min=1, max=65535, message="A port is a number from 1 to 65535.")])
    smtp_username = StringField("Username", validators=[Length(max=255)], filters=[strip])
    smtp_password = PasswordField("Password", validators=[Length(max=255)])
    clear_smtp_password = BooleanField("Remove the stored password")
    smtp_security = SelectField("Security", choices=[SelectChoice(c, SECURITY_LABELS[c]) for c in SECURITY_CHOICES])
    from_name = StringField("From name", validators=[Length(max=200)], filters=[strip])
    from_email = EmailField("From email", validators=[Optional(), NormalizedEmail()], filters=[strip])
    # Bounces and the bounce mailbox (IMAP); the password is write-only like the SMTP one.
    bounce_address = EmailField("Bounce address", validators=[Optional(), NormalizedEmail()], filters=[strip])
    unsubscribe_mailto = EmailField("Unsubscribe address (mailto)", validators=[Optional(), NormalizedEmail()], filters=[strip])
    delivered_on_acceptance = BooleanField("The relay's acceptance means delivered")
    soft_bounce_limit = IntegerField("Suppress after (soft bounces)", validators=[
        Optional(), NumberRange(min=1, max=100, message="Enter 1 to 100 soft bounces, or leave it empty to never suppress for them.")])
    soft_bounce_days = IntegerField("Within (days)", default=30, validators=[
        InputRequired(message="Enter a number of days from 1 to 365."),
        NumberRange(min=1, max=365, message="Enter a number of days from 1 to 365.")])
    imap_host = StringField("IMAP host", validators=[Length(max=255)], filters=[strip])
    imap_port = IntegerField("Port", default=993, validators=[
        InputRequired(message="Enter the IMAP port, e.g. 993."),
        NumberRange(min=1, max=65535, message="A port is a number from 1 to 65535.")])
    imap_security = SelectField("Security", choices=[SelectChoice(c, IMAP_SECURITY_LABELS[c]) for c in IMAP_SECURITY_CHOICES])
    imap_username = StringField("Username", validators=[Length(max=255)], filters=[strip])
    imap_password = PasswordField("Password", validators=[Length(max=255)])
    clear_imap_password = BooleanField("Remove the stored password")
    imap_folder = StringField("Folder to read", default="INBOX", validators=[Length(max=255)], filters=[strip])
    imap_processed_folder = StringField("Folder for processed mail", default="Processed", validators=[Length(max=255)], filters=[strip])
    imap_other_folder = StringField("Folder for everything else", default="Not bounces", validators=[Length(max=255)], filters=[strip])
    # DKIM signing. The key field is named unlike the column, so obj= never fills it: write-only.
    dkim_domain = StringField("Signing domain (d=)", filters=[strip, lambda v: v.lower().rstrip(".") if v else v])
    dkim_selector = StringField("Selector (s=)", filters=[strip])
    dkim_key = TextAreaField("Private key (PEM)", validators=[Length(max=20_000)])
    clear_dkim_key = BooleanField("Remove the stored key")
    dkim_ed25519_selector = StringField("Ed25519 selector", filters=[strip])
    dkim_ed25519_key = TextAreaField("Ed25519 private key (PEM)", validators=[Length(max=20_000)])
    clear_dkim_ed25519_key = BooleanField("Remove the stored Ed25519 key")

    def validate_site_url(self, field):
        try:
            field.data = normalize_site_url(field.data)
        except InvalidSiteUrl as error:
            raise ValidationError(str(error)) from error

    def validate_smtp_host(self, field):
        if field.data and not _HOSTNAME.fullmatch(field.data):
            raise ValidationError("Enter just the host name, e.g. smtp.example.com: no scheme, path or port (the port has its own field).")
        problem = field.data and host_problem(field.data, current_app.config.get("ALLOW_PRIVATE_SMTP", False))
        if problem:
            raise ValidationError(problem)

    def validate_imap_host(self, field):
        if field.data and not _HOSTNAME.fullmatch(field.data):
            raise ValidationError("Enter just the host name, e.g. imap.example.com: no scheme, path or port (the port has its own field).")
        if field.data and not self.bounce_address.data:
            raise ValidationError("Enter the bounce address too: it is the mailbox this one reads.")
        problem = field.data and host_problem(field.data, current_app.config.get("ALLOW_PRIVATE_SMTP", False), "IMAP")
        if problem:
            raise ValidationError(problem)

    def validate_from_name(self, field):
        if field.data and not self.from_email.data:
            raise ValidationError("Enter the From email too, or leave both empty to use the app's default sender.")

    def validate_dkim_domain(self, field):
        if field.data and not _DOMAIN.fullmatch(field.data):
            raise ValidationError("Enter a domain name, e.g. example.com: the domain of your From address or its parent.")
        if not field.data and self._keeps_dkim_key():
            raise ValidationError("Enter the domain the key signs for, or remove the key.")

    def validate_dkim_selector(self, field):
        if field.data and not _SELECTOR.fullmatch(field.data):
            raise ValidationError(SELECTOR_RULE)
        if not field.data and self._keeps_dkim_key():
            raise ValidationError("Enter the selector, e.g. mailroom: it names the DNS record of the key.")

    def validate_dkim_ed25519_selector(self, field):
        if field.data and not _SELECTOR.fullmatch(field.data):
            raise ValidationError(SELECTOR_RULE)
        if field.data and field.data == self.dkim_selector.data:
            raise ValidationError("Each key needs its own selector: it names its DNS record.")
        if not field.data and self._keeps_dkim_key("dkim_ed25519"):
            raise ValidationError("Enter a selector for the Ed25519 key, e.g. mailroom-ed.")

    def validate_dkim_key(self, field):
        self._check_key(field, self.clear_dkim_key, "rsa",
                        "This is an Ed25519 key: paste it in the Ed25519 field below. Receivers that do not know "
                        "Ed25519 need an RSA key here.")

    def validate_dkim_ed25519_key(self, field):
        self._check_key(field, self.clear_dkim_ed25519_key, "ed25519",
                        "This is an RSA key: it goes in the private key field above. Generate an Ed25519 key with: "
                        "openssl genpkey -algorithm ed25519")
        if field.data and field.data.strip() and not self._keeps_dkim_key():
            raise ValidationError("The Ed25519 key signs beside the RSA key: store an RSA key too.")

    @staticmethod
    def _check_key(field, clear, algorithm, wrong_kind):
        if field.data and field.data.strip() and not clear.data:
            try:
                kind, _bits = check_private_key(field.data)
            except InvalidDkimKey as error:
                raise ValidationError(str(error)) from error
            if kind != algorithm:
                raise ValidationError(wrong_kind)

    def _keeps_dkim_key(self, prefix="dkim"):
        """True when a key will be stored after saving: a new one pasted, or the stored one kept."""
        if getattr(self, f"clear_{prefix}_key").data:
            return False
        stored = get_settings().dkim_private_key if prefix == "dkim" else get_settings().dkim_ed25519_private_key
        return bool((getattr(self, f"{prefix}_key").data or "").strip() or stored)

    def values(self):
        return {name: getattr(self, name).data for name in EDITABLE_FIELDS}


class SmtpTestForm(FlaskForm):
    recipient = EmailField("Send a test email to", validators=[DataRequired(message="Enter the address to send the test to."), NormalizedEmail()])
