"""A marketer builds a retry that reaches nobody twice, on the new mass email form, and edits the draft."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser import log_in, screenshot, settled
from tests.factories import a_list, a_mass_email, a_recipient, a_template
from webapp.audience.models import Contact
from webapp.extensions import db

pytestmark = pytest.mark.browser

CUSTOMERS = [f"customer{n}@example.com" for n in range(20)]


def test_the_form_estimates_as_lists_are_ticked_and_the_draft_is_edited(page, app, marketer):
    a_template("Hello", subject="Hi {{ contact.email }}")
    a_list("Customers", CUSTOMERS)
    with app.app_context():
        ids = dict(db.session.execute(select(Contact.email, Contact.id)).all())
    a_list("Staff", contacts=[ids[email] for email in CUSTOMERS[:5]])
    may = a_mass_email("May news, cancelled", state="cancelled", list_size_all=4)
    for email, status in zip(CUSTOMERS[10:14], ["sent", "sent", "unconfirmed", "queued"]):
        a_recipient(may, email, contact=ids[email], status=status)
    log_in(page, "marketer@example.com")

    page.goto("/mass-emails/new")
    page.get_by_label("Name", exact=True).fill("June news")
    page.get_by_label("Template", exact=True).select_option(label="Hello")
    estimate = page.locator("#recipient-estimate")
    expect(estimate).to_contain_text("Tick a list")
    page.get_by_role("group", name="Send to lists").get_by_label("Customers").check()
    expect(estimate).to_contain_text("20 recipients if sent now")
    page.get_by_role("group", name="Skip members of").get_by_label("Staff").check()
    expect(estimate).to_contain_text("15 recipients if sent now")
    page.get_by_text("Exclude recipients of earlier mass emails…").click()
    page.get_by_label("May news, cancelled").check()
    expect(estimate).to_contain_text("12 recipients if sent now")  # the queued one of a cancelled send was never sent
    expect(estimate).to_contain_text("3 already sent an earlier mass email")
    settled(page)
    screenshot(page, "mass-email-new-estimate")
    page.get_by_role("button", name="Continue to confirm").click()

    expect(page.locator('[data-summary="emailing"]')).to_have_text("12")
    expect(page.locator('[data-skipped="lists"]')).to_contain_text("took off 5 contacts")
    expect(page.locator('[data-skipped="earlier"]')).to_contain_text("3 contacts")
    expect(page.locator("[data-sample-subject]")).to_contain_text("“Hi customer5@example.com” for customer5@example.com")
    settled(page)
    screenshot(page, "mass-email-confirm-skipped")

    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_label("Name", exact=True)).to_have_value("June news")
    expect(page.get_by_label("May news, cancelled")).to_be_checked()
    expect(estimate).to_contain_text("12 recipients if sent now")
    page.get_by_label("Name", exact=True).fill("June news, the rest")
    page.get_by_role("group", name="Skip members of").get_by_label("Staff").uncheck()
    page.get_by_role("button", name="Save and confirm again").click()

    expect(page.get_by_role("heading", name="June news, the rest")).to_be_visible()
    expect(page.locator('[data-summary="emailing"]')).to_have_text("17")
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("link", name="Edit", exact=True).click()
    settled(page)
    screenshot(page, "phone-mass-email-edit")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
