"""The contact search used by the contact table, list building and "select all results"."""
from sqlalchemy import and_, func, or_

from webapp.audience.models import Contact


def contact_search_clause(query=None, status=None):
    """A WHERE clause for contacts matching a search box query and an optional status.

    Matching is a case-insensitive prefix match on email, first name, last name and
    company (each has an index), so it stays fast on a million contacts; a query
    starting with "@" matches the email domain.
    """
    conditions = []
    if status:
        conditions.append(Contact.status == status)
    q = (query or "").strip().lower()
    if q.startswith("@"):
        conditions.append(Contact.email_domain.startswith(q[1:], autoescape=True))
    elif q:
        conditions.append(
            or_(
                Contact.email.startswith(q, autoescape=True),
                func.lower(Contact.first_name).startswith(q, autoescape=True),
                func.lower(Contact.last_name).startswith(q, autoescape=True),
                func.lower(Contact.company).startswith(q, autoescape=True),
            )
        )
    return and_(True, *conditions)
