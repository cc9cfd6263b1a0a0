"""Contacts one at a time and as a browsable table: listing with keyset pages, detail, edit, delete."""
import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import DateTime, Integer, String, and_, case, delete, func, or_, select, true, type_coerce
from sqlalchemy.orm import aliased, selectinload

from webapp.audience.models import Contact, ListMembership, Suppression
from webapp.audience.search import contact_search_clause, unindexed, uses_trigrams
from webapp.common.emails import email_domain
from webapp.common.hooks import Hooks
from webapp.extensions import db

PAGE_SIZE = 50
# Counting every match of a broad search over a million rows costs more than the page itself;
# counting stops here and the page says "more than 10,000". Below it the count is exact and
# cheap, because it walks the same index ranges as the search.
COUNT_CAP = 10_000
# A substring search's matches come from a trigram index as a set, each then read from the table to
# be checked: fewer are counted (about 10 ms per thousand on PostgreSQL).
SUBSTRING_COUNT_CAP = 1_000
# Index entries a page may walk in sort order looking for matches (see _scan).
WALK_LIMIT = 5_000

# Sort key -> the expression rows are ordered by. Each has an index (see the contacts migration);
# ties are broken by id, so every row has one place and keyset pages never skip or repeat.
SORTS = {
    "email": Contact.email,
    "name": func.lower(Contact.last_name),
    "company": func.lower(Contact.company),
    "status": Contact.status,
    "last_activity": Contact.last_activity_at,
    # Ids grow with creation time, and the primary key spares imports a created_at index to maintain.
    "created": Contact.id,
}
NULLABLE_SORTS = {"last_activity"}
DEFAULT_SORT = "created"
DEFAULT_DIRECTION = "desc"


@dataclass
class ContactPage:
    contacts: list
    total: int
    total_is_exact: bool
    next_cursor: str | None = None
    previous_cursor: str | None = None


def _sort_expression(sort):
    expression = SORTS[sort]
    if isinstance(expression.type, DateTime) and db.engine.dialect.name == "sqlite":
        # SQLite keeps datetimes as text in more than one shape ("…12:00:00" from CURRENT_TIMESTAMP,
        # "…12:00:00.000000" from SQLAlchemy); comparing as text, with the cursor holding the stored
        # text verbatim, keeps ties equal.
        return type_coerce(expression, String), False
    return expression, isinstance(expression.type, DateTime)


def encode_cursor(value, contact_id):
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([value, contact_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token, parse_datetime=False, value_type=str):
    """(value, id) from a cursor, or None when the token is missing or not one of ours.

    The value is text, or for the id sort a whole number."""
    if not token:
        return None
    try:
        value, contact_id = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not isinstance(contact_id, int) or not (value is None or type(value) is value_type):
            return None
        if parse_datetime and value is not None:
            value = datetime.fromisoformat(value)
    except (ValueError, TypeError, binascii.Error):
        return None
    return value, contact_id


def _scan(where, key, nullable, descending, backward, cursor, limit, order_index=True, filtered=True):
    """Up to `limit` (contact, key value) rows after `cursor`, or before it when `backward`.

    The order is: rows with a value by (key, id), then rows without one (never active) by id,
    both parts in the chosen direction, so never-active contacts come last either way.
    Each part is one index range, which a single ORDER BY with NULLs could not be on both
    databases (they put NULLs at opposite ends). `order_index` says which index drives the
    query: the sort key's (walk it, filtering) or the search's (collect the matches, sort them).
    A walk of a `filtered` table reads at most WALK_LIMIT index entries: matches bunched far
    along the sort order ("lovelace" sorted by name) would make it read half the table, so then
    the search's indexes answer after all. Unfiltered, every entry is a row of the page.
    """
    parts = [False, True] if nullable else [False]
    if backward:
        parts.reverse()
    descending = descending != backward  # walking back is walking the opposite way
    rows = []
    for null_part in parts:
        if cursor is not None and (cursor[0] is None) != null_part:
            continue  # the cursor lies in a later part
        part = _Part(key, nullable, null_part, descending, cursor)
        cursor = None
        wanted = limit - len(rows)
        found = part.walk(where, wanted, filtered) if order_index else None
        if found is None:
            found = part.collect(where, wanted)
        rows += found
        if len(rows) >= limit:
            break
    return rows


class _Part:
    """One part of a scan: contacts with a sort key value (or without), from a cursor on, in order."""

    def __init__(self, key, nullable, null_part, descending, cursor):
        self.key, self.nullable, self.null_part, self.descending, self.cursor = key, nullable, null_part, descending, cursor

    def statement(self, columns, where, key, id_column):
        statement = select(*columns).where(where)
        if self.nullable:
            statement = statement.where(key.is_(None) if self.null_part else key.is_not(None))
        if self.cursor is not None:
            value, last_id = self.cursor
            after = (lambda a, b: a < b) if self.descending else (lambda a, b: a > b)
            if self.null_part:
                statement = statement.where(after(id_column, last_id))
            else:
                # key >= value narrows the index range; the OR only sorts out the ties.
                at_or_after = key <= value if self.descending else key >= value
                statement = statement.where(at_or_after, or_(after(key, value), after(id_column, last_id)))
        return statement

    def ordered(self, statement, key, id_column):
        order = [id_column] if self.null_part else [key, id_column]
        return statement.order_by(*(c.desc() if self.descending else c.asc() for c in order))

    def walk(self, where, wanted, bounded):
        """Walks the sort key's index, if `bounded` at most WALK_LIMIT entries of it; None when that was not enough."""
        last = None
        if bounded:
            entries = self.statement([self.key, Contact.id], true(), self.key, Contact.id)
            last = db.session.execute(self.ordered(entries, self.key, Contact.id).offset(WALK_LIMIT - 1).limit(1)).first()
        # The search opaque to the planner, so it cannot pick a search index and sort every match.
        statement = self.statement([Contact, self.key.label("sort_key")], case((where, 1), else_=0) == 1, self.key, Contact.id)
        statement = self.ordered(statement, self.key, Contact.id)
        if last is not None:
            statement = statement.where(self._up_to(*last))
        found = db.session.execute(statement.limit(wanted)).all()
        return None if len(found) < wanted and last is not None else found

    def _up_to(self, value, last_id):
        """Entries up to and including (value, last_id) in this part's order."""
        up_to = (lambda a, b: a >= b) if self.descending else (lambda a, b: a <= b)
        if self.null_part:
            return up_to(Contact.id, last_id)
        before = (lambda a, b: a > b) if self.descending else (lambda a, b: a < b)
        return and_(up_to(self.key, value), or_(before(self.key, value), up_to(Contact.id, last_id)))

    def collect(self, where, wanted):
        """Finds the matches through the search's own indexes, then sorts them.

        The matches are a subquery that OFFSET 0 keeps whole (neither planner merges it into the
        sorting query), so no planner walks the sort index instead, as it would to find many matches.
        """
        key, id_column = unindexed(self.key), unindexed(Contact.id)
        matches = self.statement([Contact, key.label("sort_key")], where, key, id_column).offset(0).subquery()
        contact = aliased(Contact, matches, name="Contact")  # rows are read as row.Contact
        return db.session.execute(
            self.ordered(select(contact, matches.c.sort_key), matches.c.sort_key, matches.c.id).limit(wanted)).all()


def count_contacts(where, cap=None):
    """(count, exact): the number of matches, or (cap, False) when there are more (cap: COUNT_CAP unless given)."""
    cap = cap or COUNT_CAP
    matches = select(Contact.id).where(where).limit(cap + 1).subquery()
    count = db.session.scalar(select(func.count()).select_from(matches))
    return (cap, False) if count > cap else (count, True)


def contact_page(query=None, status=None, sort=DEFAULT_SORT, direction=DEFAULT_DIRECTION,
                 after=None, before=None, size=PAGE_SIZE):
    """One page of the contact table. `after`/`before` are cursors from a previous page's links."""
    sort = sort if sort in SORTS else DEFAULT_SORT
    descending = (direction or DEFAULT_DIRECTION) == "desc"
    key, parse_datetime = _sort_expression(sort)
    where = contact_search_clause(query, status)
    backward = bool(before) and not after
    cursor = decode_cursor(before if backward else after, parse_datetime, int if isinstance(key.type, Integer) else str)
    total, exact = count_contacts(where, SUBSTRING_COUNT_CAP if uses_trigrams(query) else COUNT_CAP)
    # A search with few matches is answered from its own indexes, sorting the matches; otherwise
    # walking the sort index mostly finds a page at once (_scan says when it does not).
    filtered = bool(query or status)
    rows = _scan(where, key, sort in NULLABLE_SORTS, descending, backward, cursor, size + 1,
                 order_index=not (exact and filtered), filtered=filtered)
    more = len(rows) > size
    rows = rows[:size]
    if backward:
        rows.reverse()
    page = ContactPage([row.Contact for row in rows], total, exact)
    if rows:
        first, last = (encode_cursor(row.sort_key, row.Contact.id) for row in (rows[0], rows[-1]))
        # Going forward, there is a previous page if we came from one; going back, a next page.
        page.next_cursor = last if (more if not backward else cursor is not None) else None
        page.previous_cursor = first if (more if backward else cursor is not None) else None
    return page


def get_contact(contact_id):
    return db.session.get(Contact, contact_id, options=[selectinload(Contact.memberships).selectinload(ListMembership.target_list)])


def email_taken(email, except_id=None):
    statement = select(Contact.id).where(Contact.email == email)
    if except_id is not None:
        statement = statement.where(Contact.id != except_id)
    return db.session.scalar(statement) is not None


def update_contact(contact, *, email, first_name, last_name, company, status, custom_fields):
    """Save edited facts; `email` must already be normalised (emails.normalize_email)."""
    contact.email = email
    contact.email_domain = email_domain(email)
    contact.first_name = first_name
    contact.last_name = last_name
    contact.company = company
    contact.status = status
    contact.custom_fields = dict(custom_fields)
    db.session.commit()
    return contact


# Called with a contact id before the contact row goes, in the same transaction: capabilities
# that keep rows about contacts without a foreign key (sending's recipients) detach them here.
CONTACT_DELETING = Hooks()


def delete_contact(contact_id):
    """Delete a contact and (by cascade) its list memberships. True if it existed."""
    for hook in CONTACT_DELETING:
        hook(contact_id)
    deleted = db.session.execute(delete(Contact).where(Contact.id == contact_id)).rowcount
    db.session.commit()
    return bool(deleted)


def suppressions_for(contact):
    """The suppressions that stop this contact being emailed: its address or its whole domain."""
    return db.session.scalars(
        select(Suppression)
        .where(or_(Suppression.email == contact.email, Suppression.domain == contact.email_domain))
        .order_by(Suppression.created_at)
    ).all()


@dataclass
class TimelineEntry:
    """One thing that happened to a contact. `details` are label/value pairs shown in a popover."""

    at: datetime
    kind: str  # also the CSS/icon hook: created, list_added, list_opted_out, suppressed, later email_*
    icon: str
    title: str
    details: dict = field(default_factory=dict)
    is_email: bool = False
    link: tuple | None = None  # (endpoint, url_for arguments) of the page with the whole story


def _created_entries(contact):
    yield TimelineEntry(contact.created_at, "created", "✚", "Contact created", {"Email": contact.email})


def _membership_entries(contact):
    for membership in contact.memberships:
        name = membership.target_list.name
        yield TimelineEntry(membership.added_at, "list_added", "☰", f"Added to {name}", {"List": name})
        if membership.opted_out_at:
            yield TimelineEntry(membership.opted_out_at, "list_opted_out", "⊘", f"Opted out of {name}",
                                {"List": name, "Other lists": "not affected"})


def _suppression_entries(contact):
    for suppression in suppressions_for(contact):
        scope = f"address {suppression.email}" if suppression.email else f"domain {suppression.domain}"
        yield TimelineEntry(suppression.created_at, "suppressed", "⛔", f"Suppressed ({suppression.reason.replace('_', ' ')})",
                            {"Scope": scope, "Reason": suppression.reason.replace("_", " "), "Source": suppression.source or "—"})


# Each source turns one kind of history into entries; sending registers its own (the mass emails
# and how each went), a function yielding TimelineEntry(..., is_email=True).
TIMELINE_SOURCES = Hooks()
for _source in (_created_entries, _membership_entries, _suppression_entries):
    TIMELINE_SOURCES.register(_source)


def contact_timeline(contact):
    """Everything that happened to the contact, newest first."""
    entries = [entry for source in TIMELINE_SOURCES for entry in source(contact)]
    return sorted(entries, key=lambda entry: entry.at, reverse=True)
