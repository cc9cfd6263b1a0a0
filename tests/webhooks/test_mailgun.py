"""Mailgun: the documented event payloads, HMAC signatures, replayed tokens and stale timestamps."""
import json
import time

from tests.webhooks.helpers import MAILGUN_KEY, a_sent_mass_email, configure, mailgun_body, recipient, stored, token


def documented(event, **fields):
    """Mailgun's webhook payload examples (its "Webhook Payloads" page), trimmed to what we read."""
    return {
        "id": f"CPgfbmQMTCKtHW6uIWtuVe-{event}", "timestamp": time.time(), "log-level": "info", "event": event,
        "envelope": {"sender": "bob@sample.mailgun.org", "targets": "alice@example.com", "transport": "smtp"},
        "message": {"headers": {"to": "Alice <alice@example.com>", "message-id": "m0@mail.example.com",
                                "from": "Bob <bob@sample.mailgun.org>", "subject": "Test delivered webhook"}, "size": 111},
        "recipient": "alice@example.com", "recipient-domain": "example.com", "tags": ["my_tag_1"],
        "user-variables": {"my_var_1": "Mailgun Variable #1"}, **fields,
    }


def post(client, body):
    return client.post("/webhooks/mailgun", data=body, headers={"Content-Type": "application/json"}, csrf=False)


def test_documented_events_are_ingested(app, ctx, client):
    configure(mailgun_signing_key=MAILGUN_KEY)
    _mail, rids = a_sent_mass_email(2)
    status = {"tls": True, "mx-host": "smtp-in.example.com", "code": 250, "message": "OK", "attempt-no": 1}
    answers = [post(client, mailgun_body(data)) for data in (
        documented("delivered", **{"delivery-status": status}),
        documented("opened", ip="50.56.129.169", **{"client-info": {"user-agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0"}}),
        documented("failed", severity="permanent", reason="bounce", message={"headers": {"message-id": "m1@mail.example.com"}},
                   **{"user-variables": {"mailroom_recipient": token(app, rids[1])},
                      "delivery-status": {"code": 550, "message": "No such user"}}),
    )]

    assert [a.status_code for a in answers] == [200, 200, 200] and "Set-Cookie" not in answers[0].headers
    assert (recipient(rids[0]).status, recipient(rids[0]).open_count) == ("delivered", 1)
    assert (recipient(rids[1]).status, recipient(rids[1]).bounce_kind, recipient(rids[1]).smtp_reply) == ("bounced", "hard", "550 No such user")
    assert [(kind, source) for kind, source, _ in stored()] == [("delivered", "mailgun"), ("open", "mailgun"), ("bounced", "mailgun")]


def test_a_temporary_failure_is_a_deferral(app, ctx, client):
    configure(mailgun_signing_key=MAILGUN_KEY)
    _mail, rids = a_sent_mass_email(1)
    post(client, mailgun_body(documented("failed", severity="temporary", **{"delivery-status": {"code": 452, "message": "Over quota"}})))
    assert (recipient(rids[0]).status, recipient(rids[0]).deferred_at is not None) == ("sent", True)


def test_a_replayed_token_and_a_stale_timestamp_are_refused(app, ctx, client):
    configure(mailgun_signing_key=MAILGUN_KEY)
    a_sent_mass_email(1)
    body = mailgun_body(documented("delivered"))

    assert post(client, body).status_code == 200
    assert post(client, body).status_code == 403  # the same token again
    assert post(client, mailgun_body(documented("opened"), timestamp=time.time() - 301)).status_code == 403
    assert post(client, mailgun_body(documented("opened"), timestamp=time.time() + 3600)).status_code == 403
    assert len(stored()) == 1


def test_wrong_signatures_and_garbage_are_refused(app, ctx, client):
    configure(mailgun_signing_key=MAILGUN_KEY)
    a_sent_mass_email(1)
    forged = mailgun_body(documented("delivered"), key="another-key")
    tampered = json.loads(mailgun_body(documented("delivered")))
    tampered["signature"]["token"] = "x" + tampered["signature"]["token"][1:]

    assert post(client, forged).status_code == 403
    assert post(client, json.dumps(tampered).encode()).status_code == 403
    assert post(client, json.dumps({"event-data": documented("delivered")}).encode()).status_code == 401
    assert post(client, json.dumps({"signature": {"timestamp": 1, "token": [], "signature": None}}).encode()).status_code == 401
    for garbage in (b"", b"[]", b"nope", b'"x"'):
        assert post(client, garbage).status_code == 400
    assert post(client, mailgun_body("not an event")).status_code == 200  # signed, but nothing to take
    assert stored() == []
