"""The confirm step's sample: the subject as the first contact it goes to will read it."""
from dataclasses import dataclass

from webapp.compose.service import render_preview
from webapp.sending.resolve import audience_of, first_contact
from webapp.settings.service import get_settings


@dataclass(frozen=True)
class SampleSubject:
    email: str  # whose it is; the made-up sample contact's address when the lists are empty
    subject: str  # rendered; empty when the template cannot render (the preflight says why)


def sample_subject(mass_email):
    version = mass_email.template_version
    contact = first_contact(audience_of(mass_email.id))
    preview = render_preview({"subject": version.subject, "html": version.html, "text": version.text}, contact, get_settings())
    return SampleSubject(contact.email if contact else "a sample contact", preview.subject)
