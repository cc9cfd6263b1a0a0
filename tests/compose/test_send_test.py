"""Send test: the real message through the configured SMTP server, marked as a test, results inline."""
import shutil
import subprocess

import pytest

from tests.compose.helpers import editor_form
from tests.factories import a_contact, a_template, a_tracking_url
from tests.machine import free_port
from webapp.compose.send_test import parse_addresses
from webapp.extensions import db
from webapp.outbox.reader import list_messages

HTML = ('<html><body><p>Hi {{ contact.first_name | default("there") }}</p>'
        '<p><a href="https://shop.example.com/sale">Sale</a> <a href="{{ tracking_url("Pricing") }}">Prices</a></p></body></html>')


def caught(app):
    messages, _total = list_messages(app.config["OUTBOX_DIR"])
    return sorted(messages, key=lambda m: m.recipients)


def send(client, template_id, addresses, contact=None, **form):
    data = dict(editor_form(**form), addresses=addresses, contact=contact or "")
    return client.post(f"/templates/{template_id}/send-test", data=data, htmx=True)


def test_marketer_sends_a_test_that_arrives_marked_with_tracking(app, marketer_client, smtp_catcher):
    a_tracking_url()
    ann = a_contact("ann@example.org", "Ann").id
    template_id = a_template().id
    response = send(marketer_client, template_id, "me@example.com,\nBoss@Example.COM", contact=ann,
                    subject="Sale for {{ contact.first_name }}", html=HTML, from_name="Shop", from_email="shop@example.com",
                    reply_to="help@example.com")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.count("Accepted</span>") == 2 and "boss@example.com" in body

    boss, me = caught(app)
    assert (boss.recipients, me.recipients) == ("boss@example.com", "me@example.com")
    message = me.message
    assert message["Subject"] == "[Test] Sale for Ann"
    assert message["X-Mailroom-Test"] == "1"
    assert message["From"] == "Shop <shop@example.com>" and message["Reply-To"] == "help@example.com"
    assert message["List-Unsubscribe"].startswith("<http")
    html, text = me.html, me.text
    assert "Hi Ann" in html
    # Tracking as in a real send: signed click URLs instead of destinations, and the open pixel.
    assert "/t/c/" in html and "https://shop.example.com/sale" not in html
    assert "/t/o/" in html
    assert "Hi Ann" in text and "Unsubscribe" in text


def test_test_uses_the_settings_identity_when_the_template_has_none(app, admin_client, smtp_catcher):
    from webapp.settings.service import get_settings

    with app.app_context():
        get_settings().from_email, get_settings().from_name = "news@example.com", "Example News"
        db.session.commit()
    template_id = a_template(subject="Hello {{ contact.first_name }}", from_name="", from_email="").id
    assert send(admin_client, template_id, "me@example.com").status_code == 200
    (message,) = caught(app)
    assert message.message["From"] == "Example News <news@example.com>"
    assert message.message["Subject"] == "[Test] Hello Sample"  # no contacts: the sample contact


def test_test_messages_are_dkim_signed_when_a_key_is_set(app, admin_client, smtp_catcher):
    from webapp.settings.service import get_settings

    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test DKIM key")
    pem = subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
                         check=True, capture_output=True, text=True).stdout
    with app.app_context():
        settings = get_settings()
        settings.dkim_domain, settings.dkim_selector, settings.dkim_private_key = "example.com", "mailroom", pem
        db.session.commit()
    assert send(admin_client, a_template().id, "me@example.com").status_code == 200
    (message,) = caught(app)
    signature = str(message.message["DKIM-Signature"])
    assert "d=example.com" in signature and "s=mailroom" in signature


def test_invalid_addresses_are_named_one_by_one_and_nothing_is_sent(app, marketer_client, smtp_catcher):
    template_id = a_template().id
    response = send(marketer_client, template_id, "good@example.com, not-an-address, bob@@example.com")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "not-an-address:" in body and "bob@@example.com:" in body
    assert caught(app) == []


def test_no_address_is_an_error(app, marketer_client):
    template_id = a_template().id
    response = send(marketer_client, template_id, "  ")
    assert response.status_code == 422 and "Enter at least one address." in response.get_data(as_text=True)


def test_a_template_with_problems_is_not_sent(app, marketer_client, smtp_catcher):
    template_id = a_template().id
    response = send(marketer_client, template_id, "me@example.com", html="<p>{{ oops }}</p>")
    assert response.status_code == 422
    assert "unknown placeholder" in response.get_data(as_text=True)
    assert caught(app) == []


def test_a_closed_port_becomes_a_message_not_a_500(app, admin_client):
    from webapp.settings.service import get_settings

    with app.app_context():
        settings = get_settings()
        settings.smtp_host, settings.smtp_port, settings.smtp_security = "127.0.0.1", free_port(), "none"
        db.session.commit()
    template_id = a_template().id
    response = send(admin_client, template_id, "me@example.com, you@example.com")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.count("Failed</span>") == 2
    assert "connection refused" in body


def test_parse_addresses_normalises_and_drops_duplicates():
    assert parse_addresses("A@Example.com; a@example.com\nb@example.com") == (["a@example.com", "b@example.com"], [])
    addresses, errors = parse_addresses(",".join(f"u{i}@example.com" for i in range(11)))
    assert len(addresses) == 11 and errors == ["At most 10 addresses per test."]
