"""drip mass emails

Revision ID: a4d2b8e6c0f1
Revises: 9c1f4e7a2b3d
Create Date: 2026-11-23 08:20:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'a4d2b8e6c0f1'
down_revision = '9c1f4e7a2b3d'
branch_labels = None
depends_on = None


DRIP_COLUMNS = ('drip_interval_seconds', 'drip_days', 'drip_start_hour', 'drip_end_hour', 'drip_timezone', 'next_send_at')


def upgrade():
    with op.batch_alter_table('mass_emails') as batch_op:
        batch_op.add_column(sa.Column('drip_interval_seconds', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('drip_days', sa.String(length=7), nullable=True))
        batch_op.add_column(sa.Column('drip_start_hour', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('drip_end_hour', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('drip_timezone', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('next_send_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('recipients') as batch_op:
        batch_op.add_column(sa.Column('template_version_id', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('recipients') as batch_op:
        batch_op.drop_column('template_version_id')
    with op.batch_alter_table('mass_emails') as batch_op:
        for name in reversed(DRIP_COLUMNS):
            batch_op.drop_column(name)
