"""stocktake (月盘点): counts, their scans, the snapshot at the close, stock item counts

Revision ID: 0008
Revises: 0007

Written by hand (batch mode, so SQLite can alter it later).
"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'stocktakes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('blind', sa.Boolean(), nullable=False),
        sa.Column('opened_by_id', sa.Integer(), nullable=False),
        sa.Column('opened_at', sa.DateTime(), nullable=False),
        sa.Column('closed_by_id', sa.Integer(), nullable=True),
        sa.Column('counted_by_id', sa.Integer(), nullable=True),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('corrects_id', sa.Integer(), nullable=True),
        sa.Column('missing_json', sa.Text(), nullable=False),
        sa.Column('unknown_json', sa.Text(), nullable=False),
        sa.Column('overdue_json', sa.Text(), nullable=False),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_stocktakes_status')),
        sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_stocktakes_opened_by_id_users')),
        sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_stocktakes_closed_by_id_users')),
        sa.ForeignKeyConstraint(['counted_by_id'], ['users.id'], name=op.f('fk_stocktakes_counted_by_id_users')),
        sa.ForeignKeyConstraint(['corrects_id'], ['stocktakes.id'],
                                name=op.f('fk_stocktakes_corrects_id_stocktakes')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stocktakes')),
    )
    with op.batch_alter_table('stocktakes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stocktakes_month'), ['month'], unique=False)
        batch_op.create_index(batch_op.f('ix_stocktakes_corrects_id'), ['corrects_id'], unique=False)
        batch_op.create_index('uq_stocktakes_month_original', ['month'], unique=True,
                              sqlite_where=sa.text('corrects_id IS NULL'),
                              postgresql_where=sa.text('corrects_id IS NULL'))

    op.create_table(
        'stocktake_scans',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('stocktake_id', sa.Integer(), nullable=False),
        sa.Column('garment_id', sa.Integer(), nullable=True),
        sa.Column('code', sa.String(length=64), nullable=False),
        sa.Column('location', sa.String(length=16), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("location IS NULL OR location IN ('rack', 'laundry', 'tailor', 'other')",
                           name=op.f('ck_stocktake_scans_location')),
        sa.ForeignKeyConstraint(['stocktake_id'], ['stocktakes.id'],
                                name=op.f('fk_stocktake_scans_stocktake_id_stocktakes')),
        sa.ForeignKeyConstraint(['garment_id'], ['garments.id'],
                                name=op.f('fk_stocktake_scans_garment_id_garments')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_stocktake_scans_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stocktake_scans')),
        sa.UniqueConstraint('stocktake_id', 'garment_id', name='uq_stocktake_scans_garment'),
        sa.UniqueConstraint('stocktake_id', 'code', name='uq_stocktake_scans_code'),
    )
    with op.batch_alter_table('stocktake_scans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stocktake_scans_garment_id'), ['garment_id'], unique=False)

    op.create_table(
        'stocktake_snapshots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('stocktake_id', sa.Integer(), nullable=False),
        sa.Column('type_id', sa.Integer(), nullable=False),
        sa.Column('size', sa.String(length=16), nullable=False),
        sa.Column('expected', sa.Integer(), nullable=False),
        sa.Column('seen', sa.Integer(), nullable=False),
        sa.Column('accounted_for', sa.Integer(), nullable=False),
        sa.Column('missing', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['stocktake_id'], ['stocktakes.id'],
                                name=op.f('fk_stocktake_snapshots_stocktake_id_stocktakes')),
        sa.ForeignKeyConstraint(['type_id'], ['garment_types.id'],
                                name=op.f('fk_stocktake_snapshots_type_id_garment_types')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stocktake_snapshots')),
        sa.UniqueConstraint('stocktake_id', 'type_id', 'size', name='uq_stocktake_snapshots_type_size'),
    )

    op.create_table(
        'stocktake_item_counts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('stocktake_id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('expected', sa.Integer(), nullable=False),
        sa.Column('counted', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('counted >= 0', name=op.f('ck_stocktake_item_counts_counted')),
        sa.ForeignKeyConstraint(['stocktake_id'], ['stocktakes.id'],
                                name=op.f('fk_stocktake_item_counts_stocktake_id_stocktakes')),
        sa.ForeignKeyConstraint(['item_id'], ['stock_items.id'],
                                name=op.f('fk_stocktake_item_counts_item_id_stock_items')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_stocktake_item_counts_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stocktake_item_counts')),
        sa.UniqueConstraint('stocktake_id', 'item_id', name='uq_stocktake_item_counts_item'),
    )


def downgrade():
    op.drop_table('stocktake_item_counts')
    op.drop_table('stocktake_snapshots')
    with op.batch_alter_table('stocktake_scans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stocktake_scans_garment_id'))
    op.drop_table('stocktake_scans')
    with op.batch_alter_table('stocktakes', schema=None) as batch_op:
        batch_op.drop_index('uq_stocktakes_month_original')
        batch_op.drop_index(batch_op.f('ix_stocktakes_corrects_id'))
        batch_op.drop_index(batch_op.f('ix_stocktakes_month'))
    op.drop_table('stocktakes')
