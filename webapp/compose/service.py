"""Templates and tracking URLs as the pages use them: CRUD, versions, checks and previews.

Plain functions over the session; routes pass in what they read from the request.
"""
import dataclasses
import json
from dataclasses import dataclass
from email.utils import parseaddr

from sqlalchemy import func, select

from webapp.audience.custom_fields import keys_in_use
from webapp.audience.models import Contact
from webapp.common.hooks import Hooks
from webapp.audience.search import contact_search_clause
from webapp.auth.models import User
from webapp.common.queues import redis_connection
from webapp.compose.mime import BuildSettings
from webapp.compose.models import VERSIONED_FIELDS, Template, TrackingUrl
from webapp.compose.rendering import (
    RenderError, TemplateProblems, check_template, compile_template, contact_context, size_problems,
)
from webapp.extensions import db
from webapp.settings.service import dkim_signer

EDITABLE_FIELDS = ("name", *VERSIONED_FIELDS)
# A first template that already shows every kind of placeholder, so nobody starts from a blank page.
STARTER_HTML = """<!doctype html>
<html>
<body style="font-family: Arial, sans-serif; color: #1f2937">
  <p>Hello {{ contact.first_name | default("there") }},</p>
  <p>Write your message here.</p>
  <p><a href="{{ view_in_browser_url }}">View in your browser</a></p>
</body>
</html>
"""
# The distinct custom field names need a scan of every contact's JSON; cached briefly because
# the editor checks on every pause in typing. A field imported meanwhile is known within this time.
DRAFT_SECONDS = 3600
SAMPLE_EMAIL = "sample@example.com"
# Headers a higher layer adds to every recipient's message: each function takes (settings row, app config)
# once per send and returns None or a function recipient_id -> [header lines] (webhooks: a signed
# recipient id the ESP echoes back in its events).
MESSAGE_HEADERS = Hooks()


# --- templates -------------------------------------------------------------------------

def templates_page():
    """(template, author name) pairs, most recently edited first."""
    statement = (
        select(Template, func.coalesce(func.nullif(User.name, ""), User.email))
        .outerjoin(User, User.id == Template.created_by_id)
        .where(Template.archived_at.is_(None))
        .order_by(Template.updated_at.desc(), Template.id.desc())
    )
    return db.session.execute(statement).all()


def name_taken(name, except_id=None):
    statement = select(Template.id).where(func.lower(Template.name) == name.strip().lower(), Template.archived_at.is_(None))
    if except_id is not None:
        statement = statement.where(Template.id != except_id)
    return db.session.scalar(statement.limit(1)) is not None


def create_template(name, created_by_id, subject=""):
    # Column defaults apply at flush, after snapshot() has copied the fields: so every field is given.
    template = Template(name=name.strip(), subject=subject, html=STARTER_HTML, text=None, from_name="", from_email="",
                        reply_to="", created_by_id=created_by_id)
    db.session.add(template)
    template.snapshot()
    db.session.commit()
    return template


def save_template(template, values):
    """Store the editor's values; a new TemplateVersion only when the content changed.

    Returns True when a new version was recorded. The name is not versioned: renaming
    changes no email that was or will be sent.
    """
    template.name = values["name"].strip()
    for name in VERSIONED_FIELDS:
        setattr(template, name, values[name])
    before = template.version
    template.snapshot()
    db.session.commit()
    return template.version != before


def duplicate_template(template, created_by_id):
    name, number = f"{template.name} (copy)", 2
    while name_taken(name):
        name, number = f"{template.name} (copy {number})", number + 1
    copy = Template(name=name, created_by_id=created_by_id, **{f: getattr(template, f) for f in VERSIONED_FIELDS})
    db.session.add(copy)
    copy.snapshot()
    db.session.commit()
    return copy


def template_values(template):
    return {name: getattr(template, name) for name in EDITABLE_FIELDS}


# --- what placeholders may name -------------------------------------------------------

def known_fields():
    """The custom contact field names in use (for check_template), cached for a few seconds."""
    return set(keys_in_use())


CONTACT_PLACEHOLDERS = (
    ("First name", 'contact.first_name | default("there")'), ("Last name", "contact.last_name"),
    ("Email", "contact.email"), ("Company", "contact.company"),
)


def placeholder_menu():
    """(label, expression) for every contact field and every custom field in use: the editor's "Insert placeholder" menu."""
    standard = {expression.split()[0].removeprefix("contact.") for _, expression in CONTACT_PLACEHOLDERS} | {"custom"}
    custom = [(key, f"contact.{key}" if key.isidentifier() and key not in standard else f"contact.custom[{json.dumps(key)}]")
              for key in sorted(known_fields(), key=str.lower)]
    return [*CONTACT_PLACEHOLDERS, *custom]


def tracking_url_map():
    """TrackingUrl name -> destination, as compile_template takes it."""
    return dict(db.session.execute(select(TrackingUrl.name, TrackingUrl.url)).all())


def oversized(values):
    """The problems of parts over their size cap (limits.MAX_TEMPLATE_LENGTH, MAX_TAGS): such a
    template can be neither saved nor sent, so it is refused (422) wherever it is posted."""
    return size_problems(values["subject"], values["html"], values["text"])


def template_problems(values):
    """Every problem of the editor's subject, HTML and text, with part and line."""
    return check_template(values["subject"], values["html"], values["text"], known_fields(), tracking_url_map())


# --- tracking URLs ---------------------------------------------------------------------

def tracking_urls():
    return db.session.scalars(select(TrackingUrl).order_by(func.lower(TrackingUrl.name))).all()


def tracking_url_name_taken(name, except_id=None):
    statement = select(TrackingUrl.id).where(func.lower(TrackingUrl.name) == name.strip().lower())
    if except_id is not None:
        statement = statement.where(TrackingUrl.id != except_id)
    return db.session.scalar(statement.limit(1)) is not None


def save_tracking_url(tracking_url, name, url):
    """Create (tracking_url None) or update a tracking URL."""
    if tracking_url is None:
        tracking_url = TrackingUrl()
        db.session.add(tracking_url)
    tracking_url.name, tracking_url.url = name.strip(), url.strip()
    db.session.commit()
    return tracking_url


def delete_tracking_url(tracking_url):
    db.session.delete(tracking_url)
    db.session.commit()


# --- drafts and previews ---------------------------------------------------------------

def _draft_key(user_id, template_id):
    return f"compose:draft:{user_id}:{template_id}"


def store_draft(user_id, template_id, values):
    """Keep the editor's unsaved values for the preview iframe, which loads them by URL."""
    redis_connection().set(_draft_key(user_id, template_id), json.dumps(values), ex=DRAFT_SECONDS)


def load_draft(user_id, template_id):
    raw = redis_connection().get(_draft_key(user_id, template_id))
    return json.loads(raw) if raw else None


def preview_contact(query=None, contact_id=None):
    """The contact to preview with: by id, else the first match of the search, else the first contact."""
    if contact_id:
        contact = db.session.get(Contact, contact_id)
        if contact is not None:
            return contact
    statement = select(Contact).order_by(Contact.email).limit(1)
    if (query or "").strip():
        return db.session.scalar(statement.where(contact_search_clause(query)))
    return db.session.scalar(select(Contact).order_by(Contact.id).limit(1))


def contact_suggestions(query, limit=8):
    """Emails for the preview picker's suggestions: the contacts matching the search so far."""
    statement = select(Contact.email).order_by(Contact.email).limit(limit)
    if (query or "").strip():
        statement = statement.where(contact_search_clause(query))
    return db.session.scalars(statement).all()


def placeholder_contact(contact):
    """The `contact` placeholder for a contact, or for a made-up one when there are no contacts."""
    if contact is None:
        fields = {name: f"sample {name}" for name in known_fields()}
        return contact_context(SAMPLE_EMAIL, "Sample", "Person", "Sample Inc", fields)
    return contact_context(contact.email, contact.first_name, contact.last_name, contact.company, contact.custom_fields)


class PreviewUrls:
    """Stands in for tokens.TrackingUrls in a preview: there is no recipient, so no tokens."""

    def __init__(self, site_url):
        self.site_url = site_url

    def unsubscribe_url(self, recipient_id):
        return f"{self.site_url}/t/u/preview"

    def view_url(self, recipient_id):
        return f"{self.site_url}/t/v/preview"

    def open_pixel_url(self, recipient_id):
        return ""

    def click_urls(self, recipient_id, version_id, count):
        return [""] * count


@dataclass(frozen=True)
class Preview:
    subject: str = ""
    html: str = ""
    text: str = ""
    problems: tuple = ()


def render_preview(values, contact, app_settings):
    """What `contact` would receive, with links as written (no click tracking, no pixel).

    The opt-out footer is added as sending adds it, so the marketer sees the whole email.
    """
    try:
        compiled = compile_template(
            values["subject"], values["html"], values["text"], tracking_url_map(), click_tracking=False,
            open_tracking=False, optout_footer=app_settings.optout_link_mandatory,
            postal_address=app_settings.postal_address,
        )
        subject, html, text = compiled.render(0, placeholder_contact(contact), PreviewUrls(app_settings.site_url))
    except TemplateProblems as error:
        return Preview(problems=tuple(error.problems))
    except RenderError as error:
        return Preview(problems=(error.problem,))
    return Preview(subject, html, text.replace("\r\n", "\n"))


# --- what the message builder needs --------------------------------------------------

def message_settings(app_settings, app_config):
    """The builder's settings from the settings row and the app config, once per send.

    The From falls back to MAIL_DEFAULT_SENDER when the admin set no address, as smtp.py does.
    """
    from_name, from_email = app_settings.from_name, app_settings.from_email
    if not from_email:
        from_name, from_email = parseaddr(app_config.get("MAIL_DEFAULT_SENDER") or "Mailroom <mailroom@localhost>")
    return BuildSettings(
        site_url=app_settings.site_url.rstrip("/"),
        secret_key=app_config["SECRET_KEY"],
        from_email=from_email,
        from_name=from_name,
        verp=app_settings.verp,
        bounce_address=app_settings.bounce_address,
        unsubscribe_mailto=app_settings.unsubscribe_mailto,
        dkim=dkim_signer(app_settings),
        extra_headers=tuple(filter(None, (hook(app_settings, app_config) for hook in MESSAGE_HEADERS))),
    )


def compile_version(version, app_settings, click_tracking=None):
    """A TemplateVersion compiled as sending compiles it: the settings decide tracking and footer.
    Sending, the click redirect (its link table) and "view in browser" all use this one; the
    redirect asks for click tracking whatever the setting is now, as the link was tracked when sent."""
    return compile_template(
        version.subject, version.html, version.text, tracking_url_map(),
        click_tracking=app_settings.click_tracking if click_tracking is None else click_tracking, open_tracking=app_settings.open_tracking,
        optout_footer=app_settings.optout_link_mandatory, postal_address=app_settings.postal_address,
        version_id=version.id, hidden_link=app_settings.bot_hidden_link,
    )


def with_template_identity(build_settings, values):
    """The settings with the template's own From and Reply-To where it sets them."""
    return dataclasses.replace(
        build_settings,
        from_email=values["from_email"] or build_settings.from_email,
        from_name=values["from_name"] if values["from_email"] or values["from_name"] else build_settings.from_name,
        reply_to=values["reply_to"] or build_settings.reply_to,
    )
