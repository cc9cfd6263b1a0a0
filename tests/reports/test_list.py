"""The Mass Emails list: scopes, hiding per user, every stored counter as a link to its card, sorting,
filters, keyset pages, and a drip paused and resumed from its row."""
import html
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert

from tests.factories import a_mass_email, a_recipient, a_template, a_user
from tests.reports.helpers import list_stats
from webapp.events.ingest import Incoming, ingest
from webapp.extensions import db
from webapp.reports import listing
from webapp.sending.models import MassEmail

T0 = datetime(2026, 6, 1, 9, 0)
A_DRIP = dict(kind="drip", drip_interval_seconds=600, drip_days="0123456", drip_start_hour=0, drip_end_hour=24,
              drip_timezone="UTC")
# Each counter a different prime, so a value in the wrong column cannot pass.
COUNTERS = dict(list_size_all=97, list_size_emailing=89, sent_count=83, delivered_count=79, unique_open_count=41,
                human_open_count=23, open_count=61, unique_click_count=19, human_click_count=7, click_count=29,
                bounced_count=3, dropped_count=8, deferred_count=5, complaint_count=2, unsubscribe_count=11)


def _ids(response):
    assert response.status_code == 200, response.data[:300]
    return [int(found) for found in re.findall(rb'<tr id="mass-email-(\d+)" data-mass-email', response.data)]


def _shown(client, **args):
    return _ids(client.get("/mass-emails", query_string=args, htmx=True))


def test_the_list_starts_empty_and_says_how_to_begin(marketer_client):
    page = marketer_client.get("/mass-emails")

    assert page.status_code == 200 and b"No mass emails yet" in page.data
    assert b'href="/mass-emails/new"' in page.data
    assert b'aria-current="page">Mass emails' in page.data


def test_a_row_shows_every_stored_counter_each_a_link_to_its_card(app, marketer_client, marketer):
    mass_email = a_mass_email("June news", owner_id=marketer, state="sent", from_email="news@example.com", campaign="Summer",
                              started_at=T0, **COUNTERS)

    page = marketer_client.get("/mass-emails")

    base = f"/mass-emails/{mass_email.id}"
    assert list_stats(page, mass_email.id) == {
        "emailing": (f"{base}?card=emailing", "89"), "all": (base, "97"), "sent": (f"{base}?card=sent", "83"),
        "delivered": (f"{base}?card=delivered", "79"), "opens": (f"{base}?card=opens", "41"),
        "open_rate": (f"{base}?card=opens", "51.9%"), "human_open_rate": (f"{base}?card=opens&sub=human", "29.1%"), "clicks": (f"{base}?card=clicks", "19"),
        "all_clicks": (f"{base}?card=all_clicks", "29"), "bounced": (f"{base}?card=bounced", "3"),
        "dropped": (f"{base}?card=dropped", "8"), "deferred": (f"{base}?card=deferred", "5"),
        "spam": (f"{base}?card=spam", "2"), "unsubscribed": (f"{base}?card=unsubscribed", "11"),
    }
    # The open rates are unique (41) and likely human (23) opens of those delivered (79).
    for text in (b"June news", b"Summer", b"Hello {{ contact.first_name }}", b"Marketer", b"news@example.com",
                 b'data-state="sent"', b"2026-06-01<span>09:00</span>"):
        assert text in page.data


def test_the_list_and_the_detail_view_read_the_same_counters(marketer_client, marketer):
    """As a new user found it: a cancelled send showed Sent 0 in the list and 133 on its page."""
    cancelled = a_mass_email("Cancelled", owner_id=marketer, state="cancelled", list_size_all=400, list_size_emailing=400,
                             sent_count=133, delivered_count=120, started_at=T0)

    listed = list_stats(marketer_client.get("/mass-emails"), cancelled.id)
    detail = marketer_client.get(f"/mass-emails/{cancelled.id}?card=sent")

    assert listed["sent"][1] == "133" and listed["delivered"][1] == "120"
    assert b'data-card-count="sent">133<' in detail.data and b'data-card-count="delivered">120<' in detail.data


def test_counters_kept_by_the_event_ingestion_show_in_the_list(ctx, marketer_client, marketer):
    mass_email = a_mass_email("Ingested", owner_id=marketer, state="sent", list_size_all=2, list_size_emailing=2,
                              sent_count=2)
    first, second = (a_recipient(mass_email, email, status="sent", sent_at=T0).id for email in ("a@example.org", "b@example.org"))

    ingest([Incoming(kind="delivered", at=T0, source="sendgrid", recipient_id=first),
            Incoming(kind="delivered", at=T0, source="sendgrid", recipient_id=second),
            Incoming(kind="open", at=T0 + timedelta(minutes=5), source="pixel", recipient_id=first),
            Incoming(kind="click", at=T0 + timedelta(minutes=6), source="sendgrid", recipient_id=first, url="https://example.com/"),
            Incoming(kind="click", at=T0 + timedelta(minutes=7), source="sendgrid", recipient_id=first, url="https://example.com/")])

    stats = list_stats(marketer_client.get("/mass-emails"), mass_email.id)
    assert {key: stats[key][1] for key in ("sent", "delivered", "opens", "open_rate", "clicks", "all_clicks")} == \
           {"sent": "2", "delivered": "2", "opens": "1", "open_rate": "50.0%", "clicks": "1", "all_clicks": "2"}


def test_a_draft_has_no_numbers_to_link_yet(marketer_client, marketer):
    draft = a_mass_email("Draft", owner_id=marketer)

    page = marketer_client.get("/mass-emails")

    assert _ids(page) == [draft.id] and list_stats(page, draft.id) == {}


@pytest.fixture
def two_users(app, marketer, admin):
    """Mass emails of the marketer (Mine 1, Mine 2) and of the admin (Theirs); returns their ids by name."""
    made = {name: a_mass_email(name, owner_id=owner, state="sent").id
            for name, owner in (("Mine 1", marketer), ("Mine 2", marketer), ("Theirs", admin))}
    return made


def test_scopes_show_mine_by_default_everyones_in_account_and_hidden_apart(marketer_client, two_users):
    mine, account = set(_shown(marketer_client)), set(_shown(marketer_client, scope="account"))

    assert mine == {two_users["Mine 1"], two_users["Mine 2"]}
    assert account == set(two_users.values())
    assert _shown(marketer_client, scope="hidden") == []
    assert b"Nothing hidden" in marketer_client.get("/mass-emails?scope=hidden").data


def test_hiding_takes_a_row_off_my_lists_only_for_me(app, marketer_client, admin_client, two_users):
    response = marketer_client.post(f"/mass-emails/{two_users['Theirs']}/hide", htmx=True)
    marketer_client.post(f"/mass-emails/{two_users['Mine 1']}/hide", htmx=True)

    assert response.status_code == 200 and b"Undo" in response.data and b'data-row-gone' in response.data
    assert _shown(marketer_client) == [two_users["Mine 2"]]
    assert _shown(marketer_client, scope="account") == [two_users["Mine 2"]]
    assert set(_shown(marketer_client, scope="hidden")) == {two_users["Theirs"], two_users["Mine 1"]}
    assert b"Unhide" in marketer_client.get("/mass-emails?scope=hidden").data
    # The admin hid nothing: every list of theirs is as before.
    assert set(_shown(admin_client, scope="account")) == set(two_users.values())
    assert _shown(admin_client, scope="hidden") == []


def test_unhiding_brings_a_row_back_and_undo_answers_the_row(marketer_client, two_users):
    mine = two_users["Mine 1"]
    marketer_client.post(f"/mass-emails/{mine}/hide", htmx=True)
    marketer_client.post(f"/mass-emails/{mine}/hide", htmx=True)  # twice is once

    gone = marketer_client.post(f"/mass-emails/{mine}/unhide", htmx=True)
    assert b"is back in your lists" in gone.data and mine in _shown(marketer_client)
    undone = marketer_client.post(f"/mass-emails/{mine}/hide", data={"answer": "row"}, htmx=True)
    assert _ids(undone) == [mine] and b">Unhide<" in undone.data
    assert _shown(marketer_client, scope="hidden") == [mine]


def test_hiding_without_script_redirects_back_to_the_list_with_a_message(marketer_client, two_users):
    response = marketer_client.post(f"/mass-emails/{two_users['Mine 1']}/hide", data={"next": "/mass-emails?scope=account"})

    assert response.status_code == 303 and response.location == "/mass-emails?scope=account"
    page = marketer_client.get(response.location)
    assert "Hid “Mine 1”".encode() in page.data and two_users["Mine 1"] not in _ids(page)
    elsewhere = marketer_client.post(f"/mass-emails/{two_users['Mine 2']}/hide", data={"next": "https://evil.example/"})
    assert elsewhere.location == "/mass-emails"


def test_hiding_needs_the_csrf_token_and_an_existing_mass_email(marketer_client, two_users):
    assert marketer_client.post(f"/mass-emails/{two_users['Mine 1']}/hide", csrf=False).status_code == 400
    assert marketer_client.post("/mass-emails/999999/hide").status_code == 404
    assert _shown(marketer_client, scope="hidden") == []


def test_an_empty_list_says_why(marketer_client, two_users):
    for mass_email_id in (two_users["Mine 1"], two_users["Mine 2"]):
        marketer_client.post(f"/mass-emails/{mass_email_id}/hide", htmx=True)

    assert b"You have hidden every mass email here" in marketer_client.get("/mass-emails").data
    filtered = marketer_client.get("/mass-emails?scope=account&state=draft")
    assert b"No mass email matches these filters" in filtered.data and b"Clear filters" in filtered.data


def _many(owner, count, **fields):
    """`count` mass emails written in one statement (names m000...), each a sent count of n % 7."""
    template_version_id = a_mass_email("seed", owner_id=owner).template_version_id
    db.session.execute(insert(MassEmail), [
        {"name": f"m{n:03}", "owner_id": owner, "template_version_id": template_version_id, "state": "sent",
         "sent_count": n % 7, "delivered_count": n % 5, "unique_open_count": n % 3, "list_size_all": 10,
         "list_size_emailing": None if n % 4 == 0 else 10 - n % 3, "started_at": None if n % 6 == 0 else T0 + timedelta(hours=n),
         "created_at": T0 + timedelta(minutes=n % 11), **fields} for n in range(count)])
    db.session.commit()


def _expected(owner, sort, descending):
    """Every mass email of `owner`, in the order the list promises: by key (NULL largest), then id."""
    rows = db.session.scalars(db.select(MassEmail).where(MassEmail.owner_id == owner)).all()
    value = {"name": lambda m: m.name.lower(), "sent": lambda m: m.sent_count, "started": lambda m: m.started_at,
             "emailing": lambda m: m.list_size_emailing, "created": lambda m: m.created_at,
             "open_rate": lambda m: m.unique_open_count / m.delivered_count if m.delivered_count else None}[sort]
    present = sorted((m for m in rows if value(m) is not None), key=lambda m: (value(m), m.id), reverse=descending)
    missing = sorted((m for m in rows if value(m) is None), key=lambda m: m.id, reverse=descending)
    return [m.id for m in (missing + present if descending else present + missing)]


def _walk(client, first_url):
    """(ids page by page going forward, the ids going back from the last page)."""
    forward, response = [], client.get(first_url, htmx=True)
    while True:
        forward.append(_ids(response))
        found = re.search(rb'href="([^"]+)" hx-get="[^"]+" hx-target="#mass-emails" hx-swap="outerHTML" rel="next"', response.data)
        if not found:
            break
        response = client.get(html.unescape(found.group(1).decode()), htmx=True)
    back = [forward[-1]]
    while True:
        found = re.search(rb'href="([^"]+)" hx-get="[^"]+" hx-target="#mass-emails" hx-swap="outerHTML" rel="prev"', response.data)
        if not found:
            break
        response = client.get(html.unescape(found.group(1).decode()), htmx=True)
        back.append(_ids(response))
    return forward, back[::-1]


@pytest.mark.parametrize("sort", ["sent", "started", "emailing", "open_rate", "name", "created"])
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_keyset_pages_walk_every_row_once_forward_and_back_in_each_order(ctx, marketer_client, marketer, sort, direction):
    _many(marketer, 120)
    expected = _expected(marketer, sort, direction == "desc")

    forward, back = _walk(marketer_client, f"/mass-emails?sort={sort}&dir={direction}")

    assert [len(page) for page in forward] == [50, 50, 21]
    assert sum(forward, []) == expected and back == forward


@pytest.mark.parametrize("sort", [key for key in listing.SORTS if key not in ("name", "sent", "started", "emailing", "open_rate", "created")])
def test_every_column_sorts_both_ways(ctx, marketer_client, marketer, admin, sort):
    for n, owner in enumerate((marketer, admin, None, marketer)):
        a_mass_email(f"n{n}", owner_id=owner, from_email=f"f{3 - n}@example.com", state=("sent", "paused", "draft", "failed")[n],
                     **{name: (n * 7 + offset) % 5 for offset, name in enumerate(COUNTERS) if name.endswith("_count")})

    ascending, descending = (_shown(marketer_client, scope="account", sort=sort, dir=d) for d in ("asc", "desc"))

    assert sorted(ascending) == sorted(descending) and len(ascending) == 4 and ascending == descending[::-1]
    key = listing.SORTS[sort][0]
    values = [db.session.execute(db.select(key).select_from(MassEmail).outerjoin(listing.User, listing.User.id == MassEmail.owner_id)
                                 .join(listing.TemplateVersion, listing.TemplateVersion.id == MassEmail.template_version_id)
                                 .where(MassEmail.id == mass_email_id)).scalar() for mass_email_id in ascending]
    present = [value for value in values if value is not None]
    assert present == sorted(present) and values[len(present):] == [None] * (len(values) - len(present))


def test_a_sort_header_flips_the_direction_and_keeps_the_filters(marketer_client, two_users):
    page = marketer_client.get("/mass-emails?scope=account&state=sent&sort=sent&dir=asc", htmx=True)

    assert 'href="/mass-emails?scope=account&amp;state=sent&amp;sort=sent&amp;dir=desc"' in page.data.decode()
    assert 'aria-sort="ascending"' in page.data.decode()


def test_filters_by_status_campaign_and_created_dates(ctx, marketer_client, marketer):
    made = {name: a_mass_email(name, owner_id=marketer, state=state, campaign=campaign, created_at=T0 + timedelta(days=day)).id
            for name, state, campaign, day in (("a", "sent", "Spring", 0), ("b", "paused", "Spring", 1),
                                               ("c", "sent", "Summer", 2), ("d", "draft", None, 3))}

    assert set(_shown(marketer_client, state="sent")) == {made["a"], made["c"]}
    assert set(_shown(marketer_client, campaign="Spring")) == {made["a"], made["b"]}
    assert set(_shown(marketer_client, **{"from": "2026-06-02", "to": "2026-06-03"})) == {made["b"], made["c"]}
    assert _shown(marketer_client, state="sent", campaign="Spring", to="2026-06-01") == [made["a"]]
    page = marketer_client.get("/mass-emails?campaign=Summer").data.decode()
    assert "<option selected>Summer</option>" in page and "<option>Spring</option>" in page


@pytest.mark.parametrize("query", ["scope=everyone", "sort=password", "dir=up", "state=lost", "from=yesterday", "to=2026-13-01",
                                   "after=not-a-cursor", "before=WzEsIDJd", "sort=created&after=WyJ4IiwgMV0", "campaign=" + "x" * 201,
                                   "sort=sent&after=WyIxIiwgMV0"])
def test_a_bad_parameter_is_a_400_not_a_500(marketer_client, query):
    assert marketer_client.get(f"/mass-emails?{query}").status_code == 400


def test_the_htmx_answer_is_the_fragment_and_pushes_the_tidy_url(marketer_client, two_users):
    page = marketer_client.get("/mass-emails?scope=account&state=&campaign=&from=&to=", htmx=True)

    assert b"<html" not in page.data and b'id="mass-emails"' in page.data
    assert page.headers["HX-Push-Url"] == "/mass-emails?scope=account"
    assert b"<html" in marketer_client.get("/mass-emails?scope=account").data


@pytest.fixture
def drips(app, marketer, admin):
    """A sending drip of the marketer's and one of the admin's; (mine, theirs)."""
    return tuple(a_mass_email(name, owner_id=owner, state="sending", list_size_all=40, list_size_emailing=30, sent_count=12,
                              started_at=T0, **A_DRIP).id for name, owner in (("My drip", marketer), ("Admin drip", admin)))


def test_a_drip_row_shows_its_progress_play_pause_and_edit(marketer_client, drips):
    mine, theirs = drips
    page = marketer_client.get("/mass-emails?scope=account").data.decode()

    row = re.search(rf'<tr id="mass-email-{mine}".*?</tr>', page, re.S).group(0)
    assert '<progress max="30" value="12"' in row and "12 of 30" in row
    assert f'hx-post="/mass-emails/{mine}/pause"' in row and f'href="/mass-emails/{mine}/edit"' in row
    # Someone else's drip: read it all, change nothing.
    other = re.search(rf'<tr id="mass-email-{theirs}".*?</tr>', page, re.S).group(0)
    assert "<progress" in other and "/pause" not in other and "/edit" not in other


def test_pausing_and_resuming_a_drip_from_its_row_answers_the_row(app, marketer_client, drips):
    mine = drips[0]
    row_url = f"/mass-emails/{mine}/list-row?next=/mass-emails%3Fscope%3Daccount"

    paused = marketer_client.post(f"/mass-emails/{mine}/pause", data={"next": row_url}, htmx=True, follow_redirects=True)

    assert _ids(paused) == [mine] and b"<html" not in paused.data
    assert b'data-state="paused"' in paused.data and b"Paused." in paused.data
    assert f'hx-post="/mass-emails/{mine}/resume"'.encode() in paused.data
    assert b'name="next" value="/mass-emails?scope=account"' in paused.data  # its forms still come back to that page
    resumed = marketer_client.post(f"/mass-emails/{mine}/resume", data={"next": row_url}, htmx=True, follow_redirects=True)
    assert b'data-state="sending"' in resumed.data and b"Sending again." in resumed.data
    again = marketer_client.post(f"/mass-emails/{mine}/resume", data={"next": row_url}, htmx=True, follow_redirects=True)
    assert b"flash-error" in again.data  # it is sending already: said in the row, not lost
    with app.app_context():
        assert db.session.get(MassEmail, mine).state == "sending"


def test_pausing_without_script_comes_back_to_the_list(marketer_client, drips):
    response = marketer_client.post(f"/mass-emails/{drips[0]}/pause", data={"next": "/mass-emails?scope=account"})

    assert response.status_code == 303 and response.location == "/mass-emails?scope=account"
    assert b"Paused." in marketer_client.get(response.location).data
    assert marketer_client.get(f"/mass-emails/{drips[0]}/list-row").status_code == 303  # a row alone is no page


def test_a_marketer_cannot_pause_another_users_drip_but_an_admin_can(app, marketer_client, admin_client, drips):
    theirs = drips[1]

    assert marketer_client.post(f"/mass-emails/{theirs}/pause", data={"next": "/mass-emails"}, htmx=True).status_code == 403
    assert theirs in _shown(marketer_client, scope="account")
    assert f'hx-post="/mass-emails/{drips[0]}/pause"'.encode() in admin_client.get("/mass-emails?scope=account").data
    assert admin_client.post(f"/mass-emails/{theirs}/pause", data={"next": "/mass-emails"}).status_code == 303
    with app.app_context():
        assert db.session.get(MassEmail, theirs).state == "paused"


def test_a_user_without_a_name_is_shown_by_email(marketer_client, marketer):
    nameless = a_user("marketer", "nameless@example.com", name="")
    a_mass_email("Theirs", owner_id=nameless.id, template=a_template("Other"))

    assert b"nameless@example.com" in marketer_client.get("/mass-emails?scope=account").data
