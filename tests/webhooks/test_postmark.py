"""Postmark: basic-auth credentials in the webhook URL, the documented payloads."""
import base64
import json

from tests.webhooks.helpers import a_sent_mass_email, configure, recipient, stored, token

CREDENTIALS = "mailroom:s3cret-token"


def auth(credentials=CREDENTIALS):
    return {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode(), "Content-Type": "application/json"}


def post(client, data, headers):
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    return client.post("/webhooks/postmark", data=body, headers=headers, csrf=False)


def bounce(app, rid):
    """Postmark's bounce webhook example, with our recipient id in its Metadata."""
    return {"RecordType": "Bounce", "ID": 42, "Type": "HardBounce", "TypeCode": 1, "Name": "Hard bounce", "Tag": "Test",
            "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483", "ServerID": 23, "MessageStream": "outbound",
            "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
            "Details": "Test bounce details", "Email": "john@example.com", "From": "sender@example.com",
            "BouncedAt": "2026-06-01T13:28:10.2735393-04:00", "DumpAvailable": True, "Inactive": True, "CanActivate": True,
            "Subject": "Test subject", "Content": "Test content", "Metadata": {"mailroom_recipient": token(app, rid)}}


def test_documented_events_with_the_credentials_are_ingested(app, ctx, client):
    configure(postmark_webhook_token=CREDENTIALS)
    _mail, rids = a_sent_mass_email(2)
    delivery = {"RecordType": "Delivery", "ServerID": 23, "MessageStream": "outbound", "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
                "Recipient": "john@example.com", "Tag": "welcome-email", "DeliveredAt": "2026-06-01T09:00:05Z",
                "Details": "Test delivery webhook details", "Metadata": {"mailroom_recipient": token(app, rids[0])}}
    opened = {"RecordType": "Open", "FirstOpen": True, "Client": {"Name": "Chrome 35.0.1916.153"}, "OS": {"Name": "OS X 10.7 Lion"},
              "Platform": "WebMail", "UserAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_7_5) Chrome/35.0.1916.153 Safari/537.36",
              "Geo": {"IP": "188.2.95.4"}, "MessageID": "883953f4", "ReceivedAt": "2026-06-01T10:15:00Z",
              "Recipient": "john@example.com", "Metadata": {"mailroom_recipient": token(app, rids[0])}}

    answers = [post(client, data, auth()) for data in (delivery, opened, bounce(app, rids[1]))]

    assert [a.status_code for a in answers] == [200, 200, 200] and "Set-Cookie" not in answers[0].headers
    assert (recipient(rids[0]).status, recipient(rids[0]).open_count) == ("delivered", 1)
    assert (recipient(rids[1]).status, recipient(rids[1]).bounce_kind) == ("bounced", "hard")
    assert post(client, bounce(app, rids[1]), auth()).json["repeats"] == 1  # Postmark's retry of the same body
    assert len(stored()) == 3


def test_without_the_right_credentials_401(app, ctx, client):
    configure(postmark_webhook_token=CREDENTIALS)
    _mail, rids = a_sent_mass_email(1)
    refused = post(client, bounce(app, rids[0]), {"Content-Type": "application/json"})

    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Basic")
    assert post(client, bounce(app, rids[0]), auth("mailroom:guess")).status_code == 401
    assert post(client, bounce(app, rids[0]), {"Authorization": "Bearer s3cret-token"}).status_code == 401
    assert post(client, b"{{{", auth()).status_code == 400
    assert post(client, {"RecordType": "Bounce", "BouncedAt": "yesterday"}, auth()).status_code == 200
    assert stored() == []
