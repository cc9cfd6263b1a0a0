"""resolve speed: recipients foreign keys

Resolution inserts a million recipients in one statement; each foreign key on the row cost a
trigger (PostgreSQL) or a parent lookup (SQLite) per row, about half the time. The deletes that
relied on them are now set-based in the app: deleting a contact nulls its recipients' contact_id
(audience.contacts.delete_contact); mass emails are never deleted.

Also: templates.archived_at, the soft delete of a template that mass emails have sent (compose.deletion),
with the name unique only among templates not archived.

Revision ID: 9c1f4e7a2b3d
Revises: 8e3b5c1d2f4a
Create Date: 2026-11-23 08:20:00
"""
from alembic import op
import sqlalchemy as sa

revision = '9c1f4e7a2b3d'
down_revision = '8e3b5c1d2f4a'
branch_labels = None
depends_on = None


def upgrade():
    # resolve_fks=False: SQLite's table copy need not reflect contacts (whose expression indexes it cannot).
    with op.batch_alter_table('recipients', reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint('fk_recipients_mass_email_id_mass_emails', type_='foreignkey')
        batch_op.drop_constraint('fk_recipients_contact_id_contacts', type_='foreignkey')
    with op.batch_alter_table('templates') as batch_op:
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(), nullable=True))
        batch_op.drop_constraint('uq_templates_name', type_='unique')
    op.create_index('uq_templates_name', 'templates', ['name'], unique=True,
                    sqlite_where=sa.text('archived_at IS NULL'), postgresql_where=sa.text('archived_at IS NULL'))


def downgrade():
    # Without the column archived templates are listed again: their names must not clash with the live ones.
    op.execute("UPDATE templates SET name = name || ' (archived ' || id || ')' WHERE archived_at IS NOT NULL")
    op.drop_index('uq_templates_name', 'templates')
    with op.batch_alter_table('templates') as batch_op:
        batch_op.drop_column('archived_at')
        batch_op.create_unique_constraint('uq_templates_name', ['name'])
    # Rows the keys would have refused: a contact deleted during a resolution, a mass email deleted outside the app.
    op.execute("UPDATE recipients SET contact_id = NULL WHERE contact_id NOT IN (SELECT id FROM contacts)")
    op.execute("DELETE FROM recipients WHERE mass_email_id NOT IN (SELECT id FROM mass_emails)")
    with op.batch_alter_table('recipients', reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_foreign_key('fk_recipients_mass_email_id_mass_emails', 'mass_emails', ['mass_email_id'], ['id'],
                                    ondelete='CASCADE')
        batch_op.create_foreign_key('fk_recipients_contact_id_contacts', 'contacts', ['contact_id'], ['id'],
                                    ondelete='SET NULL')
