"""contact imports: rows that repeat an earlier row exactly, counted apart from rejections

Revision ID: b6a1c3e5d7f9
Revises: a3c5e7f9b1d2
Create Date: 2026-12-05 13:50:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'b6a1c3e5d7f9'
down_revision = 'a3c5e7f9b1d2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('contact_imports') as batch_op:
        batch_op.add_column(sa.Column('duplicate_count', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('contact_imports') as batch_op:
        batch_op.drop_column('duplicate_count')
