"""printers as records: each print job names the printer it is for (issue 15)

A printer is a row (name, address, receipt or label, its language and paper or label size,
native mode, whether it answers the status query, the host that drives it when only that
host can reach it). The default printer is created from KIOSK_PRINTER the first time one is
needed, so a single-tablet kiosk needs nothing new; jobs queued before this revision have no
printer and go to the default one.

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'printers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('url', sa.String(length=255), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('language', sa.String(length=16), nullable=False),
        sa.Column('paper_mm', sa.Integer(), nullable=True),
        sa.Column('label_size', sa.String(length=16), nullable=True),
        sa.Column('native', sa.Boolean(), nullable=False),
        sa.Column('status_query', sa.String(length=8), nullable=False),
        sa.Column('host', sa.String(length=255), nullable=True),
        sa.Column('is_default', sa.Boolean(), nullable=False),
        sa.Column('from_setting', sa.Boolean(), nullable=False),
        sa.Column('retired_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('receipt', 'label')", name=op.f('ck_printers_kind')),
        sa.CheckConstraint("language IN ('escpos', 'tspl', 'zpl')", name=op.f('ck_printers_language')),
        sa.CheckConstraint("status_query IN ('auto', 'on', 'off')", name=op.f('ck_printers_status_query')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_printers')),
        sa.UniqueConstraint('name', name=op.f('uq_printers_name')),
    )
    # At most one default printer among those in use.
    op.create_index('ix_printers_one_default', 'printers', ['is_default'], unique=True,
                    sqlite_where=sa.text('is_default AND retired_at IS NULL'),
                    postgresql_where=sa.text('is_default AND retired_at IS NULL'))
    with op.batch_alter_table('print_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('printer_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_print_jobs_printer_id_printers'), 'printers',
                                    ['printer_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_print_jobs_printer_id'), ['printer_id'], unique=False)


def downgrade():
    with op.batch_alter_table('print_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_print_jobs_printer_id'))
        batch_op.drop_constraint(batch_op.f('fk_print_jobs_printer_id_printers'), type_='foreignkey')
        batch_op.drop_column('printer_id')
    op.drop_index('ix_printers_one_default', table_name='printers')
    op.drop_table('printers')
