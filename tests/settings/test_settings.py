"""Admin settings: limits, compliance, tracking, audience rule, SMTP, and the SMTP test email."""
import os
import socket
import subprocess
import sys

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

import config as config_module
from tests.machine import ROOT, free_port
from tests.settings.helpers import VALID_SETTINGS, stored
from webapp import create_app
from webapp.outbox.reader import list_messages


def save(client, htmx=True, **changes):
    return client.post("/settings/", data=VALID_SETTINGS | changes, htmx=htmx)


def outbox(app):
    return list_messages(app.config["OUTBOX_DIR"])[0]


# --- The settings page -----------------------------------------------------------------------


def test_settings_page_shows_every_section_with_defaults(admin_client):
    page = admin_client.get("/settings/").get_data(as_text=True)
    for legend in ("Sending limits", "Compliance", "Tracking", "Audience", "SMTP"):
        assert f"<legend>{legend}</legend>" in page
    assert 'name="batch_size"' in page and 'value="500"' in page
    assert 'name="inactivity_days"' in page and 'value="730"' in page
    assert "Send test" in page


def test_saving_stores_values_and_turns_empty_limits_off(admin_client, app):
    response = save(admin_client, max_per_hour="1200", batch_size="250", max_recipients_per_send="150",
                    inactivity_days="", verp="y", click_tracking=None, site_url="https://mail.example.com/")
    assert response.status_code == 200
    assert "Settings saved." in response.get_data(as_text=True)
    values = stored(app)
    assert values["max_per_hour"] == 1200
    assert values["batch_size"] == 250
    assert values["max_recipients_per_send"] == 150
    assert values["inactivity_days"] is None
    assert values["verp"] is True and values["click_tracking"] is False
    assert values["site_url"] == "https://mail.example.com"  # trailing slash stripped


def test_the_automatic_pause_defaults_to_half_of_the_last_50_and_can_be_turned_off(admin_client, app):
    assert (stored(app)["auto_pause_percent"], stored(app)["auto_pause_window"]) == (50, 50)

    save(admin_client, auto_pause_percent="", auto_pause_window="200")

    assert (stored(app)["auto_pause_percent"], stored(app)["auto_pause_window"]) == (None, 200)


def test_plain_form_post_saves_and_redirects_with_a_flash(admin_client):
    response = save(admin_client, htmx=False)
    assert response.status_code == 303
    assert "Settings saved." in admin_client.get(response.location).get_data(as_text=True)


@pytest.mark.parametrize("site_url, message", [
    ("mail.example.com", "absolute http:// or https:// address"),
    ("ftp://mail.example.com", "absolute http:// or https:// address"),
    ("https://mail.example.com/?utm=1", "Leave out the ?query and #fragment"),
    ("https://mail.example.com/#top", "Leave out the ?query and #fragment"),
    ("", "Enter the address people reach Mailroom at"),
])
def test_site_url_must_be_absolute_http_without_query_or_fragment(admin_client, app, site_url, message):
    response = save(admin_client, site_url=site_url, batch_size="42")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert message in body
    assert "<html" not in body and 'id="settings-form"' in body  # the form fragment, for htmx to swap
    assert stored(app)["batch_size"] == 500  # nothing saved


@pytest.mark.parametrize("field, value, message", [
    ("batch_size", "0", "between 1 and 10,000"),
    ("batch_size", "10001", "between 1 and 10,000"),
    ("batch_size", "", "between 1 and 10,000"),
    ("max_per_hour", "-5", "leave it empty for no hourly limit"),
    ("max_recipients_per_send", "0", "leave it empty for no cap"),
    ("inactivity_days", "0", "leave it empty to turn the rule off"),
    ("auto_pause_percent", "101", "leave it empty to never pause automatically"),
    ("auto_pause_window", "5", "from 20 to 1,000"),
    ("smtp_port", "70000", "from 1 to 65535"),
    ("smtp_host", "https://smtp.example.com", "Enter just the host name"),
    ("from_email", "not-an-address", "An email address must have an @-sign."),
])
def test_invalid_values_are_explained_and_not_saved(admin_client, field, value, message):
    response = save(admin_client, **{field: value})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_from_email_is_stored_normalised(admin_client, app):
    save(admin_client, from_name="Acme News", from_email="News@Example.COM")
    assert stored(app)["from_email"] == "news@example.com"


def test_smtp_password_is_write_only_and_blank_keeps_it(admin_client, app):
    save(admin_client, smtp_host="smtp.example.com", smtp_username="apikey", smtp_password="s3cret-pass")
    page = admin_client.get("/settings/").get_data(as_text=True)
    assert "s3cret-pass" not in page
    assert "A password is stored. Leave this empty to keep it." in page
    save(admin_client, smtp_host="smtp.example.com", smtp_username="apikey", smtp_password="")
    assert stored(app)["smtp_password"] == "s3cret-pass"
    save(admin_client, smtp_host="smtp.example.com", clear_smtp_password="y")
    assert stored(app)["smtp_password"] == ""


def test_mail_password_from_environment_wins_and_the_page_says_so(admin_client, app, monkeypatch):
    from webapp.mail.smtp import smtp_config
    from webapp.settings.models import AppSettings

    save(admin_client, smtp_host="smtp.example.com", smtp_username="apikey", smtp_password="stored-pass")
    monkeypatch.setitem(app.config, "MAIL_PASSWORD", "from-env")
    assert "MAIL_PASSWORD is set in the environment" in admin_client.get("/settings/").get_data(as_text=True)
    settings = AppSettings(smtp_host="smtp.example.com", smtp_port=587, smtp_username="apikey",
                           smtp_password="stored-pass", smtp_security="starttls", from_email="")
    assert smtp_config(settings, app.config).password == "from-env"


def test_empty_smtp_host_means_the_app_mail_configuration(app):
    from webapp.mail.smtp import smtp_config
    from webapp.settings.models import AppSettings

    settings = AppSettings(smtp_host="", smtp_port=2525, from_name="Acme", from_email="news@acme.example")
    config = smtp_config(settings, app.config)
    assert (config.host, config.port, config.from_app_config) == (app.config["MAIL_SERVER"], app.config["MAIL_PORT"], True)
    assert config.sender == "Acme <news@acme.example>"
    stored_relay = smtp_config(AppSettings(smtp_host="smtp.acme.example", smtp_port=465, smtp_username="u",
                                           smtp_password="p", smtp_security="ssl", from_email=""), app.config)
    assert (stored_relay.address, stored_relay.security, stored_relay.from_app_config) == ("smtp.acme.example:465", "ssl", False)
    assert stored_relay.sender == app.config["MAIL_DEFAULT_SENDER"]


# --- Send test --------------------------------------------------------------------------------


def test_smtp_test_through_app_configuration_lands_in_the_outbox(admin_client, app, smtp_catcher):
    response = admin_client.post("/settings/smtp-test", data={"recipient": "Me@Example.com"}, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"Accepted by {app.config['MAIL_SERVER']}:{app.config['MAIL_PORT']}" in body
    assert "<html" not in body
    [message] = outbox(app)
    assert message.subject == "Mailroom SMTP test"
    assert message.recipients == "me@example.com"


def test_smtp_test_uses_the_stored_relay_and_sender(admin_client, app, smtp_catcher):
    save(admin_client, smtp_host="127.0.0.1", smtp_port=str(app.config["MAIL_PORT"]), smtp_security="none",
         from_name="Acme News", from_email="news@acme.example")
    response = admin_client.post("/settings/smtp-test", data={"recipient": "me@example.com"}, htmx=True)
    assert f"Accepted by 127.0.0.1:{app.config['MAIL_PORT']}" in response.get_data(as_text=True)
    [message] = outbox(app)
    assert message.sender == "Acme News <news@acme.example>"


def test_smtp_test_to_a_closed_port_shows_the_error_not_a_500(admin_client):
    port = free_port()  # nothing listens there
    save(admin_client, smtp_host="127.0.0.1", smtp_port=str(port), smtp_security="none")
    response = admin_client.post("/settings/smtp-test", data={"recipient": "me@example.com"}, htmx=True)
    assert response.status_code == 200
    assert f"Could not connect to 127.0.0.1:{port}: connection refused" in response.get_data(as_text=True)


class RefusingHandler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 5.1.1 Mailbox unavailable"


def _reject_login(server, session, envelope, mechanism, auth_data):
    return AuthResult(success=False, handled=False)


@pytest.fixture
def strict_smtp():
    """A real SMTP server that refuses every recipient and every login."""
    controller = Controller(RefusingHandler(), hostname="127.0.0.1", port=free_port(),
                            authenticator=_reject_login, auth_require_tls=False)
    controller.start()
    yield controller
    controller.stop()


def test_smtp_test_shows_a_5xx_reply(admin_client, strict_smtp):
    save(admin_client, smtp_host="127.0.0.1", smtp_port=str(strict_smtp.port), smtp_security="none")
    body = admin_client.post("/settings/smtp-test", data={"recipient": "me@example.com"}, htmx=True).get_data(as_text=True)
    assert "refused the recipient" in body and "550 5.1.1 Mailbox unavailable" in body


def test_smtp_test_shows_an_authentication_failure(admin_client, strict_smtp):
    save(admin_client, smtp_host="127.0.0.1", smtp_port=str(strict_smtp.port), smtp_security="none",
         smtp_username="apikey", smtp_password="wrong-password")
    body = admin_client.post("/settings/smtp-test", data={"recipient": "me@example.com"}, htmx=True).get_data(as_text=True)
    assert f"127.0.0.1:{strict_smtp.port} refused the username or password: 535" in body


def test_smtp_test_times_out_on_a_silent_server(app):
    from webapp.mail.smtp import SmtpConfig, SmtpFailure, send_test_email

    with socket.socket() as silent:  # accepts the TCP connection but never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        config = SmtpConfig(host="127.0.0.1", port=silent.getsockname()[1], username="", password="", security="none",
                            sender="a@example.com", from_app_config=False, password_from_env=False, timeout=0.5)
        with app.app_context(), pytest.raises(SmtpFailure, match="No answer from 127.0.0.1"):
            send_test_email(config, "me@example.com")


def test_smtp_test_needs_a_valid_recipient(admin_client):
    response = admin_client.post("/settings/smtp-test", data={"recipient": "nobody"}, htmx=True)
    assert response.status_code == 422
    assert "An email address must have an @-sign." in response.get_data(as_text=True)


# --- Who may change settings -------------------------------------------------------------------


@pytest.mark.parametrize("method, path", [
    ("get", "/settings/"), ("post", "/settings/"), ("post", "/settings/smtp-test"),
])
def test_marketer_is_forbidden_from_settings(marketer_client, app, method, path):
    response = getattr(marketer_client, method)(path, data=VALID_SETTINGS | {"batch_size": "7", "recipient": "me@example.com"})
    assert response.status_code == 403
    assert stored(app)["batch_size"] == 500


def test_anonymous_settings_post_goes_to_login(client, admin):
    response = client.post("/settings/", data=VALID_SETTINGS)
    assert response.status_code == 302 and "/login" in response.location


def test_settings_post_without_csrf_token_is_refused(admin_client, app):
    response = admin_client.post("/settings/", data=VALID_SETTINGS | {"batch_size": "7"}, csrf=False)
    assert response.status_code == 400
    assert stored(app)["batch_size"] == 500


def test_htmx_post_with_csrf_header_is_accepted(admin_client, app):
    token = admin_client.csrf_token()
    response = admin_client.post("/settings/", data=VALID_SETTINGS | {"batch_size": "7"}, csrf=False,
                                 headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 200
    assert stored(app)["batch_size"] == 7


# --- Production configuration ----------------------------------------------------------------


class SecureConfig(config_module.ProdConfig):
    SECRET_KEY = "a-real-secret-for-this-test-of-32-characters-or-more"
    WTF_CSRF_ENABLED = False  # this test is about the cookies a login sets, not the form token


def test_production_cookies_are_secure_httponly_and_samesite_lax(app, admin):
    client = create_app(SecureConfig).test_client()
    response = client.post("/login", data={"email": "admin@example.com", "password": "correct horse battery", "remember": "y"})
    assert response.status_code == 302
    cookies = {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}
    for name in ("session", "remember_token"):
        flags = [part.strip().lower() for part in cookies[name].split(";")]
        assert "secure" in flags and "httponly" in flags and "samesite=lax" in flags, cookies[name]


@pytest.mark.parametrize("secret", [None, "", "short-but-not-32-characters"])
def test_production_refuses_to_start_without_a_long_secret_key(secret):
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"} | {"MAILROOM_ENV": "prod"}
    if secret is not None:
        env["SECRET_KEY"] = secret
    result = subprocess.run([sys.executable, "-c", "from webapp import create_app; create_app()"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr
