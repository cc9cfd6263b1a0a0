"""Counts right by construction: a crafted stream of events (bots, people, duplicates, out of order, a hard
bounce after delivery) goes through the real ingestion, and every card, sub-card, card table and list column
must say exactly the known truth."""
from sqlalchemy import update

from tests.events.helpers import BROWSER, a_sent_mass_email, event
from tests.reports.helpers import list_stats, report_ids
from webapp.events.ingest import ingest
from webapp.extensions import db
from webapp.sending.models import MassEmail

PEOPLE = ("person", "fast", "scanner", "bounced", "complainer", "unsubscriber", "deferred", "silent")
HARD = {"kind": "hard", "status": "5.1.1", "diagnostic": "no such user"}

# Who belongs to each card and sub-card, by hand.
TRUTH = {
    ("sent", "all"): set(PEOPLE),
    ("delivered", "all"): set(PEOPLE) - {"bounced"},
    ("bounced", "all"): {"bounced"},
    ("deferred", "all"): {"deferred"},
    ("opens", "all"): {"person", "fast", "scanner", "complainer", "unsubscriber"},
    ("opens", "human"): {"person", "complainer", "unsubscriber"},
    ("opens", "bot"): {"fast", "scanner"},
    ("opens", "none"): {"bounced", "deferred", "silent"},
    ("clicks", "all"): {"person", "scanner"},
    ("clicks", "human"): {"person"},
    ("clicks", "bot"): {"scanner"},
    ("clicks", "none"): set(PEOPLE) - {"person", "scanner"},
    ("all_clicks", "all"): {"person", "scanner"},
    ("spam", "all"): {"complainer"},
    ("unsubscribed", "all"): {"unsubscriber"},
    ("dropped", "all"): set(),
}


def _stream(ids):
    person, fast, scanner, bounced, complainer, unsubscriber, deferred, silent = (ids[name] for name in PEOPLE)
    deliveries = [event("delivered", rid, 0, f"d{rid}") for rid in (person, fast, scanner, complainer, unsubscriber, silent)]
    deliveries += [event("delivered", bounced, 10, "d-bounced"), event("deferred", deferred, 30, "q-deferred"),
                   event("delivered", deferred, 3600, "d-deferred")]
    engagement = [
        event("open", person, 500, "p-open", user_agent=BROWSER),
        event("click", person, 530, "p-click-1", link_index=0, url="https://example.com/a", user_agent=BROWSER),
        event("click", person, 560, "p-click-2", link_index=1, url="https://example.com/b", user_agent=BROWSER),
        event("open", fast, 1, "f-open", user_agent=BROWSER),  # a second after delivery: a scanner
        event("open", scanner, 300, "s-open", user_agent="Mozilla/5.0 (compatible; Barracuda Sentinel (EE))"),
        event("click", scanner, 400, "s-click-1", link_index=0, url="https://example.com/a", user_agent=BROWSER),
        event("click", scanner, 400, "s-click-2", link_index=1, url="https://example.com/b", user_agent=BROWSER),
        event("bounced", bounced, 900, "b-hard", detail=HARD),
        event("delivered", bounced, 20, "d-bounced-late"),  # a late report of the delivery before the bounce
        event("open", complainer, 600, "c-open", user_agent=BROWSER),
        event("complaint", complainer, 700, "c-spam"),
        event("open", unsubscriber, 650, "u-open", user_agent=BROWSER),
        event("unsubscribe", unsubscriber, 660, "u-unsub", source="one_click", detail={"scope": "all"}),
    ]
    return deliveries, engagement


def test_every_card_sub_card_table_and_list_column_says_the_truth(ctx, marketer_client):
    mail_id, recipient_ids = a_sent_mass_email(len(PEOPLE))
    db.session.execute(update(MassEmail).values(list_size_all=len(PEOPLE), list_size_emailing=len(PEOPLE)))
    db.session.commit()
    ids = dict(zip(PEOPLE, recipient_ids))
    names = {rid: name for name, rid in ids.items()}
    deliveries, engagement = _stream(ids)

    ingest(deliveries)
    ingest(list(reversed(engagement)))  # out of order
    repeated = ingest(engagement + deliveries)  # every provider retries

    assert (repeated.stored, repeated.repeats) == (0, len(engagement) + len(deliveries))
    page = marketer_client.get(f"/mass-emails/{mail_id}").get_data(as_text=True)
    list_row = list_stats(marketer_client.get("/mass-emails", query_string={"scope": "account"}), mail_id)
    for (card, sub), expected in TRUTH.items():
        args = {"card": card} if sub == "all" else {"card": card, "sub": sub}
        shown = {names[rid] for rid in report_ids(marketer_client, mail_id, **args)}
        assert shown == expected, (card, sub)
        if sub == "all":
            if card != "all_clicks":  # that card counts clicks; its table lists the clickers
                assert f'data-card-count="{card}">{len(expected)}<' in page, card
                assert list_row[card][1] == str(len(expected)), card
        else:
            sub_cards = marketer_client.get(f"/mass-emails/{mail_id}/report", query_string=args, htmx=True).get_data(as_text=True)
            assert f'data-sub-count="{sub}">{len(expected)}<' in sub_cards, (card, sub)
    assert 'data-card-count="all_clicks">4<' in page and list_row["all_clicks"][1] == "4"  # clicks, not clickers
    assert list_row["open_rate"][1] == f"{5 / 7:.1%}"  # unique opens of delivered
