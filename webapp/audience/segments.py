"""Segments: target lists that store a filter (filters.ContactFilter) instead of members.

A segment's members are the contacts matching its filter at the moment someone asks: its page,
the counts beside lists, a mass email's estimate, and resolution at send time, which compiles
the filter into its INSERT .. SELECT like any other clause. Nobody adds or removes a member by hand.

A filter can stop making sense after it was saved: a list it names is deleted, say. Such a
segment raises SegmentError with the reason wherever it is used, so a page shows why and a send
that targets it stops before resolving anyone (the reason is shown on the mass email, with Retry);
other lists are not affected.
"""
from sqlalchemy import func, or_, select

from webapp.audience.filters import ContactFilter, FilterError
from webapp.audience.models import Contact, TargetList
from webapp.audience.search import contact_search_clause
from webapp.extensions import db

PAGE_SIZE = 50


class SegmentError(ValueError):
    """A segment whose filter cannot be used; the message names it and says what to fix."""

    def __init__(self, target_list, error):
        super().__init__(f"The segment “{target_list.name}” cannot be used: {error}. Edit its filter.")
        self.list_id = target_list.id


def contact_filter(target_list):
    return ContactFilter.from_json(target_list.filter)


def create_segment(name, description, contact_filter, created_by_id=None):
    segment = TargetList(name=name.strip(), description=(description or "").strip(), created_by_id=created_by_id,
                         kind="segment", filter=contact_filter.as_json())
    db.session.add(segment)
    db.session.commit()
    return segment


def update_filter(segment, contact_filter):
    segment.filter = contact_filter.as_json()
    db.session.commit()


def members_clause(segment, now=None):
    """The WHERE clause over Contact for the segment's members; raises SegmentError."""
    try:
        return contact_filter(segment).clause(now)
    except FilterError as error:
        raise SegmentError(segment, error) from error


def split_lists(list_ids, now=None):
    """(static list ids, a clause for the members of the segments among list_ids or None).

    The segments' filters are ORed into one clause, so resolution reads the contacts once."""
    if not list_ids:
        return (), None
    lists = db.session.scalars(select(TargetList).where(TargetList.id.in_(list_ids))).all()
    static = tuple(target_list.id for target_list in lists if not target_list.is_segment)
    clauses = [members_clause(target_list, now) for target_list in lists if target_list.is_segment]
    return static, (or_(*clauses) if clauses else None)


def live_count(segment, now=None):
    """(members now, None), or (None, why) when the filter cannot be used."""
    try:
        clause = members_clause(segment, now)
    except SegmentError as error:
        return None, str(error)
    return db.session.scalar(select(func.count()).select_from(Contact).where(clause)), None


def members_page(segment, query="", page=1):
    """One page of the segment's members (by email) matching the search box, and how many match in all."""
    where = (members_clause(segment), contact_search_clause(query))
    total = db.session.scalar(select(func.count()).select_from(Contact).where(*where))
    contacts = db.session.scalars(
        select(Contact).where(*where).order_by(Contact.email).limit(PAGE_SIZE).offset((max(page, 1) - 1) * PAGE_SIZE)
    ).all()
    return contacts, total
