"""Target lists: create, rename, delete, add contacts by hand, by search and by filter, opt members out."""
import pytest
from sqlalchemy import func, select

from tests.factories import a_list, some_contacts
from webapp.audience.models import ListMembership, TargetList
from webapp.extensions import db


@pytest.fixture
def crowd():
    """{email: id} of twelve contacts at acme.com, three at competitor.com (one unsubscribed)."""
    return some_contacts(
        *[dict(email=f"user{i:02}@acme.com", first_name=f"User{i:02}", company="Acme") for i in range(12)],
        dict(email="spy1@competitor.com", company="Competitor"),
        dict(email="spy2@competitor.com", company="Competitor"),
        dict(email="gone@competitor.com", company="Competitor", status="unsubscribed"),
    )


def members(app, list_id):
    with app.app_context():
        return dict(db.session.execute(
            select(ListMembership.contact_id, ListMembership.opted_out_at).where(ListMembership.list_id == list_id)
        ).all())


def test_lists_page_is_a_page_and_its_table_a_fragment(marketer_client):
    page = marketer_client.get("/lists")
    assert page.status_code == 200 and b"<html" in page.data and b"No target lists yet" in page.data
    fragment = marketer_client.get("/lists", htmx=True)
    assert b"<html" not in fragment.data and b'id="lists"' in fragment.data


def test_marketer_creates_a_list_and_lands_on_it(marketer_client, app):
    response = marketer_client.post("/lists", data={"name": " Newsletter ", "description": "Monthly news"})
    assert response.status_code == 303
    with app.app_context():
        target_list = db.session.scalar(select(TargetList))
        assert (target_list.name, target_list.description, target_list.created_by_id is not None) == ("Newsletter", "Monthly news", True)
    assert response.location.endswith(f"/lists/{target_list.id}")
    page = marketer_client.get("/lists")
    assert b"Newsletter" in page.data and b"Marketer" in page.data


def test_list_names_are_unique_regardless_of_case(marketer_client, app):
    a_list("Newsletter")
    response = marketer_client.post("/lists", data={"name": "NEWSLETTER"})
    assert response.status_code == 422
    assert "A list named “NEWSLETTER” already exists".encode() in response.data
    assert marketer_client.post("/lists", data={"name": ""}).status_code == 422


def test_lists_page_counts_subscribed_and_opted_out_members(marketer_client, app, crowd):
    list_id = a_list("Customers", contacts=list(crowd.values())[:5]).id
    marketer_client.post(f"/lists/{list_id}/members/opt-out", data={"contact_ids": [crowd["user00@acme.com"]]}, htmx=True)
    with app.app_context():
        from webapp.audience.lists import lists_overview

        [row] = lists_overview()
    assert (row["subscribed"], row["opted_out"]) == (4, 1)


def test_rename_and_describe_a_list(marketer_client, app):
    list_id = a_list("Old name").id
    a_list("Taken")
    response = marketer_client.post(f"/lists/{list_id}/edit", data={"name": "New name", "description": "Why"})
    assert response.status_code == 303
    assert marketer_client.post(f"/lists/{list_id}/edit", data={"name": "taken"}).status_code == 422
    assert marketer_client.post(f"/lists/{list_id}/edit", data={"name": "New name", "description": "Same name is fine"}).status_code == 303
    with app.app_context():
        assert db.session.get(TargetList, list_id).name == "New name"


def test_delete_a_list_keeps_its_contacts(marketer_client, app, crowd):
    list_id = a_list("Doomed", contacts=crowd.values()).id
    response = marketer_client.delete(f"/lists/{list_id}", htmx=True)
    assert response.status_code == 303 and response.location.endswith("/lists")
    with app.app_context():
        assert db.session.get(TargetList, list_id) is None
        assert db.session.scalar(select(func.count()).select_from(ListMembership)) == 0
    assert len(crowd) == 15


def test_list_detail_page_and_members_fragment(marketer_client, app, crowd):
    list_id = a_list("Customers", contacts=[crowd["user01@acme.com"], crowd["spy1@competitor.com"]]).id
    page = marketer_client.get(f"/lists/{list_id}")
    assert b"<html" in page.data and b"user01@acme.com" in page.data and b"Add contacts" in page.data
    fragment = marketer_client.get(f"/lists/{list_id}?q=spy", htmx=True)
    assert b"<html" not in fragment.data and b"spy1@competitor.com" in fragment.data and b"user01@acme.com" not in fragment.data


def test_members_are_sorted_and_paged(marketer_client, app, crowd, monkeypatch):
    from webapp.audience import lists

    monkeypatch.setattr(lists, "PAGE_SIZE", 5)
    list_id = a_list("Everyone", contacts=crowd.values()).id
    first = marketer_client.get(f"/lists/{list_id}?sort=email&dir=desc", htmx=True).get_data(as_text=True)
    assert first.index("user11@acme.com") < first.index("user10@acme.com")
    assert "1–5 of 15" in first
    third = marketer_client.get(f"/lists/{list_id}?sort=email&dir=asc&page=3", htmx=True).get_data(as_text=True)
    assert "user07@acme.com" in third and "user06@acme.com" not in third


def test_add_selected_contacts_says_how_many_were_new(marketer_client, app, crowd):
    list_id = a_list("Customers", contacts=[crowd["user00@acme.com"]]).id
    response = marketer_client.post(f"/lists/{list_id}/members", htmx=True,
                                    data={"contact_ids": [crowd["user00@acme.com"], crowd["user01@acme.com"], crowd["user02@acme.com"]]})
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "members-changed"
    assert "Added 2 contacts; 1 was already on the list." in response.get_data(as_text=True)
    assert set(members(app, list_id)) == {crowd[f"user0{i}@acme.com"] for i in range(3)}


def test_add_all_results_of_a_search_adds_exactly_the_matches_and_is_idempotent(marketer_client, app, crowd):
    list_id = a_list("Competitors", contacts=[crowd["spy1@competitor.com"]]).id
    candidates = marketer_client.get(f"/lists/{list_id}/candidates?find=@competitor", htmx=True)
    assert b"<html" not in candidates.data and b"Add all 3 results of this search" in candidates.data
    response = marketer_client.post(f"/lists/{list_id}/members/search", data={"find": "@competitor"}, htmx=True)
    assert "Added 2 contacts; 1 was already on the list." in response.get_data(as_text=True)
    again = marketer_client.post(f"/lists/{list_id}/members/search", data={"find": "@competitor"}, htmx=True)
    assert "Added 0 contacts; 3 were already on the list." in again.get_data(as_text=True)
    assert set(members(app, list_id)) == {crowd[e] for e in ("spy1@competitor.com", "spy2@competitor.com", "gone@competitor.com")}


def test_add_all_results_respects_the_status_filter(marketer_client, app, crowd):
    list_id = a_list("Active competitors").id
    marketer_client.post(f"/lists/{list_id}/members/search", data={"find": "@competitor", "find_status": "active"}, htmx=True)
    assert set(members(app, list_id)) == {crowd["spy1@competitor.com"], crowd["spy2@competitor.com"]}


def test_remove_selected_members(marketer_client, app, crowd):
    list_id = a_list("Customers", contacts=crowd.values()).id
    response = marketer_client.post(f"/lists/{list_id}/members/remove", htmx=True,
                                    data={"contact_ids": [crowd["spy1@competitor.com"], crowd["spy2@competitor.com"]]})
    assert "Removed 2 members from the list." in response.get_data(as_text=True)
    assert len(members(app, list_id)) == 13


def test_opt_a_member_out_of_one_list_and_back_in(marketer_client, app, crowd):
    ada = crowd["user00@acme.com"]
    newsletter = a_list("Newsletter", contacts=[ada]).id
    offers = a_list("Offers", contacts=[ada]).id
    response = marketer_client.post(f"/lists/{newsletter}/members/opt-out", data={"contact_ids": [ada]}, htmx=True)
    assert "Opted 1 member out of this list." in response.get_data(as_text=True)
    assert members(app, newsletter)[ada] is not None
    assert members(app, offers)[ada] is None  # other lists are untouched
    opted_out = marketer_client.get(f"/lists/{newsletter}?state=opted_out", htmx=True)
    assert b"user00@acme.com" in opted_out.data
    marketer_client.post(f"/lists/{newsletter}/members/opt-in", data={"contact_ids": [ada]}, htmx=True)
    assert members(app, newsletter)[ada] is None


def test_member_changes_without_htmx_redirect_back_to_the_list(marketer_client, app, crowd):
    list_id = a_list("Customers", contacts=[crowd["user00@acme.com"]]).id
    response = marketer_client.post(f"/lists/{list_id}/members/remove", data={"contact_ids": [crowd["user00@acme.com"]]})
    assert response.status_code == 303 and response.location.endswith(f"/lists/{list_id}")


def test_populate_exclusion_list_from_a_filter(marketer_client, app, crowd):
    list_id = a_list("Exclude: competitors").id
    conditions = {"field": ["email_domain"], "op": ["equals"], "value": ["competitor.com"], "key": [""]}
    preview = marketer_client.get(f"/lists/{list_id}/populate/preview", query_string=conditions, htmx=True)
    assert preview.status_code == 200 and b"<html" not in preview.data
    assert b'<strong class="match-count">3</strong>' in preview.data and b"spy1@competitor.com" in preview.data
    response = marketer_client.post(f"/lists/{list_id}/populate", data=conditions)
    assert response.status_code == 303
    assert set(members(app, list_id)) == {crowd[e] for e in ("spy1@competitor.com", "spy2@competitor.com", "gone@competitor.com")}
    assert "Added 3 contacts; 0 were already on the list." in marketer_client.get(response.location).get_data(as_text=True)


def test_populate_from_status_is_not_active(marketer_client, app, crowd):
    list_id = a_list("Exclude: inactive").id
    marketer_client.post(f"/lists/{list_id}/populate", data={"field": "status", "op": "not_equals", "value": "active", "key": ""})
    assert set(members(app, list_id)) == {crowd["gone@competitor.com"]}


def test_invalid_filter_is_refused_with_reasons(marketer_client, app, crowd):
    list_id = a_list("Recent").id
    data = {"field": ["created_at", "status"], "op": ["after", "contains"], "value": ["yesterday", "act"], "key": ["", ""]}
    preview = marketer_client.get(f"/lists/{list_id}/populate/preview", query_string=data, htmx=True)
    assert preview.status_code == 422
    text = preview.get_data(as_text=True)
    assert "Condition 1: “yesterday” is not a date" in text and "Condition 2: “contains” does not apply to status" in text
    response = marketer_client.post(f"/lists/{list_id}/populate", data=data)
    assert response.status_code == 422 and b"<html" in response.data
    assert 'role="alert">“yesterday” is not a date' in response.get_data(as_text=True)  # next to its row
    assert members(app, list_id) == {}


def test_filter_builder_page_adds_rows_and_fits_operators_to_fields(marketer_client, app):
    list_id = a_list("Recent").id
    page = marketer_client.get(f"/lists/{list_id}/populate")
    assert page.status_code == 200 and b"<html" in page.data and page.data.count(b'name="field"') == 1
    rebuilt = marketer_client.get(f"/lists/{list_id}/populate", htmx=True, query_string={
        "field": "created_at", "op": "equals", "value": "", "key": "", "add": "1"})
    text = rebuilt.get_data(as_text=True)
    assert "<html" not in text and text.count('name="field"') == 2
    assert '<option value="before" selected>' in text  # "equals" does not apply to dates
    assert "field=created_at" in rebuilt.headers["HX-Replace-Url"] and "add" not in rebuilt.headers["HX-Replace-Url"]


def test_other_lists_page_needs_a_real_list(marketer_client):
    assert marketer_client.get("/lists/999").status_code == 404
