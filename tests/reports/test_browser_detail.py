"""A marketer reads a mass email's report in a real browser: cards swap the table in place, the URL follows."""
import csv
import io
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser import log_in, screenshot, settled
from tests.factories import a_contact, a_mass_email, a_recipient, an_event

pytestmark = pytest.mark.browser
T0 = datetime(2026, 6, 1, 9, 0)


def test_a_card_swaps_the_table_and_back_restores_the_previous_card(page, app, marketer):
    mass_email = a_mass_email("June news", state="sent", list_size_all=3, list_size_emailing=3, sent_count=3,
                              delivered_count=2, bounced_count=1, unique_open_count=2, human_open_count=1, open_count=3)
    for email, fields in (("ann@example.org", dict(first_opened_at=T0, human_at=T0, open_count=2)),
                          ("ben@example.org", dict(first_opened_at=T0, open_count=1)), ("cy@example.org", {})):
        recipient = a_recipient(mass_email, email, contact=a_contact(email, first_name=email[:3].title()), status="delivered",
                                sent_at=T0, delivered_at=T0, status_changed_at=T0, **fields)
        for minute in range(fields.get("open_count", 0) * 7):  # opens spread over two hours, some judged human
            an_event(recipient, "open", T0 + timedelta(minutes=minute * 9), verdict="human" if minute % 3 == 0 else "bot")
        for n, path in enumerate(("pricing", "blog/june-launch", "pricing")[:fields.get("open_count", 0) + 1]):
            an_event(recipient, "click", T0 + timedelta(minutes=20 + n * 30), url=f"https://example.com/{path}",
                     verdict="human" if n else "bot")
    a_recipient(mass_email, "dan@example.org", status="bounced", bounce_kind="hard", smtp_reply="550 no such user",
                sent_at=T0, status_changed_at=T0)
    log_in(page, "marketer@example.com")
    page.goto(f"/mass-emails/{mass_email.id}")
    table = page.locator("[data-contact-table] tbody tr")
    expect(table).to_have_count(4)
    expect(page.locator('[data-chart="links"] g[data-link]')).to_have_count(2)
    expect(page.locator('[data-chart="links"]')).to_contain_text("https://example.com/pricing")

    page.get_by_role("link", name=re.compile("Unique Opens")).click()
    expect(table).to_have_count(2)
    expect(page).to_have_url(re.compile(rf"/mass-emails/{mass_email.id}\?card=opens$"))
    page.get_by_role("link", name=re.compile("Likely Human")).click()
    expect(table).to_have_count(1)
    expect(table.first).to_contain_text("ann@example.org")
    expect(page).to_have_url(re.compile(r"card=opens&sub=human$"))
    settled(page)
    screenshot(page, "report-opens-human")

    page.go_back()
    expect(page).to_have_url(re.compile(r"card=opens$"))
    expect(table).to_have_count(2)
    page.reload()
    expect(page.locator(".stat.current").first).to_contain_text("Unique Opens")
    expect(table).to_have_count(2)
    page.get_by_role("link", name=re.compile("Bounced")).click()
    expect(table).to_have_count(1)
    expect(table.first).to_contain_text("550 no such user")
    page.get_by_role("button", name="History of dan@example.org").click()
    expect(page.locator("#recipient-panel")).to_contain_text("bounced")
    settled(page)
    screenshot(page, "report-bounced-panel")
    page.locator("#recipient-panel").get_by_role("button", name="Close").click()
    expect(page.locator("#recipient-panel")).to_be_hidden()


def test_the_table_searches_sorts_filters_pages_and_exports_what_it_shows(page, app, marketer):
    mass_email = a_mass_email("July news", state="sent", list_size_all=65, list_size_emailing=65, sent_count=65,
                              delivered_count=60, bounced_count=5)
    for n in range(65):
        bounced = n >= 60
        a_recipient(mass_email, f"r{n:02}@example.org", status="bounced" if bounced else "delivered", sent_at=T0,
                    status_changed_at=T0 + timedelta(minutes=n), bounce_kind="hard" if bounced else None,
                    smtp_reply="550 5.1.1 no such user" if bounced else None)
    log_in(page, "marketer@example.com")
    page.goto(f"/mass-emails/{mass_email.id}")
    rows = page.locator("[data-contact-table] tbody tr")
    emails = page.locator("[data-contact-table] tbody tr td:nth-child(2)")

    expect(rows).to_have_count(50)
    expect(emails.first).to_have_text("r64@example.org")  # newest change first
    page.get_by_role("link", name="Next →").click()
    expect(rows).to_have_count(15)
    expect(emails.last).to_have_text("r00@example.org")
    expect(page).to_have_url(re.compile(r"after="))
    page.get_by_role("link", name="← Previous").click()
    expect(rows).to_have_count(50)
    expect(emails.first).to_have_text("r64@example.org")

    page.get_by_role("link", name="Email", exact=True).click()
    expect(emails.first).to_have_text("r00@example.org")
    expect(page).to_have_url(re.compile(r"sort=email&dir=asc"))
    page.get_by_role("link", name="Email ▲").click()
    expect(emails.first).to_have_text("r64@example.org")

    page.get_by_label("Search by email or name").fill("r07")
    page.get_by_label("Search by email or name").press("Enter")
    expect(rows).to_have_count(1)
    expect(emails.first).to_have_text("r07@example.org")
    page.get_by_label("Search by email or name").fill("")
    page.get_by_label("Status").select_option("bounced")
    page.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(5)
    expect(page).to_have_url(re.compile(r"status=bounced"))
    settled(page)

    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    exported = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert [row["email"] for row in exported] == emails.all_inner_texts()  # exactly the rows shown, in their order
    assert {row["smtp_reply"] for row in exported} == {"550 5.1.1 no such user"}
