"""How the import job writes its chunks (the forms values travel in, concurrent writers, the list check), and the\ncreated sort that spares imports an index."""
from datetime import datetime

import pytest
from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.exc import IntegrityError

from tests.factories import an_import
from webapp.audience import importer
from webapp.audience.contacts import contact_page, encode_cursor
from webapp.audience.models import Contact, ListMembership, TargetList
from webapp.extensions import db


def stored(email, column):
    """The value as the database holds it (on SQLite, the text a sort compares)."""
    return db.session.scalar(select(type_coerce(column, String)).where(Contact.email == email))


def test_imported_times_and_custom_fields_are_stored_exactly_as_the_orm_stores_them(app, ctx):
    db.session.add(Contact(email="orm@example.com", email_domain="example.com", last_activity_at=datetime(2024, 5, 1, 10, 30),
                           custom_fields={"plan": "gold \u00e9\"", "city": "Oslo"}))
    db.session.commit()
    an_import('email,last activity,plan,city\nfile@example.com,2024-05-01 10:30,"gold \u00e9""",Oslo\n')
    assert stored("file@example.com", Contact.last_activity_at) == stored("orm@example.com", Contact.last_activity_at)
    assert stored("file@example.com", Contact.custom_fields) == stored("orm@example.com", Contact.custom_fields)


def test_many_chunks_in_any_commit_order_add_up_to_the_file(app, ctx):
    rows = "".join(f"p{i}@example.com,Name{i}\n" for i in range(41))
    an_import("email,first name\np3@example.com,Old\n")
    result = an_import("email,first name\n" + rows + "bad,Bad\n", chunk_rows=3, new_list_name="Many")
    assert (result.state, result.processed_rows, result.created_count, result.updated_count, result.error_count) == ("done", 42, 40, 1, 1)
    members = db.session.scalars(select(Contact.first_name).join(ListMembership)).all()
    assert sorted(members) == sorted(f"Name{i}" for i in range(41))


def test_creation_order_is_id_order_and_pages_through_it(ctx):
    for email in ("first@example.com", "second@example.com", "third@example.com"):
        db.session.add(Contact(email=email, email_domain="example.com"))
        db.session.commit()
    page = contact_page(sort="created", direction="desc", size=2)
    assert [c.email for c in page.contacts] == ["third@example.com", "second@example.com"]
    page = contact_page(sort="created", direction="desc", size=2, after=page.next_cursor)
    assert [c.email for c in page.contacts] == ["first@example.com"] and page.next_cursor is None
    text_cursor = encode_cursor("2", 2)  # a cursor of a text sort: starts from the first page
    assert [c.email for c in contact_page(sort="created", direction="desc", size=2, after=text_cursor).contacts] == \
        ["third@example.com", "second@example.com"]


def test_a_chunk_for_a_list_deleted_meanwhile_fails_and_writes_nothing(ctx):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite writes the membership with its foreign key checked row by row")
    target = TargetList(name="Gone")
    db.session.add(target)
    db.session.commit()
    writer = importer._PostgresChunkWriter(["email", "email_domain"], target.id)
    db.session.delete(target)
    db.session.commit()
    with pytest.raises(IntegrityError):  # the membership's foreign key
        writer.write([["ann@example.com", "example.com"]])
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 0
    assert db.session.scalar(select(func.count()).select_from(ListMembership)) == 0
