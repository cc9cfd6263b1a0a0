"""The one ingestion: events stored once, recipients moved forward only, counters equal to the rows."""

import pytest
from sqlalchemy import func, select

from tests.events.helpers import BROWSER, T0, a_sent_mass_email, at, counters, event, recipient
from webapp.audience.models import Contact, ListMembership, Suppression
from webapp.events.ingest import Incoming, ingest
from webapp.events.models import Event
from webapp.extensions import db
from webapp.sending.models import MassEmail, Recipient
from webapp.settings.service import get_settings


def test_the_same_events_twice_are_stored_and_counted_once(ctx):
    mail_id, (a, b) = a_sent_mass_email(2)
    batch = [event("delivered", a, 5, "sg-1"), event("delivered", b, 6, "sg-2"),
             event("open", a, 600, "sg-3", user_agent=BROWSER), event("click", a, 620, "sg-4", link_index=0, user_agent=BROWSER)]

    first, second = ingest(batch), ingest(batch)

    assert (first.stored, first.repeats, second.stored, second.repeats) == (4, 0, 0, 4)
    assert db.session.scalar(select(func.count()).select_from(Event)) == 4
    assert counters(mail_id) == {"sent_count": 2, "delivered_count": 2, "unique_open_count": 1, "human_open_count": 1,
                                 "open_count": 1, "unique_click_count": 1, "human_click_count": 1, "click_count": 1}


def test_out_of_order_events_never_move_a_recipient_backwards(ctx):
    mail_id, (late_delivery, bounced_after) = a_sent_mass_email(2)

    ingest([event("open", late_delivery, 300, "1", user_agent=BROWSER), event("delivered", late_delivery, 10, "2"),
            event("delivered", bounced_after, 10, "3")])
    ingest([event("bounced", bounced_after, 900, "4", detail={"kind": "hard", "status": "5.1.1", "diagnostic": "no such user"}),
            event("delivered", bounced_after, 20, "5")])  # a late duplicate report of delivery

    first, second = recipient(late_delivery), recipient(bounced_after)
    assert (first.status, first.first_opened_at, first.open_count) == ("delivered", at(300), 1)
    assert (second.status, second.bounce_kind, second.smtp_reply) == ("bounced", "hard", "5.1.1 no such user")
    assert counters(mail_id) == {"sent_count": 2, "delivered_count": 1, "bounced_count": 1, "unique_open_count": 1,
                                 "human_open_count": 1, "open_count": 1}
    contact = db.session.get(Contact, second.contact_id)
    assert contact.status == "bounced" and db.session.scalar(select(Suppression.reason).where(Suppression.email == second.email)) == "hard_bounce"


def test_an_open_or_click_never_changes_a_subscription_and_human_activity_counts(ctx):
    mail_id, (rid,) = a_sent_mass_email(1)
    contact_id = recipient(rid).contact_id

    ingest([event("open", rid, 60, "o", user_agent=BROWSER), event("click", rid, 90, "c", link_index=2, user_agent=BROWSER)])

    contact = db.session.get(Contact, contact_id)
    assert contact.status == "active" and contact.last_activity_at == at(90)
    assert db.session.scalar(select(func.count()).select_from(Suppression)) == 0


@pytest.mark.parametrize("entirely", [True, False])
def test_an_unsubscribe_takes_the_contact_off_everything_or_off_the_lists_by_the_mass_email_setting(ctx, entirely):
    mail_id, (rid,) = a_sent_mass_email(1, opt_out_entirely=entirely)
    contact_id = recipient(rid).contact_id

    ingest([event("unsubscribe", rid, 100, "u", source="one_click")])

    contact = db.session.get(Contact, contact_id)
    opted_out = db.session.scalar(select(ListMembership.opted_out_at).where(ListMembership.contact_id == contact_id))
    suppressed = db.session.scalar(select(Suppression.reason).where(Suppression.email == contact.email))
    if entirely:
        assert (contact.status, suppressed, opted_out) == ("unsubscribed", "unsubscribe", None)
    else:
        assert (contact.status, suppressed, opted_out) == ("active", None, at(100))
    assert counters(mail_id) == {"sent_count": 1, "unsubscribe_count": 1}


def test_a_resubscribe_undoes_the_unsubscribe_and_is_on_record(ctx):
    mail_id, (rid,) = a_sent_mass_email(1)
    contact_id = recipient(rid).contact_id
    ingest([event("unsubscribe", rid, 100, "u")])

    ingest([Incoming(kind="resubscribe", at=at(200), source="preferences", contact_id=contact_id, ip="203.0.113.9")])

    contact = db.session.get(Contact, contact_id)
    assert contact.status == "active" and contact.last_activity_at == at(200)
    assert db.session.scalar(select(func.count()).select_from(Suppression)) == 0
    resubscribed = db.session.scalar(select(Event).where(Event.kind == "resubscribe"))
    assert (resubscribed.contact_id, resubscribed.ip, resubscribed.occurred_at) == (contact_id, "203.0.113.9", at(200))


def test_a_complaint_suppresses_the_address_and_marks_the_contact(ctx):
    mail_id, (rid,) = a_sent_mass_email(1)

    ingest([event("complaint", rid, 3600, "arf-1", source="arf")])

    row = recipient(rid)
    assert row.complained_at == at(3600) and db.session.get(Contact, row.contact_id).status == "complained"
    assert db.session.scalar(select(Suppression.reason).where(Suppression.email == row.email)) == "complaint"
    assert counters(mail_id) == {"sent_count": 1, "complaint_count": 1}


def test_soft_bounces_are_only_logged_until_the_limit_then_suppress(ctx):
    settings = get_settings()
    settings.soft_bounce_limit, settings.soft_bounce_days = 2, 30
    db.session.commit()
    soft = {"kind": "soft", "status": "4.2.2", "diagnostic": "mailbox full"}
    first_mail, (first,) = a_sent_mass_email(1)
    email = recipient(first).email

    ingest([event("bounced", first, 10, "b1", detail=soft)])
    assert db.session.scalar(select(func.count()).select_from(Suppression)) == 0
    second = _another_send_to(email)
    ingest([event("bounced", second, 10, "b2", detail=soft)])

    assert db.session.scalar(select(Suppression.reason).where(Suppression.email == email)) == "soft_bounces"
    assert db.session.get(Contact, recipient(first).contact_id).status == "active"  # soft: the contact is not "bounced"


def _another_send_to(email):
    contact = db.session.scalar(select(Contact).where(Contact.email == email))
    version = db.session.scalar(select(MassEmail.template_version_id))
    mail = MassEmail(name="July news", template_version_id=version, state="sent")
    db.session.add(mail)
    db.session.flush()
    row = Recipient(mass_email_id=mail.id, contact_id=contact.id, email=email, status="sent", sent_at=T0)
    db.session.add(row)
    db.session.commit()
    return row.id


def test_events_find_their_recipient_by_our_message_id_with_or_without_brackets(ctx):
    mail_id, (a, b) = a_sent_mass_email(2)

    result = ingest([Incoming("delivered", at(5), "mailgun", message_id="m0@mail.example.com", dedupe_key="x"),
                     Incoming("delivered", at(5), "mailgun", message_id="<m1@mail.example.com>", dedupe_key="y"),
                     Incoming("delivered", at(5), "mailgun", message_id="<unknown@elsewhere>", dedupe_key="z")])

    assert (recipient(a).status, recipient(b).status) == ("delivered", "delivered")
    assert result.stored == 2 and [e.dedupe_key for e in result.unmatched] == ["z"]


def test_an_event_for_a_recipient_still_being_sent_waits(ctx):
    mail_id, (rid,) = a_sent_mass_email(1)
    db.session.execute(Recipient.__table__.update().values(status="sending", claim_token="t"))
    db.session.commit()

    result = ingest([event("delivered", rid, 5, "early")])

    assert [e.dedupe_key for e in result.waiting] == ["early"] and result.stored == 0
    assert recipient(rid).status == "sending"


def test_bot_rules_judge_a_crafted_stream(ctx):
    mail_id, (fast, scanner, burst, person, proxy, machine) = a_sent_mass_email(6)
    ingest([event("delivered", rid, 0, f"d{rid}") for rid in (fast, scanner, burst, person, proxy, machine)])

    ingest([
        event("open", fast, 1, "fast", user_agent=BROWSER),
        event("open", scanner, 300, "scan", user_agent="Mozilla/5.0 (compatible; Barracuda Sentinel (EE))"),
        event("click", burst, 400, "b1", link_index=0, user_agent=BROWSER),
        event("click", burst, 401, "b2", link_index=1, user_agent=BROWSER),
        event("click", burst, 401, "b3", link_index=2, user_agent=BROWSER),
        event("open", person, 500, "p1", user_agent=BROWSER),
        event("click", person, 530, "p2", link_index=0, user_agent=BROWSER),
        event("click", person, 560, "p3", link_index=1, user_agent=BROWSER),  # 30 s later: a person reading
        event("open", proxy, 600, "gp", user_agent="Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"),
        event("open", machine, 700, "mo", user_agent=BROWSER, detail={"machine_open": True}),
    ])

    verdicts = dict(db.session.execute(select(Event.dedupe_key, Event.verdict_rule).where(Event.kind.in_(("open", "click")))).all())
    assert verdicts == {"fast": "fast_open", "scan": "scanner_user_agent", "b1": "simultaneous_clicks",
                        "b2": "simultaneous_clicks", "b3": "simultaneous_clicks", "p1": None, "p2": None, "p3": None,
                        "gp": "privacy_proxy", "mo": "machine_open"}
    assert {rid for rid in (fast, scanner, burst, person, proxy, machine) if recipient(rid).human_at} == {person}
    assert counters(mail_id) == {"sent_count": 6, "delivered_count": 6, "unique_open_count": 5, "human_open_count": 1,
                                 "open_count": 5, "unique_click_count": 2, "human_click_count": 1, "click_count": 5}


def test_a_later_click_turns_an_earlier_human_click_into_a_burst(ctx):
    mail_id, (rid,) = a_sent_mass_email(1)
    ingest([event("click", rid, 400, "first", link_index=0, user_agent=BROWSER)])
    assert recipient(rid).human_at == at(400)

    ingest([event("click", rid, 401, "second", link_index=1, user_agent=BROWSER)])  # drained a moment later

    assert recipient(rid).human_at is None
    assert counters(mail_id) == {"sent_count": 1, "unique_click_count": 1, "click_count": 2}


def test_smtp_outcomes_of_a_fold_count_once(ctx):
    """The fold hands its outcomes to ingestion (sending.journal.OUTCOMES_FOLDED)."""
    from webapp.common.queues import redis_connection
    from webapp.sending.journal import Entry, Journal, fold

    mail_id, (ok, gone, later) = a_sent_mass_email(3)
    db.session.execute(Recipient.__table__.update().values(status="sending", claim_token="claim", sent_at=None))
    db.session.execute(MassEmail.__table__.update().values(sent_count=0))
    db.session.commit()
    journal = Journal(redis_connection(), "claim")
    journal.advance({ok: Entry("sent", at(1), "<a@x>", "250 ok"),
                     gone: Entry("bounced", at(2), "<b@x>", "550 5.1.1 unknown", bounce_kind="hard"),
                     later: Entry("deferred", at(3), "<c@x>", "451 try later", next_attempt_at=at(600))})

    fold(journal)
    journal.advance({ok: Entry("sent", at(1), "<a@x>", "250 ok")})  # the same outcome again, as after a crash
    fold(journal)

    assert counters(mail_id) == {"sent_count": 1, "bounced_count": 1, "deferred_count": 1}
    assert db.session.scalar(select(func.count()).select_from(Event)) == 3
    assert db.session.scalar(select(Suppression.reason).where(Suppression.email == recipient(gone).email)) == "hard_bounce"


def test_the_relay_acceptance_means_delivered_when_the_admin_says_so(ctx):
    from webapp.common.queues import redis_connection
    from webapp.sending.journal import Entry, Journal, fold

    get_settings().delivered_on_acceptance = True
    mail_id, (rid,) = a_sent_mass_email(1)
    db.session.execute(Recipient.__table__.update().values(status="sending", claim_token="claim", sent_at=None))
    db.session.execute(MassEmail.__table__.update().values(sent_count=0))
    db.session.commit()
    journal = Journal(redis_connection(), "claim")
    journal.advance({rid: Entry("sent", at(1), "<a@x>", "250 ok")})

    fold(journal)

    assert (recipient(rid).status, recipient(rid).delivered_at) == ("delivered", at(1))
    assert counters(mail_id) == {"sent_count": 1, "delivered_count": 1}
