"""Resolution of segments: a segment's members are taken when the send starts, by the resolver's own rules."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete, select

from tests.factories import a_contact, a_list, a_mass_email, a_membership, a_segment, a_suppression, started
from webapp.audience.models import TargetList
from webapp.extensions import db
from webapp.sending import lifecycle
from webapp.sending.models import MassEmail, Recipient
from webapp.sending.resolve import Audience, recipient_summary, resolve_recipients

NOW = datetime(2026, 6, 1, 12, 0)


def contact(email, status="active", **custom_fields):
    return a_contact(email, status=status, last_activity_at=NOW, created_at=NOW - timedelta(days=1), **custom_fields)


def acme():
    return a_segment("Acme", ("email_domain", "equals", "acme.com"))


def rows(mass_email_id):
    found = db.session.execute(select(Recipient.email, Recipient.status, Recipient.drop_reason)
                               .where(Recipient.mass_email_id == mass_email_id)).all()
    return {email: (status, reason) for email, status, reason in found}


def test_a_segment_is_resolved_when_the_send_starts_not_when_it_was_made(settings):
    contact("ada@acme.com")
    segment = acme()
    mail_id = a_mass_email(lists=[segment]).id
    contact("bob@acme.com")  # after the segment and the draft, before the send
    contact("eve@other.org")

    summary = resolve_recipients(mail_id, NOW, settings)

    assert summary == {"all": 2, "emailing": 2, "dropped": {}}
    assert rows(mail_id) == {"ada@acme.com": ("queued", None), "bob@acme.com": ("queued", None)}
    contact("cy@acme.com")  # after resolution: frozen out
    assert resolve_recipients(mail_id, NOW, settings) == summary  # a second run changes nothing
    assert set(rows(mail_id)) == {"ada@acme.com", "bob@acme.com"}
    assert db.session.get(MassEmail, mail_id).list_size_all == 2


def test_the_resolver_drops_unsubscribed_and_suppressed_members_as_usual(settings):
    contact("ada@acme.com")
    contact("bob@acme.com", status="unsubscribed")
    contact("cy@acme.com")
    a_suppression("cy@acme.com", reason="complaint")
    mail_id = a_mass_email(lists=[acme()]).id

    resolve_recipients(mail_id, NOW, settings)

    assert rows(mail_id) == {"ada@acme.com": ("queued", None), "bob@acme.com": ("dropped", "contact_unsubscribed"),
                             "cy@acme.com": ("dropped", "suppressed_complaint")}


def test_a_segment_as_excluding_list_skips_its_members(settings):
    ada, bob, eve = contact("ada@acme.com"), contact("bob@acme.com"), contact("eve@other.org")
    everyone = a_list("Everyone", contacts=[ada, bob, eve])
    mail_id = a_mass_email(lists=[everyone], excluding=[acme()]).id
    contact("cy@acme.com")  # not on the target list: no row either way

    summary = resolve_recipients(mail_id, NOW, settings)

    assert rows(mail_id) == {"eve@other.org": ("queued", None)}
    assert summary["all"] == 1


def test_a_contact_on_a_segment_and_a_list_gets_one_row_and_the_segment_counts_as_opted_in(settings):
    ada, bob = contact("ada@acme.com"), contact("bob@other.org")
    news = a_list("News")
    a_membership(news, ada, opted_out_at=NOW)
    a_membership(news, bob, opted_out_at=NOW)
    mail_id = a_mass_email(lists=[news, acme()]).id

    resolve_recipients(mail_id, NOW, settings)

    assert rows(mail_id) == {"ada@acme.com": ("queued", None), "bob@other.org": ("dropped", "list_opt_out")}


def test_segments_with_search_words_in_targets_and_exclusions_resolve_together(settings):
    contact("ada@acme.com", plan="gold")
    contact("bob@acme.com", plan="GOLD")
    contact("cy@acme.com", plan="silver")
    gold = a_segment("Gold", ("search", "matches", "acme"), ("custom", "equals", "gold", "Plan"))
    bobs = a_segment("Bobs", ("search", "matches", "bob"))
    mail_id = a_mass_email(lists=[gold], excluding=[bobs]).id

    resolve_recipients(mail_id, NOW, settings)

    assert rows(mail_id) == {"ada@acme.com": ("queued", None)}


def test_estimate_counts_a_segment_live_with_the_exclusions(settings):
    contact("ada@acme.com")
    contact("bob@acme.com", status="bounced")
    segment, bobs = acme(), a_segment("Bobs", ("email", "starts_with", "bob"))

    estimate = lifecycle.estimate(Audience((segment.id,), (bobs.id,)), NOW)
    assert (estimate["all"], estimate["emailing"], estimate["skipped"], estimate.get("problem")) == (1, 1, {"lists": 1}, None)
    contact("cy@acme.com")
    assert lifecycle.estimate(Audience((segment.id,)), NOW)["emailing"] == 2


@pytest.fixture
def broken_segment(settings):
    """A segment “Not VIP” whose list VIP was deleted after it was saved."""
    vip = a_list("VIP", ["vip@acme.com"])
    contact("ada@acme.com")
    segment = a_segment("Not VIP", ("list", "not_member_of", str(vip.id)))
    db.session.execute(delete(TargetList).where(TargetList.id == vip.id))
    db.session.commit()
    return segment


def test_a_segment_that_cannot_be_used_stops_the_send_with_its_reason(broken_segment):
    ok = a_list("Fine", [f"ok{n}@example.com" for n in range(3)])
    draft = a_mass_email(lists=[ok, broken_segment])

    estimate = lifecycle.dry_run_summary(draft.id, NOW)
    assert "Not VIP" in estimate["problem"] and estimate["emailing"] == 0

    mass_email = started(draft)

    assert mass_email.state == "preparing"
    assert "The segment “Not VIP” cannot be used" in mass_email.failure_reason
    assert "deleted" in mass_email.failure_reason
    assert recipient_summary(draft.id)["all"] == 0  # nobody half resolved


def test_a_send_to_a_segment_goes_out_to_its_members_of_that_moment(settings, marketer_client):
    contact("ada@acme.com")
    draft = a_mass_email(lists=[acme()])
    contact("bob@acme.com")
    mass_email = started(draft)
    assert mass_email.state == "sending"
    assert set(rows(draft.id)) == {"ada@acme.com", "bob@acme.com"}
    assert mass_email.list_size_emailing == 2
