"""The Bounces section of the Settings page: stored values, a write-only IMAP password, Test connection."""
from tests.bounces.conftest import IMAP_PASSWORD, IMAP_USER
from tests.settings.helpers import VALID_SETTINGS, stored


def save(client, **changes):
    return client.post("/settings/", data=VALID_SETTINGS | changes, htmx=True)


def test_the_bounce_settings_are_stored_and_the_imap_password_is_write_only(admin_client, app):
    response = save(admin_client, bounce_address="Bounces@Mail.Example.com", unsubscribe_mailto="unsub@mail.example.com",
                    delivered_on_acceptance="y", soft_bounce_limit="2", soft_bounce_days="14", imap_host="imap.example.com",
                    imap_port="143", imap_security="starttls", imap_username="bounces", imap_password="s3cret")
    assert response.status_code == 200, response.get_data(as_text=True)
    values = stored(app)
    assert (values["bounce_address"], values["unsubscribe_mailto"], values["delivered_on_acceptance"]) == (
        "bounces@mail.example.com", "unsub@mail.example.com", True)
    assert (values["soft_bounce_limit"], values["soft_bounce_days"], values["imap_port"], values["imap_password"]) == (
        2, 14, 143, "s3cret")
    page = admin_client.get("/settings/").get_data(as_text=True)
    assert "<legend>Bounces</legend>" in page and "s3cret" not in page and "A password is stored." in page
    assert "<title>Settings · Mailroom</title>" in page and page.count('id="imap-test-form"') == 1
    save(admin_client, bounce_address="bounces@mail.example.com", imap_host="imap.example.com", imap_password="")
    assert stored(app)["imap_password"] == "s3cret"  # blank keeps it


def test_a_mailbox_needs_a_bounce_address(admin_client):
    response = save(admin_client, imap_host="imap.example.com")
    assert response.status_code == 422
    assert "Enter the bounce address too" in response.get_data(as_text=True)


def test_test_connection_logs_in_to_the_real_mailbox(admin_client, imap):
    save(admin_client, bounce_address="bounces@mail.example.com", imap_host="127.0.0.1", imap_port=str(imap.port),
         imap_security="none", imap_username=IMAP_USER, imap_password=IMAP_PASSWORD)
    answer = admin_client.post("/settings/imap-test", htmx=True).get_data(as_text=True)
    assert f"Connected to 127.0.0.1:{imap.port} as {IMAP_USER}: INBOX holds 0 messages." in answer
    save(admin_client, bounce_address="bounces@mail.example.com", imap_host="127.0.0.1", imap_port=str(imap.port),
         imap_security="none", imap_username=IMAP_USER, imap_password="wrong")
    answer = admin_client.post("/settings/imap-test", htmx=True).get_data(as_text=True)
    assert "refused the user name or password" in answer and "flash-error" in answer
