"""The confirm step's sample: the subject as the first contact on the target lists will read it."""
from dataclasses import dataclass

from sqlalchemy import select

from webapp.audience.models import Contact, ListMembership
from webapp.compose.service import render_preview
from webapp.extensions import db
from webapp.sending.models import MassEmailList
from webapp.settings.service import get_settings


@dataclass(frozen=True)
class SampleSubject:
    email: str  # whose it is; the made-up sample contact's address when the lists are empty
    subject: str  # rendered; empty when the template cannot render (the preflight says why)


def sample_subject(mass_email):
    version = mass_email.template_version
    target_ids = select(MassEmailList.list_id).where(MassEmailList.mass_email_id == mass_email.id, MassEmailList.excluding.is_(False))
    contact = db.session.scalar(
        select(Contact).join(ListMembership, ListMembership.contact_id == Contact.id)
        .where(ListMembership.list_id.in_(target_ids)).order_by(Contact.id).limit(1)
    )
    preview = render_preview({"subject": version.subject, "html": version.html, "text": version.text}, contact, get_settings())
    return SampleSubject(contact.email if contact else "a sample contact", preview.subject)
