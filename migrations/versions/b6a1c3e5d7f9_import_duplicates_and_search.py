"""contact imports count exact repeats apart; contact search by trigrams (pg_trgm, SQLite FTS5)

Imports: rows that repeat an earlier row exactly are counted apart from rejections.
Search: a trigram index on email, names and company (pg_trgm on PostgreSQL, FTS5 on SQLite).

Revision ID: b6a1c3e5d7f9
Revises: b5d1e3f7a9c2
Create Date: 2026-12-05 13:50:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'b6a1c3e5d7f9'
down_revision = 'b5d1e3f7a9c2'
branch_labels = None
depends_on = None


# The same expression as webapp/audience/search.py _searched_text(), so the planner uses the index.
SEARCHED = "lower(email || ' ' || first_name || ' ' || last_name || ' ' || company)"
COLUMNS = "email, first_name, last_name, company"
# External-content FTS5: the table holds only the index; triggers keep it in step with contacts.
SQLITE_SEARCH = [
    f"CREATE VIRTUAL TABLE contact_search USING fts5({COLUMNS}, content='contacts', content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER contact_search_insert AFTER INSERT ON contacts BEGIN "
    f"INSERT INTO contact_search(rowid, {COLUMNS}) VALUES (new.id, new.email, new.first_name, new.last_name, new.company); END",
    f"CREATE TRIGGER contact_search_delete AFTER DELETE ON contacts BEGIN "
    f"INSERT INTO contact_search(contact_search, rowid, {COLUMNS}) "
    f"VALUES ('delete', old.id, old.email, old.first_name, old.last_name, old.company); END",
    f"CREATE TRIGGER contact_search_update AFTER UPDATE OF {COLUMNS} ON contacts BEGIN "
    f"INSERT INTO contact_search(contact_search, rowid, {COLUMNS}) "
    f"VALUES ('delete', old.id, old.email, old.first_name, old.last_name, old.company); "
    f"INSERT INTO contact_search(rowid, {COLUMNS}) VALUES (new.id, new.email, new.first_name, new.last_name, new.company); END",
    "INSERT INTO contact_search(contact_search) VALUES ('rebuild')",
]


def upgrade():
    with op.batch_alter_table('contact_imports') as batch_op:
        batch_op.add_column(sa.Column('duplicate_count', sa.Integer(), server_default='0', nullable=False))
    if op.get_bind().dialect.name == 'postgresql':
        # Needs a superuser or, from PostgreSQL 13, a database owner (pg_trgm is a trusted extension).
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(f"CREATE INDEX ix_contacts_search_trgm ON contacts USING gin (({SEARCHED}) gin_trgm_ops)")
    else:
        for statement in SQLITE_SEARCH:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP INDEX ix_contacts_search_trgm")
    else:
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER contact_search_{trigger}")
        op.execute("DROP TABLE contact_search")
    with op.batch_alter_table('contact_imports') as batch_op:
        batch_op.drop_column('duplicate_count')
