"""The main pages on a phone (390x844): no sideways scrolling, and the menu reaches every page."""
import pytest
from playwright.sync_api import expect

from tests.browser import log_in, screenshot
from tests.factories import a_contact, a_list, a_mass_email, a_template

pytestmark = pytest.mark.browser

MAIN_PAGES = {"/": "home", "/contacts": "contacts", "/lists": "lists", "/imports": "imports",
              "/templates": "templates", "/mass-emails": "mass-emails", "/settings": "settings"}
MENU = ["Mass emails", "Contacts", "Lists", "Imports", "Suppressions", "Templates", "Settings", "Users"]


def test_main_pages_fit_a_phone_and_the_menu_reaches_every_page(page, admin):
    contact = a_contact("zoe.a.rather.long.address@example.org", "Zoë", "Weber", "Weber Logistics International")
    a_list("Customers in the Netherlands", contacts=[contact])
    a_mass_email("June newsletter for every customer", template=a_template("Newsletter with a long name"), owner_id=admin)
    log_in(page, "admin@example.com")
    page.set_viewport_size({"width": 390, "height": 844})
    for path, name in MAIN_PAGES.items():
        page.goto(path)
        screenshot(page, f"phone-{name}")
        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"{path} scrolls sideways: {widths}"
        menu = page.get_by_role("button", name="Menu")
        expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Contacts")).to_be_hidden()
        menu.focus()
        page.keyboard.press("Enter")  # keyboard reachable
        nav = page.get_by_role("navigation", name="Main")
        for label in MENU:
            expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
    screenshot(page, "phone-menu-open")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Lists", exact=True).click()
    expect(page.get_by_role("heading", name="Target lists")).to_be_visible()
