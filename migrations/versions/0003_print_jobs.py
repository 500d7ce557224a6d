"""Print queue: every tag and receipt as a persisted job; stations' receipt switch

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 10:00:00

Written by hand (batch mode, so SQLite can alter it later).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'print_jobs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('document', sa.Text(), nullable=False),
        sa.Column('garment_id', sa.Integer(), nullable=True),
        sa.Column('reprint_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('printer', sa.String(length=255), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.Column('request_key', sa.String(length=80), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('printed_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint("status IN ('queued', 'printing', 'done', 'failed')",
                           name=op.f('ck_print_jobs_status')),
        sa.CheckConstraint('attempts >= 0', name=op.f('ck_print_jobs_attempts')),
        sa.ForeignKeyConstraint(['garment_id'], ['garments.id'],
                                name=op.f('fk_print_jobs_garment_id_garments')),
        sa.ForeignKeyConstraint(['reprint_id'], ['tag_reprints.id'],
                                name=op.f('fk_print_jobs_reprint_id_tag_reprints')),
        sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'],
                                name=op.f('fk_print_jobs_requested_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_print_jobs')),
        sa.UniqueConstraint('request_key', name=op.f('uq_print_jobs_request_key')),
    )
    with op.batch_alter_table('print_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_print_jobs_garment_id'), ['garment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_print_jobs_reprint_id'), ['reprint_id'], unique=False)
        batch_op.create_index('ix_print_jobs_status_id', ['status', 'id'], unique=False)

    op.create_table(
        'station_settings',
        sa.Column('station', sa.String(length=24), nullable=False),
        sa.Column('receipts', sa.Boolean(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'],
                                name=op.f('fk_station_settings_updated_by_id_users')),
        sa.PrimaryKeyConstraint('station', name=op.f('pk_station_settings')),
    )


def downgrade():
    op.drop_table('station_settings')
    with op.batch_alter_table('print_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_print_jobs_status_id')
        batch_op.drop_index(batch_op.f('ix_print_jobs_reprint_id'))
        batch_op.drop_index(batch_op.f('ix_print_jobs_garment_id'))
    op.drop_table('print_jobs')
