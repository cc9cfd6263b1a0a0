"""A marketer sends a mass email in a real browser and watches it go out, then finds it in the Outbox."""
import pytest
from playwright.sync_api import expect

from tests.browser import log_in, screenshot, settled
from tests.factories import a_draft, a_list, a_template, started
from webapp.extensions import db
from webapp.outbox.reader import list_messages
from webapp.settings.service import get_settings

pytestmark = pytest.mark.browser


def test_create_confirm_send_and_watch_a_mass_email_reach_everyone(page, app, marketer, admin, worker, smtp_catcher):
    a_template(name="Summer sale", subject="Summer sale")
    a_list("Customers", [f"customer{n}@example.com" for n in range(30)])
    with app.app_context():
        get_settings().batch_size = 10  # three batches, so the bar moves in steps
        db.session.commit()
    log_in(page, "marketer@example.com")

    page.get_by_role("link", name="Mass emails", exact=True).click()
    page.get_by_text("No mass emails yet").wait_for()
    screenshot(page, "mass-emails-empty")
    page.get_by_role("link", name="New mass email").first.click()
    page.get_by_label("Name", exact=True).fill("Summer sale")
    page.get_by_label("Template", exact=True).select_option(label="Summer sale")
    page.get_by_role("group", name="Send to lists").get_by_label("Customers").check()
    screenshot(page, "mass-email-new")
    page.get_by_role("button", name="Continue to confirm").click()

    expect(page.locator('[data-summary="emailing"]')).to_have_text("30")
    page.get_by_role("heading", name="Preflight check").wait_for()
    settled(page)
    screenshot(page, "mass-email-confirm")
    page.get_by_role("button", name="Send now to 30").click()
    expect(page.get_by_text("Tick this box to confirm")).to_be_visible()
    page.get_by_label("I have checked the recipients").check()
    page.get_by_role("button", name="Send now to 30").click()

    expect(page.get_by_text("Preparing the recipients; sending starts as soon as they are ready.")).to_be_visible()
    expect(page.locator("#progress")).to_contain_text("30 of 30 (100%)", timeout=60000)
    expect(page.locator('[data-state="sent"]')).to_be_visible()
    expect(page.locator('[data-count="sent"]')).to_have_text("30")
    # The report below was drawn while the recipients were being prepared: the finished send redraws it.
    expect(page.get_by_role("link", name="The message as sent")).to_be_visible()
    expect(page.locator("[data-contact-table] tbody tr")).to_have_count(30)
    settled(page)
    screenshot(page, "mass-email-sent")

    page.get_by_role("link", name="Mass emails", exact=True).click()
    expect(page.locator("#mass-emails")).to_contain_text("30 / 30")
    screenshot(page, "mass-emails-list")

    _, caught = list_messages(app.config["OUTBOX_DIR"])
    assert caught == 30  # each customer once
    expect(page.get_by_role("link", name="Outbox")).to_have_count(0)  # admins only: it holds invitation links
    page.get_by_role("button", name="Log out").click()
    log_in(page, "admin@example.com")
    page.get_by_role("link", name="Outbox").click()
    page.get_by_role("link", name="Summer sale").first.click()
    headers = page.locator("dl.facts")
    expect(headers).to_contain_text("List-Unsubscribe")
    expect(headers).to_contain_text("List-Unsubscribe=One-Click")
    screenshot(page, "mass-email-in-outbox")


def test_pause_resume_and_cancel_a_send_from_its_progress_page(page, app, admin):
    # No worker runs here: the send stays at 0%, so every button can be tried on it (an admin may, whoever owns it).
    mail_id = a_draft([a_list("Customers", [f"customer{n}@example.com" for n in range(12)])]).id
    started(mail_id)
    log_in(page, "admin@example.com")
    page.goto(f"/mass-emails/{mail_id}")
    expect(page.locator('[data-state="sending"]')).to_be_visible()

    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_text("Paused. Batches already running stop")).to_be_visible()
    expect(page.get_by_role("button", name="Resume")).to_be_visible()
    settled(page)
    screenshot(page, "mass-email-paused")
    page.get_by_role("button", name="Resume").click()
    expect(page.locator('[data-state="sending"]')).to_be_visible()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel sending").click()
    expect(page.get_by_text("Cancelled. 12 recipients still waiting will not be sent.")).to_be_visible()
    expect(page.get_by_role("button", name="Pause")).to_have_count(0)
    settled(page)
    screenshot(page, "mass-email-cancelled")


def test_start_a_drip_watch_it_send_one_at_a_time_and_edit_its_schedule(page, app, marketer, worker, smtp_catcher):
    a_template(name="Welcome series", subject="Welcome series")
    a_list("Trial users", [f"trial{n}@example.com" for n in range(3)])
    log_in(page, "marketer@example.com")

    page.goto("/mass-emails/new")
    page.get_by_label("Name", exact=True).fill("Welcome drip")
    page.get_by_label("Template", exact=True).select_option(label="Welcome series")
    page.get_by_role("group", name="Send to lists").get_by_label("Trial users").check()
    expect(page.get_by_label("Send one email every")).to_be_hidden()  # drip fields wait for the drip choice
    page.get_by_label("Advanced drip").check()
    page.get_by_label("Send one email every").fill("2")
    page.get_by_label("Unit").select_option("seconds")
    for day in ("Sat", "Sun"):
        page.get_by_label(day, exact=True).check()
    page.get_by_label("From", exact=True).select_option(label="00:00")
    page.get_by_label("Until", exact=True).select_option(label="24:00")
    screenshot(page, "drip-new")
    page.get_by_role("button", name="Continue to confirm").click()

    expect(page.locator("[data-drip-schedule]")).to_contain_text("Every 2 seconds, every day, all day UTC")
    page.get_by_label("I have checked the recipients").check()
    page.get_by_role("button", name="Start the drip to 3").click()

    expect(page.get_by_text("The drip starts once its recipients are ready: Every 2 seconds")).to_be_visible()
    expect(page.locator("[data-next-send]")).to_contain_text("Next email at")
    expect(page.locator('[data-count="sent"]')).to_have_text("1", timeout=30000)
    settled(page)
    screenshot(page, "drip-sending")
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("button", name="Resume")).to_be_visible()
    page.get_by_role("link", name="Edit schedule or content").click()
    expect(page.get_by_label("Send one email every")).to_have_value("2")
    page.get_by_label("Send one email every").fill("1")
    screenshot(page, "drip-edit")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Recipients not sent yet get the new schedule")).to_be_visible()
    expect(page.locator(".drip-schedule")).to_contain_text("Every second")
    page.get_by_role("button", name="Resume").click()
    expect(page.locator('[data-state="sent"]')).to_be_visible(timeout=30000)
    expect(page.locator('[data-count="sent"]')).to_have_text("3")
    settled(page)
    screenshot(page, "drip-sent")
