"""Starting a send: "Send now" answers at once; a job resolves the recipients; a dead one is redone."""
import os
import signal
import time
from collections import Counter

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import OperationalError

from webapp.audience.models import Contact, ListMembership, TargetList
from webapp.common.clock import utcnow
from webapp.common.queues import queue, redis_connection
from webapp.compose.models import Template
from webapp.extensions import db
from webapp.outbox.reader import list_messages
from webapp.sending import lifecycle, starting
from webapp.sending.models import MassEmail, Recipient
from tests.waiting import wait_for, writes_blocked


def a_preparing_mass_email(people):
    """A mass email to `people` new contacts, started: 'preparing', its job queued."""
    target = TargetList(name="Newsletter")
    template = Template(name="News", subject="News", html="<p>Hi {{ contact.email }}</p>", text=None,
                        from_name="News", from_email="news@example.com", reply_to="")
    db.session.add_all([target, template])
    db.session.commit()
    emails = [f"p{n}@example.com" for n in range(people)]
    db.session.execute(insert(Contact), [{"email": e, "email_domain": "example.com"} for e in emails])
    db.session.execute(insert(ListMembership).from_select(["list_id", "contact_id"], select(db.literal(target.id), Contact.id)))
    db.session.commit()
    mail_id = lifecycle.create_draft(None, "News", template.id, [target.id], []).id
    lifecycle.start_mass_email(mail_id, utcnow())
    return mail_id


def mass_email(mail_id):
    db.session.expire_all()
    return db.session.get(MassEmail, mail_id)


def queued_functions():
    return [job.func_name for job in queue("sending").jobs]


def test_starting_only_moves_to_preparing_and_queues_the_job(ctx):
    mail_id = a_preparing_mass_email(3)

    assert (mass_email(mail_id).state, mass_email(mail_id).list_size_all) == ("preparing", None)
    assert db.session.scalar(select(func.count()).select_from(Recipient)) == 0
    assert queued_functions() == ["jobs.sending.prepare_send"]


def test_the_job_resolves_and_starts_sending(ctx):
    mail_id = a_preparing_mass_email(3)
    queue("sending").empty()

    assert starting.prepare_send(mail_id) == "3 to send"

    mail = mass_email(mail_id)
    assert (mail.state, mail.list_size_all, mail.list_size_emailing, mail.failure_reason) == ("sending", 3, 3, None)
    assert queued_functions() == ["jobs.sending.send_batch"]


def test_a_cancel_during_preparation_wins_and_nothing_is_sent(ctx):
    mail_id = a_preparing_mass_email(3)
    queue("sending").empty()
    lifecycle.cancel_mass_email(mail_id, utcnow())

    assert starting.prepare_send(mail_id) == "not preparing"
    assert mass_email(mail_id).state == "cancelled" and queued_functions() == []


def test_a_failed_resolution_says_why_waits_for_a_person_and_can_be_retried(ctx, monkeypatch):
    mail_id = a_preparing_mass_email(3)
    queue("sending").empty()

    def timed_out(*args):
        raise OperationalError("INSERT INTO recipients ...", {}, Exception("canceling statement due to statement timeout"))

    monkeypatch.setattr(starting, "resolve_recipients", timed_out)
    assert starting.prepare_send(mail_id) == "failed"
    mail = mass_email(mail_id)
    assert mail.state == "preparing" and "statement timeout" in mail.failure_reason
    assert starting.recover_stalled() == []  # a failure waits for a person, unlike a dead worker

    monkeypatch.undo()
    lifecycle.retry_start(mail_id)
    assert mass_email(mail_id).failure_reason is None and queued_functions() == ["jobs.sending.prepare_send"]
    assert starting.prepare_send(mail_id) == "3 to send"
    with pytest.raises(lifecycle.LifecycleError, match="cannot be prepared again"):
        lifecycle.retry_start(mail_id)


def test_the_page_of_a_failed_preparation_shows_the_reason_and_retry(app, admin_client):
    with app.app_context():
        mail_id = a_preparing_mass_email(2)
        db.session.execute(text("UPDATE mass_emails SET failure_reason = 'Preparing the recipients failed: disk full'"))
        db.session.commit()
        queue("sending").empty()

    page = admin_client.get(f"/mass-emails/{mail_id}").get_data(as_text=True)
    assert "Preparing the recipients failed: disk full" in page and ">Retry</button>" in page and "Cancel sending" in page

    retried = admin_client.post(f"/mass-emails/{mail_id}/retry-start", htmx=True).get_data(as_text=True)
    assert "Preparing the recipients again." in retried and "<html" not in retried
    with app.app_context():
        assert mass_email(mail_id).failure_reason is None and queued_functions() == ["jobs.sending.prepare_send"]


def test_recovery_queues_only_preparations_that_are_neither_running_nor_waiting(ctx):
    waiting = a_preparing_mass_email(1)
    redis = redis_connection()
    running, dead = (lifecycle.create_draft(None, name, mass_email(waiting).template_version.template_id,
                                            [l.list_id for l in mass_email(waiting).lists], []).id for name in ("B", "C"))
    for mail_id in (running, dead):
        lifecycle.start_mass_email(mail_id, utcnow())
    for mail_id in (running, dead):  # their jobs were taken by a worker: no longer waiting in RQ
        queue("sending").fetch_job(lifecycle.preparation_job_id(mail_id)).delete()
    redis.set(f"mailroom:preparing:{running}", 1, ex=30)  # its job's heartbeat

    assert starting.recover_stalled() == [dead]
    assert lifecycle.preparation_job_id(dead) in queue("sending").job_ids


@pytest.mark.worker
def test_a_worker_killed_during_resolution_is_replaced_and_everyone_gets_one_message(app, ctx, start_worker, smtp_catcher):
    people = 300
    mail_id = a_preparing_mass_email(people)
    with writes_blocked("recipients"):  # the worker's INSERT .. SELECT waits inside the resolution
        process = start_worker(with_scheduler=False)
        wait_for(lambda: redis_connection().exists(f"mailroom:preparing:{mail_id}"))
        time.sleep(0.5)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    assert mass_email(mail_id).state == "preparing"
    assert db.session.scalar(select(func.count()).select_from(Recipient)) == 0  # the killed resolution left nothing

    wait_for(lambda: not redis_connection().exists(f"mailroom:preparing:{mail_id}"))  # its heartbeat ran out
    assert starting.recover_stalled() == [mail_id]
    start_worker()
    wait_for(lambda: mass_email(mail_id).state == "sent", seconds=60)

    messages, _ = list_messages(app.config["OUTBOX_DIR"], page_size=10 * people)
    assert Counter(m.recipients for m in messages) == {f"p{n}@example.com": 1 for n in range(people)}
    assert db.session.scalar(select(func.count()).select_from(Recipient)) == people
