"""Target lists: creating them, counting them, and moving contacts on and off them set-based."""
from dataclasses import dataclass

from sqlalchemy import delete, exists, func, insert, literal, select, update

from webapp.audience.contacts import SORTS as CONTACT_SORTS
from webapp.audience.models import Contact, ListMembership, TargetList
from webapp.audience.search import contact_search_clause
from webapp.audience.segments import live_count
from webapp.auth.models import User
from webapp.common.clock import utcnow
from webapp.extensions import db

PAGE_SIZE = 50
# Members sort like the contact table, plus the membership's own dates.
MEMBER_SORTS = {key: CONTACT_SORTS[key] for key in ("email", "name", "company")} | {
    "added": ListMembership.added_at,
    "opted_out": ListMembership.opted_out_at,
}
MEMBER_STATES = ("all", "subscribed", "opted_out")


@dataclass
class AddResult:
    added: int
    already: int


def lists_overview():
    """Every list with its subscribed and opted-out member counts, from one grouped query; a segment's
    members are counted live (one count each), and a segment whose filter cannot be used says why."""
    counts = (
        select(
            ListMembership.list_id,
            func.count().filter(ListMembership.opted_out_at.is_(None)).label("subscribed"),
            func.count().filter(ListMembership.opted_out_at.is_not(None)).label("opted_out"),
        )
        .group_by(ListMembership.list_id)
        .subquery()
    )
    rows = db.session.execute(
        select(TargetList, User.name, User.email, func.coalesce(counts.c.subscribed, 0), func.coalesce(counts.c.opted_out, 0))
        .outerjoin(counts, counts.c.list_id == TargetList.id)
        .outerjoin(User, User.id == TargetList.created_by_id)
        .order_by(func.lower(TargetList.name))
    )
    overview = []
    for target_list, name, email, subscribed, opted_out in rows:
        row = dict(list=target_list, created_by=name or email, subscribed=subscribed, opted_out=opted_out, problem=None)
        if target_list.is_segment:
            row.update(zip(("subscribed", "problem"), live_count(target_list)), opted_out=None)
        overview.append(row)
    return overview


def list_counts(list_id):
    subscribed, opted_out = db.session.execute(
        select(
            func.count().filter(ListMembership.opted_out_at.is_(None)),
            func.count().filter(ListMembership.opted_out_at.is_not(None)),
        ).where(ListMembership.list_id == list_id)
    ).one()
    return dict(subscribed=subscribed, opted_out=opted_out)


def name_taken(name, except_id=None):
    """Names are unique regardless of case, so "VIP" and "vip" cannot both exist."""
    query = select(TargetList.id).where(func.lower(TargetList.name) == name.strip().lower())
    if except_id is not None:
        query = query.where(TargetList.id != except_id)
    return db.session.scalar(query) is not None


def create_list(name, description="", created_by_id=None):
    target_list = TargetList(name=name.strip(), description=(description or "").strip(), created_by_id=created_by_id)
    db.session.add(target_list)
    db.session.commit()
    return target_list


def update_list(target_list, name, description):
    target_list.name = name.strip()
    target_list.description = (description or "").strip()
    db.session.commit()


def delete_list(list_id):
    # Memberships go with it (ON DELETE CASCADE), without loading them.
    db.session.execute(delete(TargetList).where(TargetList.id == list_id))
    db.session.commit()


def members_page(list_id, query="", state="all", sort="email", direction="asc", page=1):
    """One page of a list's members matching the search box, plus how many match in all."""
    where = [ListMembership.list_id == list_id, contact_search_clause(query)]
    if state == "subscribed":
        where.append(ListMembership.opted_out_at.is_(None))
    elif state == "opted_out":
        where.append(ListMembership.opted_out_at.is_not(None))
    column = MEMBER_SORTS.get(sort, Contact.email)
    order = column.desc() if direction == "desc" else column.asc()
    total = db.session.scalar(select(func.count()).select_from(ListMembership).join(Contact).where(*where))
    rows = db.session.execute(
        select(Contact, ListMembership.added_at, ListMembership.opted_out_at)
        .join(ListMembership, ListMembership.contact_id == Contact.id)
        .where(*where)
        .order_by(order, Contact.id)
        .limit(PAGE_SIZE)
        .offset((max(page, 1) - 1) * PAGE_SIZE)
    ).all()
    return rows, total


def add_matching(list_id, clause):
    """Put every contact matching `clause` on the list in one INSERT .. SELECT; members already there stay as they are."""
    matched = db.session.scalar(select(func.count()).select_from(Contact).where(clause))
    already_member = exists().where(ListMembership.list_id == list_id, ListMembership.contact_id == Contact.id)
    result = db.session.execute(
        insert(ListMembership).from_select(
            ["list_id", "contact_id"],
            select(literal(list_id), Contact.id).where(clause, ~already_member),
        ),
        execution_options={"preserve_rowcount": True},  # an INSERT's rowcount is otherwise not kept on every driver
    )
    db.session.commit()
    return AddResult(added=result.rowcount, already=matched - result.rowcount)


def add_contacts(list_id, contact_ids):
    return add_matching(list_id, Contact.id.in_(contact_ids))


def add_search_results(list_id, query, status=None):
    return add_matching(list_id, contact_search_clause(query, status))


def remove_members(list_id, contact_ids):
    result = db.session.execute(
        delete(ListMembership).where(ListMembership.list_id == list_id, ListMembership.contact_id.in_(contact_ids))
    )
    db.session.commit()
    return result.rowcount


def set_opted_out(list_id, contact_ids, opted_out):
    """Opt members out of this list only (they stay on it, and on other lists), or back in."""
    membership = (ListMembership.list_id == list_id, ListMembership.contact_id.in_(contact_ids))
    if opted_out:
        statement = update(ListMembership).where(*membership, ListMembership.opted_out_at.is_(None)).values(opted_out_at=utcnow())
    else:
        statement = update(ListMembership).where(*membership).values(opted_out_at=None)
    result = db.session.execute(statement)
    db.session.commit()
    return result.rowcount


def candidates(list_id, query="", status=None, limit=25):
    """Contacts matching a search across all contacts, each marked whether it is already on the list; and the total."""
    clause = contact_search_clause(query, status)
    total = db.session.scalar(select(func.count()).select_from(Contact).where(clause))
    on_list = exists().where(ListMembership.list_id == list_id, ListMembership.contact_id == Contact.id)
    rows = db.session.execute(select(Contact, on_list).where(clause).order_by(Contact.email).limit(limit)).all()
    return rows, total
