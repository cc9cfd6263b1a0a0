"""A marketer works the Mass Emails list in a real browser: scopes, hiding, a stat link, a drip paused
and resumed from its row, pages and the back button; and the list on a phone."""
import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import insert

from tests.browser import log_in, screenshot, settled
from tests.factories import a_mass_email, a_template
from webapp.extensions import db
from webapp.sending.models import MassEmail

pytestmark = pytest.mark.browser
T0 = datetime(2026, 6, 1, 9, 0)
A_DRIP = dict(kind="drip", drip_interval_seconds=600, drip_days="01234", drip_start_hour=8, drip_end_hour=18,
              drip_timezone="Europe/Amsterdam")


def _sent(name, owner, n, **fields):
    delivered = 1000 - 40 * n
    return a_mass_email(name, owner_id=owner, state="sent", campaign="Summer" if n % 2 else "Launch", from_email="news@example.com",
                        list_size_all=1020, list_size_emailing=1000, sent_count=1000, delivered_count=delivered,
                        bounced_count=40 * n, dropped_count=20, deferred_count=3 * n, unique_open_count=400 - 30 * n,
                        human_open_count=250 - 20 * n, open_count=900, unique_click_count=80 - n, human_click_count=50,
                        click_count=130, complaint_count=n, unsubscribe_count=4 + n, created_at=T0 + timedelta(days=n),
                        started_at=T0 + timedelta(days=n, hours=1), **fields)


@pytest.fixture
def a_busy_account(app, marketer, admin):
    """The marketer's running drip and three sent newsletters, the admin's draft; returns the drip's id."""
    template = a_template("Newsletter", subject="Our summer offers are here")
    drip = a_mass_email("Onboarding drip", owner_id=marketer, template=template, state="sending", list_size_all=300,
                        list_size_emailing=280, sent_count=112, delivered_count=110, unique_open_count=64, human_open_count=40,
                        created_at=T0 + timedelta(days=9), started_at=T0 + timedelta(days=9), campaign="Onboarding", **A_DRIP)
    for n, name in enumerate(("June newsletter", "July newsletter", "August newsletter")):
        _sent(name, marketer, n + 1, template=template)
    a_mass_email("Admin's draft", owner_id=admin, template=template, created_at=T0 + timedelta(days=12))
    return drip.id


def test_scopes_hiding_a_stat_link_and_a_drip_paused_from_its_row(page, a_busy_account):
    log_in(page, "marketer@example.com")
    page.goto("/mass-emails")
    rows = page.locator("[data-mass-email-list] tbody tr[data-mass-email]")
    expect(rows).to_have_count(4)
    expect(page.locator("[data-drip-progress]")).to_contain_text("112 of 280")
    settled(page)
    screenshot(page, "mass-email-list")

    page.get_by_label("Show").select_option(label="Account Mass Emails")
    expect(rows).to_have_count(5)
    expect(page).to_have_url(re.compile(r"/mass-emails\?scope=account$"))
    expect(page.locator("[data-scope-note]")).to_contain_text("Everyone's mass emails")
    page.get_by_label("Show").focus()
    page.keyboard.press("ArrowUp")  # by keyboard: the swap keeps the focus where it was
    expect(page).to_have_url(re.compile(r"/mass-emails\?scope=hidden$"))
    expect(page.get_by_label("Show")).to_be_focused()
    settled(page)
    page.keyboard.press("ArrowDown")
    expect(page).to_have_url(re.compile(r"/mass-emails\?scope=account$"))
    expect(rows).to_have_count(5)

    page.get_by_role("button", name="Hide “July newsletter”").click()
    expect(page.locator("[data-row-gone]")).to_contain_text("Hid “July newsletter”")
    settled(page)
    screenshot(page, "mass-email-list-hid-a-row")
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_role("button", name="Hide “July newsletter”")).to_be_visible()
    page.get_by_role("button", name="Hide “July newsletter”").click()
    expect(page.locator("[data-row-gone]")).to_be_visible()
    page.reload()
    expect(rows).to_have_count(4)
    page.get_by_label("Show").select_option(label="My Hidden Mass Emails")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("July newsletter")
    page.get_by_role("button", name="Unhide “July newsletter”").click()
    expect(page.locator("[data-row-gone]")).to_contain_text("is back in your lists")
    page.reload()
    expect(page.get_by_text("Nothing hidden")).to_be_visible()
    settled(page)
    screenshot(page, "mass-email-list-nothing-hidden")

    page.get_by_label("Show").select_option(label="My Mass Emails")
    drip = page.locator(f"#mass-email-{a_busy_account}")
    drip.get_by_role("button", name="Pause “Onboarding drip”").click()
    expect(drip.locator('[data-state="paused"]')).to_be_visible()
    expect(drip.get_by_role("status")).to_contain_text("Paused.")
    drip.get_by_role("button", name="Resume “Onboarding drip”").click()
    expect(drip.locator('[data-state="sending"]')).to_be_visible()
    expect(drip.get_by_role("status")).to_contain_text("Sending again.")
    expect(page).to_have_url(re.compile(r"/mass-emails$"))  # the row changed in place

    page.locator("#mass-emails tr", has_text="June newsletter").locator('[data-stat="bounced"]').click()
    expect(page).to_have_url(re.compile(r"/mass-emails/\d+\?card=bounced$"))
    expect(page.locator(".stat.current")).to_contain_text("Bounced")
    page.go_back()
    expect(rows).to_have_count(4)


def test_sorting_and_pages_swap_in_place_and_the_back_button_returns(page, app, marketer):
    template_version_id = a_mass_email("seed", owner_id=marketer, created_at=T0 - timedelta(days=1)).template_version_id
    with app.app_context():
        db.session.execute(insert(MassEmail), [
            {"name": f"Send {n:03}", "owner_id": marketer, "template_version_id": template_version_id, "state": "sent",
             "sent_count": n, "list_size_all": 200, "list_size_emailing": 200, "created_at": T0 + timedelta(minutes=n)}
            for n in range(1, 121)])
        db.session.commit()
    log_in(page, "marketer@example.com")
    page.goto("/mass-emails")
    rows = page.locator("[data-mass-email-list] tbody tr[data-mass-email]")
    expect(rows).to_have_count(50)
    expect(rows.first).to_contain_text("Send 120")

    page.get_by_role("link", name="Sent", exact=True).click()
    expect(page).to_have_url(re.compile(r"sort=sent&dir=asc$"))
    expect(rows.first).to_contain_text("seed")
    expect(rows.nth(1)).to_contain_text("Send 001")
    page.get_by_role("link", name="Next →").click()
    expect(rows.first).to_contain_text("Send 050")
    expect(page).to_have_url(re.compile(r"after="))
    page.get_by_role("link", name="Next →").click()
    expect(rows).to_have_count(21)
    expect(page.get_by_role("link", name="Next →")).to_have_count(0)
    page.get_by_role("link", name="← Previous").click()
    expect(rows.first).to_contain_text("Send 050")

    page.go_back()
    expect(rows).to_have_count(21)
    page.go_back()
    page.go_back()
    expect(page).to_have_url(re.compile(r"sort=sent&dir=asc$"))
    expect(rows.nth(1)).to_contain_text("Send 001")
    page.get_by_label("Status").select_option(label="Paused")
    expect(page.get_by_text("No mass email matches these filters")).to_be_visible()
    expect(page).to_have_url(re.compile(r"state=paused"))


def test_the_list_fits_a_phone(page, a_busy_account):
    log_in(page, "marketer@example.com")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/mass-emails")
    expect(page.locator("[data-mass-email-list] tbody tr[data-mass-email]")).to_have_count(4)
    settled(page)
    screenshot(page, "phone-mass-email-list")
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the list scrolls sideways: {widths}"
    page.goto("/mass-emails?scope=hidden")
    screenshot(page, "phone-mass-email-list-empty")
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the empty list scrolls sideways: {widths}"
