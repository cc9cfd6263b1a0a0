"""Login, first run, roles, CSRF: who may reach what."""
import pytest


def test_first_visit_without_users_goes_to_setup(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.location.endswith("/setup")


def test_setup_creates_first_admin_and_logs_in(client, app):
    response = client.post("/setup", data={"name": "Ada", "email": "Ada@Example.com", "password": "a long password", "confirm": "a long password"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    with app.app_context():
        from webapp.auth.service import find_by_email

        user = find_by_email("ada@example.com")
        assert user.role == "admin"
        assert user.password_hash != "a long password"


def test_setup_is_gone_once_a_user_exists(client, admin):
    assert client.get("/setup").status_code == 404


def test_anonymous_user_is_sent_to_login(client, admin):
    response = client.get("/contacts")
    assert response.status_code == 302
    assert "/login" in response.location


def test_htmx_request_when_logged_out_gets_full_page_redirect(client, admin):
    response = client.get("/contacts", htmx=True)
    assert "/login" in response.headers["HX-Redirect"]


def test_login_with_right_password(client, admin):
    response = client.post("/login", data={"email": "admin@example.com", "password": "correct horse battery"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_login_with_wrong_password_is_refused(client, admin):
    response = client.post("/login", data={"email": "admin@example.com", "password": "nope"})
    assert response.status_code == 401
    assert b"Wrong email or password" in response.data


def test_login_is_rate_limited_after_repeated_failures(client, admin, app):
    limit = app.config["LOGIN_ATTEMPTS_PER_WINDOW"]
    for _ in range(limit):
        client.post("/login", data={"email": "admin@example.com", "password": "nope"})
    response = client.post("/login", data={"email": "admin@example.com", "password": "correct horse battery"})
    assert response.status_code == 429


def test_login_next_parameter_cannot_redirect_offsite(client, admin):
    response = client.post("/login?next=//evil.example/x", data={"email": "admin@example.com", "password": "correct horse battery"})
    assert response.location == "/"


def test_post_without_csrf_token_is_refused(client, admin):
    response = client.post("/login", data={"email": "admin@example.com", "password": "correct horse battery"}, csrf=False)
    assert response.status_code == 400
    assert b"security token" in response.data


def test_marketer_cannot_reach_settings(marketer_client):
    assert marketer_client.get("/settings/").status_code == 403


def test_admin_reaches_settings(admin_client):
    assert admin_client.get("/settings/").status_code == 200


@pytest.mark.parametrize("path", ["/", "/contacts", "/lists", "/imports", "/suppressions", "/settings/", "/users", "/outbox/"])
def test_anonymous_reaches_nothing_private(client, admin, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.location


def test_password_change_ends_other_sessions(admin_client, app, admin):
    from tests.factories import PASSWORD
    from webapp.auth.service import change_password

    with app.app_context():
        change_password(admin, PASSWORD, "another long password")
    assert admin_client.get("/").status_code == 302


def test_cli_creates_user(runner, app):
    result = runner.invoke(args=["users", "create", "--email", "Boss@Example.com", "--password", "pw-1234567890", "--role", "admin"])
    assert result.exit_code == 0, result.output
    assert "Created admin boss@example.com" in result.output
    duplicate = runner.invoke(args=["users", "create", "--email", "boss@example.com", "--password", "x"])
    assert duplicate.exit_code != 0
    assert "already exists" in duplicate.output
