"""An admin loosens a bot rule in the browser and watches the stored opens judged again."""
from datetime import datetime, timedelta

from playwright.sync_api import expect

from tests.browser import log_in, screenshot, settled
from tests.factories import a_mass_email, a_recipient
from webapp.events.ingest import Incoming, ingest

T0 = datetime(2026, 6, 1, 9, 0)


def test_admin_turns_off_the_fast_open_rule_and_the_opens_are_judged_again(page, app, admin, worker):
    with app.app_context():
        mail = a_mass_email(state="sent")
        ingest([Incoming("open", T0 + timedelta(seconds=1), "pixel", a_recipient(mail, f"p{n}@example.com", status="sent",
                                                                                  sent_at=T0).id,
                         user_agent="Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0", dedupe_key=f"o{n}") for n in range(3)])
    log_in(page, "admin@example.com")

    page.goto("/settings")
    page.get_by_role("link", name="Bot rules").click()
    expect(page.locator('[data-rule="fast_open"] strong')).to_have_text("3")
    screenshot(page, "bot-rules")
    page.get_by_label("An open this soon after delivery is a machine (seconds)").fill("")
    page.get_by_role("button", name="Save rules").click()

    expect(page.get_by_text("Saved. Stored opens and clicks are being judged again")).to_be_visible()
    expect(page.get_by_text("were judged again by these rules")).to_be_visible(timeout=30000)
    settled(page)
    page.reload()
    expect(page.locator('[data-rule="human"] strong')).to_have_text("3")
    expect(page.locator('[data-rule="fast_open"] strong')).to_have_text("0")
    screenshot(page, "bot-rules-rejudged")
