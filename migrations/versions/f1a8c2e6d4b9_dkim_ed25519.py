"""settings: an Ed25519 DKIM key beside the RSA one (dual signing, RFC 8463)

Revision ID: f1a8c2e6d4b9
Revises: e7b3c9d1f5a2
Create Date: 2026-12-05 12:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'f1a8c2e6d4b9'
down_revision = 'e7b3c9d1f5a2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('app_settings') as batch_op:
        batch_op.add_column(sa.Column('dkim_ed25519_selector', sa.String(length=63), server_default='', nullable=False))
        batch_op.add_column(sa.Column('dkim_ed25519_private_key', sa.Text(), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('app_settings') as batch_op:
        batch_op.drop_column('dkim_ed25519_private_key')
        batch_op.drop_column('dkim_ed25519_selector')
