"""Drips: one recipient per tick on the drip's schedule; pause, resume and edits act at once."""
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests.factories import a_draft, a_list, a_template, started
from tests.sending.helpers import (
    SlowServer, assert_nobody_got_two_messages, kill, mass_email, received, recover_dead_batches, statuses, use_server,
)
from tests.waiting import wait_for
from webapp.common.clock import utcnow
from webapp.common.queues import queue
from webapp.compose.models import Template
from webapp.extensions import db
from webapp.sending import drip, lifecycle
from webapp.sending.drip_schedule import DripSchedule
from webapp.sending.models import MassEmail, Recipient

EVERY_MINUTE = DripSchedule(60)


def a_sending_drip(count, schedule=EVERY_MINUTE, now=None):
    """The id of a drip started `now` to d0@example.com, d1@example.com...; its subject is "June news"."""
    emails = [f"d{n}@example.com" for n in range(count)]
    draft = a_draft([a_list("Trial users", emails)], template=a_template(subject="June news"), name="Onboarding drip",
                    drip_schedule=schedule)
    return started(draft, now or utcnow()).id


def template_of(mail_id):
    """The template the drip sends, to edit it."""
    return db.session.get(Template, mass_email(mail_id).template_version.template_id)


def scheduled_ticks():
    """[(due time as naive UTC, job args)] of the drip ticks waiting in RQ's scheduler, in time order."""
    registry = queue("sending").scheduled_job_registry
    jobs = [queue("sending").fetch_job(job_id) for job_id in registry.get_job_ids()]
    return sorted((registry.get_scheduled_time(job).astimezone(UTC).replace(tzinfo=None), job.args) for job in jobs)


def forget_ticks():
    registry = queue("sending").scheduled_job_registry
    for job_id in registry.get_job_ids():
        registry.remove(job_id, delete_job=True)


def due(mail_id):
    return mass_email(mail_id).next_send_at


def subjects(smtp):
    """{address: Subject header} of every message the server received."""
    return {d.rcpt_tos[0]: next(line for line in d.data.decode().splitlines() if line.startswith("Subject:"))
            for d in smtp.deliveries}


def test_starting_a_drip_schedules_its_first_tick_and_sends_nothing_yet(ctx, server):
    use_server(server)
    now = utcnow()
    mail_id = a_sending_drip(3, now=now)

    assert (mass_email(mail_id).state, due(mail_id)) == ("sending", now)
    assert scheduled_ticks() == [(now.replace(microsecond=0), (mail_id, now.isoformat()))]
    assert server.deliveries == []


def test_each_tick_sends_one_recipient_and_schedules_the_next_one_interval_after_it(ctx, server):
    use_server(server)
    mail_id = a_sending_drip(3)

    assert drip.tick(mail_id, due(mail_id), utcnow()) == "sent one"

    assert len(server.deliveries) == 1
    sent = db.session.scalar(select(Recipient).where(Recipient.status == "sent"))
    assert due(mail_id) >= sent.sent_at + timedelta(seconds=60)
    assert due(mail_id) <= utcnow() + timedelta(seconds=60)
    assert [args for _, args in scheduled_ticks()][-1] == (mail_id, due(mail_id).isoformat())
    assert mass_email(mail_id).sent_count == 1


def test_the_last_tick_marks_the_drip_sent_and_schedules_nothing_more(ctx, server):
    use_server(server)
    mail_id = a_sending_drip(2)
    forget_ticks()

    for _ in range(2):
        drip.tick(mail_id, due(mail_id), utcnow())

    assert received(server) == {"d0@example.com": 1, "d1@example.com": 1}
    assert (mass_email(mail_id).state, due(mail_id)) == ("sent", None)
    [(_, (_, left_over))] = scheduled_ticks()  # queued by the first tick: it will retire
    assert drip.tick(mail_id, datetime.fromisoformat(left_over), utcnow()) == "superseded"


def test_of_two_ticks_for_the_same_moment_only_one_sends(ctx, server):
    use_server(server)
    mail_id = a_sending_drip(3)
    first_due = due(mail_id)

    results = [drip.tick(mail_id, first_due, utcnow()), drip.tick(mail_id, first_due, utcnow())]

    assert results == ["sent one", "superseded"]
    assert len(server.deliveries) == 1


def test_pause_retires_the_waiting_tick_at_once_and_resume_starts_a_new_one(ctx, server):
    use_server(server)
    mail_id = a_sending_drip(3)
    waiting = due(mail_id)

    lifecycle.pause_mass_email(mail_id)
    assert drip.tick(mail_id, waiting, utcnow()) == "superseded"
    assert server.deliveries == []

    resumed_at = utcnow()
    lifecycle.resume_mass_email(mail_id, resumed_at)
    assert due(mail_id) == resumed_at
    assert drip.tick(mail_id, waiting, utcnow()) == "superseded"  # the tick from before the pause stays retired
    assert drip.tick(mail_id, due(mail_id), utcnow()) == "sent one"
    assert len(server.deliveries) == 1


def test_an_edit_changes_the_content_and_schedule_for_unsent_recipients_only(ctx, server):
    use_server(server)
    mail_id = a_sending_drip(3)
    drip.tick(mail_id, due(mail_id), utcnow())
    template = template_of(mail_id)
    template.subject = "Welcome, second edition"
    db.session.commit()

    edited_at = utcnow()
    weekends = DripSchedule(300, days="56", timezone="Europe/Paris")
    lifecycle.edit_drip(mail_id, weekends, template.id, edited_at)

    assert due(mail_id) == weekends.next_slot(edited_at)
    assert mass_email(mail_id).drip_schedule == weekends
    drip.tick(mail_id, due(mail_id), utcnow())
    assert subjects(server) == {"d0@example.com": "Subject: June news",
                                "d1@example.com": "Subject: Welcome, second edition"}
    stamped = dict(db.session.execute(select(Recipient.email, Recipient.template_version_id)).all())
    first_version, second_version = stamped["d0@example.com"], stamped["d1@example.com"]
    assert first_version != second_version and second_version == mass_email(mail_id).template_version_id
    assert stamped["d2@example.com"] is None  # not sent yet: it will take whatever the drip says then


def test_a_closed_window_moves_the_first_tick_to_its_opening(ctx, server):
    use_server(server)
    now = utcnow()
    closed_now = DripSchedule(60, days=str((now.weekday() + 1) % 7), start_hour=9, end_hour=10)

    mail_id = a_sending_drip(1, schedule=closed_now, now=now)

    tomorrow = (now + timedelta(days=1)).date()
    assert (due(mail_id).date(), due(mail_id).hour, due(mail_id).minute) == (tomorrow, 9, 0)


def test_the_hourly_limit_holds_the_drip_until_the_bucket_refills(ctx, server):
    use_server(server, max_per_hour=1)
    mail_id = a_sending_drip(2)
    # Both ticks inside one clock hour, whenever the test runs: the bucket is per UTC hour.
    mid_hour = utcnow().replace(minute=30, second=0, microsecond=0)
    drip.tick(mail_id, due(mail_id), mid_hour)

    assert drip.tick(mail_id, due(mail_id), mid_hour) == "hourly limit reached"

    assert len(server.deliveries) == 1
    assert due(mail_id) >= mid_hour.replace(minute=0) + timedelta(hours=1)


def test_the_cron_rescues_a_drip_whose_tick_was_lost(ctx, server):
    use_server(server)
    mail_id = a_sending_drip(2)
    stalled_since = utcnow() - timedelta(minutes=10)
    db.session.get(MassEmail, mail_id).next_send_at = stalled_since
    db.session.commit()
    forget_ticks()

    assert drip.rescue_stalled(utcnow()) == [mail_id]

    assert [args for _, args in scheduled_ticks()] == [(mail_id, stalled_since.isoformat())]
    assert drip.tick(mail_id, stalled_since, utcnow()) == "sent one"


def test_a_drip_paused_by_a_refused_smtp_login_says_why(ctx, server):
    use_server(server)
    settings = lifecycle.get_settings()
    settings.smtp_username, settings.smtp_password = "news", "wrong"  # the server offers no AUTH at all
    db.session.commit()
    mail_id = a_sending_drip(2)

    assert drip.tick(mail_id, due(mail_id), utcnow()) == "paused"

    mail = mass_email(mail_id)
    assert mail.state == "paused" and mail.failure_reason
    assert db.session.scalars(select(Recipient.status)).all() == ["queued", "queued"]


def sent_times(mail_id):
    db.session.expire_all()
    return db.session.scalars(select(Recipient.sent_at).where(Recipient.mass_email_id == mail_id, Recipient.sent_at.is_not(None))
                              .order_by(Recipient.sent_at)).all()


def test_a_real_worker_keeps_the_interval_honours_pause_and_resume_and_sends_edits_to_the_rest(ctx, server, worker):
    use_server(server)
    interval = 2
    # Every minute at first: the tick after the first message surely still waits when the test pauses.
    mail_id = a_sending_drip(4, schedule=EVERY_MINUTE)

    wait_for(lambda: len(sent_times(mail_id)) >= 1 and waiting_ticks(mail_id))  # one sent, the next tick waits
    lifecycle.pause_mass_email(mail_id)
    paused_with = len(sent_times(mail_id))
    # The tick that would send next is not waited for: it runs now, as the worker would at its time, and retires.
    assert run_now(waiting_ticks(mail_id)) == ["superseded"]
    assert len(sent_times(mail_id)) == paused_with == len(server.deliveries)

    template = template_of(mail_id)
    template.subject = "After the edit"
    db.session.commit()
    lifecycle.edit_drip(mail_id, DripSchedule(interval), template.id, utcnow())
    # A person resumes a while later; here, one interval after the last message went out.
    resumed_at = sent_times(mail_id)[-1] + timedelta(seconds=interval)
    lifecycle.resume_mass_email(mail_id, resumed_at)
    wait_for(lambda: mass_email(mail_id).state == "sent")

    times = sent_times(mail_id)
    assert received(server) == {f"d{n}@example.com": 1 for n in range(4)}
    assert all(sent_at >= resumed_at for sent_at in times[paused_with:])  # nothing went out while paused
    assert all(later - earlier >= timedelta(seconds=interval) for earlier, later in zip(times, times[1:]))
    assert list(subjects(server).values()) == ["Subject: June news"] * paused_with + ["Subject: After the edit"] * (4 - paused_with)


def test_a_drip_tick_killed_mid_send_leaves_one_unconfirmed_and_the_rest_keep_the_interval(ctx, start_worker):
    interval = 1
    with SlowServer(delay=0.5) as server:
        use_server(server)
        mail_id = a_sending_drip(5, schedule=DripSchedule(interval))
        process = start_worker(with_scheduler=False)  # the test moves due ticks to the queue itself
        wait_for(lambda: run_due_ticks() or server.begun == 2)  # the second message is being handed over
        kill(process)

        recover_dead_batches()  # the periodic job, a lease later: the in-flight recipient is unconfirmed
        assert drip.rescue_stalled(utcnow() + drip.STALLED_AFTER + timedelta(seconds=interval)) == [mail_id]
        start_worker(with_scheduler=False)
        wait_for(lambda: run_due_ticks() or mass_email(mail_id).state == "sent")

    assert_nobody_got_two_messages(server, mail_id, killed_connections=1)
    assert list(statuses(mail_id).values()).count("unconfirmed") == 1  # the message the kill cut off
    times = sent_times(mail_id)
    assert len(times) >= 3
    assert all(later - earlier >= timedelta(seconds=interval) for earlier, later in zip(times, times[1:]))


def waiting_ticks(mail_id):
    """The drip's tick jobs not run yet: waiting in RQ's scheduler, or already moved to the queue."""
    sending = queue("sending")
    jobs = [sending.fetch_job(job_id) for job_id in sending.scheduled_job_registry.get_job_ids()] + sending.get_jobs()
    return [job for job in jobs if job is not None and job.func_name == drip.JOB and job.args[0] == mail_id]


def run_now(tick_jobs):
    """Take these tick jobs away from RQ and run each here at once, as the worker would once it is due;
    returns what each tick said."""
    sending, said = queue("sending"), []
    for job in tick_jobs:
        sending.scheduled_job_registry.remove(job)
        sending.remove(job)
        mail_id, due_at = job.args[0], datetime.fromisoformat(job.args[1])
        said.append(drip.tick(mail_id, due_at, max(due_at, utcnow())))
    return said


def run_due_ticks():
    """What RQ's scheduler does, for workers started without one: queue the ticks that are due."""
    registry = queue("sending").scheduled_job_registry
    for job_id in registry.get_jobs_to_enqueue():
        job = queue("sending").fetch_job(job_id)
        registry.remove(job)
        queue("sending").enqueue_job(job)
