"""send_batch: a mass email goes out in batches over real SMTP, each recipient at most once."""
import random
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.factories import a_mass_email
from tests.sending.helpers import (
    SlowServer, assert_nobody_got_two_messages, kill, mass_email, received, recover_dead_batches, row, send_until_done,
    statuses, use_server,
)
from tests.waiting import wait_for
from tests.smtp_servers import DROP, ScriptedSmtpServer
from webapp.audience.models import Contact, Suppression
from webapp.common.clock import utcnow
from webapp.common.queues import queue
from webapp.extensions import db
from webapp.outbox.reader import list_messages
from webapp.sending.batches import claim_batch
from webapp.sending.models import Recipient
from webapp.sending.sender import send_batch
from webapp.sending.step import LEASE_SECONDS
from webapp.settings.service import get_settings


def test_a_mass_email_reaches_every_recipient_exactly_once_in_batches(ctx, server):
    use_server(server, batch_size=50)
    mail_id = a_mass_email(state="sending", recipients=200).id

    send_until_done(mail_id)

    assert received(server) == {f"p{n}@example.com": 1 for n in range(200)}
    assert server.connections == 4  # one connection per batch of 50
    mail = mass_email(mail_id)
    assert (mail.state, mail.sent_count, mail.bounced_count, mail.deferred_count) == ("sent", 200, 0, 0)
    assert mail.finished_at is not None
    sent = row("p7@example.com")
    assert sent.message_id and sent.sent_at and sent.attempts == 1 and sent.claim_token is None
    assert f"Message-ID: {sent.message_id}".encode() in next(
        d.data for d in server.deliveries if d.rcpt_tos == ["p7@example.com"])


def test_each_message_is_personalised_from_the_contact(ctx, server):
    use_server(server)
    version_html = "<p>Hello {{ contact.first_name }} on {{ contact.plan }}</p>"
    mail_id = a_mass_email(state="sending", recipients=2).id
    mail = mass_email(mail_id)
    mail.template_version.html = version_html
    db.session.commit()

    send_until_done(mail_id)

    body = next(d.data for d in server.deliveries if d.rcpt_tos == ["p1@example.com"])
    assert b"Hello Person 1 on gold" in body


def test_a_temporary_refusal_defers_the_recipient_with_a_retry_time(ctx, server):
    use_server(server)
    server.script("p1@example.com", rcpt="451 4.7.1 Greylisted, try again in 10 minutes")
    mail_id = a_mass_email(state="sending", recipients=3).id
    before = utcnow()

    send_batch(mail_id)

    deferred = row("p1@example.com")
    assert deferred.status == "deferred" and deferred.smtp_reply.startswith("451 4.7.1 Greylisted")
    assert before + timedelta(minutes=10) <= deferred.next_attempt_at <= utcnow() + timedelta(minutes=10)
    mail = mass_email(mail_id)
    assert (mail.state, mail.sent_count, mail.deferred_count) == ("sending", 2, 1)
    retry = queue("sending").scheduled_job_registry.get_job_ids()
    assert len(retry) == 1  # the next batch waits for the retry time


def test_a_deferred_recipient_is_sent_when_its_retry_is_due(ctx, server):
    use_server(server)
    server.script("p0@example.com", rcpt="451 4.7.1 Try later")
    mail_id = a_mass_email(state="sending", recipients=1).id
    send_batch(mail_id)
    del server.rcpt_replies["p0@example.com"]
    db.session.execute(Recipient.__table__.update().values(next_attempt_at=utcnow()))
    db.session.commit()

    send_until_done(mail_id)

    assert (row("p0@example.com").status, row("p0@example.com").attempts) == ("sent", 2)
    assert received(server) == {"p0@example.com": 1}


def test_an_unknown_mailbox_bounces_hard_and_is_suppressed(ctx, server):
    use_server(server)
    server.script("p0@example.com", rcpt="550 5.1.1 <p0@example.com>: User unknown")
    mail_id = a_mass_email(state="sending", recipients=2).id

    send_until_done(mail_id)

    bounced = row("p0@example.com")
    assert (bounced.status, bounced.bounce_kind) == ("bounced", "hard")
    assert "5.1.1" in bounced.smtp_reply
    suppression = db.session.scalar(select(Suppression))
    assert (suppression.email, suppression.reason, suppression.source) == ("p0@example.com", "hard_bounce", "smtp")
    mail = mass_email(mail_id)
    assert (mail.state, mail.sent_count, mail.bounced_count) == ("sent", 1, 1)


def test_a_hard_bounce_marks_the_contact_bounced_and_a_soft_one_leaves_it_active(ctx, server):
    use_server(server)
    server.script("p0@example.com", rcpt="550 5.1.1 <p0@example.com>: User unknown")
    server.script("p1@example.com", rcpt="552 5.2.2 Mailbox full")
    mail_id = a_mass_email(state="sending", recipients=3).id

    send_until_done(mail_id)

    assert contact_statuses() == {"p0@example.com": "bounced", "p1@example.com": "active", "p2@example.com": "active"}


def test_a_hard_bounce_does_not_overwrite_an_unsubscribe(ctx, server):
    use_server(server)
    server.script("p0@example.com", rcpt="550 5.1.1 User unknown")
    mail_id = a_mass_email(state="sending", recipients=1).id
    db.session.execute(update(Contact).values(status="unsubscribed"))  # after resolution: the person's own word stands
    db.session.commit()

    send_until_done(mail_id)

    assert contact_statuses() == {"p0@example.com": "unsubscribed"}


def contact_statuses():
    db.session.expire_all()
    return dict(db.session.execute(select(Contact.email, Contact.status)).all())


def test_a_full_mailbox_bounces_soft_without_suppression(ctx, server):
    use_server(server)
    server.script("p0@example.com", rcpt="552 5.2.2 Mailbox full")
    mail_id = a_mass_email(state="sending", recipients=1).id

    send_until_done(mail_id)

    assert (row("p0@example.com").status, row("p0@example.com").bounce_kind) == ("bounced", "soft")
    assert db.session.scalar(select(Suppression)) is None


def test_the_hourly_limit_sends_only_that_many_and_the_rest_waits_for_the_next_hour(ctx, server):
    use_server(server, batch_size=50, max_per_hour=5)
    mail_id = a_mass_email(state="sending", recipients=12).id

    send_batch(mail_id)
    send_batch(mail_id)  # the follow-up batch finds the hour used up

    assert sum(received(server).values()) == 5
    assert Counter(statuses(mail_id).values()) == {"sent": 5, "queued": 7}
    assert mass_email(mail_id).state == "sending"
    waiting = queue("sending").scheduled_job_registry
    assert len(waiting.get_job_ids()) == 1  # woken when the hour refills


def test_a_connection_lost_after_data_leaves_one_unconfirmed_and_the_rest_for_later(ctx, server):
    use_server(server)
    server.script("p1@example.com", data=DROP)  # the message arrives, the 250 never comes back
    mail_id = a_mass_email(state="sending", recipients=4).id

    send_batch(mail_id)

    assert statuses(mail_id) == {"p0@example.com": "sent", "p1@example.com": "unconfirmed",
                                 "p2@example.com": "queued", "p3@example.com": "queued"}
    assert len(queue("sending").scheduled_job_registry.get_job_ids()) == 1  # retried after a pause

    send_until_done(mail_id)

    assert received(server) == {f"p{n}@example.com": 1 for n in range(4)}  # p1 got it once, never again
    assert statuses(mail_id)["p1@example.com"] == "unconfirmed"
    assert mass_email(mail_id).state == "sent"


def test_a_421_reply_retries_the_batch_later_without_marking_anyone(ctx, server):
    use_server(server)
    server.script("p1@example.com", rcpt="421 4.3.2 Service shutting down, try again later")
    mail_id = a_mass_email(state="sending", recipients=3).id

    send_batch(mail_id)

    # p1 was refused before any data: back in the queue like p2, neither deferred nor unconfirmed.
    assert statuses(mail_id) == {"p0@example.com": "sent", "p1@example.com": "queued", "p2@example.com": "queued"}
    assert row("p1@example.com").attempts == 0
    assert len(queue("sending").scheduled_job_registry.get_job_ids()) == 1  # the batch is retried after a pause

    del server.rcpt_replies["p1@example.com"]
    send_until_done(mail_id)
    assert received(server) == {f"p{n}@example.com": 1 for n in range(3)}
    assert set(statuses(mail_id).values()) == {"sent"}


def test_a_connection_dropped_before_data_puts_the_recipient_back_not_unconfirmed(ctx, server):
    use_server(server)
    server.script("p1@example.com", rcpt=DROP)
    mail_id = a_mass_email(state="sending", recipients=3).id

    send_batch(mail_id)

    assert statuses(mail_id) == {"p0@example.com": "sent", "p1@example.com": "queued", "p2@example.com": "queued"}
    assert len(queue("sending").scheduled_job_registry.get_job_ids()) == 1

    del server.rcpt_replies["p1@example.com"]
    send_until_done(mail_id)
    assert received(server) == {f"p{n}@example.com": 1 for n in range(3)}
    assert "unconfirmed" not in statuses(mail_id).values()


@pytest.mark.parametrize("security, password, reason", [
    ("none", "wrong", "refused the username or password: 535"),
    ("starttls", "", "does not support that: STARTTLS extension not supported by server. Check the security setting."),
])
def test_smtp_settings_a_person_must_fix_pause_the_mass_email_with_the_reason(ctx, security, password, reason):
    with ScriptedSmtpServer(password="right") as server:
        use_server(server)
        settings = get_settings()
        settings.smtp_security, settings.smtp_username, settings.smtp_password = security, "mailroom", password
        db.session.commit()
        mail_id = a_mass_email(state="sending", recipients=3).id

        send_batch(mail_id)

    mail = mass_email(mail_id)
    assert mail.state == "paused"
    assert reason in mail.failure_reason
    assert set(statuses(mail_id).values()) == {"queued"}  # nobody was attempted; resume sends them
    assert server.deliveries == []
    assert queue("sending").scheduled_job_registry.get_job_ids() == []  # no retry: retrying would fail again


def test_a_closed_port_retries_the_batch_later_without_losing_anyone(ctx):
    with ScriptedSmtpServer() as gone:
        port = gone.port
    settings = get_settings()
    settings.smtp_host, settings.smtp_port, settings.smtp_security = "127.0.0.1", port, "none"
    db.session.commit()
    mail_id = a_mass_email(state="sending", recipients=3).id

    send_batch(mail_id)

    assert set(statuses(mail_id).values()) == {"queued"}
    assert mass_email(mail_id).state == "sending"
    assert len(queue("sending").scheduled_job_registry.get_job_ids()) == 1


def test_a_paused_mass_email_sends_nothing(ctx, server):
    use_server(server)
    mail_id = a_mass_email(state="sending", recipients=3).id
    mass_email(mail_id).state = "paused"
    db.session.commit()

    send_batch(mail_id)

    assert server.deliveries == []
    assert set(statuses(mail_id).values()) == {"queued"}


def test_a_real_worker_sends_the_whole_mass_email_into_the_outbox(app, ctx, smtp_catcher, worker):
    settings = get_settings()
    settings.batch_size = 20
    db.session.commit()
    mail_id = a_mass_email(state="sending", recipients=60).id

    queue("sending").enqueue("jobs.sending.send_batch", mail_id)

    deadline = time.monotonic() + 60
    while mass_email(mail_id).state == "sending" and time.monotonic() < deadline:
        time.sleep(0.2)
    messages, total = list_messages(app.config["OUTBOX_DIR"], page_size=1000)
    assert mass_email(mail_id).state == "sent"
    assert total == 60
    assert Counter(message.recipients for message in messages) == {f"p{n}@example.com": 1 for n in range(60)}
    assert mass_email(mail_id).sent_count == 60


def test_the_periodic_recovery_restarts_a_mass_email_whose_batch_died(ctx):
    from jobs.sending import recover_stale_claims

    mail_id = a_mass_email(state="sending", recipients=2).id
    claim_batch(mail_id, 2, LEASE_SECONDS, utcnow() - timedelta(seconds=2 * LEASE_SECONDS))  # long expired

    assert recover_stale_claims() == [mail_id]

    assert set(statuses(mail_id).values()) == {"queued"}
    assert [job.args for job in queue("sending").get_jobs()] == [(mail_id,)]


def test_killing_workers_mid_send_never_sends_anyone_two_messages(app, ctx, start_worker):
    total, kills = 250, 3
    with SlowServer(delay=0.004) as server:
        use_server(server, batch_size=30)
        mail_id = a_mass_email(state="sending", recipients=total).id
        process = start_worker(with_scheduler=False)
        queue("sending").enqueue("jobs.sending.send_batch", mail_id)

        for threshold in (40, 110, 180)[:kills]:
            wait_for(lambda: len(server.deliveries) >= threshold)
            kill(process)
            recover_dead_batches()
            process = start_worker(with_scheduler=False)
            queue("sending").enqueue("jobs.sending.send_batch", mail_id)  # in case no claim was out

        wait_for(lambda: mass_email(mail_id).state == "sent")

    assert_nobody_got_two_messages(server, mail_id, killed_connections=kills)


def test_two_workers_killed_at_random_moments_never_send_anyone_two_messages(app, ctx, start_worker):
    total, rounds = 300, 3
    seed = random.randrange(1 << 32)
    print(f"random seed {seed}")  # shown when the test fails, to replay the same kills
    chance = random.Random(seed)
    with SlowServer(delay=0.004) as server:
        use_server(server, batch_size=25)
        mail_id = a_mass_email(state="sending", recipients=total).id
        workers = [start_worker(with_scheduler=False) for _ in range(2)]
        for _ in workers:
            queue("sending").enqueue("jobs.sending.send_batch", mail_id)

        for threshold in sorted(chance.sample(range(20, total - 60), rounds)):
            wait_for(lambda: len(server.deliveries) >= threshold)
            # Both batches are mid-send, each at its own point; the second dies a random moment after the first.
            first = chance.randrange(2)
            kill(workers[first])
            time.sleep(chance.uniform(0, 0.05))
            kill(workers[1 - first])
            recover_dead_batches()  # only once both are dead: the lease trick would also end a live batch's claim
            workers = [start_worker(with_scheduler=False) for _ in range(2)]
            for _ in workers:
                queue("sending").enqueue("jobs.sending.send_batch", mail_id)

        wait_for(lambda: mass_email(mail_id).state == "sent")

    assert_nobody_got_two_messages(server, mail_id, killed_connections=2 * rounds)
