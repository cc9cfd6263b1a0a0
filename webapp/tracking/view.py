""""View in browser": the message as one recipient got it, rendered again from what was stored.

The recipient row keeps the template version it was sent (a drip stamps it; a standard send
uses the mass email's) and the merge values (Recipient.merge_values, stored when it was sent),
so a later edit of the template or the contact changes nothing here. Its links are that
recipient's own tracked links: the tokens are deterministic.
"""
from flask import current_app

from webapp.compose.models import TemplateVersion
from webapp.compose.rendering import RenderError, TemplateProblems, contact_context, merge_values_of
from webapp.compose.service import compile_version, message_settings
from webapp.compose.tokens import TrackingUrls
from webapp.extensions import db
from webapp.settings.service import get_settings
from webapp.tracking.hits import signer


def message_html(reader):
    """The HTML part the recipient got, or None when it cannot be shown (never sent, or unrenderable)."""
    recipient = reader.recipient
    if recipient.sent_at is None and recipient.message_id is None:
        return None
    version = db.session.get(TemplateVersion, recipient.template_version_id or reader.mass_email.template_version_id)
    settings = get_settings()
    merge_values = recipient.merge_values
    if merge_values is None:  # sent before merge values were kept: the contact as it is now
        contact = reader.contact
        merge_values = merge_values_of(contact.first_name, contact.last_name, contact.company, contact.custom_fields) \
            if contact else merge_values_of("", "", "", {})
    urls = TrackingUrls(signer(), message_settings(settings, current_app.config).site_url)
    try:
        _subject, html, _text = compile_version(version, settings).render(
            recipient.id, contact_context(recipient.email, **merge_values), urls)
    except (TemplateProblems, RenderError):
        return None
    return html
