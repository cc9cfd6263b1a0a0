"""mass emails, their lists and recipients

Revision ID: 8e3b5c1d2f4a
Revises: 7a4c9e2f1b6d
Create Date: 2026-11-23 08:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '8e3b5c1d2f4a'
down_revision = '7a4c9e2f1b6d'
branch_labels = None
depends_on = None

MASS_EMAIL_STATES = "('draft', 'scheduled', 'sending', 'paused', 'sent', 'cancelled', 'failed')"
RECIPIENT_STATUSES = "('queued', 'sending', 'sent', 'delivered', 'deferred', 'bounced', 'dropped', 'unconfirmed', 'failed')"
DROP_REASONS = ("('invalid_address', 'contact_unsubscribed', 'contact_bounced', 'contact_complained', "
                "'suppressed_hard_bounce', 'suppressed_complaint', 'suppressed_unsubscribe', 'suppressed_manual', "
                "'suppressed_invalid', 'suppressed_domain', 'list_opt_out', 'inactive', 'over_cap', 'duplicate_address')")


def upgrade():
    op.create_table('mass_emails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('campaign', sa.String(length=200), nullable=True),
    sa.Column('template_version_id', sa.Integer(), nullable=False),
    sa.Column('from_name', sa.String(length=200), server_default='', nullable=False),
    sa.Column('from_email', sa.String(length=320), server_default='', nullable=False),
    sa.Column('reply_to', sa.String(length=320), server_default='', nullable=False),
    sa.Column('kind', sa.String(length=20), server_default='standard', nullable=False),
    sa.Column('state', sa.String(length=20), server_default='draft', nullable=False),
    sa.Column('failure_reason', sa.Text(), nullable=True),
    sa.Column('scheduled_at', sa.DateTime(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('list_size_all', sa.Integer(), nullable=True),
    sa.Column('list_size_emailing', sa.Integer(), nullable=True),
    sa.Column('sent_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('delivered_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('bounced_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('dropped_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('deferred_count', sa.Integer(), server_default='0', nullable=False),
    sa.CheckConstraint(f"state IN {MASS_EMAIL_STATES}", name=op.f('ck_mass_emails_state')),
    sa.CheckConstraint("kind IN ('standard', 'drip')", name=op.f('ck_mass_emails_kind')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_mass_emails_owner_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['template_version_id'], ['template_versions.id'],
                            name=op.f('fk_mass_emails_template_version_id_template_versions'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mass_emails'))
    )
    op.create_index('ix_mass_emails_owner_id', 'mass_emails', ['owner_id'])
    op.create_index('ix_mass_emails_template_version_id', 'mass_emails', ['template_version_id'])
    op.create_index('ix_mass_emails_state_scheduled_at', 'mass_emails', ['state', 'scheduled_at'])

    op.create_table('mass_email_lists',
    sa.Column('mass_email_id', sa.Integer(), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('excluding', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['mass_email_id'], ['mass_emails.id'], name=op.f('fk_mass_email_lists_mass_email_id_mass_emails'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['list_id'], ['target_lists.id'], name=op.f('fk_mass_email_lists_list_id_target_lists'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('mass_email_id', 'list_id', name=op.f('pk_mass_email_lists'))
    )
    op.create_index('ix_mass_email_lists_list_id', 'mass_email_lists', ['list_id'])

    op.create_table('recipients',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('mass_email_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('status', sa.String(length=20), server_default='queued', nullable=False),
    sa.Column('drop_reason', sa.String(length=40), nullable=True),
    sa.Column('claim_token', sa.String(length=64), nullable=True),
    sa.Column('claimed_until', sa.DateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('message_id', sa.String(length=255), nullable=True),
    sa.Column('smtp_reply', sa.Text(), nullable=True),
    sa.Column('bounce_kind', sa.String(length=10), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('status_changed_at', sa.DateTime(), nullable=True),
    sa.Column('open_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('click_count', sa.Integer(), server_default='0', nullable=False),
    sa.CheckConstraint(f"status IN {RECIPIENT_STATUSES}", name=op.f('ck_recipients_status')),
    sa.CheckConstraint(f"drop_reason IS NULL OR drop_reason IN {DROP_REASONS}", name=op.f('ck_recipients_drop_reason')),
    sa.CheckConstraint("bounce_kind IS NULL OR bounce_kind IN ('hard', 'soft')", name=op.f('ck_recipients_bounce_kind')),
    sa.ForeignKeyConstraint(['mass_email_id'], ['mass_emails.id'], name=op.f('fk_recipients_mass_email_id_mass_emails'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_recipients_contact_id_contacts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recipients'))
    )
    op.create_index('ix_recipients_claim', 'recipients', ['mass_email_id', 'status', 'next_attempt_at'])
    op.create_index('uq_recipients_contact_id_mass_email_id', 'recipients', ['contact_id', 'mass_email_id'], unique=True)
    op.create_index('ix_recipients_message_id', 'recipients', ['message_id'],
                    postgresql_where=sa.text('message_id IS NOT NULL'), sqlite_where=sa.text('message_id IS NOT NULL'))


def downgrade():
    op.drop_table('recipients')
    op.drop_table('mass_email_lists')
    op.drop_table('mass_emails')
