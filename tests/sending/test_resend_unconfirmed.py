"""Unconfirmed recipients are sent again only when a person chooses to, from the progress page."""
import pytest
from sqlalchemy import update

from tests.factories import a_draft, a_list, a_mass_email
from tests.sending.helpers import mass_email, received, row, send_until_done, statuses, use_server
from tests.smtp_servers import DROP
from webapp.common.clock import utcnow
from webapp.common.queues import queue
from webapp.extensions import db
from webapp.sending import lifecycle
from webapp.sending.lifecycle import LifecycleError
from webapp.sending.models import Recipient
from webapp.sending.sender import send_batch
from webapp.sending.starting import prepare_send


def a_sent_mass_email_with_one_unconfirmed(server):
    """p1's connection broke after its message went over, so it is unconfirmed; the rest were sent."""
    use_server(server)
    server.script("p1@example.com", data=DROP)
    mail_id = a_mass_email(state="sending", recipients=3).id
    send_until_done(mail_id)
    assert statuses(mail_id)["p1@example.com"] == "unconfirmed" and mass_email(mail_id).state == "sent"
    del server.data_replies["p1@example.com"]
    queue("sending").empty()
    return mail_id


def test_resending_the_unconfirmed_of_a_sent_mass_email_sends_them_once_more(ctx, server):
    mail_id = a_sent_mass_email_with_one_unconfirmed(server)

    assert lifecycle.resend_unconfirmed(mail_id, utcnow()) == 1

    assert (row("p1@example.com").status, mass_email(mail_id).state) == ("queued", "sending")
    assert mass_email(mail_id).finished_at is None
    assert [job.args for job in queue("sending").get_jobs()] == [(mail_id,)]
    send_until_done(mail_id)
    assert statuses(mail_id) == {"p0@example.com": "sent", "p1@example.com": "sent", "p2@example.com": "sent"}
    assert received(server) == {"p0@example.com": 1, "p1@example.com": 2, "p2@example.com": 1}  # the person's choice
    assert mass_email(mail_id).state == "sent"


def test_a_paused_mass_email_keeps_the_resent_waiting_until_resumed(ctx, server):
    mail_id = a_sent_mass_email_with_one_unconfirmed(server)
    db.session.execute(update(Recipient).where(Recipient.email == "p2@example.com").values(status="queued"))
    mass_email(mail_id).state = "paused"
    db.session.commit()

    lifecycle.resend_unconfirmed(mail_id, utcnow())

    assert mass_email(mail_id).state == "paused"
    assert queue("sending").count == 0
    send_batch(mail_id)
    assert statuses(mail_id)["p1@example.com"] == "queued"


def test_a_cancelled_mass_email_resends_nothing(ctx, server):
    mail_id = a_sent_mass_email_with_one_unconfirmed(server)
    mass_email(mail_id).state = "cancelled"
    db.session.commit()

    with pytest.raises(LifecycleError, match="A mass email that is cancelled sends nothing more."):
        lifecycle.resend_unconfirmed(mail_id, utcnow())
    assert row("p1@example.com").status == "unconfirmed"


def test_resending_twice_finds_nobody_left_the_second_time(ctx, server):
    mail_id = a_sent_mass_email_with_one_unconfirmed(server)
    lifecycle.resend_unconfirmed(mail_id, utcnow())

    with pytest.raises(LifecycleError, match="No recipient is unconfirmed any more."):
        lifecycle.resend_unconfirmed(mail_id, utcnow())


def test_the_progress_page_offers_the_resend_only_when_someone_is_unconfirmed(app, admin_client):
    with app.app_context():
        mail_id = a_draft([a_list("Newsletter", ["a@example.com", "b@example.com"])]).id
        lifecycle.start_mass_email(mail_id, utcnow())
        prepare_send(mail_id, utcnow())
    url = f"/mass-emails/{mail_id}"
    assert b"Send again to the unconfirmed" not in admin_client.get(url).data
    with app.app_context():
        db.session.execute(update(Recipient).where(Recipient.email == "a@example.com").values(status="unconfirmed"))
        db.session.commit()
    page = admin_client.get(url).data
    assert b"Send again to the unconfirmed" in page and b"hx-confirm=" in page

    resent = admin_client.post(f"{url}/resend-unconfirmed", htmx=True)

    assert resent.status_code == 200 and b"<html" not in resent.data
    assert b"1 unconfirmed recipient will be sent again." in resent.data
    assert b"Send again to the unconfirmed" not in resent.data
    with app.app_context():
        assert row("a@example.com").status == "queued"
    refused = admin_client.post(f"{url}/resend-unconfirmed", htmx=True)
    assert refused.status_code == 422 and b"No recipient is unconfirmed any more." in refused.data


def test_a_mass_email_paused_by_mailroom_shows_why(app, admin_client):
    with app.app_context():
        mail_id = a_draft([a_list("Newsletter", ["a@example.com"])]).id
        lifecycle.start_mass_email(mail_id, utcnow())
        prepare_send(mail_id, utcnow())
        mail = mass_email(mail_id)
        mail.state, mail.failure_reason = "paused", "Paused automatically: 20 of the last 20 messages were refused or failed; most said: 554 5.7.1 blocked"
        db.session.commit()

    page = admin_client.get(f"/mass-emails/{mail_id}").data

    assert b'role="alert" data-failure-reason>Paused automatically: 20 of the last 20 messages were refused or failed' in page
    assert b"Fix it, then resume." in page
    resumed = admin_client.post(f"/mass-emails/{mail_id}/resume", htmx=True).data
    assert b"data-failure-reason" not in resumed and b"Sending again." in resumed
