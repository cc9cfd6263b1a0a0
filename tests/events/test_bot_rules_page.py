"""The Bot rules page: what each rule decides, and a change that judges the stored events again."""
from datetime import datetime, timedelta

from sqlalchemy import select

from tests.factories import a_mass_email, a_recipient
from webapp.common.queues import queue
from webapp.events import recompute
from webapp.events.ingest import Incoming, ingest
from webapp.events.models import Event
from webapp.extensions import db
from webapp.sending.models import MassEmail, Recipient
from webapp.settings.service import get_settings

T0 = datetime(2026, 6, 1, 9, 0)
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def opened_after(seconds_list):
    """A sent mass email whose recipients opened it these many seconds after it was sent; returns its id."""
    mail = a_mass_email(state="sent")
    events = []
    for n, seconds in enumerate(seconds_list):
        recipient = a_recipient(mail, f"p{n}@example.com", status="sent", sent_at=T0)
        events.append(Incoming("open", T0 + timedelta(seconds=seconds), "pixel", recipient.id, user_agent=BROWSER,
                               dedupe_key=f"o{n}"))
    ingest(events)
    return mail.id


def human_opens(mail_id):
    db.session.expire_all()
    return db.session.get(MassEmail, mail_id).human_open_count


def test_the_page_shows_what_each_rule_decides(ctx, admin_client):
    opened_after([1, 1, 60])

    page = admin_client.get("/settings/bot-rules").get_data(as_text=True)

    assert page.count('class="rule-count"') == 7
    assert 'data-rule="fast_open" title="Stored opens and clicks this rule decides"><strong>2</strong>' in page
    assert 'data-rule="human" title="Stored opens and clicks this rule decides"><strong>1</strong>' in page


def test_loosening_a_rule_judges_the_stored_events_again_and_corrects_the_counts(ctx, admin_client):
    mail_id = opened_after([1, 1, 60])
    assert human_opens(mail_id) == 1

    response = admin_client.post("/settings/bot-rules", data={
        "bot_open_seconds": "", "bot_click_seconds": "2", "bot_scanner_agents": "y", "bot_hidden_link": "y",
        "bot_machine_opens": "y"}, htmx=True)

    assert response.status_code == 200 and "being judged again" in response.get_data(as_text=True)
    assert get_settings().bot_open_seconds is None
    (job,) = queue("default").jobs
    assert job.func_name == "jobs.events.rejudge_events"
    recompute.run(*job.args)  # what the worker does
    assert human_opens(mail_id) == 3
    assert {rule for rule, in db.session.execute(select(Event.verdict_rule))} == {None}
    assert all(r.human_at is not None for r in db.session.scalars(select(Recipient)))
    progress = admin_client.get("/settings/bot-rules/progress", htmx=True)
    assert progress.status_code == 286 and "judged again by these rules" in progress.get_data(as_text=True)


def test_saving_unchanged_rules_judges_nothing_again(ctx, admin_client):
    opened_after([1])

    response = admin_client.post("/settings/bot-rules", data={
        "bot_open_seconds": "2", "bot_click_seconds": "2", "bot_scanner_agents": "y", "bot_hidden_link": "y",
        "bot_machine_opens": "y"}, htmx=True)

    assert "The rules are as they were" in response.get_data(as_text=True) and queue("default").count == 0


def test_a_bad_number_is_refused_with_the_field_named(ctx, admin_client):
    response = admin_client.post("/settings/bot-rules", data={"bot_open_seconds": "-4", "bot_click_seconds": "x"}, htmx=True)

    assert response.status_code == 422 and response.get_data(as_text=True).count("Enter 1 to 3,600 seconds") == 2


def test_marketers_may_not_change_the_rules(ctx, marketer_client):
    assert marketer_client.get("/settings/bot-rules").status_code == 403
