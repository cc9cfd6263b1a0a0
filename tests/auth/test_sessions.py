"""Sessions end when they should: logout, log out everywhere, password change, deactivation."""
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from http.cookies import SimpleCookie

from tests.factories import PASSWORD, a_user


def log_in_through_the_form(client, email, remember=False):
    client.get("/login")
    response = client.post("/login", data={"email": email, "password": PASSWORD, **({"remember": "y"} if remember else {})})
    assert response.status_code == 302
    return response


def cookies_of(client):
    return {cookie.key: cookie.value for cookie in client._cookies.values()}


def replay(app, cookies):
    """A fresh client carrying copied cookies, as an attacker with a stolen cookie would."""
    thief = app.test_client()
    for name, value in cookies.items():
        thief.set_cookie(name, value)
    return thief.get("/account")


def test_a_copied_session_cookie_stops_working_at_logout(app):
    a_user("marketer", "ann@example.com")
    client = app.test_client()
    log_in_through_the_form(client, "ann@example.com", remember=True)
    stolen = cookies_of(client)
    assert "remember_token" in stolen and replay(app, stolen).status_code == 200

    client.post("/logout")

    assert replay(app, stolen).status_code in (302, 401)
    assert replay(app, {"remember_token": stolen["remember_token"]}).status_code in (302, 401)


def test_logout_ends_only_this_session_and_log_out_everywhere_ends_all(app):
    a_user("marketer", "ann@example.com")
    laptop, phone = app.test_client(), app.test_client()
    log_in_through_the_form(laptop, "ann@example.com")
    log_in_through_the_form(phone, "ann@example.com")

    laptop.post("/logout")
    assert phone.get("/account").status_code == 200
    assert "Log out everywhere" in phone.get("/account").get_data(as_text=True)

    log_in_through_the_form(laptop, "ann@example.com")
    phone.post("/logout-everywhere")
    assert laptop.get("/account").status_code in (302, 401) and phone.get("/account").status_code in (302, 401)


def test_a_password_change_logs_out_every_other_session(app):
    a_user("marketer", "ann@example.com")
    here, elsewhere = app.test_client(), app.test_client()
    log_in_through_the_form(here, "ann@example.com")
    log_in_through_the_form(elsewhere, "ann@example.com")

    response = here.post("/account", data={"current_password": PASSWORD, "password": "an even longer new password",
                                           "confirm": "an even longer new password"})

    assert response.status_code == 303
    assert here.get("/account").status_code == 200 and elsewhere.get("/account").status_code in (302, 401)


def test_the_session_starts_afresh_at_login_and_carries_no_password_hash(app):
    user = a_user("marketer", "ann@example.com")
    client = app.test_client()
    with client.session_transaction() as session:
        session["planted"] = "by someone else"

    log_in_through_the_form(client, "ann@example.com")

    with client.session_transaction() as session:
        assert "planted" not in session
        user_id, _, session_id = session["_user_id"].partition(":")
    assert int(user_id) == user.id and len(session_id) >= 20
    assert user.password_hash[-8:] not in session_id


def test_the_remember_cookie_lasts_30_days(app):
    a_user("marketer", "ann@example.com")
    client = app.test_client()

    response = log_in_through_the_form(client, "ann@example.com", remember=True)

    remember = [header for header in response.headers.getlist("Set-Cookie") if header.startswith("remember_token=")]
    expires = parsedate_to_datetime(SimpleCookie(remember[0])["remember_token"]["expires"])
    assert timedelta(days=29, hours=23) < expires - datetime.now(UTC) <= timedelta(days=30)
