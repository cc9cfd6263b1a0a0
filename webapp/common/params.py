"""Numbers from requests, taken only when they are what they claim to be.

Python reads "٣" as 3 and a 5,000-digit string as a number too big for any column or for int()
itself; PostgreSQL refuses integers past 2**63. Ids and page numbers from URLs, query strings and
forms are ASCII digits within a database integer, or they are nothing.
"""
from flask import abort, request
from werkzeug.routing import IntegerConverter

MAX_ID_DIGITS = 18  # every such number is below 2**63
MAX_PAGE = 1_000_000


class DatabaseIdConverter(IntegerConverter):
    """<int:...> in every route: ASCII digits within a database integer; anything else is a 404."""

    regex = r"[0-9]{1,%d}" % MAX_ID_DIGITS


def database_id(value):
    """An id from a request value, or None (use as `request.args.get(name, type=database_id)`)."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= MAX_ID_DIGITS:
        return int(value)
    return None


def page_number(value):
    """A page number from ?page=, at least 1 and at most MAX_PAGE."""
    number = database_id(value)
    return min(max(number or 1, 1), MAX_PAGE)


def refuse_nul_characters():
    """before_request: a NUL character in a query or form value is never text anyone typed, and
    PostgreSQL refuses it in any text column or comparison. 422 with a reason, before any route."""
    values = [*request.args.values(), *request.form.values()] if request.method != "GET" else list(request.args.values())
    if any("\x00" in value for value in values):
        abort(422, "A value contains a NUL character (\\x00), which no text field accepts. Remove it and try again.")
