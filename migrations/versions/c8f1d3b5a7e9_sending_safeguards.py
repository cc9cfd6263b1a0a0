"""sending safeguards: the automatic pause on a burst of refusals

Revision ID: c8f1d3b5a7e9
Revises: b5e7c3a9d1f2
Create Date: 2026-11-23 08:20:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'c8f1d3b5a7e9'
down_revision = 'b5e7c3a9d1f2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('app_settings') as batch_op:
        batch_op.add_column(sa.Column('auto_pause_percent', sa.Integer(), server_default='50', nullable=True))
        batch_op.add_column(sa.Column('auto_pause_window', sa.Integer(), server_default='50', nullable=False))


def downgrade():
    with op.batch_alter_table('app_settings') as batch_op:
        batch_op.drop_column('auto_pause_window')
        batch_op.drop_column('auto_pause_percent')
