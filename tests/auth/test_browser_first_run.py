"""First run and login in a real browser."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser import screenshot, set_up_first_admin

pytestmark = pytest.mark.browser


def test_first_run_creates_admin_and_lands_on_home(page):
    page.goto("/")
    assert page.url.endswith("/setup")
    screenshot(page, "setup")
    set_up_first_admin(page, "Ada Lovelace", "ada@example.com", "analytical engine")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Hello, Ada Lovelace")).to_be_visible()  # logged in as the new admin
    screenshot(page, "home-empty")
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("heading", name="✉ Mailroom").wait_for()
    expect(page).to_have_url(re.compile(r"/login"))
    screenshot(page, "login")
