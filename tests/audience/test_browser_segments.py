"""Segments in a real browser: save the contact table's search as a segment, then send to it with a live count."""
import pytest
from playwright.sync_api import expect

from tests.browser import log_in, screenshot, settled
from tests.factories import a_contact, a_list, a_template, some_contacts

pytestmark = pytest.mark.browser


def fits_the_width(page):
    scroll_width, inner_width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    return scroll_width <= inner_width


def test_save_a_search_as_a_segment_and_see_it_live_on_the_new_mass_email_form(page, marketer):
    some_contacts(*[dict(email=f"reader{i}@acme.com", first_name=f"Reader{i}", company="Acme") for i in range(3)],
                  dict(email="gone@acme.com", company="Acme", status="unsubscribed"),
                  dict(email="spy@competitor.com", company="Competitor"))
    a_list("Newsletter", ["news@example.org"])
    a_template(name="Spring news", subject="Spring news")
    log_in(page, "marketer@example.com")

    page.goto("/contacts")
    page.get_by_label("Search contacts").fill("acme")
    page.get_by_label("Status").select_option("active")
    page.get_by_text("3 contacts match").wait_for()
    settled(page)
    page.get_by_text("Save as segment…").click()
    page.get_by_label("Name").fill("Acme readers")
    screenshot(page, "segment-save-from-contacts")
    page.get_by_role("button", name="Save segment").click()

    page.get_by_role("heading", name="Acme readers").wait_for()
    expect(page.locator("[data-filter-words]")).to_contain_text("Search words match “acme” and Status equals “active”")
    expect(page.locator("[data-segment-count]")).to_have_text("3")
    expect(page.get_by_role("button", name="Add selected")).to_have_count(0)

    a_contact("reader9@acme.com", "Reader9", company="Acme")  # joins the segment by matching it, no one adds it
    page.goto("/mass-emails/new")
    segment = page.locator("label.field-check", has_text="Acme readers (segment)").first
    expect(segment.locator("[data-members]")).to_have_text("4")
    segment.locator("input").check()
    expect(page.locator("[data-estimate=emailing]")).to_have_text("4 recipients")
    page.locator("label.field-check", has_text="Newsletter").first.locator("input").check()
    expect(page.locator("[data-estimate=emailing]")).to_have_text("5 recipients")
    screenshot(page, "segment-new-mass-email")


def test_segment_and_lists_pages_on_a_laptop_and_a_phone(page, marketer):
    some_contacts(*[dict(email=f"reader{i}@acme.com", first_name=f"Reader{i}", last_name="Weber", company="Acme",
                         custom_fields={"plan": "gold" if i % 2 else "silver"}) for i in range(8)])
    a_list("Customers in the Netherlands", ["nl@example.org"])
    log_in(page, "marketer@example.com")
    page.goto("/lists")
    page.get_by_label("Name").fill("Gold customers at Acme")
    page.get_by_label("Segment: a saved filter").check()
    page.get_by_role("button", name="Create list").click()
    page.get_by_role("heading", name="Filter of the segment “Gold customers at Acme”").wait_for()
    page.get_by_text("9 contacts match (no conditions: everyone)").wait_for()
    page.get_by_role("button", name="+ Add condition").click()
    page.get_by_label("Field of condition 1").wait_for()
    settled(page)
    page.get_by_label("Field of condition 1").select_option("custom")
    settled(page)
    page.get_by_label("Custom field name of condition 1").fill("Plan")
    page.get_by_label("Value of condition 1").fill("gold")
    page.get_by_text("4 contacts match").wait_for()
    settled(page)
    screenshot(page, "segment-filter")
    page.get_by_role("button", name="Save the filter").click()
    page.get_by_role("heading", name="Gold customers at Acme").wait_for()
    expect(page.locator("[data-segment-count]")).to_have_text("4")

    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.reload()
        screenshot(page, f"segment-page-{width}")
        assert fits_the_width(page), f"the segment page scrolls sideways at {width}px"
        page.goto("/lists")
        expect(page.locator("tr[data-list='Gold customers at Acme'] [data-members]")).to_have_text("4")
        screenshot(page, f"segment-lists-{width}")
        assert fits_the_width(page), f"the lists page scrolls sideways at {width}px"
        page.go_back()
