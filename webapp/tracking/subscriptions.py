"""Unsubscribe, resubscribe and list choices, reached from a message's signed unsubscribe token.

Every change is an event through the one ingestion (events/ingest.py), with the time and the
address it came from: consent and its withdrawal must be demonstrable.
"""
from dataclasses import dataclass

from sqlalchemy import select

from webapp.audience.models import Contact, ListMembership, TargetList
from webapp.common.queues import redis_connection
from webapp.compose.tokens import read_unsubscribe_token, read_view_token
from webapp.events import stream
from webapp.events.ingest import Incoming, ingest
from webapp.extensions import db
from webapp.sending.models import MassEmail, Recipient
from webapp.tracking.hits import signer


@dataclass(frozen=True)
class Reader:
    """Who a token speaks for: the recipient row, its mass email, and its contact (None once deleted)."""

    recipient: Recipient
    mass_email: MassEmail
    contact: Contact | None


def reader_of(token, purpose="unsubscribe"):
    read = read_unsubscribe_token if purpose == "unsubscribe" else read_view_token
    recipient_id = read(signer(), token)
    recipient = db.session.get(Recipient, recipient_id) if recipient_id is not None else None
    if recipient is None:
        return None
    contact = db.session.get(Contact, recipient.contact_id) if recipient.contact_id else None
    return Reader(recipient, db.session.get(MassEmail, recipient.mass_email_id), contact)


def _submit(events):
    """Ingest now; an event for a message still being sent goes to the stream, which retries it."""
    result = ingest(events)
    for event in result.waiting:
        stream.publish(redis_connection(), event)


def unsubscribe(reader, source, hit):
    """Unsubscribe as the mass email's "opt out entirely" setting says. Repeats change nothing."""
    _submit([Incoming("unsubscribe", hit.at, source, reader.recipient.id, dedupe_key=f"unsubscribe:{reader.recipient.id}",
                      ip=hit.ip, user_agent=hit.user_agent)])


@dataclass(frozen=True)
class Choice:
    list_id: int
    name: str
    subscribed: bool


def choices(contact):
    """The lists the contact is on, and whether it still gets their mail."""
    rows = db.session.execute(
        select(TargetList.id, TargetList.name, ListMembership.opted_out_at)
        .join(ListMembership, ListMembership.list_id == TargetList.id)
        .where(ListMembership.contact_id == contact.id).order_by(TargetList.name)
    ).all()
    return [Choice(list_id, name, opted_out_at is None) for list_id, name, opted_out_at in rows]


def resubscribe(reader, hit):
    """Everything again: the contact is active, its unsubscribe suppression and list opt-outs gone."""
    _submit([Incoming("resubscribe", hit.at, "preferences", contact_id=reader.contact.id, ip=hit.ip, user_agent=hit.user_agent)])


def choose_lists(reader, chosen_ids, hit):
    """Mail from the chosen lists only: the others opted out, the chosen ones (re)subscribed.
    Choosing none is an unsubscribe from everything."""
    if not chosen_ids:
        _submit([Incoming("unsubscribe", hit.at, "preferences", reader.recipient.id, ip=hit.ip, user_agent=hit.user_agent,
                          detail={"scope": "all"})])
        return
    on = {choice.list_id: choice for choice in choices(reader.contact)}
    chosen = [list_id for list_id in chosen_ids if list_id in on]
    dropped = [list_id for list_id, choice in on.items() if choice.subscribed and list_id not in chosen]
    events = []
    if reader.contact.status == "unsubscribed" or any(not on[list_id].subscribed for list_id in chosen):
        events.append(Incoming("resubscribe", hit.at, "preferences", contact_id=reader.contact.id, ip=hit.ip,
                               user_agent=hit.user_agent, detail={"list_ids": chosen}))
    if dropped:
        events.append(Incoming("unsubscribe", hit.at, "preferences", reader.recipient.id, ip=hit.ip, user_agent=hit.user_agent,
                               detail={"scope": "lists", "list_ids": dropped}))
    _submit(events)
