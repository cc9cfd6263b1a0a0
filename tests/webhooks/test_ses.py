"""Amazon SES through SNS: subscription, signature versions 1 and 2, certificate URLs, topics, payloads."""
import json

import pytest

from tests.webhooks.helpers import TOPIC, a_sent_mass_email, configure, recipient, stored, token

SUBSCRIBE_URL = ("https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" + TOPIC
                 + "&Token=2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736")


def notification(body, message_id="22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324"):
    """An SNS Notification as SNS documents it, carrying an SES notification."""
    return {"Type": "Notification", "MessageId": message_id, "TopicArn": TOPIC, "Message": json.dumps(body),
            "Timestamp": "2026-06-01T09:00:40.000Z",
            "UnsubscribeURL": "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=" + TOPIC + ":c9135db0"}


def ses_bounce(**mail):
    """SES's "bounce notification with a DSN" example, the original headers included."""
    return {
        "notificationType": "Bounce",
        "bounce": {"bounceType": "Permanent", "reportingMTA": "dns; email.example.com",
                   "bouncedRecipients": [{"emailAddress": "jane@example.com", "status": "5.1.1", "action": "failed",
                                          "diagnosticCode": "smtp; 550 5.1.1 <jane@example.com>... User"}],
                   "bounceSubType": "General", "timestamp": "2026-06-01T09:00:38.237Z",
                   "feedbackId": "00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa068a-000000", "remoteMtaIp": "127.0.2.0"},
        "mail": {"timestamp": "2026-06-01T09:00:00.000Z", "source": "john@example.com",
                 "sourceArn": "arn:aws:ses:us-west-2:888888888888:identity/example.com", "sourceIp": "127.0.3.0",
                 "sendingAccountId": "123456789012", "messageId": "00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa0680-000000",
                 "destination": ["jane@example.com"], "headersTruncated": False,
                 "headers": [{"name": "From", "value": "\"John Doe\" <john@example.com>"},
                             {"name": "To", "value": "\"Jane Doe\" <jane@example.com>"},
                             {"name": "Message-ID", "value": "<m0@mail.example.com>"},
                             {"name": "Subject", "value": "Hello"}],
                 "commonHeaders": {"from": ["John Doe <john@example.com>"], "date": "Mon, 1 Jun 2026 09:00:00 +0000",
                                   "to": ["Jane Doe <jane@example.com>"], "subject": "Hello"}, **mail},
    }


def post(client, message):
    return client.post("/webhooks/ses", data=json.dumps(message).encode(), headers={"Content-Type": "text/plain; charset=UTF-8"}, csrf=False)


def test_a_subscription_is_confirmed_after_the_checks(ctx, client, sns):
    configure(ses_topic_arn=TOPIC)
    confirmation = {"Type": "SubscriptionConfirmation", "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b", "Token": "2336412f37",
                    "TopicArn": TOPIC, "Message": "You have chosen to subscribe to the topic " + TOPIC, "SubscribeURL": SUBSCRIBE_URL,
                    "Timestamp": "2026-06-01T08:59:00.000Z"}

    assert post(client, {**sns.sign(confirmation), "Message": "tampered"}).status_code == 403
    assert [path for path in sns.fetched if not path.endswith(".pem")] == []  # the signature failed: no subscription
    elsewhere = {**confirmation, "SubscribeURL": "https://evil.example/?Action=ConfirmSubscription"}
    assert post(client, sns.sign(elsewhere)).status_code == 403
    answer = post(client, sns.sign(confirmation))

    assert answer.status_code == 200 and "Set-Cookie" not in answer.headers
    assert [path for path in sns.fetched if not path.endswith(".pem")] == ["/?Action=ConfirmSubscription&TopicArn=" + TOPIC
                                                                          + "&Token=" + SUBSCRIBE_URL.rpartition("&Token=")[2]]
    assert len([path for path in sns.fetched if path.endswith(".pem")]) == 1  # the certificate is kept


@pytest.mark.parametrize("version", ["1", "2"])
def test_a_documented_bounce_signed_either_way_bounces_the_recipient(ctx, client, sns, version):
    configure(ses_topic_arn=TOPIC)
    _mail, rids = a_sent_mass_email(1)
    message = sns.sign(notification(ses_bounce()), version)

    first, again = post(client, message), post(client, message)

    assert (first.status_code, first.json["stored"], again.json["repeats"]) == (200, 1, 1)
    row = recipient(rids[0])
    assert (row.status, row.bounce_kind, row.smtp_reply) == ("bounced", "hard", "5.1.1 smtp; 550 5.1.1 <jane@example.com>... User")


def test_event_publishing_finds_the_recipient_by_its_tag(app, ctx, client, sns):
    configure(ses_topic_arn=TOPIC)
    _mail, rids = a_sent_mass_email(2)
    mail = {"timestamp": "2026-06-01T09:00:00.000Z", "source": "john@example.com", "messageId": "EXAMPLE7c191be45",
            "destination": ["p1@example.com"], "tags": {"ses:configuration-set": ["Mailroom"], "mailroom_recipient": [token(app, rids[1])]}}
    delivery = {"eventType": "Delivery", "mail": mail, "delivery": {"timestamp": "2026-06-01T09:00:05.000Z", "processingTimeMillis": 546,
                                                                    "recipients": ["p1@example.com"], "smtpResponse": "250 ok"}}
    click = {"eventType": "Click", "mail": mail, "click": {"timestamp": "2026-06-01T10:00:00.000Z", "ipAddress": "192.0.2.1",
                                                           "userAgent": "Mozilla/5.0 (Windows NT 10.0) Chrome/131.0",
                                                           "link": "https://shop.example.com/", "linkTags": {}}}

    assert post(client, sns.sign(notification(delivery, "m-1"))).status_code == 200
    assert post(client, sns.sign(notification(click, "m-2"))).status_code == 200
    row = recipient(rids[1])
    assert (row.status, row.click_count) == ("delivered", 1)
    assert recipient(rids[0]).status == "sent"


def test_only_amazon_certificates_and_our_topic(ctx, client, sns):
    configure(ses_topic_arn=TOPIC)
    a_sent_mass_email(1)
    for url in ("https://sns.us-west-2.amazonaws.com.evil.example/SimpleNotificationService-abc.pem",
                "http://sns.us-west-2.amazonaws.com/SimpleNotificationService-abc.pem",
                "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-abc.pem?x=/y",
                "https://evil.example/sns.us-west-2.amazonaws.com/SimpleNotificationService-abc.pem"):
        assert post(client, sns.sign({**notification(ses_bounce()), "SigningCertURL": url})).status_code == 403
    assert sns.fetched == []  # nothing fetched for any of them
    other_topic = {**notification(ses_bounce()), "TopicArn": "arn:aws:sns:us-west-2:999999999999:theirs"}
    assert post(client, sns.sign(other_topic)).status_code == 403
    assert post(client, {**sns.sign(notification(ses_bounce())), "SignatureVersion": "3"}).status_code == 400
    assert post(client, {**sns.sign(notification(ses_bounce())), "Signature": "AAAA"}).status_code == 403
    for garbage in ({}, {"Type": "Notification"}, [], "x"):
        assert post(client, garbage).status_code == 400
    not_json = {**notification(ses_bounce()), "Message": "{not json"}
    assert post(client, sns.sign(not_json)).status_code == 400
    assert stored() == []
