"""The SMTP host set in Settings may not lead to link-local or (unless allowed) private addresses,
checked on save and again on every connection. The connection tests use [fe80::1]: an address
without its interface that no packet can leave for, so even a failing test sends nothing."""
import pytest

from tests.settings.helpers import VALID_SETTINGS, stored
from webapp.mail.delivery import SmtpDelivery
from webapp.mail.hosts import refusal
from webapp.mail.smtp import SmtpConfig, SmtpFailure, send_mail
from webapp.settings.service import get_settings

REFUSED = ["169.254.169.254", "169.254.0.1", "fe80::1", "fe80::1%1", "::ffff:169.254.169.254"]
PRIVATE = ["10.1.2.3", "172.16.0.1", "172.31.255.254", "192.168.1.1", "fd00::1", "fc00::1", "::ffff:10.0.0.1"]
ALLOWED = ["127.0.0.1", "127.3.4.5", "::1", "93.184.216.34", "172.32.0.1", "2001:db8::1"]


@pytest.mark.parametrize("address", REFUSED)
def test_link_local_is_never_allowed(address):
    assert "link-local" in refusal(address, allow_private=False)
    assert "link-local" in refusal(address, allow_private=True)


@pytest.mark.parametrize("address", PRIVATE)
def test_private_ranges_only_with_allow_private_smtp(address):
    assert "set ALLOW_PRIVATE_SMTP=1" in refusal(address, allow_private=False)
    assert refusal(address, allow_private=True) is None


@pytest.mark.parametrize("address", ALLOWED)
def test_loopback_and_public_addresses_are_allowed(address):
    assert refusal(address, allow_private=False) is None


def save(client, **changes):
    return client.post("/settings/", data=VALID_SETTINGS | changes, htmx=True)


def test_settings_refuse_a_metadata_or_private_host_on_save(admin_client, app):
    refused = save(admin_client, smtp_host="169.254.169.254")
    assert refused.status_code == 422
    assert "a link-local address (such as a cloud metadata service), which is never allowed" in refused.get_data(as_text=True)
    assert save(admin_client, smtp_host="192.168.0.10").status_code == 422
    assert stored(app)["smtp_host"] == ""
    assert save(admin_client, smtp_host="localhost", smtp_port="2525").status_code == 200  # the catcher's


def test_allow_private_smtp_lets_a_private_relay_be_saved(admin_client, app, monkeypatch):
    monkeypatch.setitem(app.config, "ALLOW_PRIVATE_SMTP", True)
    assert save(admin_client, smtp_host="10.0.0.25").status_code == 200
    assert stored(app)["smtp_host"] == "10.0.0.25"
    assert save(admin_client, smtp_host="169.254.169.254").status_code == 422


def a_host_that_now_resolves_to_link_local(app):
    """As if the saved name resolved to a link-local address since (DNS rebinding)."""
    from webapp.extensions import db

    with app.app_context():
        settings = get_settings()
        settings.smtp_host, settings.smtp_port, settings.smtp_security = "[fe80::1]", 25, "none"
        db.session.commit()


def test_the_smtp_test_checks_the_address_again_when_it_connects(admin_client, app):
    a_host_that_now_resolves_to_link_local(app)
    body = admin_client.post("/settings/smtp-test", data={"recipient": "me@example.com"}, htmx=True).get_data(as_text=True)
    assert "Mailroom may not connect to the SMTP host &#39;[fe80::1]&#39;: it resolves to fe80::1, a link-local" in body



def test_the_bounce_mailbox_host_is_held_to_the_same_rules(admin_client, app):
    refused = save(admin_client, bounce_address="bounces@example.com", imap_host="169.254.169.254")
    assert refused.status_code == 422 and "Mailroom may not connect to the IMAP host" in refused.get_data(as_text=True)
    from webapp.extensions import db

    with app.app_context():  # saved before the rule, or resolving differently since
        get_settings().imap_host = "[fe80::1]"
        db.session.commit()
    body = admin_client.post("/settings/imap-test", htmx=True).get_data(as_text=True)
    assert "Mailroom may not connect to the IMAP host &#39;[fe80::1]&#39;: it resolves to fe80::1, a link-local" in body

def relay(**changes):
    return SmtpConfig(**{"host": "[fe80::1]", "port": 25, "username": "u", "password": "p", "security": "none",
                         "sender": "a@example.com", "from_app_config": False, "password_from_env": False,
                         "check_address": True} | changes)


@pytest.mark.parametrize("security", ["none", "starttls", "ssl"])
def test_every_connection_checks_the_address_invites_and_sending_alike(security):
    with pytest.raises(SmtpFailure, match="it resolves to fe80::1, a link-local address"):
        send_mail(relay(security=security), "Invite", "me@example.com", "Hello")
    with pytest.raises(SmtpFailure, match="a link-local address"):  # a setting to fix: the send pauses, no retry
        SmtpDelivery(relay(security=security)).open()
