"""DKIM signing: an admin pastes a private key, publishes the DNS record shown, and every mass email is signed."""
import base64
import subprocess

import dkim
import pytest
from playwright.sync_api import expect

from tests.browser import log_in, screenshot
from tests.settings.helpers import VALID_SETTINGS, stored

DKIM = {"dkim_domain": "example.com", "dkim_selector": "mailroom"}


def generate_key(bits=2048, *extra):
    """A key made the way the settings page tells admins to make one."""
    return subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", f"rsa_keygen_bits:{bits}", *extra],
                          check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def private_key():
    return generate_key()


def save(client, **changes):
    return client.post("/settings/", data=VALID_SETTINGS | changes, htmx=True)


def public_key_from_openssl(pem):
    der = subprocess.run(["openssl", "pkey", "-pubout", "-outform", "DER"], input=pem.encode(), check=True,
                         capture_output=True).stdout
    return base64.b64encode(der).decode()


def test_admin_saves_a_key_and_sees_the_dns_record_to_publish(admin_client, app, private_key):
    # Browsers send textarea content with CRLF line ends.
    response = save(admin_client, **DKIM, dkim_key=private_key.replace("\n", "\r\n"))
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Settings saved." in body
    values = stored(app)
    assert (values["dkim_domain"], values["dkim_selector"]) == ("example.com", "mailroom")
    assert values["dkim_private_key"] == private_key  # stored as the PEM dkimpy reads
    assert "mailroom._domainkey.example.com" in body
    assert f"v=DKIM1; k=rsa; p={public_key_from_openssl(private_key)}" in body
    assert "Signing is <strong>on</strong>" in body
    assert private_key.splitlines()[1] not in body  # write-only: the key never goes back to the browser


def test_a_traditional_rsa_key_is_accepted_too(admin_client, app):
    pkcs1 = subprocess.run(["openssl", "rsa", "-traditional"], input=generate_key(1024), check=True, capture_output=True,
                           text=True).stdout
    assert "BEGIN RSA PRIVATE KEY" in pkcs1
    assert save(admin_client, **DKIM, dkim_key=pkcs1).status_code == 200
    assert stored(app)["dkim_private_key"].startswith("-----BEGIN RSA PRIVATE KEY-----")


@pytest.mark.parametrize("pasted, message", [
    ("not a key", "This is not an RSA or Ed25519 private key in PEM format"),
    ("-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----", "This is a public key"),
])
def test_what_is_not_a_private_key_is_refused_with_a_reason(admin_client, app, pasted, message):
    response = save(admin_client, **DKIM, dkim_key=pasted)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert stored(app)["dkim_private_key"] == ""


def test_a_key_too_short_for_receivers_is_refused(admin_client):
    response = save(admin_client, **DKIM, dkim_key=generate_key(512))
    assert response.status_code == 422 and "receivers ignore DKIM keys under 1024 bits" in response.get_data(as_text=True)


def test_a_key_needs_its_domain_and_selector(admin_client, private_key):
    body = save(admin_client, dkim_key=private_key).get_data(as_text=True)
    assert "Enter the domain the key signs for" in body and "Enter the selector" in body
    body = save(admin_client, dkim_domain="not a domain", dkim_selector="bad selector!", dkim_key=private_key).get_data(as_text=True)
    assert "Enter a domain name" in body and "A selector is letters" in body


def test_blank_key_keeps_the_stored_one_and_remove_clears_it(admin_client, app, private_key):
    save(admin_client, **DKIM, dkim_key=private_key)
    body = save(admin_client, **(DKIM | {"dkim_selector": "s2026"}), dkim_key="").get_data(as_text=True)
    values = stored(app)
    assert values["dkim_private_key"] == private_key and values["dkim_selector"] == "s2026"
    assert "A key is stored. Leave this empty to keep it" in body and "s2026._domainkey.example.com" in body

    body = save(admin_client, **DKIM, dkim_key="", clear_dkim_key="y").get_data(as_text=True)
    assert stored(app)["dkim_private_key"] == ""
    assert "Signing is <strong>off</strong>" in body and "_domainkey" not in body


def test_settings_without_dkim_fields_still_save(admin_client, app):
    assert save(admin_client).status_code == 200
    assert stored(app)["dkim_private_key"] == ""


def test_mass_email_settings_carry_the_key_and_built_messages_verify(app, private_key, ctx):
    from webapp.compose.mime import MessageBuilder
    from webapp.compose.rendering import compile_template, contact_context
    from webapp.compose.service import message_settings
    from webapp.mail.dkim import DkimKey, dns_record
    from webapp.settings.service import dkim_keys, get_settings, update_settings

    assert message_settings(get_settings(), app.config).dkim is None
    update_settings({**DKIM, "from_email": "news@example.com"}, dkim_private_key=private_key)
    build_settings = message_settings(get_settings(), app.config)
    assert dkim_keys(get_settings()) == [DkimKey("mailroom", "example.com", private_key.encode())]

    compiled = compile_template("Autumn news", "<p>Hello {{ contact.first_name }}</p>")
    message = MessageBuilder(compiled, build_settings).build(7, "ann@example.org", contact_context("ann@example.org", "Ann"))
    assert message.data.startswith(b"DKIM-Signature: v=1; a=rsa-sha256;")
    name, value = dns_record("mailroom", "example.com", private_key)

    def dns(query, timeout=5):  # the record the settings page told the admin to publish
        return value.encode() if query.decode().rstrip(".") == name else None

    assert dkim.verify(message.data, dnsfunc=dns)
    assert not dkim.verify(message.data.replace(b"Hello Ann", b"Hello Bob"), dnsfunc=dns)


@pytest.mark.browser
def test_admin_sets_up_dkim_in_the_browser(page, app, admin, private_key):
    log_in(page, "admin@example.com")
    page.goto("/settings/")
    page.get_by_label("Signing domain (d=)").fill("example.com")
    page.get_by_label("Selector (s=)").fill("mailroom")
    page.get_by_label("Private key (PEM)", exact=True).fill(private_key)
    page.get_by_role("button", name="Save settings").click()
    page.get_by_text("Settings saved.").wait_for()
    page.get_by_text("mailroom._domainkey.example.com").scroll_into_view_if_needed()
    screenshot(page, "settings-dkim")

    # The TXT record to publish, name and value, and signing on.
    record = page.locator(".dns-record")
    expect(record).to_contain_text("mailroom._domainkey.example.com")
    expect(record).to_contain_text(f"v=DKIM1; k=rsa; p={public_key_from_openssl(private_key)}")
    expect(page.locator(".dkim-status")).to_contain_text("Signing is on")
    assert stored(app)["dkim_private_key"] == private_key


@pytest.fixture(scope="module")
def ed25519_key():
    return subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519"], check=True, capture_output=True, text=True).stdout


def test_an_ed25519_key_beside_the_rsa_key_signs_every_message_twice(admin_client, app, private_key, ed25519_key):
    from webapp.compose.mime import MessageBuilder
    from webapp.compose.rendering import compile_template, contact_context
    from webapp.compose.service import message_settings
    from webapp.mail.dkim import dns_record
    from webapp.settings.service import get_settings

    body = save(admin_client, **DKIM, dkim_key=private_key, dkim_ed25519_selector="mailroom-ed",
                dkim_ed25519_key=ed25519_key).get_data(as_text=True)

    assert "two in fact: Ed25519 and RSA" in body and "mailroom-ed._domainkey.example.com" in body and "k=ed25519; p=" in body
    with app.app_context():
        compiled = compile_template("News", "<p>Hello {{ contact.first_name }}</p>")
        message = MessageBuilder(compiled, message_settings(get_settings(), app.config)).build(
            7, "ann@example.org", contact_context("ann@example.org", "Ann"))
    records = {f"{name}.".encode(): value.encode() for name, value in (
        dns_record("mailroom", "example.com", private_key), dns_record("mailroom-ed", "example.com", ed25519_key))}
    assert message.data.count(b"DKIM-Signature:") == 2
    for index in (0, 1):
        assert dkim.DKIM(message.data).verify(idx=index, dnsfunc=lambda name, timeout=5: records.get(name))


@pytest.mark.parametrize("fields, says", [
    ({"dkim_key": "ED25519"}, "This is an Ed25519 key: paste it in the Ed25519 field below"),
    ({"dkim_key": "RSA", "dkim_ed25519_selector": "ed", "dkim_ed25519_key": "RSA"}, "This is an RSA key: it goes in the private key field above"),
    ({"dkim_ed25519_selector": "ed", "dkim_ed25519_key": "ED25519"}, "store an RSA key too"),
    ({"dkim_key": "RSA", "dkim_ed25519_selector": "mailroom", "dkim_ed25519_key": "ED25519"}, "Each key needs its own selector"),
    ({"dkim_key": "RSA", "dkim_ed25519_key": "ED25519"}, "Enter a selector for the Ed25519 key"),
])
def test_each_key_goes_in_its_own_field(admin_client, app, private_key, ed25519_key, fields, says):
    pasted = {name: {"RSA": private_key, "ED25519": ed25519_key}.get(value, value) for name, value in fields.items()}

    response = save(admin_client, **DKIM, **pasted)

    assert response.status_code == 422 and says in response.get_data(as_text=True)
    assert stored(app)["dkim_private_key"] == "" and stored(app)["dkim_ed25519_private_key"] == ""
