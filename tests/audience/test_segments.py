"""Segments: target lists that store a filter and whose members are whoever matches it now."""
import pytest
from sqlalchemy import select

from tests.factories import a_contact, a_list, a_segment, an_import
from webapp.audience.filters import ContactFilter
from webapp.audience.lists import lists_overview
from webapp.audience.models import Contact, ListMembership, TargetList
from webapp.audience.segments import SegmentError, live_count, members_clause
from webapp.extensions import db


def members(app, segment_id):
    """The emails of the segment's members right now."""
    with app.app_context():
        segment = db.session.get(TargetList, segment_id)
        return sorted(db.session.scalars(select(Contact.email).where(members_clause(segment))))


def count_on_lists_page(app, name):
    with app.app_context():
        return next(row for row in lists_overview() if row["list"].name == name)


def test_save_as_segment_from_the_contact_table_keeps_the_search_and_status(marketer_client, app):
    a_contact("ada@acme.com", "Ada", company="Acme")
    a_contact("bob@acme.com", "Bob", company="Acme", status="unsubscribed")
    a_contact("cy@other.org", "Cy")
    table = marketer_client.get("/contacts?q=acme&status=active")
    assert "Save as segment…".encode() in table.data

    response = marketer_client.post("/contacts/segment?q=acme&status=active",
                                     data={"name": "Acme people", "q": "acme", "status": "active"})

    assert response.status_code == 303
    with app.app_context():
        segment = db.session.scalar(select(TargetList).where(TargetList.name == "Acme people"))
        assert segment.kind == "segment" and segment.created_by_id is not None
        assert ContactFilter.from_json(segment.filter) == ContactFilter.from_contact_table("acme", "active")
        assert db.session.scalar(select(ListMembership).where(ListMembership.list_id == segment.id)) is None
    assert response.location.endswith(f"/lists/{segment.id}")
    assert members(app, segment.id) == ["ada@acme.com"]
    page = marketer_client.get(f"/lists/{segment.id}")
    assert page.status_code == 200 and b"ada@acme.com" in page.data and b"bob@acme.com" not in page.data
    assert "Search words match “acme” and Status equals “active”".encode() in page.data
    assert b"not added or" in page.data  # why there is no "Add contacts" here


def test_the_contact_table_offers_no_segment_without_a_filter(marketer_client):
    a_contact("ada@acme.com")
    assert "Save as segment".encode() not in marketer_client.get("/contacts").data


def test_saving_a_segment_needs_a_free_name(marketer_client, app):
    a_list("Acme")
    response = marketer_client.post("/contacts/segment?q=acme", data={"name": "ACME", "q": "acme"})
    assert response.status_code == 422
    assert "A list named “ACME” already exists".encode() in response.data
    with app.app_context():
        assert db.session.scalar(select(TargetList).where(TargetList.kind == "segment")) is None


def test_a_bad_status_in_a_saved_search_is_a_400_with_words(marketer_client, app):
    response = marketer_client.post("/contacts/segment", data={"name": "Odd", "q": "", "status": "sleeping"})
    assert response.status_code == 400
    assert b"Status must be one of" in response.data
    with app.app_context():
        assert db.session.scalar(select(TargetList)) is None


def test_create_a_segment_on_the_lists_page_and_give_it_a_filter(marketer_client, app):
    a_contact("ada@acme.com", company="Acme", plan="gold")
    a_contact("bob@acme.com", company="Acme", plan="silver")
    response = marketer_client.post("/lists", data={"name": "Gold", "kind": "segment"})
    with app.app_context():
        segment = db.session.scalar(select(TargetList))
    assert response.status_code == 303 and response.location.endswith(f"/lists/{segment.id}/filter")
    assert members(app, segment.id) == ["ada@acme.com", "bob@acme.com"]  # no condition yet: everyone

    builder = marketer_client.get(f"/lists/{segment.id}/filter")
    assert builder.status_code == 200 and b"Save the filter" in builder.data
    # Custom field keys match whatever their case, as on the list builder.
    saved = marketer_client.post(f"/lists/{segment.id}/filter",
                                 data={"field": "custom", "op": "equals", "value": "GOLD", "key": "Plan"})

    assert saved.status_code == 303
    assert members(app, segment.id) == ["ada@acme.com"]
    assert "Custom field “Plan” equals “GOLD”".encode() in marketer_client.get(f"/lists/{segment.id}").data


def test_an_unusable_filter_is_refused_with_the_reason(marketer_client, app):
    segment_id = a_segment("Gold").id
    response = marketer_client.post(f"/lists/{segment_id}/filter", data={"field": "created_at", "op": "before", "value": "soon"})
    assert response.status_code == 422
    assert "is not a date".encode() in response.data
    odd = marketer_client.get(f"/lists/{segment_id}/filter/preview?field=nonsense&op=equals&value=x&key=")
    assert odd.status_code == 422 and b"Choose a field." in odd.data


def test_members_change_as_contacts_are_imported_unsubscribed_and_edited(marketer_client, app):
    segment_id = a_segment("Acme gold", ("email_domain", "equals", "acme.com"), ("status", "equals", "active"),
                           ("custom", "equals", "gold", "plan")).id
    an_import("email,plan\nada@acme.com,gold\nbob@acme.com,gold\ncy@acme.com,silver\n")
    assert members(app, segment_id) == ["ada@acme.com", "bob@acme.com"]

    with app.app_context():
        bob = db.session.scalar(select(Contact).where(Contact.email == "bob@acme.com"))
        cy = db.session.scalar(select(Contact).where(Contact.email == "cy@acme.com"))
        bob.status = "unsubscribed"  # as an unsubscribe link leaves it
        db.session.commit()
        cy_id = cy.id
    assert members(app, segment_id) == ["ada@acme.com"]

    edited = marketer_client.post(f"/contacts/{cy_id}/edit", data={
        "email": "cy@acme.com", "first_name": "", "last_name": "", "company": "", "status": "active", "custom_fields-0-key": "plan", "custom_fields-0-value": "gold"})
    assert edited.status_code == 303
    assert members(app, segment_id) == ["ada@acme.com", "cy@acme.com"]


def test_counts_are_live_on_the_lists_page_and_the_mass_email_form(marketer_client, app):
    segment_id = a_segment("Acme", ("email_domain", "equals", "acme.com")).id
    a_list("Static", ["x@example.org"])
    a_contact("ada@acme.com")
    assert count_on_lists_page(app, "Acme")["subscribed"] == 1
    a_contact("bob@acme.com")
    assert count_on_lists_page(app, "Acme")["subscribed"] == 2
    assert count_on_lists_page(app, "Static")["subscribed"] == 1

    lists_page = marketer_client.get("/lists")
    assert b"data-state=\"segment\">segment</span>" in lists_page.data
    form = marketer_client.get("/mass-emails/new")
    assert "Acme (segment)".encode() in form.data
    estimate = marketer_client.post("/mass-emails/estimate", data={"list_ids": [segment_id]}, htmx=True)
    assert b'data-estimate="emailing">2 recipients' in estimate.data


def test_nobody_is_added_or_removed_by_hand(marketer_client, app):
    contact_id = a_contact("ada@acme.com").id
    segment_id = a_segment("Acme", ("email_domain", "equals", "acme.com")).id
    for url in ("members", "members/remove", "members/opt-out", "members/search", "populate"):
        response = marketer_client.post(f"/lists/{segment_id}/{url}", data={"contact_ids": [contact_id], "find": "ada"})
        assert response.status_code == 409, url
        assert b"is a segment" in response.data
    assert marketer_client.get(f"/lists/{segment_id}/populate").status_code == 409
    with app.app_context():
        assert db.session.scalar(select(ListMembership)) is None


def test_imports_do_not_offer_segments(ctx):
    a_segment("Acme", ("email_domain", "equals", "acme.com"))
    a_list("Newsletter")
    from webapp.audience.importer import list_choices

    names = [name for _, name in list_choices()]
    assert names == ["Newsletter"]


def test_a_condition_cannot_name_a_segment(ctx):
    segment = a_segment("Acme", ("email_domain", "equals", "acme.com"))
    problems = ContactFilter(({"field": "list", "op": "member_of", "value": str(segment.id), "key": ""},)).problems()
    assert "is a segment" in problems[0]


@pytest.fixture
def segment_on_deleted_list(app):
    """A segment “Not VIP” (not a member of the list VIP), and VIP deleted afterwards."""
    vip = a_list("VIP", ["vip@acme.com"])
    a_contact("ada@acme.com")
    segment = a_segment("Not VIP", ("list", "not_member_of", str(vip.id)))
    assert members(app, segment.id) == ["ada@acme.com"]
    with app.app_context():
        db.session.delete(db.session.get(TargetList, vip.id))
        db.session.commit()
    return segment.id


def test_a_segment_naming_a_deleted_list_says_why_instead_of_crashing(marketer_client, app, segment_on_deleted_list):
    with app.app_context():
        segment = db.session.get(TargetList, segment_on_deleted_list)
        with pytest.raises(SegmentError, match="Not VIP"):
            members_clause(segment)
        count, problem = live_count(segment)
        assert count is None and "deleted" in problem

    lists_page = marketer_client.get("/lists")
    assert lists_page.status_code == 200 and b"data-list-problem" in lists_page.data
    page = marketer_client.get(f"/lists/{segment_on_deleted_list}")
    assert page.status_code == 200 and b"data-segment-problem" in page.data and b"a deleted list" in page.data
    builder = marketer_client.get(f"/lists/{segment_on_deleted_list}/filter")
    assert builder.status_code == 200 and b"may have been deleted" in builder.data
    form = marketer_client.get("/mass-emails/new")
    assert form.status_code == 200 and b"filter needs fixing" in form.data
    estimate = marketer_client.post("/mass-emails/estimate", data={"list_ids": [segment_on_deleted_list]}, htmx=True)
    assert estimate.status_code == 200 and b"data-estimate-problem" in estimate.data


def test_segment_page_is_a_page_and_its_members_a_fragment(marketer_client):
    a_contact("ada@acme.com", "Ada")
    a_contact("adam@acme.com", "Adam")
    segment_id = a_segment("Acme", ("email_domain", "equals", "acme.com")).id
    page = marketer_client.get(f"/lists/{segment_id}")
    assert b"<html" in page.data and b"ada@acme.com" in page.data
    fragment = marketer_client.get(f"/lists/{segment_id}?q=adam", htmx=True)
    assert b"<html" not in fragment.data and b'id="members"' in fragment.data
    assert b"adam@acme.com" in fragment.data and b"ada@acme.com<" not in fragment.data


def test_static_lists_have_no_filter_page(marketer_client):
    list_id = a_list("Static").id
    assert marketer_client.get(f"/lists/{list_id}/filter").status_code == 404


def test_rename_a_segment_keeps_its_filter(marketer_client, app):
    segment_id = a_segment("Acme", ("email_domain", "equals", "acme.com")).id
    a_list("Taken")
    assert marketer_client.post(f"/lists/{segment_id}/edit", data={"name": "taken"}).status_code == 422
    assert marketer_client.post(f"/lists/{segment_id}/edit", data={"name": "Acme people"}).status_code == 303
    with app.app_context():
        segment = db.session.get(TargetList, segment_id)
        assert segment.name == "Acme people" and segment.filter["conditions"][0]["value"] == "acme.com"
