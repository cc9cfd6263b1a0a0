"""First run and login in a real browser."""
import pytest

from tests.conftest import screenshot

pytestmark = pytest.mark.browser


def create_first_admin(page, name, email, password):
    """Fill the first-run form, as a new user does, and land on the home page."""
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Repeat password").fill(password)
    page.get_by_role("button", name="Create admin account").click()
    page.get_by_role("heading", name=f"Hello, {name}").wait_for()


def test_first_run_creates_admin_and_lands_on_home(page):
    page.goto("/")
    assert page.url.endswith("/setup")
    screenshot(page, "setup")
    create_first_admin(page, "Ada Lovelace", "ada@example.com", "analytical engine")
    screenshot(page, "home-empty")
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("heading", name="✉ Mailroom").wait_for()
    screenshot(page, "login")
