"""A new user's first day, all in the browser: create the admin, import 10,000 contacts with some
bad rows, read the errors, build two lists (one an exclusion built from a filter), see the Outbox."""
import pytest

from tests.browser import screenshot, set_up_first_admin, settled

pytestmark = pytest.mark.browser

ROWS = 10_000


def write_csv(path):
    """10,000 rows: most at acme.com or globex.com, 40 at a competitor, and 25 bad ones."""
    lines = ["Email,First Name,Last Name,Company"]
    for i in range(ROWS):
        if i % 400 == 7:
            lines.append(f"broken-{i}@,Broken,Row,Nowhere")  # invalid address
        elif i % 250 == 3:
            lines.append(f"spy{i}@competitor.com,Spy,{i},Competitor")
        else:
            lines.append(f"person{i}@{('acme.com', 'globex.com')[i % 2]},Person,{i},{('Acme', 'Globex')[i % 2]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return sum(line.startswith("broken") for line in lines), sum(line.startswith("spy") for line in lines), sum(line.endswith(",Acme") for line in lines)


def build_list_from_filter(page, name, field, value, expected):
    page.goto("/lists")
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Create list").click()
    page.get_by_role("heading", name=name).wait_for()
    page.get_by_role("link", name="Populate from a filter").click()
    page.get_by_label("Field of condition 1").select_option(field)
    settled(page)
    page.get_by_label("Value of condition 1").fill(value)
    page.locator(".match-count", has_text=f"{expected:,}").wait_for()
    page.get_by_role("button", name=f"Add {expected:,} matching contacts").click()
    page.get_by_text(f"Added {expected:,} contacts; 0 were already on the list.").wait_for()


def test_first_day_from_setup_to_lists_and_outbox(page, worker, smtp_catcher, tmp_path):
    page.goto("/")
    set_up_first_admin(page, "Grace", "grace@example.com", "a very long secret")

    bad, competitors, acme = write_csv(tmp_path / "contacts.csv")
    page.get_by_role("link", name="Import contacts").click()
    page.get_by_label("CSV file", exact=True).set_input_files(str(tmp_path / "contacts.csv"))
    page.get_by_role("button", name="Upload and map columns").click()
    page.get_by_role("heading", name="What is in each column?").wait_for()
    assert page.get_by_label("Email").input_value() == "email"
    page.get_by_role("button", name="Start import").click()
    page.get_by_role("heading", name="Result").wait_for(timeout=60000)
    status = page.locator("#import-status")
    assert f"{ROWS - bad:,}" in status.locator(".stat").nth(1).inner_text()
    assert f"{bad:,}" in status.locator(".stat").nth(3).inner_text()
    assert "invalid email" in status.inner_text()
    screenshot(page, "first-day-import-result")

    page.get_by_role("link", name="Contacts", exact=True).click()
    page.get_by_text(f"{ROWS - bad:,} contacts").first.wait_for()

    build_list_from_filter(page, "Acme customers", "company", "Acme", acme)
    build_list_from_filter(page, "Exclude: competitors", "email_domain", "competitor.com", competitors)
    page.goto("/lists")
    page.get_by_role("link", name="Exclude: competitors").wait_for()
    screenshot(page, "first-day-lists")

    page.get_by_role("link", name="Outbox").click()
    page.get_by_role("heading", name="Outbox").wait_for()
    page.get_by_text("No messages yet").wait_for()
    screenshot(page, "first-day-outbox")
