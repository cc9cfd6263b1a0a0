"""A marketer searches, sorts and pages the contact table and opens a contact, in a real browser."""
import pytest

from playwright.sync_api import expect

from tests.browser import log_in, screenshot

pytestmark = pytest.mark.browser


def test_search_sort_page_and_open_a_contact(page, app, marketer):
    from webapp.audience.seed import seed_demo

    with app.app_context():
        seed_demo(120, lists=2)
    log_in(page, "marketer@example.com")
    page.goto("/contacts")
    page.get_by_text("120", exact=True).wait_for()
    screenshot(page, "contacts-list")

    page.get_by_role("link", name="Next →").click()
    page.wait_for_url("**after=**")
    assert page.locator("#contacts-table tbody tr").count() == 50
    page.get_by_role("link", name="← Previous").click()
    page.wait_for_url("**before=**")

    page.get_by_role("link", name="Email", exact=True).click()
    page.wait_for_url("**sort=email**")
    first = page.locator("#contacts-table tbody tr td a").first.inner_text()
    assert first.startswith("a")

    page.get_by_label("Search contacts").press_sequentially("grace")  # keyup, as a person types
    page.wait_for_url("**q=grace**")
    rows = page.locator("#contacts-table tbody tr td:first-child a")
    assert rows.count() > 0 and all(t.startswith("grace.") for t in rows.all_inner_texts())
    assert "sort=email" in page.url  # the order survives a new search
    screenshot(page, "contacts-search")

    rows.first.click()
    page.get_by_role("heading", name="Timeline").wait_for()
    page.locator("details.popover summary").first.click()
    screenshot(page, "contact-detail")

    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("An email address must have an @-sign.").wait_for()
    screenshot(page, "contact-edit-error")


def test_empty_contacts_page_points_to_import(page, marketer):
    log_in(page, "marketer@example.com")
    page.goto("/contacts")
    empty = page.locator(".empty", has_text="No contacts yet")
    expect(empty).to_contain_text("Import a CSV to get started")
    screenshot(page, "contacts-empty")

    empty.get_by_role("link", name="Import contacts").click()

    page.wait_for_url("**/imports")
    expect(page.get_by_label("CSV file", exact=True)).to_be_visible()  # the upload form is where the link leads
