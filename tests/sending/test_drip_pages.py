"""The drip's pages: creating one with its schedule, the progress page's next send, and the edit form."""
import pytest

from tests.factories import a_list, a_template
from tests.sending.helpers import only_mass_email
from webapp.common.clock import utcnow
from webapp.compose.models import Template
from webapp.extensions import db
from webapp.sending import lifecycle
from webapp.sending.drip_schedule import DripSchedule
from webapp.sending.models import MassEmail
from webapp.sending.starting import prepare_send

A_DRIP = {"name": "Onboarding", "when": "now", "kind": "drip", "interval": "3", "interval_unit": "minutes",
          "days": ["0", "1", "2", "3", "4"], "start_hour": "9", "end_hour": "17", "timezone": "Europe/Berlin"}


def test_a_new_drip_keeps_its_schedule(app, marketer_client):
    template_id, list_id = a_template().id, a_list(emails=["a@example.com", "b@example.com"]).id

    response = marketer_client.post("/mass-emails", data={**A_DRIP, "template_id": template_id, "list_ids": [list_id]})

    assert response.status_code == 303
    mail = only_mass_email(app)
    assert (mail.kind, mail.state) == ("drip", "draft")
    assert mail.drip_schedule == DripSchedule(180, "01234", 9, 17, "Europe/Berlin")


def test_a_standard_mass_email_ignores_the_drip_fields(app, marketer_client):
    template_id, list_id = a_template().id, a_list(emails=["a@example.com", "b@example.com"]).id

    marketer_client.post("/mass-emails", data={**A_DRIP, "kind": "standard", "days": [], "template_id": template_id,
                                               "list_ids": [list_id]})

    mail = only_mass_email(app)
    assert (mail.kind, mail.drip_schedule, mail.drip_interval_seconds) == ("standard", None, None)


@pytest.mark.parametrize("change, message", [
    ({"days": []}, b"Choose at least one day of the week."),
    ({"start_hour": "17", "end_hour": "9"}, b"The sending window must end after it starts."),
    ({"interval": ""}, b"Enter how often to send"),
    ({"interval": "0"}, b"Enter a number from 1 to 10,000."),
    ({"timezone": "Mars/Olympus"}, b"Not a valid choice"),
])
def test_a_drip_with_an_impossible_schedule_is_shown_again_with_the_reason(app, marketer_client, change, message):
    template_id, list_id = a_template().id, a_list(emails=["a@example.com", "b@example.com"]).id

    response = marketer_client.post("/mass-emails", data={**A_DRIP, **change, "template_id": template_id,
                                                          "list_ids": [list_id]})

    assert response.status_code == 422 and message in response.data
    assert only_mass_email(app) is None


def a_started_drip(app, schedule=DripSchedule(180, timezone="Europe/Berlin")):
    template_id, list_id = a_template().id, a_list(emails=["a@example.com", "b@example.com"]).id
    with app.app_context():
        draft = lifecycle.create_draft(None, "Onboarding", template_id, [list_id], [], drip_schedule=schedule)
        lifecycle.start_mass_email(draft.id, utcnow())
        prepare_send(draft.id, utcnow())
        return draft.id


def test_the_progress_of_a_sending_drip_shows_its_next_send_schedule_and_edit_action(app, admin_client):
    mail_id = a_started_drip(app)

    page = admin_client.get(f"/mass-emails/{mail_id}", htmx=True)

    assert b"Next email at" in page.data and b"data-next-send" in page.data
    assert "Drip: Every 3 minutes, every day, all day Europe/Berlin.".encode() in page.data
    assert f'href="/mass-emails/{mail_id}/edit"'.encode() in page.data


def test_the_edit_form_shows_the_schedule_and_saving_applies_it(app, admin_client):
    mail_id = a_started_drip(app)
    form = admin_client.get(f"/mass-emails/{mail_id}/edit")
    assert form.status_code == 200
    assert b'value="3"' in form.data and b'<option selected value="minutes">' in form.data
    with app.app_context():
        template_id = db.session.get(MassEmail, mail_id).template_version.template_id
        db.session.get(Template, template_id).subject = "Welcome aboard"
        db.session.commit()

    saved = admin_client.post(f"/mass-emails/{mail_id}/edit", data={
        "template_id": template_id, "interval": "1", "interval_unit": "hours", "days": ["5", "6"],
        "start_hour": "10", "end_hour": "12", "timezone": "UTC"})

    assert saved.status_code == 303
    with app.app_context():
        mail = db.session.get(MassEmail, mail_id)
        assert mail.drip_schedule == DripSchedule(3600, "56", 10, 12, "UTC")
        assert mail.template_version.subject == "Welcome aboard"
        assert mail.next_send_at == mail.drip_schedule.next_slot(mail.next_send_at)
    assert b"Recipients not sent yet get the new schedule" in admin_client.get(f"/mass-emails/{mail_id}").data


def test_an_invalid_edit_changes_nothing_and_says_why(app, admin_client):
    mail_id = a_started_drip(app)

    response = admin_client.post(f"/mass-emails/{mail_id}/edit", data={
        "template_id": "1", "interval": "1", "interval_unit": "hours", "days": [], "start_hour": "10", "end_hour": "12",
        "timezone": "UTC"})

    assert response.status_code == 422 and b"Choose at least one day of the week." in response.data
    with app.app_context():
        assert db.session.get(MassEmail, mail_id).drip_interval_seconds == 180


def test_a_finished_drip_cannot_be_edited(app, admin_client):
    mail_id = a_started_drip(app)
    with app.app_context():
        lifecycle.cancel_mass_email(mail_id, utcnow())

    response = admin_client.post(f"/mass-emails/{mail_id}/edit", data={
        "template_id": "1", "interval": "1", "interval_unit": "hours", "days": ["1"], "start_hour": "10",
        "end_hour": "12", "timezone": "UTC"})

    assert response.status_code == 303
    assert b"A drip that is cancelled cannot be edited." in admin_client.get(f"/mass-emails/{mail_id}").data


def test_only_drips_have_an_edit_page(app, admin_client):
    template_id, list_id = a_template().id, a_list(emails=["a@example.com", "b@example.com"]).id
    with app.app_context():
        standard = lifecycle.create_draft(None, "June news", template_id, [list_id], []).id

    assert admin_client.get(f"/mass-emails/{standard}/edit").status_code == 404
