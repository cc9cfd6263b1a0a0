"""Drafts stay editable until they start; a retry reaches nobody twice: earlier sends excluded, a cancelled
send sent to the rest, and the contact timeline says what a cancelled send never sent."""
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.factories import a_contact, a_draft, a_list, a_mass_email, a_recipient, a_template
from tests.sending.helpers import mass_email, received, send_until_done, statuses, use_server
from webapp.audience.contacts import contact_timeline, get_contact
from webapp.audience.models import Contact
from webapp.common.clock import utcnow
from webapp.extensions import db
from webapp.sending import lifecycle
from webapp.sending.drip_schedule import TIMEZONES
from webapp.sending.models import MassEmail, Recipient
from webapp.sending.resolve import resolve_recipients
from webapp.sending.sender import send_batch
from webapp.settings.service import get_settings

EMAILS = ["a@example.com", "b@example.com", "c@example.com", "d@example.com", "e@example.com"]


def test_a_draft_is_edited_on_the_new_mass_email_form_and_stays_a_draft(ctx, admin_client):
    news = a_list("News", EMAILS)
    vip, skip = a_list("VIP", contacts=contacts(EMAILS[:2])), a_list("Skip", contacts=contacts(EMAILS[4:]))
    draft = a_draft([news], name="June", from_email="old@example.com")
    other = a_template("Other template")

    form = admin_client.get(f"/mass-emails/{draft.id}/edit-draft")
    assert form.status_code == 200 and b'value="June"' in form.data and b'value="old@example.com"' in form.data
    assert f'<input checked id="list_ids-0" name="list_ids" type="checkbox" value="{news.id}">'.encode() in form.data

    saved = admin_client.post(f"/mass-emails/{draft.id}/edit-draft", data={
        "name": "July", "template_id": other.id, "list_ids": [vip.id], "excluding_list_ids": [skip.id],
        "from_email": "new@example.com", "when": "now"})

    assert saved.status_code == 303 and saved.location.endswith(f"/mass-emails/{draft.id}")
    edited = mass_email(draft.id)
    assert (edited.name, edited.state, edited.from_email, edited.template_version.template_id) == (
        "July", "draft", "new@example.com", other.id)
    assert {(row.list_id, row.excluding) for row in edited.lists} == {(vip.id, False), (skip.id, True)}
    assert b"Edit</a>" in admin_client.get(f"/mass-emails/{draft.id}").data  # the confirm step offers it


def test_editing_a_scheduled_send_takes_it_off_the_schedule_until_confirmed_again(ctx):
    news = a_list("News", EMAILS)
    later = utcnow() + timedelta(days=1)
    draft = a_draft([news], scheduled_at=later)
    lifecycle.schedule_mass_email(draft.id, later)

    lifecycle.update_draft(draft.id, "Renamed", draft.template_version.template_id, [news.id], [], scheduled_at=later)

    assert (mass_email(draft.id).state, mass_email(draft.id).name) == ("draft", "Renamed")
    assert lifecycle.start_due(later + timedelta(minutes=1)) == []  # the clock no longer starts it


@pytest.mark.parametrize("state", ["preparing", "sending", "sent", "cancelled"])
def test_a_started_send_cannot_be_edited(ctx, admin_client, state):
    news = a_list("News", EMAILS)
    draft = a_draft([news], name="June")
    db.session.execute(update(MassEmail).where(MassEmail.id == draft.id).values(state=state))
    db.session.commit()

    page = admin_client.get(f"/mass-emails/{draft.id}/edit-draft")
    posted = admin_client.post(f"/mass-emails/{draft.id}/edit-draft", data={
        "name": "Changed", "template_id": draft.template_version.template_id, "list_ids": [news.id], "when": "now"})

    assert page.status_code == posted.status_code == 409
    assert b"can no longer be edited" in posted.data
    assert mass_email(draft.id).name == "June"
    with pytest.raises(lifecycle.LifecycleError, match="can no longer be edited"):
        lifecycle.update_draft(draft.id, "Changed", draft.template_version.template_id, [news.id], [])


def test_a_send_started_while_its_form_was_open_refuses_the_save(ctx, admin_client):
    """The state check is the UPDATE itself: a start between the form's load and its save wins."""
    news = a_list("News", EMAILS)
    draft = a_draft([news], name="June")
    assert admin_client.get(f"/mass-emails/{draft.id}/edit-draft").status_code == 200
    lifecycle.start_mass_email(draft.id, utcnow())

    posted = admin_client.post(f"/mass-emails/{draft.id}/edit-draft", data={
        "name": "Changed", "template_id": draft.template_version.template_id, "list_ids": [news.id], "when": "now"})

    assert posted.status_code == 409 and mass_email(draft.id).name == "June"


def _earlier_send(state, rows):
    """An earlier mass email in `state` whose recipients (email -> status) are already written."""
    earlier = a_mass_email("Earlier", state=state, list_size_all=len(rows))
    for email, status in rows.items():
        a_recipient(earlier, email, contact=get_contact_id(email), status=status)
    return earlier


def get_contact_id(email):
    return db.session.scalar(select(Contact.id).where(Contact.email == email))


def contacts(emails):
    return [get_contact_id(email) for email in emails]


@pytest.mark.parametrize("state, skipped", [
    ("cancelled", {"a@example.com", "b@example.com"}),  # c's row waits for ever: c is not reached
    ("sending", {"a@example.com", "b@example.com", "c@example.com"}),  # c's row is still to be sent
])
def test_a_new_send_skips_everyone_an_earlier_one_reached(ctx, state, skipped):
    news = a_list("News", EMAILS)
    earlier = _earlier_send(state, {"a@example.com": "sent", "b@example.com": "unconfirmed", "c@example.com": "queued",
                                    "d@example.com": "dropped"})
    retry = a_draft([news], excluding_mass_email_ids=[earlier.id])

    preview = lifecycle.dry_run_summary(retry.id, utcnow())
    resolve_recipients(retry.id, utcnow(), get_settings())

    assert set(statuses(retry.id)) == set(EMAILS) - skipped
    assert preview["skipped"] == {"earlier": len(skipped)} and preview["all"] == len(EMAILS) - len(skipped)


def test_a_cancelled_send_is_sent_to_the_rest_and_nobody_twice(ctx, server, admin_client):
    use_server(server, batch_size=2)
    mail_id = a_mass_email(state="sending", recipients=5, list_size_all=5).id
    send_batch(mail_id)
    unsent = lifecycle.cancel_mass_email(mail_id, utcnow())
    assert unsent == 3 and b"Send to the 3 recipients not reached" in admin_client.get(f"/mass-emails/{mail_id}").data

    answer = admin_client.post(f"/mass-emails/{mail_id}/restart", htmx=True)

    assert answer.status_code == 200 and b"Sending to the 3 recipients not reached yet." in answer.data
    assert (mass_email(mail_id).state, mass_email(mail_id).finished_at) == ("sending", None)
    send_until_done(mail_id)
    assert set(statuses(mail_id).values()) == {"sent"} and mass_email(mail_id).state == "sent"
    assert received(server) == {f"p{n}@example.com": 1 for n in range(5)}


def test_a_send_with_nobody_left_or_never_resolved_is_not_restarted(ctx):
    done = a_mass_email(state="cancelled", recipients=1, list_size_all=1)
    db.session.execute(update(Recipient).values(status="sent"))
    db.session.commit()
    never_resolved = a_mass_email(state="cancelled")

    with pytest.raises(lifecycle.LifecycleError, match="nothing is left"):
        lifecycle.restart_mass_email(done.id, utcnow())
    with pytest.raises(lifecycle.LifecycleError):
        lifecycle.restart_mass_email(never_resolved.id, utcnow())
    assert mass_email(done.id).state == mass_email(never_resolved.id).state == "cancelled"


def test_the_timeline_says_a_cancelled_send_never_sent_what_was_waiting(ctx):
    contact = a_contact("ann@example.org")
    a_recipient(a_mass_email("Stopped", state="cancelled"), "ann@example.org", contact=contact, status="queued")
    a_recipient(a_mass_email("Going", state="sending"), "ann@example.org", contact=contact, status="queued")

    titles = sorted(entry.title for entry in contact_timeline(get_contact(contact.id)) if entry.is_email)

    assert titles == ["Going: waiting to be sent", "Stopped: cancelled, not sent"]


def test_the_live_estimate_counts_as_resolution_does(ctx, admin_client):
    news = a_list("News", EMAILS)
    skip = a_list("Skip", contacts=contacts(EMAILS[:2]))
    db.session.execute(update(Contact).where(Contact.email == "e@example.com").values(status="unsubscribed"))
    db.session.commit()

    answer = admin_client.post("/mass-emails/estimate", data={"list_ids": [news.id], "excluding_list_ids": [skip.id]},
                                  htmx=True)
    nothing = admin_client.post("/mass-emails/estimate", htmx=True, data={
        "list_ids": ["x", "-1", "٣", "99999999999999999999"], "excluding_mass_email_ids": "999999999999999999"})

    assert answer.status_code == 200 and b'data-estimate="emailing">2 recipients<' in answer.data
    assert b"2 skipped by the excluding lists" in answer.data and b"1 not emailable" in answer.data
    assert nothing.status_code == 200 and b"Tick a list" in nothing.data
    confirm = admin_client.get(f"/mass-emails/{a_draft([news], [skip]).id}").data
    assert b"The excluding lists took off 2 contacts who are on the target lists." in confirm


def test_the_form_offers_lists_as_checkboxes_with_counts_and_earlier_sends(ctx, admin_client):
    a_list("News", EMAILS)
    a_mass_email("May news", state="sent")
    a_mass_email("Unsent draft")

    page = admin_client.get("/mass-emails/new").data

    assert b'type="checkbox"' in page and b"<select multiple" not in page and b"data-members>5<" in page
    assert b"May news" in page and b"Unsent draft" not in page
    assert "Factory" not in TIMEZONES and "localtime" not in TIMEZONES and "Europe/Berlin" in TIMEZONES


def test_the_confirm_step_shows_the_subject_rendered_for_a_contact_beside_its_source(ctx, admin_client):
    zoe = a_contact("zoe@example.org", "Zoë")
    news = a_list("News", contacts=[zoe])
    draft = a_draft([news], template=a_template("Hello", subject="Hi {{ contact.first_name }}, news"))

    page = admin_client.get(f"/mass-emails/{draft.id}").data.decode()

    assert "“Hi Zoë, news” <span class=\"muted\">for zoe@example.org</span>" in page
    assert "<code>Hi {{ contact.first_name }}, news</code>" in page
