"""A contact's events on its timeline: opens, clicks, deliveries, bounces, complaints and
(un/re)subscriptions, each with what a person needs to judge it in the popover: when, from
where, Likely Human or Bot and by which rule, which link, the server's words.

A resubscribe keeps its time and address here: consent must be demonstrable.
"""
from sqlalchemy import select

from webapp.audience.contacts import TimelineEntry
from webapp.common.vocabulary import term
from webapp.events.devices import device
from webapp.events.models import Event
from webapp.extensions import db
from webapp.sending.models import MassEmail

# The SMTP answer is already the mass email's own entry; a busy contact's page shows its latest events.
SHOWN_KINDS = ("delivered", "deferred", "bounced", "open", "click", "complaint", "unsubscribe", "resubscribe")
MOST_EVENTS = 300


def _details(event):
    detail = event.detail or {}
    facts = {"Source": term("event_source", event.source).label}
    if event.verdict:
        verdict = term("verdict", event.verdict).label
        facts["Judged"] = f"{verdict}: {term('verdict_rule', event.verdict_rule).label}" if event.verdict_rule else verdict
    if event.url:
        facts["Link"] = event.url
    if detail.get("kind"):
        facts["Bounce"] = detail["kind"]
    for key, label in (("status", "Status"), ("diagnostic", "Server said"), ("reply", "Server said")):
        if detail.get(key) and label not in facts:
            facts[label] = detail[key]
    if detail.get("scope"):
        facts["From"] = "everything" if detail["scope"] == "all" else "this mass email's lists"
    if event.ip:
        facts["Address"] = event.ip
    if event.user_agent:
        facts["Device"] = device(event.user_agent)
    return facts


def event_entries(contact):
    rows = db.session.execute(
        select(Event, MassEmail.name)
        .outerjoin(MassEmail, MassEmail.id == Event.mass_email_id)
        .where(Event.contact_id == contact.id, Event.kind.in_(SHOWN_KINDS))
        .order_by(Event.occurred_at.desc()).limit(MOST_EVENTS)
    ).all()
    for event, mass_email_name in rows:
        kind = term("event_kind", event.kind)
        title = f"{mass_email_name}: {kind.label}" if mass_email_name else kind.label.capitalize()
        if event.kind in ("open", "click") and event.verdict and event.verdict != "human":
            title += f" ({term('verdict', event.verdict).label})"
        link = ("sending.mass_email", {"mass_email_id": event.mass_email_id}) if event.mass_email_id else None
        yield TimelineEntry(event.occurred_at, f"event_{event.kind}", kind.icon, title, _details(event), is_email=True,
                            link=link)
