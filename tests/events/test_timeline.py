"""A contact's opens, clicks, bounces and (un/re)subscriptions on its timeline, with the popover's facts."""
from datetime import timedelta

from sqlalchemy import select

from tests.webhooks.helpers import SENT_AT, a_sent_mass_email
from webapp.audience.contacts import contact_timeline
from webapp.audience.models import Contact
from webapp.events.ingest import Incoming, ingest
from webapp.extensions import db
from webapp.sending.models import Recipient

PERSON = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"


def later(seconds):
    return SENT_AT + timedelta(seconds=seconds)


def test_each_event_is_an_entry_with_its_verdict_link_and_server_words(app, ctx, marketer_client):
    _mail, (rid,) = a_sent_mass_email(1)
    contact_id = db.session.scalar(select(Recipient.contact_id).where(Recipient.id == rid))
    ingest([
        Incoming("open", later(1), "pixel", rid, user_agent=PERSON, ip="203.0.113.9"),
        Incoming("click", later(600), "redirect", rid, link_index=0, url="https://shop.example.com/sale", user_agent=PERSON),
        Incoming("bounced", later(900), "dsn", rid, detail={"kind": "hard", "status": "5.1.1", "diagnostic": "user unknown"}),
        Incoming("resubscribe", later(1200), "preferences", contact_id=contact_id, ip="198.51.100.7"),
    ])
    db.session.commit()

    entries = {entry.kind: entry for entry in contact_timeline(db.session.get(Contact, contact_id))}

    opened, clicked = entries["event_open"], entries["event_click"]
    assert opened.title.endswith("opened (Likely Bot)") and opened.details["Judged"].startswith("Likely Bot: opened within seconds")
    assert opened.details["Address"] == "203.0.113.9" and opened.details["Device"] == "Safari on Mac OS X, Mac"
    assert clicked.details["Link"] == "https://shop.example.com/sale" and clicked.details["Judged"] == "Likely Human"
    bounced = entries["event_bounced"].details
    assert (bounced["Bounce"], bounced["Status"], bounced["Server said"]) == ("hard", "5.1.1", "user unknown")
    resubscribed = entries["event_resubscribe"]
    assert resubscribed.at == later(1200) and resubscribed.details["Address"] == "198.51.100.7"
    page = marketer_client.get(f"/contacts/{contact_id}").get_data(as_text=True)
    assert "opened (Likely Bot)" in page and "https://shop.example.com/sale" in page and "user unknown" in page
    assert "First opened" in page and "Likely human since" in page  # the mass email's own entry tells its story too
