"""Keyset pages for the reports' tables: rows in (sort key, id) order, a page's links carry the
(key, id) of its first or last row, so a page deep down costs what the first one does (no OFFSET).

NULL keys count as the largest, PostgreSQL's own order, so its (key, id) indexes serve both ways.
"""
import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, tuple_

from webapp.extensions import db


class BadParameter(ValueError):
    """A query parameter no page offers (hand-edited or hostile URL)."""


@dataclass(frozen=True)
class Order:
    """What a table is sorted by: the key expression, the row id column, whether the key may be
    NULL and the type a cursor's key decodes to."""

    key: object
    id: object
    nullable: bool
    value_type: type


def ordered(statement, order, descending):
    if descending:
        return statement.order_by(order.key.desc().nulls_first(), order.id.desc())
    return statement.order_by(order.key.asc().nulls_last(), order.id.asc())


def _beyond(order, descending, value, last_id):
    """The rows after (value, last_id) in the order `ordered` gives. A row-value comparison, so the
    database seeks a (key, id) index to the cursor instead of filtering up to it."""
    key, row_id = order.key, order.id
    if value is None:  # the cursor row had a NULL key
        if descending:
            return or_(and_(key.is_(None), row_id < last_id), key.is_not(None))
        return and_(key.is_(None), row_id > last_id)
    if descending:
        return tuple_(key, row_id) < tuple_(value, last_id)
    return tuple_(key, row_id) > tuple_(value, last_id)  # the NULL keys after these: see page()


def encode_cursor(value, row_id):
    value = value.isoformat() if isinstance(value, datetime) else value
    return base64.urlsafe_b64encode(json.dumps([value, row_id]).encode()).decode().rstrip("=")


def decode_cursor(cursor, value_type):
    """(value, id) from a page link's cursor; BadParameter for anything a page did not make."""
    try:
        value, row_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if value is not None:
            if isinstance(value, bool) or (value_type is not str and isinstance(value, str) and value_type is not datetime):
                raise ValueError
            value = datetime.fromisoformat(value) if value_type is datetime else value_type(value)
        if not isinstance(row_id, int) or isinstance(row_id, bool) or not (value is None or isinstance(value, value_type)):
            raise ValueError
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise BadParameter("bad cursor") from None
    return value, row_id


@dataclass
class Page:
    rows: list
    next_cursor: str | None
    previous_cursor: str | None


def page(statement, order, descending, after=None, before=None, size=50):
    """One page of `statement`'s rows; `after`/`before` are cursors from a page's links. The
    statement's rows get a `sort_key` column; each must have an `id`."""
    backward = bool(before) and not after
    cursor = decode_cursor(before if backward else after, order.value_type) if (before or after) else None
    statement = base = statement.add_columns(order.key.label("sort_key"))
    walk_descending = descending != backward
    if cursor is not None:
        statement = statement.where(_beyond(order, walk_descending, *cursor))
    rows = db.session.execute(ordered(statement, order, walk_descending).limit(size + 1)).all()
    if order.nullable and not walk_descending and cursor is not None and cursor[0] is not None and len(rows) <= size:
        # The NULL keys come last; asked for apart, so the query above stays an index seek.
        rows += db.session.execute(ordered(base.where(order.key.is_(None)), order, False).limit(size + 1 - len(rows))).all()
    more, rows = len(rows) > size, rows[:size]
    if backward:
        rows.reverse()
    if not rows:
        return Page([], None, None)
    first, last = (encode_cursor(row.sort_key, row.id) for row in (rows[0], rows[-1]))
    return Page(rows, last if (more if not backward else True) else None,
                first if (more if backward else cursor is not None) else None)
