"""An admin sets Mailroom up in a real browser: settings, an SMTP test, and inviting a marketer."""
import pytest
from playwright.sync_api import expect

from tests.browser import log_in, screenshot
from webapp.outbox.reader import list_messages

pytestmark = pytest.mark.browser


def test_admin_configures_mailroom_and_invites_a_marketer(page, browser, live_server, app, admin, smtp_catcher):
    log_in(page, "admin@example.com")
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("heading", name="Settings").wait_for()
    screenshot(page, "settings")

    page.get_by_label("Site URL").fill("mail.example.com/?x=1")
    page.get_by_role("button", name="Save settings").click()
    page.get_by_text("Use an absolute http:// or https:// address").wait_for()
    expect(page.get_by_label("Site URL")).to_be_focused()  # the admin lands on the problem
    screenshot(page, "settings-invalid")

    page.get_by_label("Site URL").fill(live_server + "/")
    page.get_by_label("Max emails per hour").fill("1000")
    page.get_by_role("button", name="Save settings").click()
    page.get_by_text("Settings saved.").wait_for()
    assert page.get_by_label("Site URL").input_value() == live_server

    page.get_by_label("Send a test email to").fill("admin@example.com")
    page.get_by_role("button", name="Send test").click()
    page.get_by_text(f"Accepted by {app.config['MAIL_SERVER']}:{app.config['MAIL_PORT']}").wait_for()
    page.get_by_text("Accepted by").scroll_into_view_if_needed()
    screenshot(page, "settings-smtp-test")
    [message] = list_messages(app.config["OUTBOX_DIR"])[0]
    assert message.subject == "Mailroom SMTP test"

    page.get_by_role("link", name="Users").click()
    page.get_by_role("heading", name="Users").wait_for()
    page.get_by_label("Email").fill("mia@example.com")
    page.get_by_label("Name").fill("Mia Marketer")
    page.get_by_role("button", name="Add user").click()
    link = page.get_by_label("Set-password link for mia@example.com").input_value()
    assert link.startswith(live_server + "/invite/")
    page.get_by_role("cell", name="mia@example.com").wait_for()
    screenshot(page, "users-invited")

    invitee = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 860})
    try:
        tab = invitee.new_page()
        tab.goto(link)
        tab.get_by_text("Choose a password for").wait_for()
        screenshot(tab, "set-password")
        tab.get_by_label("New password").fill("mia's long password")
        tab.get_by_label("Repeat password").fill("mia's long password")
        tab.get_by_role("button", name="Set password and log in").click()
        tab.get_by_role("heading", name="Hello, Mia Marketer").wait_for()
        nav = tab.get_by_role("navigation", name="Main")
        assert nav.get_by_role("link", name="Contacts").is_visible()
        assert nav.get_by_role("link", name="Settings").count() == 0
        assert nav.get_by_role("link", name="Users").count() == 0
        screenshot(tab, "marketer-home")
        tab.get_by_role("link", name="Mia Marketer").click()
        tab.get_by_role("heading", name="Change password").wait_for()
        screenshot(tab, "account")
    finally:
        invitee.close()

    page.reload()
    assert "Active" in page.get_by_role("row", name="mia@example.com").inner_text()
    screenshot(page, "users")
