"""The template editor in a real browser: write, watch the preview, hit a placeholder error, send a test."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser import log_in, screenshot, settled
from tests.factories import a_contact, a_tracking_url

pytestmark = pytest.mark.browser

HTML = """<html>
<body style="font-family: Arial, sans-serif; padding: 16px">
  <h1 style="color: #1d4ed8">Spring sale</h1>
  <p>Hello {{ contact.first_name | default("there") }} in {{ contact.city }},</p>
  <p>Everything is 20% off this week.</p>
  <p><a href="{{ tracking_url("Pricing") }}">See the prices</a></p>
</body>
</html>"""


@pytest.fixture
def marketer_page(page, marketer):
    a_contact("ann@example.org", "Ann", city="Oslo")
    a_contact("zoe@example.org", "Zoe", city="Bergen")
    a_tracking_url()
    log_in(page, "marketer@example.com")
    return page


def test_write_a_template_watch_the_preview_see_an_error_and_send_a_test(marketer_page, admin, smtp_catcher):
    page = marketer_page
    page.get_by_role("link", name="Templates").click()
    page.get_by_text("No templates yet").wait_for()
    page.get_by_label("Name").fill("Spring sale")
    page.get_by_role("button", name="Create and edit").click()
    page.get_by_role("heading", name="Spring sale").wait_for()

    page.get_by_label("Subject").fill("Spring sale for {{ contact.first_name }}")
    page.get_by_label("HTML").fill(HTML)
    preview = page.frame_locator("#preview iframe")
    preview.get_by_text("Hello Ann in Oslo,").wait_for()
    expect(page.locator(".preview-subject")).to_contain_text("Spring sale for Ann")
    expect(page.locator("#problems")).to_contain_text("No problems found")
    settled(page)
    screenshot(page, "compose-editor-desktop")

    views = page.get_by_role("group", name="Preview view")
    page.get_by_label("Preview for contact").fill("zoe")
    preview.get_by_text("Hello Zoe in Bergen,").wait_for()
    views.get_by_text("Mobile").click()
    page.locator(".preview-mobile iframe").wait_for()
    preview.get_by_text("Hello Zoe in Bergen,").wait_for()
    settled(page)
    screenshot(page, "compose-preview-mobile")
    views.get_by_text("Plain text").click()
    expect(page.get_by_label("Plain-text version")).to_contain_text("Hello Zoe in Bergen,")
    views.get_by_text("Desktop").click()
    page.locator(".preview-desktop iframe").wait_for()

    html = page.get_by_label("HTML")
    html.fill(HTML.replace("Everything is", "Use {{ coupon_code }}: everything is"))
    problem = page.locator("#problems")
    expect(problem).to_contain_text("HTML, line 5: unknown placeholder 'coupon_code'")
    preflight = page.locator("#preflight")  # the pre-send checklist follows the draft too
    expect(preflight).to_contain_text("Must fix before sending")
    expect(preflight).to_contain_text("coupon_code")
    settled(page)
    screenshot(page, "compose-placeholder-error")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#template-form")).to_contain_text("Not saved: fix the problems below first.")

    # The problem's line link selects the line in the source.
    problem.get_by_role("button", name="HTML, line 5").click()
    selected = page.evaluate("(() => { const t = document.getElementById('html'); return t.value.slice(t.selectionStart, t.selectionEnd); })()")
    assert "coupon_code" in selected

    html.fill(HTML)
    expect(problem).to_contain_text("No problems found")
    expect(preflight).not_to_contain_text("Must fix before sending")
    html.press("Control+s")  # the keyboard shortcut saves the template, not the web page
    expect(page.locator("#template-form")).to_contain_text("Saved as version 2.")

    settled(page)  # the save and the checks it set off have landed before the next form is used
    page.get_by_label("Send a test to").fill("me@example.com, not-an-address")
    expect(page.get_by_label("Send a test to")).to_have_value("me@example.com, not-an-address")
    page.get_by_role("button", name="Send test").click()
    expect(page.locator("#send-test")).to_contain_text("not-an-address:")
    page.get_by_label("Send a test to").fill("me@example.com")
    page.get_by_role("button", name="Send test").click()
    expect(page.locator("#send-test")).to_contain_text("Accepted")
    expect(page.locator("#send-test")).to_contain_text("me@example.com")
    settled(page)
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "compose-send-test-result")

    page.get_by_role("button", name="Log out").click()
    log_in(page, "admin@example.com")  # the Outbox is for admins
    page.get_by_role("link", name="Outbox").click()
    page.get_by_text("[Test] Spring sale for Zoe").click()  # the previewed contact fills the placeholders
    page.get_by_role("heading", name="[Test] Spring sale for Zoe").wait_for()
    expect(page.locator("body")).to_contain_text("X-Mailroom-Test")
    page.frame_locator("iframe.mail").get_by_text("Hello Zoe in Bergen,").wait_for()
    screenshot(page, "compose-outbox-test-message")


def test_tracking_urls_page_copies_the_placeholder(marketer_page):
    page = marketer_page
    page.goto("/templates")
    page.get_by_role("link", name="Tracking URLs").click()
    page.get_by_label("Name").fill("Blog")
    page.get_by_label("Destination").fill("https://example.com/blog")
    page.get_by_role("button", name="Add").click()
    row = page.locator("tr", has_text="Blog")
    expect(row).to_contain_text('{{ tracking_url("Blog") }}')
    row.get_by_role("button", name=re.compile("Copy the placeholder")).click()
    expect(row.get_by_role("button", name=re.compile("Copy the placeholder"))).to_have_text("Copied")
    screenshot(page, "compose-tracking-urls")
