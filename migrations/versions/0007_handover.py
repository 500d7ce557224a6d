"""Shift handover (交接班): the outgoing clerk's note with a snapshot of open items

Revision ID: 0007
Revises: 0006

Written by hand (batch mode, so SQLite can alter it later).
"""
from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'handovers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('written_by_id', sa.Integer(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
        sa.Column('acknowledged_at', sa.DateTime(), nullable=True),
        sa.Column('request_key', sa.String(length=64), nullable=True),
        sa.CheckConstraint('acknowledged_by_id IS NULL OR acknowledged_by_id <> written_by_id',
                           name=op.f('ck_handovers_other_user')),
        sa.ForeignKeyConstraint(['written_by_id'], ['users.id'],
                                name=op.f('fk_handovers_written_by_id_users')),
        sa.ForeignKeyConstraint(['acknowledged_by_id'], ['users.id'],
                                name=op.f('fk_handovers_acknowledged_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_handovers')),
        sa.UniqueConstraint('request_key', name=op.f('uq_handovers_request_key')),
    )
    with op.batch_alter_table('handovers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handovers_written_by_id'), ['written_by_id'], unique=False)
        batch_op.create_index('ix_handovers_acknowledged_created', ['acknowledged_at', 'created_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('handovers', schema=None) as batch_op:
        batch_op.drop_index('ix_handovers_acknowledged_created')
        batch_op.drop_index(batch_op.f('ix_handovers_written_by_id'))
    op.drop_table('handovers')
