"""A mass email's life: draft, schedule, start, pause, resume, cancel, each refused where it makes no sense."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from tests.factories import a_draft, a_list, a_suppression, a_template, started
from webapp.audience.models import Contact, ListMembership
from webapp.common.queues import queue
from webapp.extensions import db
from webapp.sending import lifecycle
from webapp.sending.lifecycle import LifecycleError
from webapp.sending.models import MassEmail, Recipient
from webapp.sending.resolve import resolve_recipients
from webapp.settings.service import get_settings

NOW = datetime(2026, 6, 1, 12, 0)


def state(mass_email_id):
    db.session.expire_all()
    return db.session.get(MassEmail, mass_email_id).state


def queued_batches():
    return queue("sending").count


def set_state(mass_email_id, value):
    db.session.get(MassEmail, mass_email_id).state = value
    db.session.commit()


def test_a_new_draft_keeps_its_lists_and_a_snapshot_of_the_template(ctx):
    target, skip = a_list("Newsletter", ["a@example.com"]), a_list("Competitors", ["b@example.com"])
    mail = a_draft([target], [skip], template=a_template(subject="June news"), from_email="boss@example.com",
                   campaign="Summer")

    assert mail.state == "draft" and mail.kind == "standard" and mail.campaign == "Summer"
    assert {(l.list_id, l.excluding) for l in mail.lists} == {(target.id, False), (skip.id, True)}
    assert mail.template_version.subject == "June news"
    assert mail.list_size_all is None  # nothing is frozen before sending starts


def test_starting_resolves_recipients_and_queues_parallel_batches(ctx):
    get_settings().batch_size = 2
    db.session.commit()
    mail_id = a_draft([a_list("Newsletter", [f"p{n}@example.com" for n in range(10)])]).id

    mail = started(mail_id, NOW)

    assert (mail.state, mail.started_at, mail.list_size_all, mail.list_size_emailing) == ("sending", NOW, 10, 10)
    assert queued_batches() == 4  # five batches' worth, SEND_PARALLEL_BATCHES chains at once


def test_a_small_send_queues_only_as_many_batches_as_it_needs(ctx):
    mail_id = a_draft([a_list("Newsletter", ["a@example.com", "b@example.com"])]).id

    started(mail_id, NOW)

    assert queued_batches() == 1


def test_starting_sends_the_template_as_it_is_then_not_as_it_was_at_draft_time(ctx):
    template = a_template()
    mail_id = a_draft([a_list("Newsletter", ["a@example.com"])], template=template).id
    template.subject = "June news (final)"
    db.session.commit()

    mail = started(mail_id, NOW)

    assert mail.template_version.subject == "June news (final)"


def test_nobody_emailable_means_sent_at_once_with_no_batches(ctx):
    target = a_list("Newsletter", ["gone@example.com"])
    a_suppression("gone@example.com", reason="hard_bounce")

    mail = started(a_draft([target]), NOW)

    assert (mail.state, mail.finished_at, mail.list_size_all, mail.list_size_emailing) == ("sent", NOW, 1, 0)
    assert queued_batches() == 0


def test_a_mass_email_cannot_be_started_twice(ctx):
    mail_id = a_draft([a_list("Newsletter", ["a@example.com"])]).id
    lifecycle.start_mass_email(mail_id, NOW)

    with pytest.raises(LifecycleError, match="A mass email that is preparing recipients cannot be started"):
        lifecycle.start_mass_email(mail_id, NOW)
    assert queued_batches() == 1  # the one preparation


def test_start_due_starts_only_scheduled_mass_emails_whose_time_has_come(ctx):
    target = a_list("Newsletter", ["a@example.com"])
    due, later, draft = (a_draft([target]).id, a_draft([target]).id,
                         a_draft([target], scheduled_at=NOW - timedelta(hours=1)).id)
    lifecycle.schedule_mass_email(due, NOW - timedelta(minutes=1))
    lifecycle.schedule_mass_email(later, NOW + timedelta(minutes=1))

    assert lifecycle.start_due(NOW) == [due]
    assert (state(due), state(later), state(draft)) == ("preparing", "scheduled", "draft")
    assert lifecycle.start_due(NOW) == []  # the next tick finds nothing left to start


def test_pause_and_resume_stop_and_restart_the_batches(ctx):
    mail_id = a_draft([a_list("Newsletter", ["a@example.com", "b@example.com"])]).id
    started(mail_id, NOW)
    queue("sending").empty()

    assert lifecycle.pause_mass_email(mail_id).state == "paused"
    assert lifecycle.resume_mass_email(mail_id, NOW).state == "sending"
    assert queued_batches() == 1


def test_resuming_after_an_smtp_failure_clears_the_reason(ctx):
    mail = started(a_draft([a_list("Newsletter", ["a@example.com"])]), NOW)
    mail_id = mail.id
    mail.state, mail.failure_reason = "paused", "SMTP login refused"
    db.session.commit()

    assert lifecycle.resume_mass_email(mail_id, NOW).failure_reason is None


@pytest.mark.parametrize("current, action", [
    ("draft", "pause"), ("scheduled", "resume"), ("sending", "resume"), ("paused", "pause"),
    ("sent", "cancel"), ("cancelled", "start"), ("failed", "resume"), ("sent", "schedule"),
])
def test_moves_the_current_state_does_not_allow_are_refused_and_change_nothing(ctx, current, action):
    mail_id = a_draft([a_list("Newsletter", ["a@example.com"])]).id
    set_state(mail_id, current)
    calls = {
        "pause": lambda: lifecycle.pause_mass_email(mail_id), "resume": lambda: lifecycle.resume_mass_email(mail_id, NOW),
        "cancel": lambda: lifecycle.cancel_mass_email(mail_id, NOW), "start": lambda: lifecycle.start_mass_email(mail_id, NOW),
        "schedule": lambda: lifecycle.schedule_mass_email(mail_id, NOW),
    }

    with pytest.raises(LifecycleError, match=f"A mass email that is {current} cannot be"):
        calls[action]()
    assert state(mail_id) == current
    assert queued_batches() == 0


def test_cancel_leaves_waiting_recipients_unsent_and_says_how_many(ctx):
    mail_id = a_draft([a_list("Newsletter", ["a@example.com", "b@example.com", "c@example.com"])]).id
    started(mail_id, NOW)
    db.session.execute(Recipient.__table__.update().where(Recipient.email == "a@example.com").values(status="sent"))
    db.session.commit()

    assert lifecycle.cancel_mass_email(mail_id, NOW) == 2
    assert state(mail_id) == "cancelled"
    assert db.session.scalar(select(func.count()).where(Recipient.status == "queued")) == 2


def test_a_draft_can_be_cancelled_before_anything_is_resolved(ctx):
    mail_id = a_draft([a_list("Newsletter", ["a@example.com"])]).id

    assert lifecycle.cancel_mass_email(mail_id, NOW) == 0
    assert state(mail_id) == "cancelled"


def test_the_dry_run_gives_the_numbers_the_real_resolution_will_and_writes_nothing(ctx):
    settings = get_settings()
    settings.max_recipients_per_send = 3
    db.session.commit()
    target = a_list("Newsletter", [f"p{n}@example.com" for n in range(6)] + ["bad@spam.example", "left@example.com"])
    skip = a_list("Skip", ["skip@example.com"])
    db.session.execute(insert(ListMembership).from_select(
        ["list_id", "contact_id"], select(db.literal(target.id), Contact.id).where(Contact.email == "skip@example.com")))
    db.session.execute(Contact.__table__.update().where(Contact.email == "left@example.com").values(status="unsubscribed"))
    db.session.commit()
    a_suppression(domain="spam.example", reason="manual")
    mail_id = a_draft([target], [skip]).id

    preview = lifecycle.dry_run_summary(mail_id, NOW)

    assert db.session.scalar(select(func.count()).select_from(Recipient)) == 0
    assert db.session.get(MassEmail, mail_id).list_size_all is None
    skipped = preview.pop("skipped")
    assert preview == {"all": 8, "emailing": 3,
                       "dropped": {"suppressed_domain": 1, "contact_unsubscribed": 1, "over_cap": 3}}
    assert skipped == {"lists": 1}  # skip@ is on the target list too, and not counted in "all"
    assert resolve_recipients(mail_id, NOW, get_settings()) == preview
