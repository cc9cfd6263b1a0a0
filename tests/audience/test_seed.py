"""`flask demo seed` fills a database with realistic demo contacts and lists."""
from sqlalchemy import func, select

from webapp.audience.models import Contact, ListMembership, TargetList
from webapp.extensions import db


def test_seed_adds_contacts_and_lists_and_can_run_again(runner, ctx):
    result = runner.invoke(args=["demo", "seed", "--contacts", "300", "--lists", "2"])
    assert result.exit_code == 0, result.output
    assert "Added 300 contacts" in result.output
    result = runner.invoke(args=["demo", "seed", "--contacts", "200", "--lists", "2"])
    assert result.exit_code == 0, result.output

    assert db.session.scalar(select(func.count()).select_from(Contact)) == 500
    assert db.session.scalar(select(func.count(func.distinct(Contact.email)))) == 500
    assert db.session.scalar(select(func.count()).select_from(TargetList)) == 2
    assert db.session.scalar(select(func.count()).select_from(ListMembership)) == 60 + 40 + 33 + 22  # every 5th and 9th of each batch
    statuses = dict(db.session.execute(select(Contact.status, func.count()).group_by(Contact.status)).all())
    assert statuses["active"] > 400 and statuses["unsubscribed"] > 0


def test_seeded_contacts_look_real(ctx):
    from webapp.audience.seed import seed_demo

    seed_demo(50, lists=1)
    contacts = db.session.scalars(select(Contact)).all()
    contact = contacts[0]
    assert contact.email.startswith(f"{contact.first_name.lower()}.{contact.last_name.lower()}")
    assert contact.email_domain == contact.email.rpartition("@")[2]
    assert set(contact.custom_fields) == {"city", "plan"}
    assert len({c.created_at for c in contacts}) == 50  # spread out, not one moment
    by_id = sorted(contacts, key=lambda c: c.id)
    assert by_id == sorted(contacts, key=lambda c: c.created_at)  # the "Created" sort walks ids
    assert sum(c.last_activity_at is None for c in contacts) == 5  # one in nine never active
    assert all(c.last_activity_at is None or c.last_activity_at >= c.created_at for c in contacts)


def test_contacts_added_after_a_seed_get_the_next_ids(ctx):
    from webapp.audience.seed import seed_demo

    seed_demo(20, lists=0)  # seeded ids are given, not drawn from PostgreSQL's sequence
    contact = Contact(email="new.person@example.com", email_domain="example.com")
    db.session.add(contact)
    db.session.commit()
    seed_demo(5, lists=0)

    assert contact.id == 21
    assert db.session.scalars(select(Contact.id).order_by(Contact.id)).all() == list(range(1, 27))
