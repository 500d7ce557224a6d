"""loss report: the stock at a month's start stored once the month before has closed, and an
index of the events by action and time (and of write-offs by their event), so that the report
reads only the month's purchases, write-offs and missing garments, never a pass over the ledger

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'stock_snapshots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('taken_at', sa.DateTime(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_snapshots')),
        sa.UniqueConstraint('taken_at', name=op.f('uq_stock_snapshots_taken_at')),
    )
    op.create_table(
        'stock_snapshot_lines',
        sa.Column('snapshot_id', sa.Integer(), nullable=False),
        sa.Column('type_id', sa.Integer(), nullable=False),
        sa.Column('size', sa.String(length=16), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('value', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.ForeignKeyConstraint(['snapshot_id'], ['stock_snapshots.id'],
                                name=op.f('fk_stock_snapshot_lines_snapshot_id_stock_snapshots')),
        sa.ForeignKeyConstraint(['type_id'], ['garment_types.id'],
                                name=op.f('fk_stock_snapshot_lines_type_id_garment_types')),
        sa.PrimaryKeyConstraint('snapshot_id', 'type_id', 'size', name=op.f('pk_stock_snapshot_lines')),
    )
    op.create_index('ix_events_action_created', 'events', ['action', 'created_at'], unique=False)
    op.create_index(op.f('ix_write_offs_event_id'), 'write_offs', ['event_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_write_offs_event_id'), table_name='write_offs')
    op.drop_index('ix_events_action_created', table_name='events')
    op.drop_table('stock_snapshot_lines')
    op.drop_table('stock_snapshots')
