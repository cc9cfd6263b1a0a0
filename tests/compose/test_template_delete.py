"""Deleting a template that mass emails used: refused while one will still send it, archived once they are done."""
import pytest

from tests.browser import log_in, screenshot, settled
from tests.compose.helpers import versions
from tests.factories import a_mass_email, a_recipient, a_template, a_template_version
from webapp.compose.models import Template
from webapp.extensions import db
from webapp.sending.models import MassEmail


def archived_at(app, template_id):
    with app.app_context():
        return db.session.get(Template, template_id).archived_at


def test_template_sent_by_a_mass_email_is_archived_and_its_versions_kept(app, marketer_client):
    template_id = a_template(html="<p>What was sent</p>").id
    mail_id = a_mass_email(template=template_id, state="sent").id

    response = marketer_client.delete(f"/templates/{template_id}", htmx=True)

    assert response.headers["HX-Redirect"] == "/templates"
    assert archived_at(app, template_id) is not None
    assert versions(app, template_id) == [(1, "<p>What was sent</p>")]
    listing = marketer_client.get("/templates").get_data(as_text=True)
    assert "Spring news” deleted. Mass emails that sent it still show it in their reports." in listing
    assert f"/templates/{template_id}\"" not in listing
    assert marketer_client.get(f"/templates/{template_id}").status_code == 404
    assert marketer_client.get(f"/mass-emails/{mail_id}").status_code == 200


def test_an_archived_template_is_not_offered_and_its_name_is_free_again(app, marketer_client):
    template_id = a_template().id
    a_template(name="Autumn news")
    a_mass_email(template=template_id, state="cancelled")
    marketer_client.delete(f"/templates/{template_id}", htmx=True)

    picker = marketer_client.get("/mass-emails/new").get_data(as_text=True)
    assert ">Autumn news</option>" in picker and ">Spring news</option>" not in picker
    assert marketer_client.post("/templates", data={"name": "Spring news"}).status_code == 303
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Template)) == 3


def test_delete_is_refused_while_an_unfinished_mass_email_would_send_it(app, marketer_client):
    template_id = a_template().id
    a_mass_email("July news", template=template_id, state="draft")
    a_mass_email("June news", template=template_id, state="sent")
    a_mass_email("August news", template=template_id, state="scheduled")

    response = marketer_client.delete(f"/templates/{template_id}", htmx=True)

    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Redirect" not in response.headers
    assert "“July news”, “August news”" in body and "June news" not in body and 'role="alert"' in body
    assert archived_at(app, template_id) is None
    assert "Spring news" in marketer_client.get("/templates").get_data(as_text=True)


def test_template_a_drip_sent_before_switching_templates_is_archived(app, marketer_client):
    old_version = a_template_version(a_template(name="Old"))
    drip = a_mass_email(template=a_template(name="New"), state="sending", kind="drip")
    a_recipient(drip, "a@example.com", status="sent", template_version_id=old_version.id)  # sent before the switch
    old_id = old_version.template_id

    marketer_client.delete(f"/templates/{old_id}", htmx=True)

    assert archived_at(app, old_id) is not None and versions(app, old_id) != []


def test_template_no_mass_email_used_is_deleted_with_its_versions(app, marketer_client):
    template_id = a_template().id

    marketer_client.delete(f"/templates/{template_id}", htmx=True)

    with app.app_context():
        assert db.session.get(Template, template_id) is None
    assert versions(app, template_id) == []


@pytest.mark.browser
def test_in_a_browser_delete_is_refused_then_archives_once_the_mass_email_is_done(app, page, marketer):
    template_id = a_template().id
    mail_id = a_mass_email("July news", template=template_id, state="draft").id
    log_in(page, "marketer@example.com")
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"/templates/{template_id}")
    page.get_by_role("button", name="Delete").click()
    page.get_by_role("alert").get_by_text("“July news”").wait_for()
    settled(page)
    screenshot(page, "template-delete-refused")

    with app.app_context():
        db.session.get(MassEmail, mail_id).state = "sent"
        db.session.commit()
    page.get_by_role("button", name="Delete").click()
    page.wait_for_url("**/templates")
    page.get_by_text("Mass emails that sent it still show it in their reports.").wait_for()
    screenshot(page, "template-delete-archived")
    assert archived_at(app, template_id) is not None
