"""The contact search used by the contact table, list building and "select all results".

Each word of the query (up to MAX_WORDS) must occur somewhere in the email, name or company, in
any order: "sven weber", "mueller" inside an address. Words of three characters or more go through
a trigram index, PostgreSQL's pg_trgm GIN index on the four columns joined, SQLite's FTS5 table
contact_search (trigram tokenizer, kept in step by triggers); shorter words, which have no
trigram, match the start of a column through its btree index.
"""
from sqlalchemy import and_, func, literal, literal_column, or_, select, text
from sqlalchemy.sql.expression import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from webapp.audience.models import Contact
from webapp.extensions import db

# Sorts after every character, so [prefix, prefix + TOP) holds exactly the strings starting with prefix
# (UTF-8 byte order on SQLite and in PostgreSQL's C collation both follow code points).
TOP = "\U0010ffff"
TRIGRAM = 3
MAX_WORDS = 8
# Created by migration b6a1c3e5d7f9, not the models: autogenerate comparisons skip them (is_search_index_object).
PG_SEARCH_INDEX = "ix_contacts_search_trgm"
SQLITE_SEARCH_TABLE = "contact_search"


def is_search_index_object(name):
    """The trigram index and FTS5 table (and its shadow tables) are not in the models."""
    return name == PG_SEARCH_INDEX or name.startswith(SQLITE_SEARCH_TABLE)


def _searched_text():
    """The four columns in one lower-cased text: the very expression PostgreSQL's trigram index holds."""
    space = literal_column("' '")
    return func.lower(Contact.email + space + Contact.first_name + space + Contact.last_name + space + Contact.company)


def _contains_all(words):
    """Contacts whose email, name or company contain every one of `words` (each TRIGRAM long or more)."""
    if db.engine.dialect.name == "postgresql":
        searched = _searched_text()
        return and_(*(searched.contains(word.lower(), autoescape=True) for word in words))
    # An FTS5 phrase per word ("" escapes a quote), which the trigram tokenizer matches anywhere, in any case.
    query = " ".join('"' + word.replace('"', '""') + '"' for word in words)
    matching = select(literal_column("rowid")).select_from(text(SQLITE_SEARCH_TABLE)) \
        .where(literal_column(SQLITE_SEARCH_TABLE).op("MATCH")(literal(query)))  # an anonymous parameter: two searches may meet in one query
    return Contact.id.in_(matching)


def _any_column_starts_with(prefix):
    # email and email_domain are stored lower-cased, so they need no lower() of their own.
    return or_(
        _starts_with(Contact.email, prefix),
        _starts_with(func.lower(Contact.first_name), prefix),
        _starts_with(func.lower(Contact.last_name), prefix),
        _starts_with(func.lower(Contact.company), prefix),
    )


def _starts_with(column, prefix):
    """`column` starts with `prefix`, written as a range rather than LIKE.

    A range uses the column's plain btree index on both databases (SQLite's LIKE
    only does with a NOCASE index and no ESCAPE), and leaves %, _ and \\ literal.
    The prefix goes through the database's own lower(), like the indexed columns,
    so both sides fold case the same way (SQLite folds ASCII only).
    """
    low = func.lower(literal(prefix))
    return and_(column >= low, column < low.concat(TOP))


def unindexed(expression):
    """The same value, but SQLite will not use an index for it (its "+x" idiom)."""
    if db.engine.dialect.name != "sqlite":
        return expression
    return UnaryExpression(expression, operator=custom_op("+"), type_=expression.type)


def _words(query):
    return query.split()[:MAX_WORDS]


def uses_trigrams(query):
    """Whether the search goes through the trigram index (see contact_search_clause)."""
    q = (query or "").strip()
    return not q.startswith("@") and any(len(word) >= TRIGRAM for word in _words(q))


def contact_search_clause(query=None, status=None):
    """A WHERE clause for contacts matching a search box query and an optional status.

    Each word must occur in the email, name or company (see the module's docstring); a query
    starting with "@" matches the start of the email domain.
    """
    conditions = []
    q = (query or "").strip()
    if status:
        # Nearly every contact is active: with a search, SQLite would read them all through the status
        # index rather than the few matches through the search's. The other statuses are rare, and
        # their index is the quick way in.
        conditions.append((unindexed(Contact.status) if q and status == "active" else Contact.status) == status)
    if q.startswith("@"):
        if q[1:]:
            conditions.append(_starts_with(Contact.email_domain, q[1:]))
    elif q:
        words = _words(q)
        long_words = [word for word in words if len(word) >= TRIGRAM]
        if long_words:
            conditions.append(_contains_all(long_words))
        conditions.extend(_any_column_starts_with(word) for word in words if len(word) < TRIGRAM)
    return and_(True, *conditions)
