"""Marketers see every mass email but change only their own; admins change all."""
import pytest

from tests.factories import a_mass_email, a_user
from webapp.extensions import db
from webapp.sending.drip_schedule import DripSchedule
from webapp.sending.models import MassEmail

A_DRIP_EDIT = {"interval": "1", "interval_unit": "hours", "days": ["5"], "start_hour": "10", "end_hour": "12",
               "timezone": "UTC"}
# (method, action under /mass-emails/<id>/, form data, the state it acts on)
MUTATIONS = [
    pytest.param("post", "send", {"confirmed": "y"}, "draft", id="send"),
    pytest.param("post", "retry-start", {}, "preparing", id="retry-start"),
    pytest.param("post", "pause", {}, "sending", id="pause"),
    pytest.param("post", "resume", {}, "paused", id="resume"),
    pytest.param("post", "cancel", {}, "sending", id="cancel"),
    pytest.param("post", "resend-unconfirmed", {}, "sent", id="resend-unconfirmed"),
    pytest.param("get", "edit", None, "sending", id="edit-page"),
    pytest.param("post", "edit", A_DRIP_EDIT, "sending", id="edit"),
    pytest.param("post", "restart", {}, "cancelled", id="restart"),
    pytest.param("get", "edit-draft", None, "draft", id="edit-draft-page"),
    pytest.param("post", "edit-draft", {"name": "Mine now"}, "scheduled", id="edit-draft"),
]


def a_drip_of(app, owner_email, state):
    with app.app_context():
        owner = a_user("marketer", owner_email).id
        return a_mass_email(state=state, owner_id=owner, kind="drip", drip_schedule=DripSchedule(60), recipients=1).id


def row(app, mail_id):
    with app.app_context():
        mail = db.session.get(MassEmail, mail_id)
        return mail.state, mail.drip_schedule


@pytest.mark.parametrize("method, action, data, state", MUTATIONS)
def test_a_marketer_cannot_change_someone_else_s_mass_email(app, marketer_client, method, action, data, state):
    mail_id = a_drip_of(app, "other@example.com", state)
    before = row(app, mail_id)
    response = getattr(marketer_client, method)(f"/mass-emails/{mail_id}/{action}", data=data)
    assert response.status_code == 403
    body = response.get_data(as_text=True)
    assert "<html" in body and "Only the person who created this mass email, or an admin, can change it." in body
    assert row(app, mail_id) == before


def test_a_marketer_sees_someone_else_s_mass_email_without_its_buttons(app, marketer_client):
    mail_id = a_drip_of(app, "other@example.com", "sending")
    page = marketer_client.get(f"/mass-emails/{mail_id}").get_data(as_text=True)
    assert "data-not-yours" in page and "Only its owner or an admin can change it." in page
    assert "/pause" not in page and "/cancel" not in page and "/edit" not in page


def test_the_owner_and_an_admin_may_change_it(app, marketer_client, admin_client, marketer):
    with app.app_context():
        mine = a_mass_email(state="sending", owner_id=marketer, recipients=1, domain="mine.example").id
    assert marketer_client.post(f"/mass-emails/{mine}/pause", htmx=True).status_code == 200
    assert row(app, mine)[0] == "paused"
    theirs = a_drip_of(app, "other@example.com", "sending")
    assert admin_client.post(f"/mass-emails/{theirs}/pause", htmx=True).status_code == 200
    assert row(app, theirs)[0] == "paused"
    assert admin_client.get(f"/mass-emails/{theirs}/edit").status_code == 200
