"""SQL both databases speak, where SQLAlchemy needs the dialect named."""
from sqlalchemy.dialects import postgresql, sqlite

from webapp.extensions import db


def insert_ignoring_conflicts(table, *index_elements):
    """INSERT .. ON CONFLICT DO NOTHING on PostgreSQL and SQLite (a row that would repeat a
    unique value is skipped, not an error). `index_elements` name the unique columns, when the
    statement must say which conflict it means (needed with RETURNING)."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing(index_elements=list(index_elements) or None)
