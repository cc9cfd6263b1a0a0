"""A marketer sees why Mailroom paused a send, and chooses to send the unconfirmed recipients again."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from tests.browser import log_in, screenshot, settled
from tests.factories import a_draft, a_list, started
from webapp.common.clock import utcnow
from webapp.extensions import db
from webapp.sending.models import MassEmail, Recipient

pytestmark = pytest.mark.browser


def a_started_send(app, people=12):
    """No worker runs here: the send stays where the test puts it."""
    mail_id = a_draft([a_list("Customers", [f"customer{n}@example.com" for n in range(people)])]).id
    started(mail_id)
    return mail_id


def test_a_send_paused_by_a_burst_of_refusals_says_why(page, app, admin):
    mail_id = a_started_send(app)
    with app.app_context():
        db.session.execute(update(MassEmail).values(
            state="paused", failure_reason="Paused automatically: 46 of the last 50 messages were refused or failed; most said: "
                                           "554 5.7.1 Service unavailable; client host [192.0.2.7] blocked using zen.spamhaus.org"))
        db.session.commit()
    log_in(page, "admin@example.com")

    page.goto(f"/mass-emails/{mail_id}")

    expect(page.get_by_role("alert")).to_contain_text("46 of the last 50 messages were refused or failed")
    settled(page)
    screenshot(page, "mass-email-auto-paused")
    page.get_by_role("button", name="Resume").click()
    expect(page.locator('[data-state="sending"]')).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)


def test_send_the_unconfirmed_again_after_confirming(page, app, admin):
    mail_id = a_started_send(app)
    with app.app_context():
        db.session.execute(update(Recipient).values(status="sent"))
        db.session.execute(update(Recipient).where(Recipient.email.in_(["customer3@example.com", "customer7@example.com"]))
                           .values(status="unconfirmed"))
        db.session.execute(update(MassEmail).values(state="sent", finished_at=utcnow()))
        db.session.commit()
    log_in(page, "admin@example.com")
    page.goto(f"/mass-emails/{mail_id}")
    expect(page.locator('[data-count="unconfirmed"]')).to_contain_text("2 unconfirmed")
    settled(page)
    screenshot(page, "mass-email-unconfirmed")

    page.once("dialog", lambda dialog: (dialog.message.startswith("Send") or pytest.fail(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Send again to the unconfirmed").click()

    expect(page.get_by_text("2 unconfirmed recipients will be sent again.")).to_be_visible()
    expect(page.locator('[data-state="sending"]')).to_be_visible()
    expect(page.get_by_role("button", name="Send again to the unconfirmed")).to_have_count(0)
