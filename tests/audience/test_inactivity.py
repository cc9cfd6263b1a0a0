"""The inactivity rule in view: the contact page says when a contact became inactive and what makes it active
again; the confirm step and the report say how many a send leaves out as inactive."""
from datetime import timedelta

from tests.factories import a_contact, a_list, a_mass_email, a_membership, a_recipient, a_template
from webapp.audience.activity import inactivity
from webapp.common.clock import utcnow
from webapp.extensions import db
from webapp.sending import lifecycle
from webapp.settings.service import get_settings


def _inactivity_days(days):
    get_settings().inactivity_days = days
    db.session.commit()


def test_a_contact_is_inactive_from_its_last_activity_plus_the_period_or_from_when_it_was_added(ctx):
    now = utcnow()
    asleep = a_contact("asleep@example.com", last_activity_at=now - timedelta(days=40))
    never = a_contact("never@example.com", last_activity_at=None, created_at=now - timedelta(days=31))
    recent = a_contact("recent@example.com", last_activity_at=now - timedelta(days=29))

    assert inactivity(asleep, now, 30).since == asleep.last_activity_at + timedelta(days=30)
    assert inactivity(never, now, 30).since == never.created_at + timedelta(days=30)
    assert inactivity(recent, now, 30) is None
    assert inactivity(asleep, now, None) is None  # the rule is off


def test_the_contact_page_says_since_when_and_what_makes_the_contact_active_again(ctx, marketer_client):
    _inactivity_days(30)
    asleep = a_contact("asleep@example.com", last_activity_at=utcnow() - timedelta(days=40))
    recent = a_contact("recent@example.com", last_activity_at=utcnow() - timedelta(days=2))

    page = marketer_client.get(f"/contacts/{asleep.id}").get_data(as_text=True)

    since = (asleep.last_activity_at + timedelta(days=30)).strftime("%Y-%m-%d")
    assert f"Inactive since {since}" in page and "for 30 days" in page and "makes it active again" in page
    assert "data-inactive" not in marketer_client.get(f"/contacts/{recent.id}").get_data(as_text=True)
    _inactivity_days(None)
    assert "data-inactive" not in marketer_client.get(f"/contacts/{asleep.id}").get_data(as_text=True)


def test_the_confirm_step_counts_the_inactive_with_the_period(ctx, admin_client):
    _inactivity_days(365)
    list_id = a_list(emails=["fresh@example.com"]).id
    a_membership(list_id, a_contact("asleep@example.com", last_activity_at=utcnow() - timedelta(days=400)))
    mail_id = lifecycle.create_draft(None, "June news", a_template().id, [list_id], []).id

    page = admin_client.get(f"/mass-emails/{mail_id}").get_data(as_text=True)

    assert 'data-reason="inactive"' in page and "no open, click or other activity for 365 days" in page
    assert 'data-summary="emailing">1<' in page


def test_the_report_says_how_many_were_left_out_as_inactive(ctx, marketer_client):
    mass_email = a_mass_email(state="sent", list_size_all=3, list_size_emailing=1, sent_count=1, dropped_count=2)
    a_recipient(mass_email, "ann@example.com", status="sent", sent_at=utcnow())
    a_recipient(mass_email, "old@example.com", status="dropped", drop_reason="inactive")
    a_recipient(mass_email, "gone@example.com", status="dropped", drop_reason="contact_unsubscribed")

    page = marketer_client.get(f"/mass-emails/{mass_email.id}").get_data(as_text=True)

    assert "Left out as inactive" in page and "1 contact</a>" in page
    quiet = a_mass_email(state="sent", list_size_all=1, list_size_emailing=1, sent_count=1)
    assert "Left out as inactive" not in marketer_client.get(f"/mass-emails/{quiet.id}").get_data(as_text=True)
