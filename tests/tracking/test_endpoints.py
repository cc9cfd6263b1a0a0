"""The public endpoints of a real sent message: pixel, click, unsubscribe (one-click too), preferences, view."""
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, insert, select

from webapp.audience.models import Contact, ListMembership, Suppression, TargetList
from webapp.common.clock import utcnow
from webapp.common.queues import redis_connection
from webapp.compose.models import Template
from webapp.events import stream
from webapp.events.models import Event
from webapp.extensions import db
from webapp.outbox.reader import list_messages
from webapp.sending import lifecycle
from webapp.sending.models import MassEmail, Recipient
from webapp.sending.sender import send_batch
from webapp.sending.starting import prepare_send

HTML = ('<html><body><p>Hello {{ contact.first_name }}</p><p><a href="https://shop.example.com/sale?a=1&amp;b=2">Sale</a></p>'
        '<p><a href="{{ view_in_browser_url }}">View in browser</a> <a href="{{ unsubscribe_url }}">Unsubscribe</a></p></body></html>')
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def sent_message(app, names=("Ann",), opt_out_entirely=True, to_segment=False):
    """Send a real mass email to ann@example.com (and more) through the catcher; {email: (recipient id, html)}.
    to_segment: sent to a segment of everyone at example.com rather than to the list Newsletter."""
    with app.app_context():
        target = TargetList(name="Newsletter")
        if to_segment:
            target = TargetList(name="At example.com", kind="segment", filter={"conditions": [
                {"field": "email_domain", "op": "equals", "value": "example.com", "key": ""}]})
        other = TargetList(name="Offers")
        template = Template(name="News", subject="News", html=HTML, text=None, from_name="News", from_email="news@example.com",
                            reply_to="")
        db.session.add_all([target, other, template])
        db.session.commit()
        emails = [f"{name.lower()}@example.com" for name in names]
        db.session.execute(insert(Contact), [{"email": e, "email_domain": "example.com", "first_name": n} for n, e in zip(names, emails)])
        for list_id in (target.id, other.id):
            db.session.execute(insert(ListMembership).from_select(["list_id", "contact_id"], select(db.literal(list_id), Contact.id)))
        db.session.commit()
        mail = lifecycle.create_draft(None, "News", template.id, [target.id], [])
        mail.opt_out_entirely = opt_out_entirely
        db.session.commit()
        lifecycle.start_mass_email(mail.id, utcnow())
        prepare_send(mail.id)
        send_batch(mail.id)
        ids = dict(db.session.execute(select(Recipient.email, Recipient.id)).all())
    messages, _ = list_messages(app.config["OUTBOX_DIR"])
    return {m.recipients: (ids[m.recipients], m.html) for m in messages}


def link(html, pattern):
    """The path of the first URL in the message matching `pattern` (the site URL's host does not matter here)."""
    url = re.search(rf'(?:href|src)="([^"]*{pattern}[^"]*)"', html).group(1)
    return urlsplit(url.replace("&amp;", "&")).path


def drain(app):
    with app.app_context():
        return stream.drain(max_seconds=5)


def stored(app, kind):
    with app.app_context():
        return db.session.scalars(select(Event).where(Event.kind == kind)).all()


def test_the_pixel_answers_a_gif_and_records_the_open_through_the_stream(app, client, smtp_catcher):
    (rid, html), = sent_message(app).values()
    pixel = link(html, "/t/o/")

    response = client.get(pixel, headers={"User-Agent": BROWSER})

    assert response.status_code == 200 and response.mimetype == "image/gif" and response.data.startswith(b"GIF89a")
    assert response.headers["Cache-Control"] == "no-store" and "Set-Cookie" not in response.headers
    assert stored(app, "open") == []  # nothing written per hit: the event waits in Redis
    assert drain(app) == 1
    (opened,) = stored(app, "open")
    assert (opened.recipient_id, opened.user_agent, opened.source) == (rid, BROWSER, "pixel")


@pytest.mark.parametrize("token", ["x", "AAAAAAAAAAAAAAAAAAAAAAAAAAAA", "%00", "a" * 500, "%2e%2e", "%E2%80%AE"])
def test_a_garbage_pixel_token_still_gets_the_gif_and_records_nothing(app, client, token):
    response = client.get(f"/t/o/{token}.gif")

    assert response.status_code == 200 and response.mimetype == "image/gif"
    with app.app_context():
        assert redis_connection().exists(stream.STREAM) == 0


def test_a_click_redirects_to_the_stored_destination_and_is_recorded(app, client, smtp_catcher):
    (rid, html), = sent_message(app).values()

    response = client.get(link(html, "/t/c/"), headers={"User-Agent": BROWSER})

    assert response.status_code == 302 and response.headers["Location"] == "https://shop.example.com/sale?a=1&b=2"
    assert "Set-Cookie" not in response.headers
    drain(app)
    (clicked,) = stored(app, "click")
    assert (clicked.recipient_id, clicked.link_index, clicked.url) == (rid, 0, "https://shop.example.com/sale?a=1&b=2")


@pytest.mark.parametrize("path", [
    "/t/c///evil.example", "/t/c/https:evil.example", "/t/c//\\evil.example", "/t/c/%2F%2Fevil.example",
    "/t/c/%252F%252Fevil.example", "/t/c/x%0d%0aLocation:%20https://evil.example", "/t/c/https%3A%2F%2Fevil.example",
    "/t/c/", "/t/c/evil.example",
])
def test_nothing_but_a_valid_token_redirects_anywhere(app, client, smtp_catcher, path):
    sent_message(app)

    response = client.get(path)

    assert response.status_code == 404 and "Location" not in response.headers and "Set-Cookie" not in response.headers


def test_a_tampered_truncated_or_foreign_click_token_is_a_plain_404(app, client, smtp_catcher):
    (rid, html), = sent_message(app).values()
    token = link(html, "/t/c/").rsplit("/", 1)[1]
    unsubscribe_token = link(html, "/t/u/").rsplit("/", 1)[1]
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    for bad in (tampered, token[:-3], unsubscribe_token):
        response = client.get(f"/t/c/{bad}")
        assert response.status_code == 404 and "Location" not in response.headers


def test_a_get_on_the_unsubscribe_link_never_unsubscribes(app, client, smtp_catcher):
    (rid, html), = sent_message(app).values()

    page = client.get(link(html, "/t/u/"))

    assert page.status_code == 200 and b"Unsubscribe ann@example.com?" in page.data and "Set-Cookie" not in page.headers
    with app.app_context():
        assert db.session.scalar(select(Contact.status)) == "active" and stored(app, "unsubscribe") == []


@pytest.mark.parametrize("as_multipart", [False, True])
def test_one_click_unsubscribes_at_once_and_repeats_are_200(app, client, smtp_catcher, as_multipart):
    (rid, html), = sent_message(app).values()
    url = link(html, "/t/u/")
    body = {"List-Unsubscribe": "One-Click"}

    first = client.post(url, data=body, content_type="multipart/form-data" if as_multipart else None, csrf=False)
    again = client.post(url, data=body, csrf=False)

    for response in (first, again):
        assert response.status_code == 200 and response.data == b"Unsubscribed.\n" and "Set-Cookie" not in response.headers
        assert "Location" not in response.headers
    with app.app_context():
        assert db.session.scalar(select(Contact.status)) == "unsubscribed"
        assert db.session.scalar(select(Suppression.reason)) == "unsubscribe"
        assert db.session.scalar(select(MassEmail.unsubscribe_count)) == 1
        assert db.session.scalar(select(func.count()).select_from(Event).where(Event.kind == "unsubscribe")) == 1


def test_the_list_unsubscribe_header_points_at_the_one_click_endpoint(app, client, smtp_catcher):
    sent_message(app)
    (message,) = list_messages(app.config["OUTBOX_DIR"])[0]

    url = re.search(r"<(https?://[^>]+)>", message.message["List-Unsubscribe"]).group(1)
    response = client.post(urlsplit(url).path, data={"List-Unsubscribe": "One-Click"}, csrf=False)

    assert message.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" and response.status_code == 200


def test_opt_out_of_this_mass_emails_lists_only(app, client, smtp_catcher):
    (rid, html), = sent_message(app, opt_out_entirely=False).values()

    page = client.post(link(html, "/t/u/"), data={}, csrf=False)

    assert b"You are unsubscribed" in page.data
    with app.app_context():
        assert db.session.scalar(select(Contact.status)) == "active"
        opted_out = dict(db.session.execute(select(TargetList.name, ListMembership.opted_out_at)
                                            .join(ListMembership, ListMembership.list_id == TargetList.id)).all())
        assert opted_out["Newsletter"] is not None and opted_out["Offers"] is None


def test_a_mass_email_to_a_segment_unsubscribes_entirely_as_its_page_says(app, client, smtp_catcher):
    """A segment's member has no membership to opt out of: "this mass email's lists only" could not
    keep them from the segment's next send, so the link takes them off everything."""
    (rid, html), = sent_message(app, opt_out_entirely=False, to_segment=True).values()
    assert b"You will get no more mailings from us at this address." in client.get(link(html, "/t/u/")).data

    client.post(link(html, "/t/u/"), data={}, csrf=False)

    with app.app_context():
        assert db.session.scalar(select(Contact.status)) == "unsubscribed"


def test_resubscribing_from_the_preference_page_is_on_record_with_time_and_address(app, client, smtp_catcher):
    (rid, html), = sent_message(app).values()
    unsubscribe = link(html, "/t/u/")
    client.post(unsubscribe, data={}, csrf=False)
    preferences = unsubscribe.replace("/t/u/", "/t/p/")

    page = client.post(preferences, data={"action": "resubscribe"}, csrf=False, environ_base={"REMOTE_ADDR": "198.51.100.7"})

    assert b"You are subscribed again." in page.data and "Set-Cookie" not in page.headers
    with app.app_context():
        assert db.session.scalar(select(Contact.status)) == "active"
        assert db.session.scalar(select(func.count()).select_from(Suppression)) == 0
        (resubscribed,) = stored(app, "resubscribe")
        assert resubscribed.ip == "198.51.100.7" and resubscribed.contact_id == db.session.scalar(select(Contact.id))


def test_choosing_lists_keeps_only_the_chosen_ones(app, client, smtp_catcher):
    (rid, html), = sent_message(app).values()
    preferences = link(html, "/t/u/").replace("/t/u/", "/t/p/")
    with app.app_context():
        offers = db.session.scalar(select(TargetList.id).where(TargetList.name == "Offers"))

    page = client.post(preferences, data={"list": [str(offers), "99999999999999999999", "x"]}, csrf=False)

    assert b"Your choices are saved." in page.data
    with app.app_context():
        opted_out = dict(db.session.execute(select(TargetList.name, ListMembership.opted_out_at)
                                            .join(ListMembership, ListMembership.list_id == TargetList.id)).all())
        assert opted_out["Newsletter"] is not None and opted_out["Offers"] is None


def test_view_in_browser_shows_what_the_recipient_got_even_after_the_contact_changed(app, client, smtp_catcher):
    (rid, html), = sent_message(app).values()
    view = link(html, "/t/v/")
    with app.app_context():
        db.session.execute(Contact.__table__.update().values(first_name="Annabel"))
        db.session.commit()

    page = client.get(view)

    assert page.status_code == 200 and "sandbox" in page.headers["Content-Security-Policy"]
    shown = page.get_data(as_text=True)
    assert "Hello Ann<" in shown and "Annabel" not in shown
    assert link(shown, "/t/c/") == link(html, "/t/c/")  # the same tracked links


def test_view_of_a_token_for_nothing_is_a_404(client):
    assert client.get("/t/v/AAAAAAAAAAAAAAAAAAAAAAAAAAAA").status_code == 404


def test_the_hidden_link_answers_without_a_redirect_and_its_click_is_judged_a_bot(app, client, smtp_catcher):
    (rid, html), = sent_message(app).values()
    hidden = re.search(r'<a href="([^"]+)" aria-hidden="true" tabindex="-1" style="display:none', html).group(1)

    response = client.get(urlsplit(hidden).path, headers={"User-Agent": BROWSER})

    assert response.status_code == 204 and "Location" not in response.headers
    drain(app)
    (clicked,) = stored(app, "click")
    assert (clicked.verdict, clicked.verdict_rule) == ("bot", "hidden_link")


def test_behind_a_proxy_the_open_records_the_reader_s_address(app, smtp_catcher):
    """The pixel is answered before Flask's routes, inside ProxyFix: the address is the client's, not the router's."""
    import config
    from tests.clients import MailroomClient
    from webapp import create_app

    (rid, html), = sent_message(app).values()

    class BehindAProxy(config.TestConfig):
        TRUSTED_PROXIES = 1

    proxied = create_app(BehindAProxy)
    proxied.config.update(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], REDIS_URL=app.config.get("REDIS_URL"))
    proxied.test_client_class = MailroomClient
    response = proxied.test_client().get(link(html, "/t/o/"), headers={"X-Forwarded-For": "203.0.113.50"},
                                          environ_base={"REMOTE_ADDR": "10.0.0.1"})

    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    drain(app)
    (opened,) = stored(app, "open")
    assert opened.ip == "203.0.113.50"
