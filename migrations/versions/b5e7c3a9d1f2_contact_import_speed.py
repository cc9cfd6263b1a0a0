"""contact import speed: no created_at index

The contact table sorts "created" by id (ids grow with creation time), which the primary key
already orders, so every imported row has one index fewer to maintain.

Revision ID: b5e7c3a9d1f2
Revises: a4d2b8e6c0f1
Create Date: 2026-11-23 08:20:00
"""
from alembic import op

revision = 'b5e7c3a9d1f2'
down_revision = 'a4d2b8e6c0f1'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_contacts_created_at_id', table_name='contacts')


def downgrade():
    op.create_index('ix_contacts_created_at_id', 'contacts', ['created_at', 'id'])
