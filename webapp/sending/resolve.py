"""Recipient resolution: a mass email's lists become Recipient rows, in one set-based pass.

Every distinct contact on the target lists gets a row (a segment's members are the contacts its
filter matches at this moment, audience/segments.py; a segment whose filter cannot be used raises
SegmentError, so the send stops with that reason), except contacts on an excluding list or
reached by an earlier mass email this one excludes (_reached_by_earlier), who get none and are
not counted. A row is "queued", or "dropped" with the first reason that applies, in the order
of models.DROP_REASONS:

1. invalid_address – the stored address has no "@" (imports validate; this is a guard);
2. contact_<status> – the contact unsubscribed, bounced or complained;
3. suppressed_<reason> – the address is suppressed; suppressed_domain – its domain is;
4. list_opt_out – opted out of every target list the contact is on (one list still opted in is enough);
5. inactive – no activity for settings.inactivity_days (audience/activity.py);
6. over_cap – queued rows past settings.max_recipients_per_send, by contact id (oldest contacts first).

It is all one INSERT .. SELECT, the per-send cap included (a running count of the rows queued so
far), so each row is written once: rows dropped by a later UPDATE would be written twice.

The address, status and lists are read once here: later changes to a contact do not change
who this mass email is for (that is what "frozen when sending starts" means).
"""
from dataclasses import dataclass

from sqlalchemy import DateTime, and_, case, exists, false, func, insert, literal, null, or_, select, text, true, union_all

from webapp.audience.activity import LAST_ACTIVE, inactive_cutoff
from webapp.audience.models import Contact, ListMembership, Suppression, TargetList
from webapp.audience.segments import SegmentError, split_lists
from webapp.audience.suppressions import suppressed_clause
from webapp.extensions import db
from webapp.sending.models import PENDING_STATUSES, MassEmail, MassEmailExclusion, MassEmailList, Recipient

# A recipient row in these statuses was handed to the relay, or may have been: its contact was reached.
HANDED_OVER = ("sending", "sent", "delivered", "bounced", "unconfirmed")


@dataclass(frozen=True)
class Audience:
    """Who a mass email is for: target lists, excluding lists, and earlier mass emails whose recipients it skips."""

    list_ids: tuple = ()
    excluding_list_ids: tuple = ()
    excluding_mass_email_ids: tuple = ()


def audience_of(mass_email_id):
    """A handful of ids, read first so the planner sees constants and can use the lists' statistics."""
    lists = db.session.execute(
        select(MassEmailList.list_id, MassEmailList.excluding).where(MassEmailList.mass_email_id == mass_email_id)
    ).all()
    earlier = db.session.scalars(
        select(MassEmailExclusion.excluded_mass_email_id).where(MassEmailExclusion.mass_email_id == mass_email_id)
    ).all()
    return Audience(tuple(i for i, excluding in lists if not excluding), tuple(i for i, excluding in lists if excluding),
                    tuple(earlier))


def _reached_by_earlier(mass_email_ids):
    """The clause "one of these earlier mass emails reached the contact, or still will", or None.

    A row still waiting counts unless its mass email was cancelled or failed, so it never will be
    sent; the (contact_id, mass_email_id) index finds each contact's rows."""
    if not mass_email_ids:
        return None
    going = db.session.scalars(
        select(MassEmail.id).where(MassEmail.id.in_(mass_email_ids), MassEmail.state.not_in(("cancelled", "failed")))
    ).all()
    reached = or_(Recipient.status.in_(HANDED_OVER),
                  and_(Recipient.status.in_(PENDING_STATUSES), Recipient.mass_email_id.in_(going)) if going else false())
    return exists().where(Recipient.contact_id == Contact.id, Recipient.mass_email_id.in_(mass_email_ids), reached)


def _skipped(audience, now=None):
    """{"lists": clause, "earlier": clause} for the contacts who get no row at all (None: nobody)."""
    static, segment_members = split_lists(audience.excluding_list_ids, now)
    on_excluding_list = [exists().where(ListMembership.contact_id == Contact.id, ListMembership.list_id.in_(static))
                         ] if static else []
    if segment_members is not None:
        on_excluding_list.append(segment_members)  # over the outer Contact row, like the EXISTS
    return {"lists": or_(*on_excluding_list) if on_excluding_list else None,
            "earlier": _reached_by_earlier(audience.excluding_mass_email_ids)}


def _on_targets(audience, now=None):
    """One row per contact on the target lists, with whether it opted out of every one of them.

    A segment's member has no membership to opt out of: it counts as a list still opted in."""
    static, segment_members = split_lists(audience.list_ids, now)
    if segment_members is None:
        return (
            select(
                ListMembership.contact_id,
                # Every membership among the target lists opted out: count(x) skips NULLs.
                (func.count(ListMembership.opted_out_at) == func.count()).label("opted_out_everywhere"),
            )
            .where(ListMembership.list_id.in_(static))
            .group_by(ListMembership.contact_id)
            .subquery("on_targets")
        )
    if not static:  # segments only: their members are distinct contacts already, with no opt-out to count
        return select(Contact.id.label("contact_id"), false().label("opted_out_everywhere")).where(segment_members) \
            .subquery("on_targets")
    on_lists = union_all(
        select(ListMembership.contact_id, ListMembership.opted_out_at).where(ListMembership.list_id.in_(static)),
        select(Contact.id.label("contact_id"), null().cast(DateTime).label("opted_out_at")).where(segment_members),
    ).subquery("on_lists")
    return (
        select(on_lists.c.contact_id,
               (func.count(on_lists.c.opted_out_at) == func.count()).label("opted_out_everywhere"))
        .group_by(on_lists.c.contact_id)
        .subquery("on_targets")
    )


def _drop_reason(contacts_on_targets, now, settings):
    """The CASE giving each contact's first drop reason, or NULL for "send to it"."""
    email_suppression_reason = select(Suppression.reason).where(Suppression.email == Contact.email).scalar_subquery()
    whens = [
        (~Contact.email.contains("@"), literal("invalid_address")),
        *((Contact.status == status, literal(f"contact_{status}")) for status in ("unsubscribed", "bounced", "complained")),
        # suppressed_clause() decides *whether*; the address's own entry, if any, says why.
        (suppressed_clause(), func.coalesce(literal("suppressed_") + email_suppression_reason, literal("suppressed_domain"))),
        (contacts_on_targets.c.opted_out_everywhere, literal("list_opt_out")),
    ]
    cutoff = inactive_cutoff(now, settings.inactivity_days)
    if cutoff is not None:
        whens.append((LAST_ACTIVE < cutoff, literal("inactive")))
    return case(*whens, else_=None)


def _resolution_select(mass_email_id, audience, now, settings):
    on_targets = _on_targets(audience, now)
    # Emails are unique per contact, so "a record with a matching address" is the contact itself.
    skipped = [clause for clause in _skipped(audience, now).values() if clause is not None]
    resolved = (
        select(Contact.id.label("contact_id"), Contact.email, _drop_reason(on_targets, now, settings).label("drop_reason"))
        .select_from(on_targets.join(Contact, Contact.id == on_targets.c.contact_id))
        .where(~or_(*skipped) if skipped else true())
        # Rows get their ids in contact order, and batches and drips send in id order: oldest contacts
        # first, as the cap counts. (PostgreSQL's merge join yields that order already: no sort.)
        .order_by(Contact.id)
        # OFFSET 0 keeps both planners from merging this subquery into the outer SELECT, which would
        # copy the CASE into the status and drop_reason columns and evaluate it twice per contact.
        .offset(0)
        .subquery("resolved")
    )
    drop_reason = resolved.c.drop_reason
    cap = settings.max_recipients_per_send
    if cap is not None:
        queued_so_far = func.sum(case((drop_reason.is_(None), 1), else_=0)).over(order_by=resolved.c.contact_id)
        drop_reason = case((drop_reason.is_(None) & (queued_so_far > cap), literal("over_cap")), else_=drop_reason)
    return select(
        literal(mass_email_id), resolved.c.contact_id, resolved.c.email,
        case((drop_reason.is_(None), literal("queued")), else_=literal("dropped")).label("status"),
        drop_reason.label("drop_reason"), literal(now),
    )


def resolve_recipients(mass_email_id, now, settings):
    """Create the mass email's Recipient rows and freeze its list sizes; returns recipient_summary().

    Runs once per mass email: a second call (a retried job, two workers) finds the sizes
    frozen and changes nothing. The mass email row is locked first, so on PostgreSQL a
    concurrent call waits and then sees them; on SQLite writers are serialised anyway, and
    the unique (mass_email_id, contact_id) index is the last line against duplicate rows.
    """
    mass_email = db.session.scalar(select(MassEmail).where(MassEmail.id == mass_email_id).with_for_update())
    if mass_email.list_size_all is not None:
        db.session.commit()  # ends the transaction holding the lock
        return recipient_summary(mass_email_id)
    if db.engine.dialect.name == "postgresql":
        # Compiling this one statement to machine code costs more (about a second) than it saves.
        db.session.execute(text("SET LOCAL jit = off"))
    columns = [Recipient.mass_email_id, Recipient.contact_id, Recipient.email, Recipient.status,
               Recipient.drop_reason, Recipient.status_changed_at]
    resolution = _resolution_select(mass_email_id, audience_of(mass_email_id), now, settings)
    db.session.execute(insert(Recipient).from_select(columns, resolution))
    summary = recipient_summary(mass_email_id)
    mass_email.list_size_all = summary["all"]
    mass_email.list_size_emailing = summary["emailing"]
    mass_email.dropped_count = sum(summary["dropped"].values())
    db.session.commit()
    return summary


def _summary(status, drop_reason, **where):
    """{"all": n, "emailing": n, "dropped": {reason: n}} counted over (status, drop_reason) columns."""
    statement = select(status, drop_reason, func.count()).group_by(status, drop_reason)
    rows = db.session.execute(statement.filter_by(**where) if where else statement).all()
    total = sum(n for _, _, n in rows)
    dropped = {reason: n for state, reason, n in rows if state == "dropped"}
    return {"all": total, "emailing": total - sum(dropped.values()), "dropped": dropped}


def recipient_summary(mass_email_id):
    """{"all": n, "emailing": n, "dropped": {reason: n}}: the numbers the confirm step shows."""
    return _summary(Recipient.status, Recipient.drop_reason, mass_email_id=mass_email_id)


def preview_summary(audience, now, settings):
    """What resolve_recipients() would produce right now for `audience`, shaped as recipient_summary(),
    writing nothing: the SELECT that resolution inserts from, counted instead."""
    resolved = _resolution_select(None, audience, now, settings).subquery()
    return _summary(resolved.c.status, resolved.c.drop_reason)


def skipped_counts(audience, now=None):
    """{"lists": n, "earlier": n}: contacts on the target lists skipped by the excluding lists, and by
    the earlier mass emails excluded (one contact may count in both); a kind not chosen is absent."""
    on_targets = _on_targets(audience, now)
    clauses = {kind: clause for kind, clause in _skipped(audience, now).items() if clause is not None}
    if not clauses:
        return {}
    counts = db.session.execute(
        select(*(func.count().filter(clause) for clause in clauses.values()))
        .select_from(on_targets.join(Contact, Contact.id == on_targets.c.contact_id))
    ).one()
    return dict(zip(clauses, counts))


def first_contact(audience):
    """The first contact on the target lists that no exclusion skips (drop reasons aside), or None
    (also when a segment's filter cannot be used: the confirm step says why beside its numbers)."""
    try:
        on_targets = _on_targets(audience)
        skipped = [clause for clause in _skipped(audience).values() if clause is not None]
    except SegmentError:
        return None
    return db.session.scalar(
        select(Contact).join(on_targets, on_targets.c.contact_id == Contact.id)
        .where(~or_(*skipped) if skipped else true()).order_by(Contact.id).limit(1)
    )


def unsubscribing_entirely(mass_email_ids):
    """The mass emails among these whose unsubscribe link takes the contact off everything: those set
    to (opt_out_entirely), and those sent to a segment, whose members have no membership to opt out of:
    an opt-out of "this mass email's lists" could not keep them from its next send."""
    if not mass_email_ids:
        return set()
    entirely = select(MassEmail.id).where(MassEmail.id.in_(mass_email_ids), MassEmail.opt_out_entirely.is_(True))
    to_segment = (select(MassEmailList.mass_email_id).join(TargetList, TargetList.id == MassEmailList.list_id)
                  .where(MassEmailList.mass_email_id.in_(mass_email_ids), MassEmailList.excluding.is_(False),
                         TargetList.kind == "segment"))
    return set(db.session.scalars(entirely.union(to_segment)))
