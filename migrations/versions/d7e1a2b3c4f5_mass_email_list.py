"""mass_email_hides: a mass email a user hid from their lists; mass_emails: the list's default order

Revision ID: d7e1a2b3c4f5
Revises: c2d4e6f8a0b1
Create Date: 2026-12-05 19:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'd7e1a2b3c4f5'
down_revision = 'c2d4e6f8a0b1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'mass_email_hides',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('mass_email_id', sa.Integer(), nullable=False),
        sa.Column('hidden_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mass_email_hides_user_id_users'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['mass_email_id'], ['mass_emails.id'], name=op.f('fk_mass_email_hides_mass_email_id_mass_emails'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'mass_email_id', name=op.f('pk_mass_email_hides')),
    )
    op.create_index(op.f('ix_mass_email_hides_mass_email_id'), 'mass_email_hides', ['mass_email_id'])
    # The list's default order (newest first). The counters get no index: the ingestion updates them
    # all the time, and sorting a few thousand mass emails by one takes no index.
    op.create_index('ix_mass_emails_created_at_id', 'mass_emails', ['created_at', 'id'])


def downgrade():
    op.drop_index('ix_mass_emails_created_at_id', table_name='mass_emails')
    op.drop_index(op.f('ix_mass_email_hides_mass_email_id'), table_name='mass_email_hides')
    op.drop_table('mass_email_hides')
