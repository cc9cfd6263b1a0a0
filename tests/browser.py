"""What browser tests do again and again, the way a person does it: log in through the form, set up
the first admin, wait for htmx to finish, take a screenshot for people to look at.

The browser itself comes from conftest's fixtures: `page` is a fresh tab on the app's live server.
"""
from tests.factories import PASSWORD
from tests.machine import ROOT

SCREENSHOTS = ROOT / "tests" / "screenshots"


def log_in(page, email, password=PASSWORD):
    """Log in through the login form and wait for the first page behind it."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Log out").wait_for()


def set_up_first_admin(page, name, email, password):
    """Fill the first-run form on the page it is shown on, as a new user does, and land on the home page."""
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Repeat password").fill(password)
    page.get_by_role("button", name="Create admin account").click()
    page.get_by_role("heading", name=f"Hello, {name}").wait_for()


def settled(page):
    """Wait until htmx has no request in flight and has wired up what it swapped in, as a person would."""
    # A locator, not wait_for_function: the app's CSP forbids the eval that a string predicate needs.
    page.locator(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added").first.wait_for(state="detached")


def screenshot(page, name):
    """The whole page as tests/screenshots/NAME.png."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
