"""The Site URL every link starts with: taken from the first admin's set-up, checked by preflight."""
from tests.compose.helpers import editor_form
from webapp.extensions import db
from webapp.settings.service import get_settings


def test_the_first_admin_set_up_address_becomes_the_site_url(app, client):
    client.post("/setup", base_url="http://mail.example.test:8123/",
                data={"name": "Ada", "email": "ada@example.com", "password": "a long password", "confirm": "a long password"})

    with app.app_context():
        assert get_settings().site_url == "http://mail.example.test:8123"


def findings(client):
    response = client.post("/templates/preflight", data=editor_form(), htmx=True)
    return response.get_data(as_text=True)


def test_preflight_warns_when_links_point_elsewhere_than_where_mailroom_was_reached(app, admin_client):
    with app.app_context():
        get_settings().site_url = "https://old.example.com"
        db.session.commit()

    page = findings(admin_client)

    assert "Links in this email point to https://old.example.com" in page and "You reached Mailroom at http://localhost" in page


def test_a_loopback_site_url_is_an_error_in_production(app, admin_client):
    with app.app_context():
        get_settings().site_url = "http://127.0.0.1:5000"
        db.session.commit()
    app.config["ENV_NAME"] = "prod"
    try:
        page = findings(admin_client)
    finally:
        app.config["ENV_NAME"] = "test"

    assert "Links in this email point to http://127.0.0.1:5000" in page and "no recipient can reach it" in page


def test_no_finding_when_the_site_url_is_where_mailroom_was_reached(app, admin_client):
    with app.app_context():
        get_settings().site_url = "http://localhost"
        db.session.commit()

    assert "Links in this email point to" not in findings(admin_client)
