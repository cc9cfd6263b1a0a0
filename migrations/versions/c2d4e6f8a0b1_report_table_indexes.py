"""recipients: indexes for the detail view's contact table, so a keyset page reads its rows in order

Revision ID: c2d4e6f8a0b1
Revises: b6a1c3e5d7f9
Create Date: 2026-12-05 14:30:00
"""
from alembic import op

revision = 'c2d4e6f8a0b1'
down_revision = 'b6a1c3e5d7f9'
branch_labels = None
depends_on = None

INDEXES = {
    'ix_recipients_mass_email_id_status_changed_at': ['mass_email_id', 'status_changed_at', 'id'],
    'ix_recipients_mass_email_id_email': ['mass_email_id', 'email', 'id'],
    'ix_recipients_mass_email_id_status_id': ['mass_email_id', 'status', 'id'],
}


def upgrade():
    for name, columns in INDEXES.items():
        op.create_index(name, 'recipients', columns)


def downgrade():
    for name in INDEXES:
        op.drop_index(name, table_name='recipients')
