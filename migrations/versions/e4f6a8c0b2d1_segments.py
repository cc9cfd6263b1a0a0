"""target lists: a list may be a segment, a saved filter whose members are whoever matches it now

Revision ID: e4f6a8c0b2d1
Revises: d7e1a2b3c4f5
Create Date: 2026-12-05 19:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'e4f6a8c0b2d1'
down_revision = 'd7e1a2b3c4f5'
branch_labels = None
depends_on = None

KIND_CHECK = "kind IN ('static', 'segment')"


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        # No batch copy: with foreign keys on, dropping the old target_lists would cascade to every membership.
        # SQLite takes a column's CHECK in ALTER TABLE ADD COLUMN.
        op.execute("ALTER TABLE target_lists ADD COLUMN kind VARCHAR(20) DEFAULT 'static' NOT NULL "
                   f"CONSTRAINT ck_target_lists_kind CHECK ({KIND_CHECK})")
    else:
        op.add_column('target_lists', sa.Column('kind', sa.String(length=20), server_default='static', nullable=False))
        op.create_check_constraint(op.f('ck_target_lists_kind'), 'target_lists', KIND_CHECK)
    op.add_column('target_lists', sa.Column('filter', sa.JSON(), nullable=True))


def downgrade():
    # Segments have no members to keep: they go, and the lists that remain are all static.
    op.execute("DELETE FROM target_lists WHERE kind = 'segment'")
    op.drop_column('target_lists', 'filter')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f('ck_target_lists_kind'), 'target_lists', type_='check')
    op.drop_column('target_lists', 'kind')
