"""SendGrid's signed Event Webhook: the documented events, signatures, repeats and order."""
import json

from sqlalchemy import update

from tests.webhooks.helpers import a_sent_mass_email, configure, recipient, stored, token
from webapp.audience.models import Suppression
from webapp.common.queues import redis_connection
from webapp.events import stream
from webapp.events.models import Event
from webapp.extensions import db
from webapp.sending.models import Recipient


def documented_batch(app, rids):
    """SendGrid's sample events (its Event Webhook reference), aimed at our messages: the first by
    the signed recipient id in unique_args, the others by Message-ID (smtp-id)."""
    base = {"email": "example@test.com", "timestamp": 1780304400, "category": "cat facts", "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0"}
    return [
        {**base, "smtp-id": "<m0@mail.example.com>", "event": "processed", "sg_event_id": "rbtnWrG1DVDGGGFHFyun0A==",
         "mailroom_recipient": token(app, rids[0])},
        {**base, "smtp-id": "<m0@mail.example.com>", "event": "deferred", "sg_event_id": "t7LEShmowp86DTdUW8M-GQ==",
         "response": "400 try again later", "attempt": "5"},
        {**base, "smtp-id": "<m0@mail.example.com>", "event": "delivered", "sg_event_id": "rWVYmVk90MjZJ9iohOBa3w==",
         "response": "250 OK"},
        {**base, "event": "open", "sg_event_id": "FOTFFO0ecsBE-zxFXfs6WA==", "useragent": "Mozilla/4.0 (compatible; MSIE 6.1; Windows XP)",
         "ip": "255.255.255.255", "sg_machine_open": True, "mailroom_recipient": token(app, rids[0])},
        {**base, "event": "click", "sg_event_id": "kCAi1KttyQdEKHhdC-nuEA==", "useragent": "Mozilla/4.0 (compatible; MSIE 6.1; Windows XP)",
         "ip": "255.255.255.255", "url": "http://www.sendgrid.com/", "mailroom_recipient": token(app, rids[0])},
        {**base, "smtp-id": "<m1@mail.example.com>", "event": "bounce", "sg_event_id": "6g4ZI7SA-xmRDv57GoPIPw==",
         "reason": "500 unknown recipient", "status": "5.0.0", "type": "bounce"},
        {**base, "smtp-id": "<m2@mail.example.com>", "event": "bounce", "sg_event_id": "6g4ZI7SA-xmRDv57GoPIPx==",
         "reason": "500 blocked", "status": "5.0.0", "type": "blocked"},
        {**base, "smtp-id": "<m3@mail.example.com>", "event": "dropped", "sg_event_id": "zmzJhfJgAfUSOW80yEbPyw==",
         "reason": "Bounced Address", "status": "5.0.0"},
        {**base, "smtp-id": "<m4@mail.example.com>", "event": "spamreport", "sg_event_id": "37nvH5QBz858KGVYCM4uOA=="},
        {**base, "smtp-id": "<m5@mail.example.com>", "event": "unsubscribe", "sg_event_id": "Krfn-yDfVmRX3-WnfjrVQA=="},
        {**base, "smtp-id": "<m6@mail.example.com>", "event": "group_unsubscribe", "sg_event_id": "ahSCB7xYcXFb-hEaawsPRw==",
         "asm_group_id": 10, "useragent": "Mozilla/4.0", "ip": "255.255.255.255", "url": "http://www.sendgrid.com/"},
    ]


def post(client, body, headers):
    return client.post("/webhooks/sendgrid", data=body, headers=headers, csrf=False)


def test_the_documented_events_move_their_recipients(app, ctx, client, sendgrid_key):
    configure(sendgrid_public_key=sendgrid_key.public)
    _mail, rids = a_sent_mass_email(7)
    body = json.dumps(documented_batch(app, rids)).encode()

    answer = post(client, body, sendgrid_key.headers(body))

    assert answer.status_code == 200 and answer.json["stored"] == 11
    assert "Set-Cookie" not in answer.headers
    first = recipient(rids[0])
    assert (first.status, first.open_count, first.click_count, first.deferred_at is not None) == ("delivered", 1, 1, True)
    machine_open = db.session.query(Event).filter_by(kind="open").one()
    assert (machine_open.verdict, machine_open.verdict_rule, machine_open.source) == ("bot", "machine_open", "sendgrid")
    assert [recipient(rid).status for rid in rids[1:4]] == ["bounced", "bounced", "bounced"]
    assert [recipient(rid).bounce_kind for rid in rids[1:4]] == ["hard", "soft", "hard"]
    assert recipient(rids[4]).complained_at is not None
    assert recipient(rids[5]).unsubscribed_at is not None and recipient(rids[6]).unsubscribed_at is not None
    assert {s.email: s.reason for s in db.session.query(Suppression)} == {
        "p1@example.com": "hard_bounce", "p3@example.com": "hard_bounce", "p4@example.com": "complaint",
        "p5@example.com": "unsubscribe"}


def test_the_same_batch_twice_is_stored_once(app, ctx, client, sendgrid_key):
    configure(sendgrid_public_key=sendgrid_key.public)
    _mail, rids = a_sent_mass_email(7)
    batch = documented_batch(app, rids)
    body = json.dumps(batch + batch[:1]).encode()  # SendGrid may repeat an event within a batch too

    first, again = post(client, body, sendgrid_key.headers(body)), post(client, body, sendgrid_key.headers(body))

    assert (first.json["stored"], again.json["stored"], again.json["repeats"]) == (11, 0, 12)
    assert len(stored()) == 11


def test_a_delivery_reported_after_the_open_keeps_the_open(app, ctx, client, sendgrid_key):
    configure(sendgrid_public_key=sendgrid_key.public)
    _mail, rids = a_sent_mass_email(1)
    open_event = [{"event": "open", "timestamp": 1780304500, "sg_event_id": "o1", "mailroom_recipient": token(app, rids[0]),
                   "useragent": "Mozilla/5.0 (Windows NT 10.0) Chrome/131.0", "ip": "192.0.2.1"}]
    delivered = [{"event": "delivered", "timestamp": 1780304410, "sg_event_id": "d1", "smtp-id": "<m0@mail.example.com>"}]
    for batch in (open_event, delivered):
        body = json.dumps(batch).encode()
        assert post(client, body, sendgrid_key.headers(body)).status_code == 200

    row = recipient(rids[0])
    assert (row.status, row.open_count, row.first_opened_at is not None) == ("delivered", 1, True)
    body = json.dumps([{"event": "bounce", "timestamp": 1780304600, "sg_event_id": "b1", "type": "bounce",
                        "smtp-id": "<m0@mail.example.com>"}]).encode()
    post(client, body, sendgrid_key.headers(body))
    body = json.dumps(delivered).encode()  # a second report of the delivery does not undo the bounce
    post(client, body, sendgrid_key.headers(body))
    assert recipient(rids[0]).status == "bounced"


def test_tampered_unsigned_and_garbage_requests_are_refused(app, ctx, client, sendgrid_key):
    configure(sendgrid_public_key=sendgrid_key.public)
    _mail, rids = a_sent_mass_email(1)
    body = json.dumps([{"event": "delivered", "timestamp": 1780304410, "sg_event_id": "d1", "smtp-id": "<m0@mail.example.com>"}]).encode()
    headers = sendgrid_key.headers(body)
    tampered = body.replace(b"delivered", b"bounce")
    other_timestamp = {**headers, "X-Twilio-Email-Event-Webhook-Timestamp": "1"}

    assert post(client, tampered, headers).status_code == 403
    assert post(client, body, other_timestamp).status_code == 403
    assert post(client, body, {"Content-Type": "application/json"}).status_code == 401
    assert post(client, body, {**headers, "X-Twilio-Email-Event-Webhook-Signature": "%%%"}).status_code == 403
    for garbage in (b"", b"not json", b'{"event": "x"}', b"\xff\xfe"):
        assert post(client, garbage, sendgrid_key.headers(garbage)).status_code == 400
    assert stored() == []


def test_malformed_events_are_skipped_and_the_rest_stored(app, ctx, client, sendgrid_key):
    configure(sendgrid_public_key=sendgrid_key.public)
    _mail, rids = a_sent_mass_email(1)
    body = json.dumps([
        "x", 7, None, {"event": "delivered"}, {"event": "delivered", "timestamp": "soon"},
        {"event": "delivered", "timestamp": 1e300, "sg_event_id": "huge"},
        {"event": "open", "timestamp": 1780304500, "sg_event_id": {"a": 1}, "ip": "not-an-ip" * 20, "useragent": ["x"],
         "mailroom_recipient": 12, "smtp-id": 3, "url": "x" * 5000},
        {"event": "delivered", "timestamp": 1780304410, "sg_event_id": "d" * 400, "smtp-id": "<m0@mail.example.com>"},
    ]).encode()

    answer = post(client, body, sendgrid_key.headers(body))

    assert answer.status_code == 200 and answer.json["stored"] == 1 and answer.json["unmatched"] == 1
    assert recipient(rids[0]).status == "delivered"


def test_without_a_key_the_endpoint_is_not_there(ctx, client, sendgrid_key):
    body = b"[]"
    assert post(client, body, sendgrid_key.headers(body)).status_code == 404


def test_the_environment_key_overrides_the_stored_one(app, ctx, client, sendgrid_key, monkeypatch):
    configure(sendgrid_public_key="MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE" + "A" * 88)
    monkeypatch.setitem(app.config, "SENDGRID_WEBHOOK_PUBLIC_KEY", sendgrid_key.public)
    body = b"[]"
    assert post(client, body, sendgrid_key.headers(body)).status_code == 200


def test_an_event_faster_than_our_own_fold_waits_in_the_stream(app, ctx, client, sendgrid_key):
    configure(sendgrid_public_key=sendgrid_key.public)
    _mail, rids = a_sent_mass_email(1)
    db.session.execute(update(Recipient).where(Recipient.id == rids[0]).values(status="sending"))
    db.session.commit()
    body = json.dumps([{"event": "delivered", "timestamp": 1780304410, "sg_event_id": "d1", "smtp-id": "<m0@mail.example.com>"}]).encode()

    answer = post(client, body, sendgrid_key.headers(body))
    assert (answer.json["stored"], answer.json["waiting"], redis_connection().xlen(stream.STREAM)) == (0, 1, 1)
    db.session.execute(update(Recipient).where(Recipient.id == rids[0]).values(status="sent"))
    db.session.commit()
    assert stream.drain() == 1 and recipient(rids[0]).status == "delivered"
