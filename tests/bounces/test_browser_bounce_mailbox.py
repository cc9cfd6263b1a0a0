"""An admin sets up the bounce mailbox in a real browser and tests the connection to a real IMAP server."""
import pytest

from tests.bounces.conftest import IMAP_PASSWORD, IMAP_USER
from tests.browser import log_in, screenshot

pytestmark = pytest.mark.browser


def test_admin_sets_up_the_bounce_mailbox_and_tests_it(page, admin, imap):
    log_in(page, "admin@example.com")
    page.goto("/settings/")
    section = page.locator("#bounces")
    section.get_by_label("Bounce address").fill("bounces@mail.example.com")
    section.get_by_label("IMAP host").fill("127.0.0.1")
    section.get_by_label("Port").fill(str(imap.port))
    section.get_by_label("Security").select_option("none")
    section.get_by_label("Username").fill(IMAP_USER)
    section.get_by_label("Password", exact=True).fill(IMAP_PASSWORD)
    page.get_by_role("button", name="Save settings").click()
    page.get_by_text("Settings saved.").wait_for()

    page.get_by_role("button", name="Test connection").click()
    result = page.get_by_text(f"Connected to 127.0.0.1:{imap.port} as {IMAP_USER}")
    result.wait_for()
    result.scroll_into_view_if_needed()
    screenshot(page, "settings-bounces")
    page.screenshot(path="tests/screenshots/settings-bounce-mailbox.png")  # the viewport: the result in view
    assert "A password is stored." in section.inner_text()
