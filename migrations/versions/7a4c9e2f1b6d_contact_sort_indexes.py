"""contact sort indexes end in id

Each sortable column's index becomes (column, id), the exact order of the contact
table's keyset pages (ties broken by id). PostgreSQL can then walk one index for a
page instead of sorting every tied row (status or company sorts took up to 1.5 s on
a million contacts). They replace the single-column indexes, so imports keep the
same number of indexes to maintain.

Revision ID: 7a4c9e2f1b6d
Revises: 5d2e8b1c4a7f
Create Date: 2026-11-23 06:40:00
"""
from alembic import op
import sqlalchemy as sa

revision = '7a4c9e2f1b6d'
down_revision = '5d2e8b1c4a7f'
branch_labels = None
depends_on = None

# old index -> (new index, its columns)
REPLACED = {
    'ix_contacts_status': ('ix_contacts_status_id', ['status', 'id']),
    'ix_contacts_company_lower': ('ix_contacts_company_lower_id', [sa.text('lower(company)'), 'id']),
    'ix_contacts_last_name_lower': ('ix_contacts_last_name_lower_id', [sa.text('lower(last_name)'), 'id']),
    'ix_contacts_created_at': ('ix_contacts_created_at_id', ['created_at', 'id']),
    'ix_contacts_last_activity_at': ('ix_contacts_last_activity_at_id', ['last_activity_at', 'id']),
}
OLD_COLUMNS = {
    'ix_contacts_status': ['status'],
    'ix_contacts_company_lower': [sa.text('lower(company)')],
    'ix_contacts_last_name_lower': [sa.text('lower(last_name)')],
    'ix_contacts_created_at': ['created_at'],
    'ix_contacts_last_activity_at': ['last_activity_at'],
}


def upgrade():
    for old, (new, columns) in REPLACED.items():
        op.drop_index(old, table_name='contacts')
        op.create_index(new, 'contacts', columns)


def downgrade():
    for old, (new, _) in REPLACED.items():
        op.drop_index(new, table_name='contacts')
        op.create_index(old, 'contacts', OLD_COLUMNS[old])
