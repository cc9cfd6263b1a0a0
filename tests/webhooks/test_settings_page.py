"""The Webhooks settings page: the URLs to paste, secrets stored write-only, wrong values refused."""
from webapp.extensions import db
from webapp.settings.service import get_settings

TOPIC = "arn:aws:sns:us-east-1:123456789012:mailroom-events"


def test_an_admin_stores_each_providers_secret(ctx, admin_client, sendgrid_key):
    page = admin_client.get("/settings/webhooks")
    assert page.status_code == 200 and b"/webhooks/sendgrid" in page.data and b"/webhooks/postmark" in page.data

    saved = admin_client.post("/settings/webhooks", data={
        "sendgrid_public_key": sendgrid_key.public, "mailgun_signing_key": "key-abc123", "ses_topic_arn": TOPIC,
        "postmark_webhook_token": "mailroom:0123456789abcdef"}, htmx=True)

    assert saved.status_code == 200 and b"Webhook settings saved." in saved.data
    assert b"key-abc123" not in saved.data and b"0123456789abcdef" not in saved.data  # write-only
    assert saved.data.count(b"badge-done") == 4
    db.session.expire_all()
    settings = get_settings()
    assert (settings.sendgrid_public_key, settings.mailgun_signing_key, settings.ses_topic_arn, settings.postmark_webhook_token) == (
        sendgrid_key.public, "key-abc123", TOPIC, "mailroom:0123456789abcdef")

    admin_client.post("/settings/webhooks", data={"sendgrid_public_key": sendgrid_key.public, "ses_topic_arn": "",
                                                  "clear_postmark_webhook_token": "y"}, htmx=True)
    db.session.expire_all()
    settings = get_settings()
    assert (settings.mailgun_signing_key, settings.ses_topic_arn, settings.postmark_webhook_token) == ("key-abc123", "", "")


def test_values_that_cannot_work_are_refused(ctx, admin_client):
    refused = admin_client.post("/settings/webhooks", data={
        "sendgrid_public_key": "not a key", "ses_topic_arn": "my-topic", "postmark_webhook_token": "no-colon"}, htmx=True)

    assert refused.status_code == 422
    for message in (b"not the base64 public key", b"ARN as SNS shows it", b"Enter user:password"):
        assert message in refused.data
    db.session.expire_all()
    assert get_settings().ses_topic_arn == ""


def test_the_environment_overrides_and_the_page_says_so(app, ctx, admin_client, monkeypatch):
    monkeypatch.setitem(app.config, "MAILGUN_WEBHOOK_SIGNING_KEY", "from-env")
    page = admin_client.get("/settings/webhooks")
    assert b"MAILGUN_WEBHOOK_SIGNING_KEY is set in the environment" in page.data


def test_only_admins(marketer_client):
    assert marketer_client.get("/settings/webhooks").status_code == 403
