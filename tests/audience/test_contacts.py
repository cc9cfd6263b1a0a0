"""The contact table, a contact's page, editing and deleting, as a marketer uses them."""
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select

from tests.factories import a_contact, a_list, a_membership, a_suppression
from webapp.audience import contacts
from webapp.audience.contacts import contact_page, contact_timeline, get_contact
from webapp.audience.models import Contact, ListMembership
from webapp.extensions import db

T0 = datetime(2025, 1, 1, 12, 0, 0)


def add_contact(email, *names, created_at=T0, **fields):
    """The id of a new contact (a_contact's arguments), created at T0 unless told: each test decides creation order."""
    return a_contact(email, *names, created_at=created_at, **fields).id


@pytest.fixture
def people(ctx):
    add_contact("ada@analytical.org", "Ada", "Lovelace", "Analytical Engines", created_at=T0)
    add_contact("alan@bletchley.uk", "Alan", "Turing", "Bletchley Park", created_at=T0 + timedelta(days=1))
    add_contact("grace@navy.mil", "Grace", "Hopper", "US Navy", status="unsubscribed", created_at=T0 + timedelta(days=2))
    add_contact("linus@kernel.org", "Linus", "Torvalds", "Linux Foundation", status="bounced", created_at=T0 + timedelta(days=3))
    add_contact("margaret@nasa.gov", "Margaret", "Hamilton", "NASA", created_at=T0 + timedelta(days=4))


def emails(page):
    return [contact.email for contact in page.contacts]


@pytest.mark.parametrize("query, expected", [
    ("ada@", ["ada@analytical.org"]),        # email prefix
    ("gra", ["grace@navy.mil"]),             # first name
    ("torv", ["linus@kernel.org"]),          # last name
    ("bletch", ["alan@bletchley.uk"]),       # company
    ("@kernel", ["linus@kernel.org"]),       # domain
    ("HOPPER", ["grace@navy.mil"]),          # case does not matter
    ("  Ada  ", ["ada@analytical.org"]),     # nor surrounding spaces
])
def test_search_matches_a_prefix_of_each_field(people, query, expected):
    assert emails(contact_page(query)) == expected


def test_search_matches_inside_a_field_too(people):
    assert emails(contact_page("ovelace")) == ["ada@analytical.org"]


def test_like_wildcards_in_a_search_are_plain_characters(ctx):
    add_contact("a_b@example.com", "100%", "Real")
    add_contact("axb@example.com", "1000", "Other")
    assert emails(contact_page("a_")) == ["a_b@example.com"]
    assert emails(contact_page("100%")) == ["a_b@example.com"]
    assert emails(contact_page("%")) == []


def test_status_filter_narrows_the_table_and_combines_with_search(people):
    assert emails(contact_page(status="bounced")) == ["linus@kernel.org"]
    assert emails(contact_page("h", status="active")) == ["margaret@nasa.gov"]  # not Grace Hopper, unsubscribed
    assert emails(contact_page("t", status="unsubscribed")) == []


@pytest.mark.parametrize("sort, ascending", [
    ("email", ["ada@analytical.org", "alan@bletchley.uk", "grace@navy.mil", "linus@kernel.org", "margaret@nasa.gov"]),
    ("name", ["margaret@nasa.gov", "grace@navy.mil", "ada@analytical.org", "linus@kernel.org", "alan@bletchley.uk"]),
    ("company", ["ada@analytical.org", "alan@bletchley.uk", "linus@kernel.org", "margaret@nasa.gov", "grace@navy.mil"]),
    ("created", ["ada@analytical.org", "alan@bletchley.uk", "grace@navy.mil", "linus@kernel.org", "margaret@nasa.gov"]),
])
def test_table_sorts_by_each_column_both_ways(people, sort, ascending):
    assert emails(contact_page(sort=sort, direction="asc")) == ascending
    assert emails(contact_page(sort=sort, direction="desc")) == ascending[::-1]


def test_status_sort_groups_statuses(people):
    statuses = [c.status for c in contact_page(sort="status", direction="asc").contacts]
    assert statuses == sorted(statuses)


def test_last_activity_sort_puts_never_active_contacts_last_both_ways(ctx):
    add_contact("old@x.com", last_activity_at=T0)
    add_contact("never@x.com")
    add_contact("new@x.com", last_activity_at=T0 + timedelta(days=9))
    assert emails(contact_page(sort="last_activity", direction="asc")) == ["old@x.com", "new@x.com", "never@x.com"]
    assert emails(contact_page(sort="last_activity", direction="desc")) == ["new@x.com", "old@x.com", "never@x.com"]


def walk(query=None, sort="created", direction="desc", size=7):
    """Every page forward, then every page back from the last: the emails in order, per page."""
    forward, page = [], contact_page(query, sort=sort, direction=direction, size=size)
    forward.append(emails(page))
    while page.next_cursor:
        page = contact_page(query, sort=sort, direction=direction, after=page.next_cursor, size=size)
        forward.append(emails(page))
    backward = [emails(page)]
    while page.previous_cursor:
        page = contact_page(query, sort=sort, direction=direction, before=page.previous_cursor, size=size)
        backward.insert(0, emails(page))
    return forward, backward


@pytest.mark.parametrize("sort", ["email", "name", "company", "status", "last_activity", "created"])
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_keyset_pages_cover_every_match_once_even_with_ties(ctx, sort, direction):
    # Many contacts share a name, company, status, creation time and (or lack) last activity.
    for n in range(40):
        add_contact(f"person{n:02}@example.com", "Same", ["Alpha", "Beta"][n % 2], ["Acme", "Globex", "Initech"][n % 3],
                    status=["active", "bounced"][n % 2], created_at=T0 + timedelta(hours=n // 10),
                    last_activity_at=None if n % 4 == 0 else T0 + timedelta(days=n % 3))
    forward, backward = walk(sort=sort, direction=direction)
    everyone = [email for page in forward for email in page]
    assert sorted(everyone) == [f"person{n:02}@example.com" for n in range(40)]  # no gaps, no repeats
    assert [len(page) for page in forward] == [7, 7, 7, 7, 7, 5]
    assert backward == forward  # Previous retraces exactly the same pages
    assert everyone == emails(contact_page(sort=sort, direction=direction, size=100))


@pytest.mark.parametrize("sort", ["name", "last_activity"])
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_matches_bunched_far_along_the_sort_order_are_found_page_by_page(ctx, monkeypatch, sort, direction):
    # Too many matches to count (so the page walks the sort order), all of them where a walk of
    # three entries cannot reach: the search's own indexes must answer instead, page after page.
    monkeypatch.setattr(contacts, "COUNT_CAP", 4)
    monkeypatch.setattr(contacts, "WALK_LIMIT", 3)
    for n in range(12):
        add_contact(f"other{n:02}@example.com", last_name=f"Aaron{n:02}", last_activity_at=T0 + timedelta(days=n))
    for n in range(9):
        add_contact(f"match{n:02}@example.com", last_name="Zed", last_activity_at=None if n % 3 == 0 else T0 + timedelta(days=20 + n))
    forward, backward = walk("zed", sort=sort, direction=direction, size=2)
    found = [email for page in forward for email in page]
    assert sorted(found) == [f"match{n:02}@example.com" for n in range(9)]  # no gaps, no repeats
    assert backward == forward
    assert found == emails(contact_page("zed", sort=sort, direction=direction, size=100))


def test_pages_of_a_search_stay_within_the_search(ctx):
    for n in range(30):
        add_contact(f"{'ann' if n % 2 else 'bob'}{n:02}@example.com", created_at=T0 + timedelta(minutes=n))
    forward, _ = walk("ann", size=4)
    assert sorted(e for page in forward for e in page) == [f"ann{n:02}@example.com" for n in range(1, 30, 2)]


def test_count_says_how_many_match(people):
    page = contact_page("a")
    assert (page.total, page.total_is_exact) == (2, True)


def test_a_garbled_cursor_starts_from_the_first_page(people):
    assert emails(contact_page(sort="email", direction="asc", after="not-a-cursor", size=2)) == ["ada@analytical.org", "alan@bletchley.uk"]


# --- Pages -----------------------------------------------------------------

def test_contacts_page_lists_contacts_with_count_and_status_badges(marketer_client, people):
    html = marketer_client.get("/contacts").get_data(as_text=True)
    assert "<html" in html
    assert "5</strong>\n      contacts" in html or ">5</strong>" in html
    assert 'class="badge badge-bounced"' in html
    assert 'id="contacts-table"' in html
    assert 'hx-trigger="keyup changed delay:300ms, search"' in html


def test_htmx_search_returns_only_the_table_fragment(marketer_client, people):
    response = marketer_client.get("/contacts?q=turing", htmx=True)
    html = response.get_data(as_text=True)
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="contacts-table">')
    assert "alan@bletchley.uk" in html and "ada@analytical.org" not in html
    assert "HX-Request" in response.headers["Vary"]


def test_next_link_keeps_search_and_order(marketer_client, ctx):
    for n in range(60):
        add_contact(f"ann{n:02}@example.com")
    html = marketer_client.get("/contacts?q=ann&sort=email&dir=asc").get_data(as_text=True)
    assert "ann49@example.com" in html and "ann50@example.com" not in html
    next_url = html.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    args = parse_qs(urlparse(next_url).query)
    assert args["q"] == ["ann"] and args["sort"] == ["email"] and args["dir"] == ["asc"] and "after" in args
    second = marketer_client.get(next_url, htmx=True).get_data(as_text=True)
    assert "ann50@example.com" in second and "ann49@example.com" not in second
    assert 'rel="prev"' in second


def test_empty_table_invites_an_import(marketer_client):
    html = marketer_client.get("/contacts").get_data(as_text=True)
    assert "No contacts yet" in html
    assert 'href="/imports"' in html


def test_search_without_matches_says_so(marketer_client, people):
    html = marketer_client.get("/contacts?q=nobody", htmx=True).get_data(as_text=True)
    assert "No matching contacts" in html and "nobody" in html


def test_contacts_page_needs_a_login(client, people):
    assert client.get("/contacts").status_code == 302


def test_contact_page_shows_facts_lists_suppression_and_timeline(marketer_client, ctx):
    contact_id = add_contact("ada@analytical.org", "Ada", "Lovelace", "Analytical Engines", city="London", plan="pro")
    a_membership(a_list("Newsletter"), contact_id, added_at=T0 + timedelta(days=1), opted_out_at=T0 + timedelta(days=5))
    a_suppression(domain="analytical.org", reason="complaint", source="manual entry")

    html = marketer_client.get(f"/contacts/{contact_id}").get_data(as_text=True)
    for text in ("Ada Lovelace", "Analytical Engines", "London", "Newsletter", "opted out",
                 "analytical.org</strong> is suppressed", "No emails sent yet"):
        assert text in html

    kinds = [entry.kind for entry in contact_timeline(get_contact(contact_id))]
    assert kinds == ["suppressed", "list_opted_out", "list_added", "created"]


def test_unknown_contact_is_404(marketer_client):
    assert marketer_client.get("/contacts/999").status_code == 404


def test_edit_saves_facts_and_custom_fields(marketer_client, ctx):
    contact_id = add_contact("ada@analytical.org", "Ada", city="London", plan="free")
    response = marketer_client.post(f"/contacts/{contact_id}/edit", data={
        "email": " Ada.Lovelace@Analytical.ORG ", "first_name": "Augusta Ada", "last_name": "King", "company": "",
        "status": "unsubscribed",
        "custom_fields-0-key": "city", "custom_fields-0-value": "Marylebone",
        "custom_fields-1-key": "", "custom_fields-1-value": "",           # plan removed
        "custom_fields-2-key": "title", "custom_fields-2-value": "Countess",
    })
    assert response.status_code == 303 and response.location.endswith(f"/contacts/{contact_id}")
    db.session.expire_all()
    contact = db.session.get(Contact, contact_id)
    assert contact.email == "ada.lovelace@analytical.org" and contact.email_domain == "analytical.org"
    assert (contact.first_name, contact.last_name, contact.status) == ("Augusta Ada", "King", "unsubscribed")
    assert contact.custom_fields == {"city": "Marylebone", "title": "Countess"}


def test_edit_form_shows_current_values(marketer_client, ctx):
    contact_id = add_contact("ada@analytical.org", "Ada", city="London")
    html = marketer_client.get(f"/contacts/{contact_id}/edit").get_data(as_text=True)
    assert 'value="ada@analytical.org"' in html and 'value="London"' in html and 'value="city"' in html


@pytest.mark.parametrize("email, message", [
    ("not an email", "An email address must have an @-sign."),
    ("", "Enter an email address."),
    ("alan@bletchley.uk", "Another contact already has the address alan@bletchley.uk."),
    ("ALAN@Bletchley.uk", "Another contact already has the address alan@bletchley.uk."),
])
def test_edit_rejects_bad_or_taken_email_with_422(marketer_client, ctx, email, message):
    contact_id = add_contact("ada@analytical.org", "Ada")
    add_contact("alan@bletchley.uk", "Alan")
    response = marketer_client.post(f"/contacts/{contact_id}/edit", data={"email": email, "status": "active"})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Contact, contact_id).email == "ada@analytical.org"


def test_edit_rejects_a_value_without_field_name_and_duplicate_names(marketer_client, ctx):
    contact_id = add_contact("ada@analytical.org")
    base = {"email": "ada@analytical.org", "status": "active"}
    response = marketer_client.post(f"/contacts/{contact_id}/edit", data={**base, "custom_fields-0-value": "orphan"})
    assert response.status_code == 422 and "Give this value a field name" in response.get_data(as_text=True)
    response = marketer_client.post(f"/contacts/{contact_id}/edit", data={
        **base, "custom_fields-0-key": "city", "custom_fields-1-key": "city"})
    assert response.status_code == 422 and "appears twice" in response.get_data(as_text=True)


def test_delete_removes_contact_and_memberships_and_returns_to_the_list(marketer_client, ctx):
    contact_id = add_contact("ada@analytical.org")
    a_list("Newsletter", contacts=[contact_id])
    response = marketer_client.post(f"/contacts/{contact_id}/delete")
    assert response.status_code == 303 and response.location.endswith("/contacts")
    assert db.session.scalar(select(Contact.id)) is None
    assert db.session.scalar(select(ListMembership.contact_id)) is None
    assert "Deleted ada@analytical.org" in marketer_client.get("/contacts").get_data(as_text=True)


def test_htmx_delete_sends_the_browser_to_the_list(marketer_client, ctx):
    contact_id = add_contact("ada@analytical.org")
    response = marketer_client.delete(f"/contacts/{contact_id}/delete", htmx=True)
    assert response.headers["HX-Redirect"] == "/contacts"
    assert db.session.get(Contact, contact_id) is None


def test_delete_needs_the_csrf_token(marketer_client, ctx):
    contact_id = add_contact("ada@analytical.org")
    assert marketer_client.post(f"/contacts/{contact_id}/delete", csrf=False).status_code == 400
    assert db.session.get(Contact, contact_id) is not None
