"""Recipient resolution: who a mass email goes to, who is dropped and why, and the frozen list sizes."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from tests.factories import a_contact, a_list, a_mass_email, a_membership, a_suppression
from webapp.audience.models import Contact
from webapp.extensions import db
from webapp.sending.models import MassEmail, Recipient
from webapp.sending.resolve import recipient_summary, resolve_recipients

NOW = datetime(2026, 6, 1, 12, 0)


def contact(email, status="active", last_activity_at=NOW, created_at=NOW - timedelta(days=1)):
    """A contact added yesterday and active at NOW, unless told otherwise: no rule drops it by itself."""
    return a_contact(email, status=status, last_activity_at=last_activity_at, created_at=created_at)


def target_list(name, *people, opted_out=()):
    """A list of these contacts; those in `opted_out` opted out of it at NOW."""
    the_list = a_list(name)
    for person in people:
        a_membership(the_list, person, opted_out_at=NOW if person in opted_out else None)
    return the_list


def mass_email(targets, excluding=()):
    """The id of a draft to the `targets` lists, skipping the `excluding` ones."""
    return a_mass_email(lists=targets, excluding=excluding).id


def rows(mass_email_id):
    """{email: (status, drop_reason)} of the mass email's recipients."""
    found = db.session.execute(select(Recipient.email, Recipient.status, Recipient.drop_reason)
                               .where(Recipient.mass_email_id == mass_email_id)).all()
    return {email: (status, reason) for email, status, reason in found}


def test_every_contact_on_the_target_list_becomes_a_queued_recipient(settings):
    people = [contact(f"p{n}@example.com") for n in range(3)]
    mail_id = mass_email([target_list("News", *people)])

    summary = resolve_recipients(mail_id, NOW, settings)

    assert summary == {"all": 3, "emailing": 3, "dropped": {}}
    assert rows(mail_id) == {f"p{n}@example.com": ("queued", None) for n in range(3)}
    recipient = db.session.scalar(select(Recipient).where(Recipient.email == "p0@example.com"))
    assert recipient.contact_id == people[0].id and recipient.status_changed_at == NOW


def test_list_sizes_are_frozen_on_the_mass_email(settings):
    ok, gone = contact("ok@example.com"), contact("gone@example.com", status="unsubscribed")
    mail_id = mass_email([target_list("News", ok, gone)])

    resolve_recipients(mail_id, NOW, settings)

    mail = db.session.get(MassEmail, mail_id)
    assert (mail.list_size_all, mail.list_size_emailing, mail.dropped_count) == (2, 1, 1)


def test_contact_on_an_excluding_list_gets_no_row_and_is_not_counted(settings):
    ann, bob = contact("ann@example.com"), contact("bob@example.com")
    competitors = target_list("Competitors", bob)
    mail_id = mass_email([target_list("News", ann, bob)], excluding=[competitors])

    summary = resolve_recipients(mail_id, NOW, settings)

    assert rows(mail_id) == {"ann@example.com": ("queued", None)}
    assert summary["all"] == 1


def test_excluding_list_wins_even_when_it_is_also_a_target_through_another_list(settings):
    ann = contact("ann@example.com")
    both = target_list("Both", ann)
    mail_id = mass_email([target_list("News", ann)], excluding=[both])

    assert resolve_recipients(mail_id, NOW, settings) == {"all": 0, "emailing": 0, "dropped": {}}


def test_contact_on_two_target_lists_gets_one_row(settings):
    ann = contact("ann@example.com")
    mail_id = mass_email([target_list("News", ann), target_list("Customers", ann)])

    resolve_recipients(mail_id, NOW, settings)

    assert db.session.scalar(select(db.func.count()).select_from(Recipient)) == 1


@pytest.mark.parametrize("status", ["unsubscribed", "bounced", "complained"])
def test_contact_that_left_is_dropped_with_its_status(settings, status):
    person = contact("x@example.com", status=status)
    mail_id = mass_email([target_list("News", person)])

    summary = resolve_recipients(mail_id, NOW, settings)

    assert rows(mail_id) == {"x@example.com": ("dropped", f"contact_{status}")}
    assert summary == {"all": 1, "emailing": 0, "dropped": {f"contact_{status}": 1}}


@pytest.mark.parametrize("reason", ["hard_bounce", "complaint", "unsubscribe", "manual", "invalid"])
def test_suppressed_address_is_dropped_with_the_suppression_reason(settings, reason):
    person = contact("x@example.com")
    a_suppression("x@example.com", reason=reason)
    mail_id = mass_email([target_list("News", person)])

    resolve_recipients(mail_id, NOW, settings)

    assert rows(mail_id) == {"x@example.com": ("dropped", f"suppressed_{reason}")}


def test_suppressed_domain_drops_everyone_at_it(settings):
    people = [contact("a@blocked.example"), contact("b@blocked.example"), contact("c@fine.example")]
    a_suppression(domain="blocked.example", reason="manual")
    mail_id = mass_email([target_list("News", *people)])

    resolve_recipients(mail_id, NOW, settings)

    assert rows(mail_id) == {"a@blocked.example": ("dropped", "suppressed_domain"),
                             "b@blocked.example": ("dropped", "suppressed_domain"),
                             "c@fine.example": ("queued", None)}


def test_address_without_at_sign_is_dropped_as_invalid(settings):
    broken = contact("not-an-address")
    mail_id = mass_email([target_list("News", broken)])

    resolve_recipients(mail_id, NOW, settings)

    assert rows(mail_id) == {"not-an-address": ("dropped", "invalid_address")}


def test_first_reason_wins_when_several_apply(settings):
    settings.inactivity_days = 30
    long_ago = NOW - timedelta(days=400)
    # Each is caught by every rule from its own down, so only the priority decides the reason.
    people = {
        "left@example.com": contact("left@example.com", status="bounced", last_activity_at=long_ago),
        "suppressed@example.com": contact("suppressed@example.com", last_activity_at=long_ago),
        "opted@example.com": contact("opted@example.com", last_activity_at=long_ago),
        "asleep@example.com": contact("asleep@example.com", last_activity_at=long_ago),
    }
    a_suppression("left@example.com", reason="hard_bounce")
    a_suppression("suppressed@example.com", reason="complaint")
    mail_id = mass_email([target_list("News", *people.values(), opted_out=list(people.values())[:3])])

    resolve_recipients(mail_id, NOW, settings)

    assert rows(mail_id) == {
        "left@example.com": ("dropped", "contact_bounced"),
        "suppressed@example.com": ("dropped", "suppressed_complaint"),
        "opted@example.com": ("dropped", "list_opt_out"),
        "asleep@example.com": ("dropped", "inactive"),
    }


def test_opted_out_of_one_target_list_still_receives_through_the_other(settings):
    both, only = contact("both@example.com"), contact("only@example.com")
    news = target_list("News", both, only, opted_out=[both, only])
    mail_id = mass_email([news, target_list("Customers", both)])

    resolve_recipients(mail_id, NOW, settings)

    assert rows(mail_id) == {"both@example.com": ("queued", None), "only@example.com": ("dropped", "list_opt_out")}


def test_opt_out_of_a_list_not_on_the_send_does_not_matter(settings):
    ann = contact("ann@example.com")
    target_list("Webinars", ann, opted_out=[ann])
    mail_id = mass_email([target_list("News", ann)])

    resolve_recipients(mail_id, NOW, settings)

    assert rows(mail_id) == {"ann@example.com": ("queued", None)}


def test_inactive_contacts_are_dropped_when_the_rule_is_on(settings):
    settings.inactivity_days = 365
    contact("recent@example.com", last_activity_at=NOW - timedelta(days=364))
    contact("asleep@example.com", last_activity_at=NOW - timedelta(days=366))
    mail_id = mass_email([target_list("News", *db.session.scalars(select(Contact)))])

    resolve_recipients(mail_id, NOW, settings)

    assert rows(mail_id) == {"recent@example.com": ("queued", None), "asleep@example.com": ("dropped", "inactive")}


def test_inactivity_rule_off_sends_to_everyone(settings):
    contact("asleep@example.com", last_activity_at=NOW - timedelta(days=5000))
    mail_id = mass_email([target_list("News", *db.session.scalars(select(Contact)))])

    resolve_recipients(mail_id, NOW, settings)

    assert rows(mail_id) == {"asleep@example.com": ("queued", None)}


def test_never_active_contact_counts_from_when_it_was_added(settings):
    settings.inactivity_days = 30
    contact("new@example.com", last_activity_at=None, created_at=NOW - timedelta(days=2))
    contact("stale@example.com", last_activity_at=None, created_at=NOW - timedelta(days=90))
    mail_id = mass_email([target_list("News", *db.session.scalars(select(Contact)))])

    resolve_recipients(mail_id, NOW, settings)

    assert rows(mail_id) == {"new@example.com": ("queued", None), "stale@example.com": ("dropped", "inactive")}


def test_per_send_cap_drops_the_queued_rows_past_it_by_contact_order(settings):
    settings.max_recipients_per_send = 2
    people = [contact(f"p{n}@example.com") for n in range(4)]
    gone = contact("gone@example.com", status="unsubscribed")
    mail_id = mass_email([target_list("News", gone, *people)])

    summary = resolve_recipients(mail_id, NOW, settings)

    assert rows(mail_id) == {"p0@example.com": ("queued", None), "p1@example.com": ("queued", None),
                             "p2@example.com": ("dropped", "over_cap"), "p3@example.com": ("dropped", "over_cap"),
                             "gone@example.com": ("dropped", "contact_unsubscribed")}
    assert summary == {"all": 5, "emailing": 2, "dropped": {"over_cap": 2, "contact_unsubscribed": 1}}


def test_per_send_cap_above_the_list_size_drops_nothing(settings):
    settings.max_recipients_per_send = 10
    mail_id = mass_email([target_list("News", *[contact(f"p{n}@example.com") for n in range(3)])])

    assert resolve_recipients(mail_id, NOW, settings) == {"all": 3, "emailing": 3, "dropped": {}}


def test_resolving_twice_changes_nothing(settings):
    ann = contact("ann@example.com")
    news = target_list("News", ann)
    mail_id = mass_email([news])
    first = resolve_recipients(mail_id, NOW, settings)
    # Joins after resolution are not on this send: the sizes are frozen.
    a_membership(news, contact("late@example.com"))

    second = resolve_recipients(mail_id, NOW + timedelta(minutes=5), settings)

    assert first == second == {"all": 1, "emailing": 1, "dropped": {}}
    assert rows(mail_id) == {"ann@example.com": ("queued", None)}


def test_summary_counts_each_drop_reason(settings):
    people = [contact("a@example.com"), contact("b@example.com", status="bounced"),
              contact("c@example.com", status="bounced"), contact("d@spam.example")]
    a_suppression(domain="spam.example", reason="complaint")
    mail_id = mass_email([target_list("News", *people)])
    resolve_recipients(mail_id, NOW, settings)

    assert recipient_summary(mail_id) == {"all": 4, "emailing": 1,
                                          "dropped": {"contact_bounced": 2, "suppressed_domain": 1}}


def test_mass_email_with_empty_lists_resolves_to_nobody(settings):
    mail_id = mass_email([target_list("Empty")])

    assert resolve_recipients(mail_id, NOW, settings) == {"all": 0, "emailing": 0, "dropped": {}}
    assert db.session.get(MassEmail, mail_id).list_size_all == 0
