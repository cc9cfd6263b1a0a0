"""mass emails: the error the last batch or drip tick died of, for the progress page

Revision ID: a3c5e7f9b1d2
Revises: f1a8c2e6d4b9
Create Date: 2026-12-05 12:30:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'a3c5e7f9b1d2'
down_revision = 'f1a8c2e6d4b9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('mass_emails') as batch_op:
        batch_op.add_column(sa.Column('batch_error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('batch_error_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('mass_emails') as batch_op:
        batch_op.drop_column('batch_error_at')
        batch_op.drop_column('batch_error')
