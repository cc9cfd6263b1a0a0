"""mass emails: earlier mass emails whose recipients a new one skips

Revision ID: b5d1e3f7a9c2
Revises: a3c5e7f9b1d2
Create Date: 2026-12-05 13:45:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'b5d1e3f7a9c2'
down_revision = 'a3c5e7f9b1d2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mass_email_exclusions',
    sa.Column('mass_email_id', sa.Integer(), nullable=False),
    sa.Column('excluded_mass_email_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['mass_email_id'], ['mass_emails.id'], name=op.f('fk_mass_email_exclusions_mass_email_id_mass_emails'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['excluded_mass_email_id'], ['mass_emails.id'], name=op.f('fk_mass_email_exclusions_excluded_mass_email_id_mass_emails'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('mass_email_id', 'excluded_mass_email_id', name=op.f('pk_mass_email_exclusions'))
    )


def downgrade():
    op.drop_table('mass_email_exclusions')
