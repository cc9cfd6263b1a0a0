"""What one event does to its recipient row, and what it asks of contacts, suppressions and lists.

A recipient's status only moves forward:

    queued -> sending -> sent -> delivered -> bounced      (a bounce after delivery wins)
                               \\-> bounced
    sent, unconfirmed -> delivered                          (proof that it arrived)

A deferral reported by the relay or an ESP (DSN "delayed", webhook "deferred") is marked with
deferred_at and changes no status: the relay retries, not us. Opens and clicks change no status
(engagement.py sums them). Complaints and unsubscribes set their time once.

Effects gathers what the events ask of other tables and writes it set-based at the end:
contacts' status and last activity, suppressions, per-list opt-outs, resubscribes.
"""
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import and_, delete, func, select, update

from webapp.audience.models import Contact, ListMembership, Suppression
from webapp.common.sql import insert_ignoring_conflicts, update_many
from webapp.extensions import db
from webapp.sending.models import MassEmail, MassEmailList, Recipient
from webapp.sending.resolve import unsubscribing_entirely

DELIVERABLE = ("sent", "unconfirmed")  # may become delivered
# A report may bounce these; a deferral never retried within the retry window expires as a soft bounce.
BOUNCEABLE = ("sent", "unconfirmed", "delivered", "deferred")


def apply(event, state, settings, effects):
    """Apply one new event to `state` (None for a contact event) and note its effects."""
    if state is not None and (state.last_event_at is None or event.at > state.last_event_at):
        state.last_event_at = event.at
    handler = _HANDLERS.get(event.kind)
    if handler is not None:
        handler(event, state, settings, effects)


def _move(state, status, at):
    state.status, state.status_changed_at = status, at


def _sent(event, state, settings, effects):
    if settings.delivered_on_acceptance and state.status == "sent":
        _move(state, "delivered", event.at)
        state.delivered_at = event.at


def _delivered(event, state, settings, effects):
    if state.status in DELIVERABLE:
        _move(state, "delivered", event.at)
        state.delivered_at = event.at


def _deferred(event, state, settings, effects):
    state.deferred_at = state.deferred_at or event.at


def _bounced(event, state, settings, effects):
    kind = event.detail.get("kind", "soft")
    if not event.status_applied:
        if state.status in BOUNCEABLE:
            _move(state, "bounced", event.at)
            state.bounce_kind = kind
            state.smtp_reply = _reply(event)
        elif state.status == "bounced" and kind == "hard":
            state.bounce_kind = "hard"  # a second report that blames the address settles it
        else:
            return
    if kind == "hard":
        effects.suppress(state.email, "hard_bounce", event.source)
        effects.contact_status(state.contact_id, "bounced")
    elif state.contact_id is not None:
        effects.soft_bounced[state.contact_id] = max(event.at, effects.soft_bounced.get(state.contact_id, event.at))


def _reply(event):
    detail = event.detail
    return " ".join(filter(None, (detail.get("status"), detail.get("diagnostic") or detail.get("reply")))) or None


def _complaint(event, state, settings, effects):
    state.complained_at = state.complained_at or event.at
    effects.suppress(state.email, "complaint", event.source)
    effects.contact_status(state.contact_id, "complained")


def _unsubscribe(event, state, settings, effects):
    state.unsubscribed_at = state.unsubscribed_at or event.at
    effects.unsubscribes.append((state.contact_id, state.email, state.mass_email_id, event.detail.get("scope"),
                                 event.detail.get("list_ids"), event.at, event.source))


def _resubscribe(event, state, settings, effects):
    effects.resubscribes.append((event.contact_id, event.detail.get("list_ids"), event.at))
    effects.active(event.contact_id, event.at)


_HANDLERS = {
    "sent": _sent, "delivered": _delivered, "deferred": _deferred, "bounced": _bounced,
    "complaint": _complaint, "unsubscribe": _unsubscribe, "resubscribe": _resubscribe,
}

# A contact status an event asks for, and the statuses it may replace: a complaint or an
# unsubscribe is the person's own word and outweighs a bounce; a resubscribe undoes only an
# unsubscribe (a complaint stays until an admin says otherwise).
CONTACT_MOVES = {
    "bounced": ("active",),
    "unsubscribed": ("active", "bounced"),
    "complained": ("active", "bounced", "unsubscribed"),
    "active": ("unsubscribed",),
}


@dataclass
class Effects:
    suppressions: dict = field(default_factory=dict)  # email -> (reason, source); the first reason stays
    statuses: dict = field(default_factory=dict)  # contact status -> {contact ids}
    last_activity: dict = field(default_factory=dict)  # contact id -> latest human activity
    soft_bounced: dict = field(default_factory=dict)  # contact id -> its latest new soft bounce
    # (contact id, email, mass email id, scope or None, list ids or None, at, source); scope "lists"
    # means the given lists, or the mass email's target lists.
    unsubscribes: list = field(default_factory=list)
    resubscribes: list = field(default_factory=list)  # (contact id, list ids or None, at)

    def suppress(self, email, reason, source):
        self.suppressions.setdefault(email, (reason, source))

    def contact_status(self, contact_id, status):
        if contact_id is not None:
            self.statuses.setdefault(status, set()).add(contact_id)

    def active(self, contact_id, at):
        """Human activity: the contact is not inactive (the resolution's inactivity rule)."""
        if contact_id is not None and (contact_id not in self.last_activity or at > self.last_activity[contact_id]):
            self.last_activity[contact_id] = at

    def write(self, settings):
        self._unsubscribe()
        self._escalate_soft_bounces(settings)
        self._suppress()
        for status in ("bounced", "unsubscribed", "complained"):
            self._set_status(status)
        self._resubscribe()
        self._set_status("active")
        self._touch()

    def _unsubscribe(self):
        if not self.unsubscribes:
            return
        mass_email_ids = {unsubscribe[2] for unsubscribe in self.unsubscribes}
        known = set(db.session.scalars(select(MassEmail.id).where(MassEmail.id.in_(mass_email_ids))))
        entirely = unsubscribing_entirely(mass_email_ids) | (mass_email_ids - known)  # no mass email: everything
        for contact_id, email, mass_email_id, scope, list_ids, at, source in self.unsubscribes:
            if (scope or ("all" if mass_email_id in entirely else "lists")) == "all":
                self.suppress(email, "unsubscribe", source)
                self.contact_status(contact_id, "unsubscribed")
            elif contact_id is not None:
                targets = list_ids if list_ids is not None else select(MassEmailList.list_id).where(
                    MassEmailList.mass_email_id == mass_email_id, MassEmailList.excluding.is_(False))
                db.session.execute(
                    update(ListMembership)
                    .where(ListMembership.contact_id == contact_id, ListMembership.list_id.in_(targets),
                           ListMembership.opted_out_at.is_(None))
                    .values(opted_out_at=at)
                )

    def _escalate_soft_bounces(self, settings):
        """N soft bounces within M days (Settings) suppress the address: it keeps failing."""
        if not self.soft_bounced or settings.soft_bounce_limit is None:
            return
        window = timedelta(days=settings.soft_bounce_days)
        for contact_id, latest in self.soft_bounced.items():
            email, count = db.session.execute(
                select(func.min(Recipient.email), func.count())
                .where(Recipient.contact_id == contact_id, Recipient.status == "bounced", Recipient.bounce_kind == "soft",
                       Recipient.status_changed_at > latest - window)
            ).one()
            if count >= settings.soft_bounce_limit:
                self.suppress(email, "soft_bounces", "bounces")

    def _suppress(self):
        if not self.suppressions:
            return
        db.session.execute(insert_ignoring_conflicts(Suppression).values([{"email": email, "reason": reason, "source": source}
                                          for email, (reason, source) in self.suppressions.items()]))

    def _set_status(self, status):
        contact_ids = self.statuses.get(status)
        if contact_ids:
            db.session.execute(
                update(Contact).where(Contact.id.in_(contact_ids), Contact.status.in_(CONTACT_MOVES[status]))
                .values(status=status).execution_options(synchronize_session=False)
            )

    def _resubscribe(self):
        for contact_id, list_ids, _at in self.resubscribes:
            email = select(Contact.email).where(Contact.id == contact_id).scalar_subquery()
            db.session.execute(delete(Suppression).where(Suppression.email == email, Suppression.reason == "unsubscribe"))
            memberships = ListMembership.contact_id == contact_id
            if list_ids is not None:
                memberships = and_(memberships, ListMembership.list_id.in_(list_ids))
            db.session.execute(update(ListMembership).where(memberships).values(opted_out_at=None))
            self.contact_status(contact_id, "active")

    def _touch(self):
        if not self.last_activity:
            return
        update_many(Contact.__table__, [{"id": contact_id, "last_activity_at": at} for contact_id, at in self.last_activity.items()],
                    only_increasing="last_activity_at")

