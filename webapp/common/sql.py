"""SQL both databases speak, where SQLAlchemy needs the dialect named."""
from sqlalchemy import BigInteger, any_, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY

from webapp.extensions import db


def insert_ignoring_conflicts(table, *index_elements):
    """INSERT .. ON CONFLICT DO NOTHING on PostgreSQL and SQLite (a row that would repeat a
    unique value is skipped, not an error). `index_elements` name the unique columns, when the
    statement must say which conflict it means (needed with RETURNING)."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing(index_elements=list(index_elements) or None)


def in_ids(column, ids):
    """`column IN ids` for a long list of integer ids. On PostgreSQL one array parameter
    (`= ANY(:ids)`): a thousand placeholders would make every query text new, and psycopg
    converts such text afresh each time."""
    ids = list(ids)
    if db.engine.dialect.name == "postgresql":
        return column == any_(bindparam("ids", ids, type_=ARRAY(BigInteger)))
    return column.in_(ids)
