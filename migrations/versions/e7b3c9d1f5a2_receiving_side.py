"""the receiving side: events, engagement on recipients, report counters, bounce, webhook and bot settings

Revision ID: e7b3c9d1f5a2
Revises: d2a6f0c4e8b1
Create Date: 2026-12-05 11:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'e7b3c9d1f5a2'
down_revision = 'd2a6f0c4e8b1'
branch_labels = None
depends_on = None

EVENT_KINDS = ("('sent', 'deferred', 'bounced', 'failed', 'delivered', 'open', 'click', 'complaint', 'unsubscribe', "
               "'resubscribe')")
SUPPRESSION_REASONS = "('hard_bounce', 'complaint', 'unsubscribe', 'manual', 'invalid', 'soft_bounces')"
OLD_SUPPRESSION_REASONS = "('hard_bounce', 'complaint', 'unsubscribe', 'manual', 'invalid')"
DROP_REASONS = ("('invalid_address', 'contact_unsubscribed', 'contact_bounced', 'contact_complained', "
                "'suppressed_hard_bounce', 'suppressed_complaint', 'suppressed_unsubscribe', 'suppressed_manual', "
                "'suppressed_invalid', 'suppressed_soft_bounces', 'suppressed_domain', 'list_opt_out', 'inactive', "
                "'over_cap', 'duplicate_address')")
OLD_DROP_REASONS = ("('invalid_address', 'contact_unsubscribed', 'contact_bounced', 'contact_complained', "
                    "'suppressed_hard_bounce', 'suppressed_complaint', 'suppressed_unsubscribe', 'suppressed_manual', "
                    "'suppressed_invalid', 'suppressed_domain', 'list_opt_out', 'inactive', 'over_cap', 'duplicate_address')")

RECIPIENT_TIMES = ('delivered_at', 'deferred_at', 'first_opened_at', 'first_clicked_at', 'human_at', 'complained_at',
                   'unsubscribed_at', 'last_event_at')
COUNTERS = ('unique_open_count', 'human_open_count', 'open_count', 'unique_click_count', 'human_click_count',
            'click_count', 'complaint_count', 'unsubscribe_count')
SETTINGS = [
    sa.Column('bounce_address', sa.String(length=320), server_default='', nullable=False),
    sa.Column('unsubscribe_mailto', sa.String(length=320), server_default='', nullable=False),
    sa.Column('delivered_on_acceptance', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('soft_bounce_limit', sa.Integer(), server_default='3', nullable=True),
    sa.Column('soft_bounce_days', sa.Integer(), server_default='30', nullable=False),
    sa.Column('imap_host', sa.String(length=255), server_default='', nullable=False),
    sa.Column('imap_port', sa.Integer(), server_default='993', nullable=False),
    sa.Column('imap_security', sa.String(length=10), server_default='ssl', nullable=False),
    sa.Column('imap_username', sa.String(length=255), server_default='', nullable=False),
    sa.Column('imap_password', sa.String(length=255), server_default='', nullable=False),
    sa.Column('imap_folder', sa.String(length=255), server_default='INBOX', nullable=False),
    sa.Column('imap_processed_folder', sa.String(length=255), server_default='Processed', nullable=False),
    sa.Column('imap_other_folder', sa.String(length=255), server_default='Not bounces', nullable=False),
    sa.Column('sendgrid_public_key', sa.Text(), server_default='', nullable=False),
    sa.Column('mailgun_signing_key', sa.String(length=255), server_default='', nullable=False),
    sa.Column('ses_topic_arn', sa.String(length=255), server_default='', nullable=False),
    sa.Column('postmark_webhook_token', sa.String(length=255), server_default='', nullable=False),
    sa.Column('bot_open_seconds', sa.Integer(), server_default='2', nullable=True),
    sa.Column('bot_click_seconds', sa.Integer(), server_default='2', nullable=True),
    sa.Column('bot_scanner_agents', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('bot_hidden_link', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('bot_machine_opens', sa.Boolean(), server_default=sa.true(), nullable=False),
]


def upgrade():
    op.create_table('events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('recipient_id', sa.BigInteger(), nullable=True),
    sa.Column('mass_email_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=False),
    sa.Column('link_index', sa.Integer(), nullable=True),
    sa.Column('url', sa.String(length=2000), nullable=True),
    sa.Column('ip', sa.String(length=45), nullable=True),
    sa.Column('user_agent', sa.String(length=500), nullable=True),
    sa.Column('verdict', sa.String(length=10), nullable=True),
    sa.Column('verdict_rule', sa.String(length=40), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.CheckConstraint(f"kind IN {EVENT_KINDS}", name=op.f('ck_events_kind')),
    sa.CheckConstraint("verdict IS NULL OR verdict IN ('human', 'bot', 'proxy')", name=op.f('ck_events_verdict')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_events_dedupe_key')),
    )
    op.create_index('ix_events_recipient_id_occurred_at', 'events', ['recipient_id', 'occurred_at'])
    op.create_index('ix_events_mass_email_id_kind_occurred_at', 'events', ['mass_email_id', 'kind', 'occurred_at'])
    op.create_index('ix_events_contact_id', 'events', ['contact_id'], postgresql_where=sa.text('contact_id IS NOT NULL'),
                    sqlite_where=sa.text('contact_id IS NOT NULL'))

    with op.batch_alter_table('recipients') as batch_op:
        for name in RECIPIENT_TIMES:
            batch_op.add_column(sa.Column(name, sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('merge_values', sa.JSON(), nullable=True))
        batch_op.drop_constraint(op.f('ck_recipients_drop_reason'), type_='check')
        batch_op.create_check_constraint(op.f('ck_recipients_drop_reason'), f"drop_reason IS NULL OR drop_reason IN {DROP_REASONS}")
    with op.batch_alter_table('mass_emails') as batch_op:
        batch_op.add_column(sa.Column('opt_out_entirely', sa.Boolean(), server_default=sa.true(), nullable=False))
        for name in COUNTERS:
            batch_op.add_column(sa.Column(name, sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('suppressions') as batch_op:
        batch_op.drop_constraint(op.f('ck_suppressions_reason'), type_='check')
        batch_op.create_check_constraint(op.f('ck_suppressions_reason'), f"reason IN {SUPPRESSION_REASONS}")
    with op.batch_alter_table('app_settings') as batch_op:
        for column in SETTINGS:
            batch_op.add_column(column)


def downgrade():
    with op.batch_alter_table('app_settings') as batch_op:
        for column in reversed(SETTINGS):
            batch_op.drop_column(column.name)
    op.execute("DELETE FROM suppressions WHERE reason = 'soft_bounces'")
    with op.batch_alter_table('suppressions') as batch_op:
        batch_op.drop_constraint(op.f('ck_suppressions_reason'), type_='check')
        batch_op.create_check_constraint(op.f('ck_suppressions_reason'), f"reason IN {OLD_SUPPRESSION_REASONS}")
    with op.batch_alter_table('mass_emails') as batch_op:
        for name in reversed(COUNTERS):
            batch_op.drop_column(name)
        batch_op.drop_column('opt_out_entirely')
    op.execute("UPDATE recipients SET drop_reason = 'suppressed_invalid' WHERE drop_reason = 'suppressed_soft_bounces'")
    with op.batch_alter_table('recipients') as batch_op:
        batch_op.drop_constraint(op.f('ck_recipients_drop_reason'), type_='check')
        batch_op.create_check_constraint(op.f('ck_recipients_drop_reason'), f"drop_reason IS NULL OR drop_reason IN {OLD_DROP_REASONS}")
        batch_op.drop_column('merge_values')
        for name in reversed(RECIPIENT_TIMES):
            batch_op.drop_column(name)
    op.drop_table('events')
