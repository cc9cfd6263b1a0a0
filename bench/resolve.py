"""resolve_1m_s: seconds to resolve the recipients of a mass email to a million contacts (slower backend);
send_now_response_ms: the median answer time of "Send now" on such a mass email (resolution is a job);
resolve_segment_1m_s: the same resolution when the target is a segment (a saved filter, "last activity
is not empty": most of the million) instead of a list, its filter compiled into the INSERT .. SELECT.

One target list holds every contact, an excluding list 50,000 of them, and 10,000
addresses are suppressed; the demo data adds its own unsubscribed, bounced, opted-out
and never-active contacts, so every branch of the drop reason is exercised.
"""
import time
from datetime import UTC, datetime

from sqlalchemy import func, insert, literal, select, text

from bench._audience import app_with_schema, measure

CONTACTS = 1_000_000


def _setup():
    """The lists, suppressions and mass email, all INSERT .. SELECT over the seeded contacts; returns its id."""
    from webapp.audience.models import Contact, ListMembership, Suppression, TargetList
    from webapp.audience.seed import seed_demo
    from webapp.compose.models import Template
    from webapp.extensions import db
    from webapp.sending.models import MassEmail, MassEmailList

    seed_demo(CONTACTS, lists=0)
    everyone, excluded = TargetList(name="Everyone"), TargetList(name="Competitors")
    template = Template(name="Bench", subject="Hi", html="<p>Hi</p>", from_name="", from_email="", reply_to="")
    db.session.add_all([everyone, excluded, template])
    db.session.flush()
    db.session.execute(insert(ListMembership).from_select(
        ["list_id", "contact_id", "opted_out_at"],
        select(literal(everyone.id), Contact.id, Contact.last_activity_at).where(Contact.id > 0)))
    db.session.execute(insert(ListMembership).from_select(
        ["list_id", "contact_id"], select(literal(excluded.id), Contact.id).where(Contact.id % 20 == 0)))
    db.session.execute(insert(Suppression).from_select(
        ["email", "reason", "source"], select(Contact.email, literal("hard_bounce"), literal("bench")).where(Contact.id % 100 == 1)))
    # The demo data's opt-outs live on its own lists; here one member in 41 opted out of the target list.
    db.session.execute(text("UPDATE list_memberships SET opted_out_at = NULL WHERE list_id = :id AND contact_id % 41 <> 0"),
                       {"id": everyone.id})
    version = template.snapshot()
    db.session.flush()
    mail = MassEmail(name="Bench", template_version_id=version.id)
    mail.lists = [MassEmailList(list_id=everyone.id, excluding=False), MassEmailList(list_id=excluded.id, excluding=True)]
    db.session.add(mail)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Suppression)) == 10_000
    return mail.id


SEND_NOW_TRIES = 5


def _send_now_ms(app, mass_email_id):
    """The median time of POST /mass-emails/<id>/send on copies of the mass email, as a logged-in admin."""
    from webapp.auth.service import create_user
    from webapp.auth.sessions import open_session
    from webapp.extensions import db
    from webapp.sending import lifecycle
    from webapp.sending.models import MassEmail

    app.config["WTF_CSRF_ENABLED"] = False
    original = db.session.get(MassEmail, mass_email_id)
    copies = [lifecycle.create_draft(None, f"Send now {n}", original.template_version.template_id,
                                     [l.list_id for l in original.lists if not l.excluding],
                                     [l.list_id for l in original.lists if l.excluding]).id for n in range(SEND_NOW_TRIES)]
    user = create_user("bench@example.com", "bench password 123", role="admin")
    open_session(user)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = user.get_id(), True
    times = []
    for copy_id in copies:
        started = time.perf_counter()
        response = client.post(f"/mass-emails/{copy_id}/send", data={"confirmed": "y"})
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 303, response.status_code
        assert db.session.get(MassEmail, copy_id, populate_existing=True).state == "preparing"
    return sorted(times)[len(times) // 2]


def run_in_child():
    from webapp.extensions import db
    from webapp.sending.resolve import resolve_recipients
    from webapp.settings.service import get_settings

    app = app_with_schema()
    with app.app_context():
        mass_email_id = _setup()
        print(f"send_now_response_ms: {_send_now_ms(app, mass_email_id):.1f}", flush=True)
        settings = get_settings()
        started = time.perf_counter()
        summary = resolve_recipients(mass_email_id, datetime.now(UTC).replace(tzinfo=None), settings)
        elapsed = time.perf_counter() - started
        print(f"# all {summary['all']:,}, emailing {summary['emailing']:,}, dropped {summary['dropped']}")
        segment_mail_id = _segment_mass_email(mass_email_id)
        started = time.perf_counter()
        summary = resolve_recipients(segment_mail_id, datetime.now(UTC).replace(tzinfo=None), settings)
        segment_elapsed = time.perf_counter() - started
        print(f"# segment: all {summary['all']:,}, emailing {summary['emailing']:,}")
        db.session.remove()
    print(f"resolve_1m_s: {elapsed:.2f}")
    print(f"resolve_segment_1m_s: {segment_elapsed:.2f}")


def _segment_mass_email(mass_email_id):
    """A copy of the bench's mass email sent to a segment instead of the list of everyone."""
    from webapp.audience.filters import ContactFilter
    from webapp.audience.segments import create_segment
    from webapp.extensions import db
    from webapp.sending import lifecycle
    from webapp.sending.models import MassEmail

    segment = create_segment("Ever active", "", ContactFilter(({"field": "last_activity_at", "op": "is_not_empty",
                                                                 "value": "", "key": ""},)))
    original = db.session.get(MassEmail, mass_email_id)
    return lifecycle.create_draft(None, "Segment", original.template_version.template_id, [segment.id],
                                  [l.list_id for l in original.lists if l.excluding]).id


def main():
    measure("bench.resolve:run_in_child", "resolve_1m_s", "send_now_response_ms", "resolve_segment_1m_s")


if __name__ == "__main__":
    main()
