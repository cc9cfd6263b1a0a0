"""settings: DKIM signing key (domain, selector, PEM private key)

Revision ID: 5d2e8b1c4a7f
Revises: 3f1c0a7d9b2e
Create Date: 2026-11-23 06:35:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5d2e8b1c4a7f'
down_revision = '3f1c0a7d9b2e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('app_settings') as batch_op:
        batch_op.add_column(sa.Column('dkim_domain', sa.String(length=253), server_default='', nullable=False))
        batch_op.add_column(sa.Column('dkim_selector', sa.String(length=63), server_default='', nullable=False))
        batch_op.add_column(sa.Column('dkim_private_key', sa.Text(), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('app_settings') as batch_op:
        batch_op.drop_column('dkim_private_key')
        batch_op.drop_column('dkim_selector')
        batch_op.drop_column('dkim_domain')
