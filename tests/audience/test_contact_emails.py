"""A contact's page lists every mass email it was a recipient of, with how each went; deleting the contact keeps those rows."""
from datetime import datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser import log_in, screenshot
from tests.factories import a_contact, a_mass_email, a_recipient
from webapp.audience.contacts import contact_timeline, get_contact
from webapp.extensions import db
from webapp.sending.models import Recipient


def a_send(name, contact_id, email="ada@analytical.org", **row):
    """The id of a sent mass email with one recipient row, for this contact: status and times as `row` says."""
    mail = a_mass_email(name, state="sent")
    a_recipient(mail, email, contact=contact_id, **row)
    return mail.id


@pytest.fixture
def ada(ctx):
    """Ada with three mass emails: opened and clicked, hard-bounced, dropped; and someone else's."""
    ada_id = a_contact("ada@analytical.org", "Ada", created_at=datetime(2025, 1, 1)).id
    ids = {
        "march": a_send("March news", ada_id, status="delivered", sent_at=datetime(2025, 3, 1, 9, 0), open_count=3,
                        click_count=1, status_changed_at=datetime(2025, 3, 1, 9, 1)),
        "may": a_send("May offer", ada_id, status="bounced", bounce_kind="hard", sent_at=datetime(2025, 5, 1, 9, 0),
                      smtp_reply="550 5.1.1 No such user", status_changed_at=datetime(2025, 5, 1, 9, 0)),
        "april": a_send("April webinar", ada_id, status="dropped", drop_reason="suppressed_complaint",
                        status_changed_at=datetime(2025, 4, 1, 8, 0)),
    }
    a_send("Not Ada's", a_contact("alan@bletchley.uk").id, email="alan@bletchley.uk", status="sent",
           sent_at=datetime(2025, 6, 1))
    return ada_id, ids


def test_timeline_lists_each_mass_email_newest_first_with_its_status(ada):
    ada_id, _ = ada
    emails = [entry for entry in contact_timeline(get_contact(ada_id)) if entry.is_email]

    assert [(entry.title, entry.kind, entry.icon) for entry in emails] == [
        ("May offer: bounced", "email_bounced", "↩"),
        ("April webinar: not sent", "email_dropped", "⊘"),
        ("March news: delivered", "email_delivered", "✓"),
    ]
    assert emails[0].details == {"Status": "bounced", "Address": "ada@analytical.org", "Sent": "2025-05-01 09:00",
                                 "Bounce": "hard", "Server reply": "550 5.1.1 No such user", "Opens": 0, "Clicks": 0}
    assert emails[1].details["Why not sent"] == "Suppressed: complaint" and "Opens" not in emails[1].details
    assert (emails[2].details["Opens"], emails[2].details["Clicks"]) == (3, 1)


def test_contact_page_shows_the_mass_emails_with_links_to_them(ada, marketer_client):
    ada_id, ids = ada
    html = marketer_client.get(f"/contacts/{ada_id}").get_data(as_text=True)

    assert "No emails sent yet" not in html and "Not Ada" not in html
    for mail_id in ids.values():
        assert f'href="/mass-emails/{mail_id}"' in html
    assert html.index("May offer: bounced") < html.index("April webinar: not sent") < html.index("March news: delivered")
    assert "550 5.1.1 No such user" in html and "Suppressed: complaint" in html


def test_deleting_the_contact_keeps_its_recipient_rows_without_it(ada, marketer_client):
    ada_id, _ = ada

    assert marketer_client.post(f"/contacts/{ada_id}/delete").status_code == 303

    rows = db.session.execute(select(Recipient.email, Recipient.contact_id).order_by(Recipient.id)).all()
    assert [email for email, contact_id in rows if contact_id is None] == ["ada@analytical.org"] * 3
    assert [email for email, contact_id in rows if contact_id is not None] == ["alan@bletchley.uk"]


@pytest.mark.browser
def test_contact_page_in_a_browser_opens_an_email_popover(ada, page, marketer):
    ada_id, ids = ada
    log_in(page, "marketer@example.com")
    page.goto(f"/contacts/{ada_id}")
    may = page.locator("details.popover", has=page.get_by_text("May offer: bounced"))
    expect(may.get_by_text("550 5.1.1 No such user")).to_be_hidden()  # closed until asked

    may.get_by_text("May offer: bounced").click()

    facts = may.locator("dl.facts")
    expect(facts).to_be_visible()
    expect(facts).to_contain_text("550 5.1.1 No such user")
    expect(facts).to_contain_text("hard")
    screenshot(page, "contact-emails")
    may.get_by_role("link", name="Open the mass email →").click()
    page.wait_for_url(f"**/mass-emails/{ids['may']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("May offer")
