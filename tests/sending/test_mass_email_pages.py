"""The mass email pages (the list: tests/reports/test_list.py): creating a draft, the confirm step, and the live progress fragment."""
from datetime import timedelta

from sqlalchemy import func, select

from tests.factories import a_draft, a_list, a_template, started
from tests.sending.helpers import only_mass_email
from webapp.common.clock import utcnow
from webapp.common.queues import queue
from webapp.extensions import db
from webapp.sending import lifecycle
from webapp.sending.models import MassEmail, Recipient


def test_creating_a_mass_email_makes_a_draft_and_leads_to_the_confirm_step(app, marketer_client, marketer):
    template_id, list_id = a_template().id, a_list(emails=["a@example.com", "b@example.com"]).id

    response = marketer_client.post("/mass-emails", data={
        "name": "June news", "template_id": template_id, "list_ids": [list_id], "from_email": "News@Example.COM",
        "when": "now",
    })

    mail = only_mass_email(app)
    assert response.status_code == 303 and response.location.endswith(f"/mass-emails/{mail.id}")
    assert (mail.name, mail.state, mail.owner_id, mail.from_email) == ("June news", "draft", marketer, "news@example.com")
    assert b"June news" in marketer_client.get("/mass-emails").data


def test_an_invalid_new_mass_email_is_shown_again_with_its_problems(app, marketer_client):
    template_id, list_id = a_template().id, a_list(emails=["a@example.com", "b@example.com"]).id

    response = marketer_client.post("/mass-emails", data={
        "name": "", "template_id": template_id, "list_ids": [list_id], "excluding_list_ids": [list_id],
        "from_email": "not an address", "when": "later", "scheduled_at": "2001-01-01T10:00",
    })

    assert response.status_code == 422
    for message in (b"Give the mass email a name.", b"A list cannot be both sent to and skipped: Newsletter.",
                    b"That time has passed.", b'value="not an address"'):
        assert message in response.data
    assert only_mass_email(app) is None


def test_a_new_mass_email_needs_a_list(app, marketer_client):
    template_id, _ = a_template().id, a_list(emails=["a@example.com", "b@example.com"]).id

    response = marketer_client.post("/mass-emails", data={"name": "June", "template_id": template_id, "when": "now"})

    assert response.status_code == 422 and b"Choose at least one list to send to." in response.data


def test_the_confirm_step_shows_who_gets_it_and_loads_the_preflight(app, admin_client):
    template_id, list_id = a_template().id, a_list(emails=["a@example.com", "b@example.com", "nope@example.com"]).id
    with app.app_context():
        db.session.execute(db.text("UPDATE contacts SET status = 'bounced' WHERE email = 'nope@example.com'"))
        db.session.commit()
        mail_id = lifecycle.create_draft(None, "June news", template_id, [list_id], []).id

    page = admin_client.get(f"/mass-emails/{mail_id}")

    assert page.status_code == 200
    assert b'data-summary="all">3<' in page.data and b'data-summary="emailing">2<' in page.data
    assert b'data-reason="contact_bounced"' in page.data and b"Contact bounced before" in page.data
    assert f'hx-get="/templates/{template_id}/preflight"'.encode() in page.data
    assert b"I have checked the recipients" in page.data


def test_sending_needs_the_confirmation_box_ticked(app, admin_client):
    template_id, list_id = a_template().id, a_list(emails=["a@example.com", "b@example.com"]).id
    with app.app_context():
        mail_id = lifecycle.create_draft(None, "June news", template_id, [list_id], []).id

    response = admin_client.post(f"/mass-emails/{mail_id}/send", data={})

    assert response.status_code == 422 and b"Tick this box to confirm" in response.data
    assert only_mass_email(app).state == "draft"


def test_confirming_queues_the_preparation_and_the_request_resolves_nobody(app, admin_client):
    template_id, list_id = a_template().id, a_list(emails=["a@example.com", "b@example.com"]).id
    with app.app_context():
        mail_id = lifecycle.create_draft(None, "June news", template_id, [list_id], []).id

    response = admin_client.post(f"/mass-emails/{mail_id}/send", data={"confirmed": "y"})

    assert response.status_code == 303
    mail = only_mass_email(app)
    assert (mail.state, mail.list_size_all) == ("preparing", None)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Recipient)) == 0
        assert [job.func_name for job in queue("sending").jobs] == ["jobs.sending.prepare_send"]
    page = admin_client.get(f"/mass-emails/{mail_id}")
    assert b"Preparing the recipients; sending starts as soon as they are ready." in page.data and b'id="progress"' in page.data
    assert "Preparing recipients…".encode() in page.data and b'hx-trigger="load delay:1s"' in page.data
    assert b"Cancel sending" in page.data and b"Pause" not in page.data


def test_confirming_a_draft_with_a_future_time_schedules_it(app, admin_client):
    template_id, list_id = a_template().id, a_list(emails=["a@example.com", "b@example.com"]).id
    with app.app_context():
        mail_id = lifecycle.create_draft(None, "June news", template_id, [list_id], [],
                                         scheduled_at=utcnow() + timedelta(days=1)).id
    assert b"Schedule for " in admin_client.get(f"/mass-emails/{mail_id}").data

    admin_client.post(f"/mass-emails/{mail_id}/send", data={"confirmed": "y"})

    mail = only_mass_email(app)
    assert (mail.state, mail.list_size_all) == ("scheduled", None)
    with app.app_context():
        assert queue("sending").count == 0


def test_the_progress_fragment_keeps_polling_while_sending_and_stops_with_286_when_done(app, marketer_client):
    with app.app_context():
        mail_id = a_draft([a_list("Newsletter", ["a@example.com", "b@example.com"])]).id
        started(mail_id, utcnow())

    sending = marketer_client.get(f"/mass-emails/{mail_id}", htmx=True)
    assert sending.status_code == 200 and b"<html" not in sending.data and b"load delay:1s" in sending.data
    assert b"0 of 2" in sending.data

    with app.app_context():
        db.session.execute(Recipient.__table__.update().values(status="sent", sent_at=utcnow()))
        db.session.execute(MassEmail.__table__.update().values(state="sent", finished_at=utcnow()))
        db.session.commit()
    done = marketer_client.get(f"/mass-emails/{mail_id}", htmx=True)
    assert done.status_code == 286 and b"hx-trigger" not in done.data and b"2 of 2 (100%)" in done.data
    page = marketer_client.get(f"/mass-emails/{mail_id}")
    assert page.status_code == 200 and b"<html" in page.data


def test_a_poll_from_a_page_drawn_in_another_state_redraws_the_page(app, marketer_client):
    """The report below the progress was drawn before the recipients were ready: once the send has moved on,
    the page is drawn again, so its cards and table are not left at nothing."""
    with app.app_context():
        mail_id = a_draft([a_list("Newsletter", ["a@example.com", "b@example.com"])]).id
        started(mail_id, utcnow())

    same = marketer_client.get(f"/mass-emails/{mail_id}?seen=sending", htmx=True)
    assert same.status_code == 200 and "HX-Refresh" not in same.headers and b"seen=sending" in same.data
    moved = marketer_client.get(f"/mass-emails/{mail_id}?seen=preparing", htmx=True)
    assert moved.status_code == 200 and moved.headers["HX-Refresh"] == "true"


def test_pause_resume_and_cancel_answer_with_the_progress_fragment(app, admin_client):
    with app.app_context():
        mail_id = a_draft([a_list("Newsletter", ["a@example.com", "b@example.com"])]).id
        started(mail_id, utcnow())

    paused = admin_client.post(f"/mass-emails/{mail_id}/pause", htmx=True)
    assert b"Paused." in paused.data and b"Resume" in paused.data and b"<html" not in paused.data
    assert b"Sending again." in admin_client.post(f"/mass-emails/{mail_id}/resume", htmx=True).data
    cancelled = admin_client.post(f"/mass-emails/{mail_id}/cancel", htmx=True)
    assert cancelled.status_code == 286 and b"Cancelled. 2 recipients still waiting will not be sent." in cancelled.data
    refused = admin_client.post(f"/mass-emails/{mail_id}/pause", htmx=True)
    assert refused.status_code == 422 and b"A mass email that is cancelled cannot be paused." in refused.data


def test_unconfirmed_recipients_are_counted_and_explained(app, marketer_client):
    with app.app_context():
        mail_id = a_draft([a_list("Newsletter", ["a@example.com", "b@example.com"])]).id
        started(mail_id, utcnow())
        db.session.execute(Recipient.__table__.update().where(Recipient.email == "a@example.com").values(status="unconfirmed"))
        db.session.commit()

    page = marketer_client.get(f"/mass-emails/{mail_id}")

    assert b'data-count="unconfirmed">1 unconfirmed' in page.data and b"never resends these by itself" in page.data


def test_an_unknown_mass_email_is_404(marketer_client):
    assert marketer_client.get("/mass-emails/999").status_code == 404


def test_the_pages_need_a_login(client):
    assert client.get("/mass-emails").status_code in (302, 401)
    with client.application.app_context():
        assert db.session.scalar(select(func.count()).select_from(MassEmail)) == 0


def test_progress_measures_the_rate_over_recent_sends_and_estimates_the_time_left(ctx):
    from webapp.sending.progress import progress

    mail_id = a_draft([a_list("Newsletter", [f"p{n}@example.com" for n in range(40)])]).id
    start = utcnow() - timedelta(minutes=10)
    started(mail_id, start)
    now = start + timedelta(minutes=10)
    first_twenty = select(Recipient.id).order_by(Recipient.id).limit(20).scalar_subquery()
    # 20 sent in the last two minutes (of a five-minute window) and nothing before.
    db.session.execute(Recipient.__table__.update().where(Recipient.id.in_(first_twenty))
                       .values(status="sent", sent_at=now - timedelta(minutes=2), status_changed_at=now - timedelta(minutes=2)))
    db.session.execute(MassEmail.__table__.update().values(sent_count=20))  # as the fold's ingestion keeps it
    db.session.commit()

    shown = progress(db.session.get(MassEmail, mail_id), now)

    assert (shown.emailing, shown.sent, shown.done, shown.remaining) == (40, 20, 20, 20)
    assert shown.rate_per_minute == 4  # 20 in the 5-minute window
    assert shown.eta_minutes == 5
