"""An admin turns on the Mailgun webhook from the Settings page, by keyboard and mouse."""
from playwright.sync_api import expect

from tests.browser import log_in, screenshot, settled


def test_admin_turns_on_mailgun(page, admin):
    log_in(page, "admin@example.com")
    page.goto("/settings")
    page.get_by_role("link", name="ESP webhooks").click()
    expect(page.get_by_text("/webhooks/mailgun")).to_be_visible()
    page.get_by_label("HTTP webhook signing key").fill("key-0123456789abcdef")
    page.get_by_role("button", name="Save webhook settings").click()

    expect(page.get_by_text("Webhook settings saved.")).to_be_visible()
    settled(page)
    expect(page.locator('[data-provider="mailgun"] .badge')).to_have_text("receiving")
    expect(page.get_by_label("HTTP webhook signing key")).to_have_value("")
    screenshot(page, "webhooks-settings")
