"""The detail view of a mass email: stat cards, sub-cards, the contact table and its CSV export, with known truth."""
import csv
import io
import re
from datetime import datetime, timedelta

import pytest

from tests.factories import a_contact, a_mass_email, a_recipient, an_event
from tests.reports.helpers import recipient_ids, report_ids
from webapp.extensions import db
from webapp.sending.models import Recipient

T0 = datetime(2026, 6, 1, 9, 0)


@pytest.fixture
def report(app):
    """A sent mass email whose recipients each stand for one card; its counters say what they are."""
    mass_email = a_mass_email(state="sent", list_size_all=9, list_size_emailing=8, sent_count=7, delivered_count=4,
                              bounced_count=1, dropped_count=1, deferred_count=1, unique_open_count=3, human_open_count=1,
                              open_count=5, unique_click_count=2, human_click_count=1, click_count=4, complaint_count=1,
                              unsubscribe_count=1)
    people = {}

    def add(key, email, first="", last="", **fields):
        contact = a_contact(email, first_name=first, last_name=last)
        fields.setdefault("status_changed_at", T0 + timedelta(minutes=len(people)))
        people[key] = a_recipient(mass_email, email, contact=contact, **fields).id

    sent = dict(sent_at=T0)
    add("human", "hugo@example.org", "Hugo", "Human", status="delivered", delivered_at=T0, first_opened_at=T0,
        first_clicked_at=T0, human_at=T0, open_count=2, click_count=3, **sent)
    add("bot", "bob@example.org", "Bob", "Bot", status="delivered", delivered_at=T0, first_opened_at=T0,
        first_clicked_at=T0, open_count=2, click_count=1, **sent)
    add("opener", "olga@example.org", "Olga", "Opener", status="delivered", delivered_at=T0, first_opened_at=T0,
        open_count=1, **sent)
    add("quiet", "=cmd@example.org", "=SUM(A1)", "Quiet", status="delivered", delivered_at=T0, unsubscribed_at=T0,
        complained_at=T0, **sent)
    add("bounced", "bea@example.org", "Bea", "Bounce", status="bounced", bounce_kind="hard",
        smtp_reply="550 5.1.1 no such user", deferred_at=T0, **sent)
    add("sent", "sam@example.org", "Sam", "Sent", status="sent", **sent)
    add("unconfirmed", "uma@example.org", "Uma", "Unconfirmed", status="unconfirmed", **sent)
    add("queued", "quinn@example.org", "Quinn", "Queued", status="queued", status_changed_at=None)
    add("dropped", "dora@example.org", "Dora", "Dropped", status="dropped", drop_reason="suppressed_hard_bounce")
    return mass_email.id, people


CARD_TRUTH = {
    "emailing": {"human", "bot", "opener", "quiet", "bounced", "sent", "unconfirmed", "queued"},
    "sent": {"human", "bot", "opener", "quiet", "bounced", "sent", "unconfirmed"},
    "delivered": {"human", "bot", "opener", "quiet"},
    "opens": {"human", "bot", "opener"},
    "clicks": {"human", "bot"},
    "all_clicks": {"human", "bot"},
    "bounced": {"bounced"},
    "dropped": {"dropped"},
    "deferred": {"bounced"},
    "spam": {"quiet"},
    "unsubscribed": {"quiet"},
}


@pytest.mark.parametrize("card", CARD_TRUTH)
def test_each_card_lists_exactly_its_recipients(marketer_client, report, card):
    mass_email_id, people = report

    assert set(report_ids(marketer_client, mass_email_id, card=card)) == {people[key] for key in CARD_TRUTH[card]}


def test_the_page_shows_the_stored_counters_with_rates_and_the_header(marketer_client, report):
    mass_email_id, people = report
    page = marketer_client.get(f"/mass-emails/{mass_email_id}?card=dropped")

    assert page.status_code == 200 and b"<html" in page.data
    assert b'data-card-count="delivered">4<' in page.data and b"Delivered \xc2\xb7 57.1%" in page.data  # 4 of 7 sent
    assert b'data-card-count="all_clicks">4<' in page.data and b'data-card-count="spam">1<' in page.data
    assert b"Suppressed: hard bounce 1" in page.data  # the dropped card's reasons
    assert b"data-message-link" in page.data and b"/t/v/" in page.data
    assert recipient_ids(page) == [people["dropped"]]
    assert b'id="progress"' in page.data  # the progress, pause and cancel stay on the page


@pytest.mark.parametrize("card, sub, expected", [
    ("opens", "human", {"human"}), ("opens", "bot", {"bot", "opener"}), ("opens", "all", {"human", "bot", "opener"}),
    ("opens", "none", {"quiet", "bounced", "sent", "unconfirmed"}),
    ("clicks", "human", {"human"}), ("clicks", "bot", {"bot"}),
    ("clicks", "none", {"opener", "quiet", "bounced", "sent", "unconfirmed"}),
])
def test_sub_cards_split_engaged_recipients_into_human_bot_and_not_engaged(marketer_client, report, card, sub, expected):
    mass_email_id, people = report

    assert set(report_ids(marketer_client, mass_email_id, card=card, sub=sub)) == {people[key] for key in expected}


def test_the_sub_cards_and_bot_notice_show_counts_and_link_to_the_bot_rules(marketer_client, report):
    mass_email_id, _people = report
    fragment = marketer_client.get(f"/mass-emails/{mass_email_id}/report?card=opens", htmx=True)

    assert b'data-sub-count="human">1<' in fragment.data and b'data-sub-count="bot">2<' in fragment.data
    assert b'data-sub-count="none">4<' in fragment.data and b"Did Not Open" in fragment.data
    assert b'href="/settings/bot-rules"' in fragment.data and b"data-bot-notice" in fragment.data
    assert fragment.headers["HX-Push-Url"] == f"/mass-emails/{mass_email_id}?card=opens"
    assert b"<html" not in fragment.data


def test_search_matches_email_or_name_and_the_status_filter_narrows(marketer_client, report):
    mass_email_id, people = report

    assert report_ids(marketer_client, mass_email_id, q="OLGA") == [people["opener"]]
    assert report_ids(marketer_client, mass_email_id, q="bot") == [people["bot"]]  # Bob Bot's name and email
    assert report_ids(marketer_client, mass_email_id, q="100%_") == []  # wildcards are literal
    assert set(report_ids(marketer_client, mass_email_id, card="sent", status="delivered")) == \
        {people[key] for key in ("human", "bot", "opener", "quiet")}


@pytest.mark.parametrize("sort", ["name", "email", "status", "date"])
def test_each_sort_orders_both_ways(marketer_client, report, sort):
    mass_email_id, people = report
    ascending = report_ids(marketer_client, mass_email_id, sort=sort, dir="asc")
    descending = report_ids(marketer_client, mass_email_id, sort=sort, dir="desc")

    assert len(ascending) == 8 and set(ascending) == set(descending)
    if sort in ("email", "date"):  # unique keys: one order exactly reverses the other
        assert descending == ascending[::-1]
    if sort == "email":
        assert ascending[0] == people["quiet"] and ascending[1] == people["bounced"]  # "=cmd" sorts first
    if sort == "date":
        assert ascending[-1] == people["queued"]  # never changed: after every date


def test_keyset_pages_walk_forward_and_back_without_gaps_or_repeats(app, marketer_client, report):
    from webapp.reports import detail

    mass_email_id, _people = report
    with app.app_context():
        for sort in detail.SORTS:
            for direction in ("asc", "desc"):
                selection = detail.Selection(sort=sort, dir=direction)
                everything = [row.id for row in detail.contact_page(mass_email_id, selection, size=100).rows]
                pages, page = [], detail.contact_page(mass_email_id, selection, size=3)
                pages.append([row.id for row in page.rows])
                while page.next_cursor:
                    page = detail.contact_page(mass_email_id, selection, after=page.next_cursor, size=3)
                    pages.append([row.id for row in page.rows])
                assert sum(pages, []) == everything, (sort, direction)
                back = detail.contact_page(mass_email_id, selection, before=page.previous_cursor, size=3)
                assert [row.id for row in back.rows] == pages[-2]


def test_the_next_link_of_the_page_leads_to_the_following_rows(marketer_client, report, monkeypatch):
    from webapp.reports import detail

    mass_email_id, _people = report
    monkeypatch.setattr(detail, "PAGE_SIZE", 5)
    monkeypatch.setattr(detail.contact_page, "__defaults__", (None, None, 5))
    first = marketer_client.get(f"/mass-emails/{mass_email_id}/report?sort=email&dir=asc", htmx=True)
    next_url = re.search(rb'hx-get="([^"]+)"[^>]*rel="next"', first.data).group(1).decode().replace("&amp;", "&")
    second = marketer_client.get(next_url, htmx=True)

    assert len(recipient_ids(first)) == 5 and len(recipient_ids(second)) == 3 and not set(recipient_ids(first)) & set(recipient_ids(second))
    assert b'rel="prev"' in second.data and b'rel="next"' not in second.data


def test_the_export_has_exactly_the_rows_shown_and_neutralises_formulas(marketer_client, report):
    mass_email_id, people = report
    args = {"card": "delivered", "sort": "email", "dir": "asc"}
    shown = report_ids(marketer_client, mass_email_id, **args)
    response = marketer_client.get(f"/mass-emails/{mass_email_id}/export.csv", query_string=args)
    rows = list(csv.DictReader(io.StringIO(response.data.decode())))

    assert response.status_code == 200 and response.mimetype == "text/csv"
    emails = {people[key]: email for key, email in (("human", "hugo@example.org"), ("bot", "bob@example.org"),
                                                     ("opener", "olga@example.org"), ("quiet", "'=cmd@example.org"))}
    assert [row["email"] for row in rows] == [emails[recipient_id] for recipient_id in shown]
    assert rows[0]["first_name"] == "'=SUM(A1)"
    assert rows[1]["opens"] == "2" and rows[1]["status"] == "delivered"


def test_the_export_follows_sub_card_search_and_filter(marketer_client, report):
    mass_email_id, _people = report

    def emails(**args):
        response = marketer_client.get(f"/mass-emails/{mass_email_id}/export.csv", query_string=args)
        return [row["email"] for row in csv.DictReader(io.StringIO(response.data.decode()))]

    assert emails(card="opens", sub="human") == ["hugo@example.org"]
    assert emails(q="olga") == ["olga@example.org"]
    assert emails(card="bounced", status="delivered") == []


@pytest.mark.parametrize("query", [
    "card=nope", "sub=human", "card=opens&sub=robots", "sort=password", "dir=sideways", "status=lost",
    "after=xyz", "after=WzEsMl0", "before=bnVsbA", "after=WyJhIiwgdHJ1ZV0", "sort=date&after=WyJub3QgYSBkYXRlIiwgMV0",
])
def test_bad_parameters_answer_400_never_500(marketer_client, report, query):
    mass_email_id, _people = report

    urls = [f"/mass-emails/{mass_email_id}?{query}", f"/mass-emails/{mass_email_id}/report?{query}"]
    if "after=" not in query and "before=" not in query:  # the export is every page: it has no cursor
        urls.append(f"/mass-emails/{mass_email_id}/export.csv?{query}")
    for url in urls:
        assert marketer_client.get(url, htmx="/report" in url).status_code == 400, url


def test_a_draft_or_missing_mass_email_has_no_report(marketer_client):
    draft = a_mass_email()

    assert marketer_client.get(f"/mass-emails/{draft.id}/report", htmx=True).status_code == 404
    assert marketer_client.get("/mass-emails/99999/export.csv").status_code == 404


def test_the_report_url_without_htmx_leads_to_the_page(marketer_client, report):
    mass_email_id, _people = report
    response = marketer_client.get(f"/mass-emails/{mass_email_id}/report?card=spam")

    assert response.status_code == 303 and response.location == f"/mass-emails/{mass_email_id}?card=spam"


def test_the_side_panel_lists_the_history_with_verdicts_and_polls_until_final(ctx, marketer_client, report):
    mass_email_id, people = report
    bot = db.session.get(Recipient, people["bot"])
    an_event(bot, "open", T0 + timedelta(seconds=5), user_agent="GoogleImageProxy", verdict="proxy", verdict_rule="privacy_proxy")
    an_event(bot, "delivered", T0, source="smtp")
    an_event(bot, "click", T0 + timedelta(hours=1), verdict="human", user_agent=(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
        "Mobile/15E148 Safari/604.1"))
    url = f"/mass-emails/{mass_email_id}/recipients/{people['bot']}"
    panel = marketer_client.get(url, htmx=True)

    assert panel.status_code == 200 and b'hx-trigger="every 3s"' in panel.data
    assert panel.data.index(b'data-event="delivered"') < panel.data.index(b'data-event="open"')
    assert b"Privacy proxy" in panel.data and b"a mail provider&#39;s image proxy" in panel.data and b"GoogleImageProxy" in panel.data
    assert b"Mobile Safari on iOS, iPhone" in panel.data  # the device, in words, from the user agent
    bounced = marketer_client.get(f"/mass-emails/{mass_email_id}/recipients/{people['bounced']}", htmx=True)
    assert bounced.status_code == 286 and b"every 3s" not in bounced.data and b"550 5.1.1 no such user" in bounced.data
    closed = marketer_client.get(url + "?closed=1", htmx=True)
    assert closed.status_code == 286 and b"hidden" in closed.data and b"data-event" not in closed.data


def test_the_side_panel_of_a_recipient_of_another_mass_email_is_404(marketer_client, report):
    mass_email_id, people = report
    other = a_mass_email("Other", state="sent")

    assert marketer_client.get(f"/mass-emails/{other.id}/recipients/{people['bot']}", htmx=True).status_code == 404
    assert marketer_client.get(f"/mass-emails/{mass_email_id}/recipients/99999", htmx=True).status_code == 404


def test_the_charts_stack_human_and_bot_events_per_time_bucket(ctx, marketer_client, report):
    from webapp.reports.detail_charts import engagement_chart

    mass_email_id, people = report
    human = db.session.get(Recipient, people["human"])
    for minute, verdict in ((0, "human"), (1, "bot"), (2, None), (45, "human")):
        an_event(human, "open", T0 + timedelta(minutes=minute), verdict=verdict)
    chart = engagement_chart(mass_email_id, "open")

    assert engagement_chart(mass_email_id, "click") is None
    assert chart.width == timedelta(minutes=5) and len(chart.bars) == 10
    assert (chart.bars[0].human, chart.bars[0].bot) == (1, 2) and (chart.bars[-1].human, chart.bars[-1].bot) == (1, 0)
    assert chart.total == 4 and chart.peak == 3 and chart.bars[0].start == T0
    page = marketer_client.get(f"/mass-emails/{mass_email_id}/charts", htmx=True)
    assert b'data-chart="opens"' in page.data and page.data.count(b'class="bar-human"') == 10 and b"No clicks yet." in page.data


def test_clicks_per_link_counts_each_link_human_and_bot_most_clicked_first(ctx, marketer_client, report):
    from webapp.reports.detail_charts import MOST_LINKS, link_chart

    mass_email_id, people = report
    assert link_chart(mass_email_id) is None
    human, bot = db.session.get(Recipient, people["human"]), db.session.get(Recipient, people["bot"])
    pricing, blog = "https://example.com/pricing", "https://example.com/blog"
    an_event(human, "click", T0, url=pricing, verdict="human")
    an_event(human, "click", T0 + timedelta(minutes=1), url=pricing, verdict="human")
    an_event(bot, "click", T0, url=pricing, verdict="bot")
    an_event(bot, "click", T0 + timedelta(seconds=1), url=blog, verdict="bot")
    an_event(bot, "click", T0 + timedelta(seconds=3), url=blog, verdict="bot")
    an_event(bot, "click", T0 + timedelta(seconds=2), url=None, verdict="bot", detail={"hidden_link": True})
    for n in range(MOST_LINKS):  # one click each on ten more links: the chart keeps the ten most clicked
        an_event(human, "click", T0 + timedelta(hours=1, minutes=n), url=f"https://example.com/{n:02}", verdict="human")

    chart = link_chart(mass_email_id)

    assert (chart.bars[0].url, chart.bars[0].human, chart.bars[0].bot, chart.bars[0].people) == (pricing, 2, 1, 2)
    assert (chart.bars[1].url, chart.bars[1].human, chart.bars[1].bot, chart.bars[1].people) == (blog, 0, 2, 1)
    assert len(chart.bars) == MOST_LINKS and chart.more == 2 and chart.peak == 3
    page = marketer_client.get(f"/mass-emails/{mass_email_id}/charts", htmx=True)
    assert page.data.count(b"<g data-link=") == MOST_LINKS and b"2 more links not shown" in page.data
    without_script = marketer_client.get(f"/mass-emails/{mass_email_id}/charts")  # the page's <noscript> link
    assert b"<html" in without_script.data and b'data-chart="links"' in without_script.data and b"Back to the report" in without_script.data
