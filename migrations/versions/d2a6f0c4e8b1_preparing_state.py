"""mass emails: the 'preparing' state (recipient resolution runs in a job)

Revision ID: d2a6f0c4e8b1
Revises: c8f1d3b5a7e9
Create Date: 2026-12-05 09:00:00
"""
from alembic import op

revision = 'd2a6f0c4e8b1'
down_revision = 'c8f1d3b5a7e9'
branch_labels = None
depends_on = None

WITH_PREPARING = "state IN ('draft', 'scheduled', 'preparing', 'sending', 'paused', 'sent', 'cancelled', 'failed')"
WITHOUT_PREPARING = "state IN ('draft', 'scheduled', 'sending', 'paused', 'sent', 'cancelled', 'failed')"


def _state_check(condition):
    with op.batch_alter_table('mass_emails') as batch_op:
        batch_op.drop_constraint(op.f('ck_mass_emails_state'), type_='check')
        batch_op.create_check_constraint(op.f('ck_mass_emails_state'), condition)


def upgrade():
    _state_check(WITH_PREPARING)


def downgrade():
    op.execute("UPDATE mass_emails SET state = 'scheduled' WHERE state = 'preparing'")
    _state_check(WITHOUT_PREPARING)
