"""Target lists and suppressions in a real browser: what a marketer and an admin actually click."""
import pytest

from tests.browser import log_in, screenshot, settled
from tests.factories import some_contacts

pytestmark = pytest.mark.browser


@pytest.fixture
def logged_in_admin(page, admin):
    """The admin's tab, logged in, with six readers at acme.com and two people at competitor.com."""
    some_contacts(
        *[dict(email=f"reader{i}@acme.com", first_name=f"Reader{i}", last_name="Acme", company="Acme") for i in range(6)],
        dict(email="spy@competitor.com", first_name="Sam", last_name="Spy", company="Competitor"),
        dict(email="ceo@competitor.com", first_name="Carla", last_name="Boss", company="Competitor"),
    )
    log_in(page, "admin@example.com")
    return page


def create_list(page, name):
    page.goto("/lists")
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Create list").click()
    page.get_by_role("heading", name=name).wait_for()


def test_build_lists_by_search_and_by_filter_then_suppress_a_domain(logged_in_admin):
    page = logged_in_admin
    page.goto("/lists")
    screenshot(page, "lists-empty")

    create_list(page, "Newsletter")
    page.get_by_label("Search all contacts").fill("reader")
    page.get_by_role("button", name="Add all 6 results of this search").wait_for()
    page.get_by_label("Select reader0@acme.com").check()
    page.get_by_label("Select reader1@acme.com").check()
    page.get_by_role("button", name="Add selected").click()
    page.get_by_text("Added 2 contacts; 0 were already on the list.").wait_for()
    page.locator("#members").get_by_text("reader1@acme.com").wait_for()
    page.locator("#list-counts .stat", has_text="Subscribed members").get_by_text("2", exact=True).wait_for()  # with the table
    page.get_by_label("Search all contacts").fill("competitor")
    page.get_by_text("Carla Boss").wait_for()
    page.get_by_label("Select all shown").check()
    assert page.get_by_label("Select ceo@competitor.com").is_checked() and page.get_by_label("Select spy@competitor.com").is_checked()
    screenshot(page, "list-add-panel")
    page.get_by_label("Select all shown").uncheck()
    page.get_by_label("Search all contacts").fill("reader")
    page.get_by_role("button", name="Add all 6 results of this search").wait_for()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Add all 6 results of this search").click()
    page.get_by_text("Added 4 contacts; 2 were already on the list.").wait_for()
    page.locator("#members").get_by_text("reader5@acme.com").wait_for()
    page.locator("#members").get_by_role("button", name="Opt out", exact=True).first.click()
    page.locator("#members").get_by_text("Opted 1 member out of this list.").wait_for()
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "list-detail")

    create_list(page, "Exclude: competitors")
    page.get_by_role("link", name="Populate from a filter").click()
    page.get_by_label("Field of condition 1").select_option("email_domain")
    settled(page)
    page.get_by_label("Value of condition 1").fill("competitor.com")
    page.locator(".match-count", has_text="2").wait_for()
    page.get_by_role("button", name="+ Add condition").click()
    settled(page)
    page.get_by_label("Field of condition 2").select_option("created_at")
    page.locator("#value-1[type=date]").wait_for()  # the row rebuilt itself for a date field
    settled(page)
    page.get_by_label("Operator of condition 2").select_option("before")
    settled(page)
    page.get_by_label("Value of condition 2").fill("2020-01-01")
    page.get_by_text("0 contacts match").wait_for()
    settled(page)
    page.get_by_role("button", name="Remove condition 2").click()
    page.locator(".match-count", has_text="2").wait_for()
    screenshot(page, "list-populate")
    page.get_by_role("button", name="Add 2 matching contacts").click()
    page.get_by_text("Added 2 contacts; 0 were already on the list.").wait_for()
    assert page.locator("#members").get_by_text("spy@competitor.com").is_visible()

    page.goto("/lists")
    page.get_by_role("link", name="Exclude: competitors").wait_for()
    screenshot(page, "lists")

    page.get_by_role("link", name="Suppressions").click()
    page.get_by_label("Email or domain").fill("@competitor.com")
    page.get_by_label("Reason", exact=True).select_option("manual")
    page.get_by_label("Source note").first.fill("Competitors never get our mail")
    page.get_by_role("button", name="Suppress", exact=True).click()
    page.get_by_text("competitor.com is suppressed").wait_for()
    page.get_by_label("Email or domain").fill("jane@acme.com")
    page.get_by_role("button", name="Suppress", exact=True).click()
    page.get_by_text("jane@acme.com is suppressed").wait_for()
    screenshot(page, "suppressions")
