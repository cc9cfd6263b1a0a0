"""A marketer reads a mass email's report in a real browser: cards swap the table in place, the URL follows."""
import re
from datetime import datetime, timedelta

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
