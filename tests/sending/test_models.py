"""The sending tables guard their own invariants, whatever code writes to them."""
import pytest
from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError

from tests.factories import a_contact, a_mass_email
from webapp.audience.contacts import delete_contact
from webapp.compose.models import TemplateVersion
from webapp.extensions import db
from webapp.sending.models import Recipient


def test_a_new_mass_email_is_a_standard_draft_with_nothing_frozen(ctx):
    mail = a_mass_email()
    assert (mail.kind, mail.state, mail.list_size_all, mail.sent_count) == ("standard", "draft", None, 0)


@pytest.mark.parametrize("field, value", [("state", "exploded"), ("kind", "blast")])
def test_mass_email_refuses_an_unknown_state_or_kind(ctx, field, value):
    with pytest.raises(IntegrityError):
        a_mass_email(**{field: value})
    db.session.rollback()


@pytest.mark.parametrize("field, value", [("status", "lost"), ("drop_reason", "felt_like_it"), ("bounce_kind", "medium")])
def test_recipient_refuses_an_unknown_status_reason_or_bounce_kind(ctx, field, value):
    mail = a_mass_email()
    with pytest.raises(IntegrityError):
        db.session.execute(insert(Recipient).values(mass_email_id=mail.id, email="a@example.com", **{field: value}))
    db.session.rollback()


def test_template_version_a_mass_email_used_cannot_be_deleted(ctx):
    mail = a_mass_email()
    with pytest.raises(IntegrityError):
        db.session.execute(delete(TemplateVersion).where(TemplateVersion.id == mail.template_version_id))
    db.session.rollback()


def add_recipient(mail_id, contact_id, email="a@example.com"):
    """A recipient row written as plain SQL: the table's own constraints are under test, not the ORM."""
    db.session.execute(insert(Recipient).values(mass_email_id=mail_id, contact_id=contact_id, email=email))


def test_contact_appears_once_per_mass_email(ctx):
    mail_id, contact_id = a_mass_email().id, a_contact("a@example.com").id
    add_recipient(mail_id, contact_id)
    with pytest.raises(IntegrityError):
        add_recipient(mail_id, contact_id)
    db.session.rollback()


def test_recipient_outlives_its_deleted_contact(ctx):
    mail_id, contact_id = a_mass_email().id, a_contact("a@example.com").id
    other = a_contact("b@example.com")
    add_recipient(mail_id, contact_id)
    add_recipient(mail_id, other.id, email="b@example.com")
    db.session.commit()

    assert delete_contact(contact_id)

    kept = dict(db.session.execute(db.select(Recipient.email, Recipient.contact_id)).all())
    assert kept == {"a@example.com": None, "b@example.com": other.id}
