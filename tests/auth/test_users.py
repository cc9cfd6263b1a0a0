"""User administration: adding and inviting users, roles, deactivation, guard rails, own password."""
import re
import time

import pytest
from itsdangerous.timed import TimestampSigner

from tests.factories import PASSWORD
from tests.machine import free_port
from tests.settings.helpers import VALID_SETTINGS
from webapp.outbox.reader import list_messages


def user_row(app, email):
    from webapp.auth.service import find_by_email

    with app.app_context():
        user = find_by_email(email)
        return None if user is None else {"id": user.id, "role": user.role, "active": user.active, "has_password": bool(user.password_hash)}


def invite_link(body):
    return re.search(r'value="(https?://[^"]+/invite/[^"]+)"', body).group(1)


def invite(admin_client, email="new@example.com", **fields):
    return admin_client.post("/users", data={"email": email, "name": "New Person", "role": "marketer"} | fields, htmx=True)


# --- The users page ----------------------------------------------------------------------------


def test_admin_sees_every_user_with_role_status_and_last_login(admin_client, marketer):
    page = admin_client.get("/users").get_data(as_text=True)
    assert "<html" in page
    assert "admin@example.com" in page and "marketer@example.com" in page
    assert 'aria-label="Role of marketer@example.com"' in page
    assert "Never" in page  # the marketer has not logged in yet
    assert "That&#39;s you" in page or "That's you" in page


def test_adding_a_user_with_a_password_lets_them_log_in(admin_client, client, app):
    response = invite(admin_client, email="Pat@Example.com", password="a good long password")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "pat@example.com</strong> was added as marketer" in body
    assert 'hx-swap-oob="true"' in body and "pat@example.com" in body  # the table refreshes too
    assert client.post("/login", data={"email": "pat@example.com", "password": "a good long password"}).status_code == 302


def test_inviting_without_password_emails_a_link_that_sets_the_password(admin_client, app, smtp_catcher):
    body = invite(admin_client).get_data(as_text=True)
    link = invite_link(body)
    assert "We emailed new@example.com a link" in body
    [message] = list_messages(app.config["OUTBOX_DIR"])[0]
    assert message.subject == "You are invited to Mailroom"
    assert link in message.text
    assert user_row(app, "new@example.com")["has_password"] is False

    invitee = app.test_client()
    path = link.split("://", 1)[1].partition("/")[2]
    assert "Choose a password for" in invitee.get("/" + path).get_data(as_text=True)
    response = invitee.post("/" + path, data={"password": "my own password", "confirm": "my own password"})
    assert response.status_code == 303
    assert invitee.get("/").status_code == 200  # logged in
    assert app.test_client().post("/login", data={"email": "new@example.com", "password": "my own password"}).status_code == 302


def test_invite_link_uses_the_site_url(admin_client, app, smtp_catcher):
    from webapp.extensions import db
    from webapp.settings.service import get_settings

    with app.app_context():
        get_settings().site_url = "https://mail.example.org"
        db.session.commit()
    assert invite_link(invite(admin_client).get_data(as_text=True)).startswith("https://mail.example.org/invite/")


def test_invite_link_works_only_once(admin_client, app, smtp_catcher):
    path = "/" + invite_link(invite(admin_client).get_data(as_text=True)).split("/", 3)[3]
    first = app.test_client()
    first.post(path, data={"password": "my own password", "confirm": "my own password"})
    second = app.test_client()
    response = second.get(path)
    assert response.status_code == 410
    assert "This link no longer works" in response.get_data(as_text=True)
    assert second.post(path, data={"password": "hijacked password", "confirm": "hijacked password"}).status_code == 410


def test_invite_link_expires_after_seven_days(app, ctx, monkeypatch):
    from webapp.auth.service import create_user, password_token, user_for_password_token

    user = create_user("late@example.com")
    eight_days_ago = int(time.time()) - 8 * 86400
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: eight_days_ago)
    token = password_token(user)
    monkeypatch.undo()
    assert user_for_password_token(token) is None
    assert user_for_password_token(password_token(user)) == user


def test_forged_invite_link_is_refused(client, admin):
    assert client.get("/invite/not-a-real-token").status_code == 410


def test_invite_still_shows_the_link_when_the_email_cannot_be_sent(admin_client, app):
    saved = admin_client.post("/settings/", data=VALID_SETTINGS | {"smtp_host": "127.0.0.1", "smtp_port": str(free_port()),
                                                          "smtp_security": "none"})
    assert saved.status_code < 400
    body = invite(admin_client).get_data(as_text=True)
    assert "could not be sent" in body and "connection refused" in body
    assert "/invite/" in invite_link(body)
    assert user_row(app, "new@example.com") is not None


def test_sending_a_new_password_link_to_an_existing_user(admin_client, app, marketer, smtp_catcher):
    response = admin_client.post(f"/users/{marketer}/link", htmx=True)
    body = response.get_data(as_text=True)
    assert 'id="users-notice"' in body and "<html" not in body
    link = invite_link(body)
    [message] = list_messages(app.config["OUTBOX_DIR"])[0]
    assert message.subject == "Set a new Mailroom password" and link in message.text


@pytest.mark.parametrize("email, message", [
    ("marketer@example.com", "A user with the email marketer@example.com already exists."),
    ("not an address", "An email address must have an @-sign."),
    ("", "Enter the new user&#39;s email address."),
])
def test_adding_a_user_explains_what_is_wrong(admin_client, marketer, email, message):
    response = invite(admin_client, email=email)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_a_short_password_is_refused(admin_client, app):
    response = invite(admin_client, password="short")
    assert response.status_code == 422
    assert "Use at least 10 characters, or leave it empty" in response.get_data(as_text=True)
    assert user_row(app, "new@example.com") is None


# --- Roles and deactivation --------------------------------------------------------------------


def test_admin_promotes_a_marketer(admin_client, app, marketer):
    response = admin_client.post(f"/users/{marketer}/role", data={"role": "admin"}, htmx=True)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith(f'<tr id="user-{marketer}"')  # just the row, swapped in place
    assert user_row(app, "marketer@example.com")["role"] == "admin"


def test_admin_cannot_demote_themself(admin_client, app, admin):
    response = admin_client.post(f"/users/{admin}/role", data={"role": "marketer"}, htmx=True)
    assert response.status_code == 422
    assert "You cannot remove your own admin role" in response.get_data(as_text=True)
    assert user_row(app, "admin@example.com")["role"] == "admin"


def test_admin_cannot_deactivate_themself(admin_client, app, admin):
    response = admin_client.post(f"/users/{admin}/active", data={"active": "0"}, htmx=True)
    assert response.status_code == 422
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    assert user_row(app, "admin@example.com")["active"] is True


def test_the_last_active_admin_can_never_be_demoted_or_deactivated(app, ctx, admin):
    from webapp.auth.service import UserError, change_role, create_user, set_active

    other = create_user("other-admin@example.com", PASSWORD, role="admin")
    set_active(other.id, False, acting_user_id=admin)  # the other admin leaves
    with pytest.raises(UserError, match="at least one active admin"):
        change_role(admin, "marketer", acting_user_id=None)  # e.g. from a script
    with pytest.raises(UserError, match="at least one active admin"):
        set_active(admin, False, acting_user_id=None)
    set_active(other.id, True, acting_user_id=admin)
    change_role(admin, "marketer", acting_user_id=other.id)  # with another admin back, it is allowed


def test_deactivated_user_cannot_log_in_and_their_session_ends(admin_client, marketer_client, client, app, marketer):
    assert marketer_client.get("/").status_code == 200
    response = admin_client.post(f"/users/{marketer}/active", data={"active": "0"}, htmx=True)
    assert response.status_code == 200 and "Deactivated" in response.get_data(as_text=True)
    assert "/login" in marketer_client.get("/").location  # the open session no longer works
    assert client.post("/login", data={"email": "marketer@example.com", "password": PASSWORD}).status_code == 401

    admin_client.post(f"/users/{marketer}/active", data={"active": "1"}, htmx=True)
    assert client.post("/login", data={"email": "marketer@example.com", "password": PASSWORD}).status_code == 302


def test_invite_link_of_a_deactivated_user_does_not_work(admin_client, app, smtp_catcher):
    path = "/" + invite_link(invite(admin_client).get_data(as_text=True)).split("/", 3)[3]
    admin_client.post(f"/users/{user_row(app, 'new@example.com')['id']}/active", data={"active": "0"}, htmx=True)
    assert app.test_client().get(path).status_code == 410


def test_plain_form_role_change_redirects_back_with_a_message(admin_client, marketer):
    response = admin_client.post(f"/users/{marketer}/role", data={"role": "admin"})
    assert response.status_code == 303
    assert "marketer@example.com updated." in admin_client.get(response.location).get_data(as_text=True)


# --- Who may manage users ---------------------------------------------------------------------


@pytest.mark.parametrize("method, path, data", [
    ("get", "/users", None),
    ("post", "/users", {"email": "sneaky@example.com", "role": "admin", "password": "a long password!"}),
    ("post", "/users/{admin}/role", {"role": "marketer"}),
    ("post", "/users/{admin}/active", {"active": "0"}),
    ("post", "/users/{admin}/link", None),
])
def test_marketer_is_forbidden_from_user_admin(marketer_client, app, admin, method, path, data):
    response = getattr(marketer_client, method)(path.format(admin=admin), data=data)
    assert response.status_code == 403
    assert user_row(app, "sneaky@example.com") is None
    assert user_row(app, "admin@example.com") == {"id": admin, "role": "admin", "active": True, "has_password": True}


def test_anonymous_user_admin_goes_to_login(client, admin):
    response = client.post(f"/users/{admin}/active", data={"active": "0"})
    assert response.status_code == 302 and "/login" in response.location


def test_user_admin_post_without_csrf_token_is_refused(admin_client, app, marketer):
    response = admin_client.post(f"/users/{marketer}/active", data={"active": "0"}, csrf=False)
    assert response.status_code == 400
    assert user_row(app, "marketer@example.com")["active"] is True


# --- Own password ----------------------------------------------------------------------------


def test_changing_own_password_needs_the_current_one(marketer_client):
    response = marketer_client.post("/account", data={"current_password": "wrong", "password": "a new long password", "confirm": "a new long password"}, htmx=True)
    assert response.status_code == 422
    assert "The current password is not right." in response.get_data(as_text=True)


def test_changing_own_password_logs_out_other_sessions_only(app, marketer, marketer_client):
    other_device = app.test_client()
    other_device.log_in(marketer)
    response = marketer_client.post("/account", data={"current_password": PASSWORD, "password": "a new long password", "confirm": "a new long password"}, htmx=True)
    assert response.status_code == 200
    assert "Your other sessions are logged out" in response.get_data(as_text=True)
    assert marketer_client.get("/").status_code == 200
    assert "/login" in other_device.get("/").location
    assert app.test_client().post("/login", data={"email": "marketer@example.com", "password": "a new long password"}).status_code == 302
    assert app.test_client().post("/login", data={"email": "marketer@example.com", "password": PASSWORD}).status_code == 401


def test_account_page_is_for_every_user(marketer_client):
    page = marketer_client.get("/account").get_data(as_text=True)
    assert "Change password" in page and "marketer@example.com" in page
