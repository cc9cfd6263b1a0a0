"""One mass email to 200 contacts, and everything that comes back, as people, scanners and servers do it.

The script: a security scanner fetches the pixel of recipients 0-49 the moment the message
arrives (with a browser's user agent); recipients 50-99 open it a quarter of an hour later and click one link; a scanner
follows every link of recipient 100's message at once; recipient 101 unsubscribes with the
one-click header; SendGrid reports a hard bounce for recipient 102 (signed, matched by our
Message-ID). Afterwards every recipient row, counter and contact status is exactly what
the script did, and nothing else.
"""
import json
import re
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select, update

from tests.factories import a_list, a_template, some_contacts
from tests.sending.helpers import send_until_done
from tests.webhooks.helpers import SendGridKey, configure
from webapp.audience.models import Contact, Suppression
from webapp.common.clock import utcnow
from webapp.events import stream
from webapp.events.models import Event
from webapp.extensions import db
from webapp.outbox.reader import list_messages
from webapp.sending import lifecycle
from webapp.sending.models import MassEmail, Recipient
from webapp.sending.starting import prepare_send

LINKS = ("https://shop.example.com/sale", "https://shop.example.com/new", "https://blog.example.com/post")
HTML = ("<html><body><p>Hello {{ contact.first_name }}</p>"
        + "".join(f'<p><a href="{url}">Link {i}</a></p>' for i, url in enumerate(LINKS))
        + '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p></body></html>')
PERSON = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"
PEOPLE = 200


def _paths(html, kind):
    """The paths of this message's tracking URLs of one kind ("o", "c", "u"), in order."""
    return [urlsplit(url.replace("&amp;", "&")).path for url in re.findall(rf'(?:href|src)="([^"]*/t/{kind}/[^"]*)"', html)]


def _send(app):
    """Send to 200 contacts through the Outbox's SMTP catcher; each address's message HTML, in address order."""
    with app.app_context():
        emails = [f"person{i:03}@example.com" for i in range(PEOPLE)]
        some_contacts(*({"email": email, "first_name": f"P{i}"} for i, email in enumerate(emails)))
        target = a_list("Everyone", contacts=db.session.scalars(select(Contact.id)).all())
        template = a_template(html=HTML, subject="Spring")
        mail = lifecycle.create_draft(None, "Spring", template.id, [target.id], [])
        db.session.commit()
        lifecycle.start_mass_email(mail.id, utcnow())
        prepare_send(mail.id)
        send_until_done(mail.id)
    html = {message.recipients: message.html for message in list_messages(app.config["OUTBOX_DIR"], page_size=1000)[0]}
    return mail.id, [html[email] for email in emails]


def _sent_a_while_ago(app, minutes, email=None):
    """As if the messages (or the one to `email`) had gone out `minutes` ago: sending 200 takes a moment,
    and what a person does comes later than what a scanner does."""
    with app.app_context():
        earlier = utcnow() - timedelta(minutes=minutes)
        rows = update(Recipient) if email is None else update(Recipient).where(Recipient.email == email)
        db.session.execute(rows.values(sent_at=earlier, status_changed_at=earlier))
        db.session.commit()


def _drain(app):
    with app.app_context():
        while stream.drain(max_seconds=5):
            pass


def _sendgrid_bounce(app, client, key, email):
    with app.app_context():
        message_id = db.session.scalar(select(Recipient.message_id).where(Recipient.email == email))
    body = json.dumps([{"email": email, "timestamp": int(utcnow().timestamp()), "smtp-id": message_id, "event": "bounce",
                        "sg_event_id": "e2e-bounce-1", "reason": "550 5.1.1 The email account does not exist",
                        "status": "5.1.1", "type": "bounce"}]).encode()
    return client.post("/webhooks/sendgrid", data=body, headers=key.headers(body), csrf=False)


def test_what_comes_back_from_200_recipients_is_exactly_what_they_did(app, client, smtp_catcher):
    sendgrid_key = SendGridKey()
    with app.app_context():
        configure(sendgrid_public_key=sendgrid_key.public)
    mail_id, messages = _send(app)

    for i, html in enumerate(messages[:50]):  # a scanner fetches the pixel the moment the message arrives
        _sent_a_while_ago(app, minutes=0, email=f"person{i:03}@example.com")
        client.get(_paths(html, "o")[0], headers={"User-Agent": PERSON})
    _drain(app)  # the stream is drained continuously: these opens are judged now, seconds after sending
    _sent_a_while_ago(app, minutes=15)
    for html in messages[50:100]:  # people open later and click one link
        client.get(_paths(html, "o")[0], headers={"User-Agent": PERSON})
        assert client.get(_paths(html, "c")[1], headers={"User-Agent": PERSON}).headers["Location"] == LINKS[1]
    scanned = _paths(messages[100], "c")  # the three links and the hidden one no person sees
    for path in scanned:  # a scanner posing as a browser follows every link at once
        client.get(path, headers={"User-Agent": PERSON})
    unsubscribed = client.post(_paths(messages[101], "u")[0], data={"List-Unsubscribe": "One-Click"}, csrf=False)
    bounced = _sendgrid_bounce(app, client, sendgrid_key, "person102@example.com")
    _drain(app)
    with app.app_context():
        assert unsubscribed.status_code == 200 and bounced.status_code == 200
        rows = {r.email: r for r in db.session.scalars(select(Recipient).order_by(Recipient.email))}
        person = [f"person{i:03}@example.com" for i in range(PEOPLE)]
        engaged = {email: (r.open_count, r.click_count, r.human_at is not None)
                   for email, r in rows.items() if r.open_count or r.click_count}
        assert engaged == {**{e: (1, 0, False) for e in person[:50]}, **{e: (1, 1, True) for e in person[50:100]},
                           person[100]: (0, len(scanned), False)}
        rules = db.session.execute(select(Recipient.email, Event.kind, Event.verdict_rule)
                                   .join(Event, Event.recipient_id == Recipient.id).where(Event.verdict == "bot")).all()
        assert sorted(rules) == sorted([(e, "open", "fast_open") for e in person[:50]]
                                       + [(person[100], "click", "hidden_link")]
                                       + [(person[100], "click", "simultaneous_clicks")] * len(LINKS))
        assert {email: r.status for email, r in rows.items() if r.status != "sent"} == {person[102]: "bounced"}
        assert rows[person[102]].bounce_kind == "hard"
        assert dict(db.session.execute(select(Suppression.email, Suppression.reason)).all()) == {
            person[101]: "unsubscribe", person[102]: "hard_bounce"}
        assert rows[person[101]].unsubscribed_at is not None
        assert [r.email for r in rows.values() if r.unsubscribed_at] == [person[101]]

        mail = db.session.get(MassEmail, mail_id)
        assert (mail.list_size_all, mail.list_size_emailing, mail.sent_count) == (PEOPLE, PEOPLE, PEOPLE)
        assert (mail.unique_open_count, mail.human_open_count, mail.open_count) == (100, 50, 100)
        assert (mail.unique_click_count, mail.human_click_count, mail.click_count) == (51, 50, 50 + len(scanned))
        assert (mail.unsubscribe_count, mail.bounced_count, mail.complaint_count) == (1, 1, 0)
        statuses = dict(db.session.execute(select(Contact.email, Contact.status)).all())
        assert {email: status for email, status in statuses.items() if status != "active"} == {
            person[101]: "unsubscribed", person[102]: "bounced"}
