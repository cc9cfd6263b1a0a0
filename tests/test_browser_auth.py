"""First run and login in a real browser."""
import pytest

from tests.conftest import screenshot

pytestmark = pytest.mark.browser


def test_first_run_creates_admin_and_lands_on_home(page):
    page.goto("/")
    assert page.url.endswith("/setup")
    screenshot(page, "setup")
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password", exact=True).fill("analytical engine")
    page.get_by_label("Repeat password").fill("analytical engine")
    page.get_by_role("button", name="Create admin account").click()
    page.get_by_role("heading", name="Hello, Ada Lovelace").wait_for()
    screenshot(page, "home-empty")
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("heading", name="✉ Mailroom").wait_for()
    screenshot(page, "login")
