"""SQL both databases speak, where SQLAlchemy needs the dialect named."""
import json

from sqlalchemy import JSON, BigInteger, any_, bindparam, or_, text, update
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


def insert_many_ignoring_conflicts(table, rows, unique_column):
    """Insert `rows` (dicts with the same keys), skipping those whose `unique_column` value is stored
    already; returns the values of the rows inserted. On PostgreSQL one INSERT .. SELECT FROM unnest
    of one array per column: psycopg converts a statement's text afresh each time, and a multi-row
    VALUES of thousands of placeholders costs more to convert than to run (1.2 s for 10,000 events)."""
    if not rows:
        return []
    if db.engine.dialect.name != "postgresql":
        statement = insert_ignoring_conflicts(table, unique_column).returning(table.c[unique_column])
        return db.session.scalars(statement, rows).all()
    names = list(rows[0])
    dialect = postgresql.dialect()
    arrays = ", ".join(f"CAST(:{name} AS {table.c[name].type.compile(dialect=dialect)}[])" for name in names)
    statement = text(f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({arrays}) "
                     f"ON CONFLICT ({unique_column}) DO NOTHING RETURNING {unique_column}")
    return db.session.scalars(statement, _arrays(table, rows, names)).all()


def update_many(table, rows, key="id", only_increasing=None):
    """UPDATE each row of `table` whose `key` is a row's (dicts with the same keys) to that row's values.
    `only_increasing` names a column only moved forward: a row whose stored value is later is left.
    On PostgreSQL one UPDATE .. FROM unnest(one array per column), as insert_many_ignoring_conflicts."""
    if not rows:
        return
    names = list(rows[0])
    if db.engine.dialect.name != "postgresql":
        statement = update(table).where(table.c[key] == bindparam(f"b_{key}"))
        if only_increasing:
            column = table.c[only_increasing]
            statement = statement.where(or_(column.is_(None), column < bindparam(f"b_{only_increasing}")))
        statement = statement.values(**{name: bindparam(f"b_{name}") for name in names if name != key})
        db.session.execute(statement, [{f"b_{name}": value for name, value in row.items()} for row in rows])
        return
    dialect = postgresql.dialect()
    arrays = ", ".join(f"CAST(:{name} AS {table.c[name].type.compile(dialect=dialect)}[])" for name in names)
    sets = ", ".join(f"{name} = v.{name}" for name in names if name != key)
    where = f"t.{key} = v.{key}"
    if only_increasing:
        where += f" AND (t.{only_increasing} IS NULL OR t.{only_increasing} < v.{only_increasing})"
    db.session.execute(text(f"UPDATE {table.name} AS t SET {sets} FROM unnest({arrays}) AS v({', '.join(names)}) WHERE {where}"),
                       _arrays(table, rows, names))


def _arrays(table, rows, names):
    """One list per column, JSON columns serialised (psycopg adapts a list of str to text[], which CAST makes json[])."""
    as_json = {name for name in names if isinstance(table.c[name].type, JSON)}
    return {name: [json.dumps(row[name]) if name in as_json else row[name] for row in rows] for name in names}
