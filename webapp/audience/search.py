"""The contact search used by the contact table, list building and "select all results"."""
from sqlalchemy import and_, func, literal, or_
from sqlalchemy.sql.expression import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from webapp.audience.models import Contact
from webapp.extensions import db

# Sorts after every character, so [prefix, prefix + TOP) holds exactly the strings starting with prefix
# (UTF-8 byte order on SQLite and in PostgreSQL's C collation both follow code points).
TOP = "\U0010ffff"


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


def contact_search_clause(query=None, status=None):
    """A WHERE clause for contacts matching a search box query and an optional status.

    Matching is a case-insensitive prefix match on email, first name, last name and
    company (each has an index), so it stays fast on a million contacts; a query
    starting with "@" matches the email domain.
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
        # email and email_domain are stored lower-cased, so they need no lower() of their own.
        conditions.append(
            or_(
                _starts_with(Contact.email, q),
                _starts_with(func.lower(Contact.first_name), q),
                _starts_with(func.lower(Contact.last_name), q),
                _starts_with(func.lower(Contact.company), q),
            )
        )
    return and_(True, *conditions)
