"""tablets as records, and the servers that print (issue 15)

A tablet is named once by a supervisor and known by a long-lived cookie (its token's SHA-256
is kept); it has a receipt printer and a tag printer, and may switch a station's receipts for
itself. A print job records the tablet that asked. ``print_hosts`` keeps when each server's
print worker last ran, so a job for a printer only a stopped server drives says why it waits.

Revision ID: 0019
Revises: 0018
"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'tablets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('receipt_printer_id', sa.Integer(), nullable=True),
        sa.Column('tag_printer_id', sa.Integer(), nullable=True),
        sa.Column('checkin_receipts', sa.Boolean(), nullable=True),
        sa.Column('issue_receipts', sa.Boolean(), nullable=True),
        sa.Column('named_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(), nullable=False),
        sa.Column('retired_at', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['receipt_printer_id'], ['printers.id'],
                                name=op.f('fk_tablets_receipt_printer_id_printers')),
        sa.ForeignKeyConstraint(['tag_printer_id'], ['printers.id'], name=op.f('fk_tablets_tag_printer_id_printers')),
        sa.ForeignKeyConstraint(['named_by_id'], ['users.id'], name=op.f('fk_tablets_named_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tablets')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_tablets_token_hash')),
    )
    # A name is one tablet's at a time (a retired entry keeps its name for the jobs it asked for).
    op.create_index('ix_tablets_name_in_use', 'tablets', ['name'], unique=True,
                    sqlite_where=sa.text('retired_at IS NULL'), postgresql_where=sa.text('retired_at IS NULL'))
    op.create_table(
        'print_hosts',
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('seen_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_print_hosts')),
    )
    with op.batch_alter_table('print_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tablet_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_print_jobs_tablet_id_tablets'), 'tablets', ['tablet_id'], ['id'])


def downgrade():
    with op.batch_alter_table('print_jobs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_print_jobs_tablet_id_tablets'), type_='foreignkey')
        batch_op.drop_column('tablet_id')
    op.drop_table('print_hosts')
    op.drop_index('ix_tablets_name_in_use', table_name='tablets')
    op.drop_table('tablets')
