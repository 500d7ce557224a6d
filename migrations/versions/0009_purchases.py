"""purchases (新购制服) and the garments each one registered

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=12, scale=2)


def upgrade():
    op.create_table(
        'purchases',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('type_id', sa.Integer(), nullable=False),
        sa.Column('size', sa.String(length=16), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('unit_price', MONEY, nullable=False),
        sa.Column('supplier', sa.String(length=128), nullable=False),
        sa.Column('purchased_on', sa.Date(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('request_key', sa.String(length=64), nullable=False),
        sa.CheckConstraint('quantity >= 1 AND quantity <= 500', name=op.f('ck_purchases_quantity')),
        sa.CheckConstraint('unit_price >= 0', name=op.f('ck_purchases_unit_price')),
        sa.ForeignKeyConstraint(['type_id'], ['garment_types.id'], name=op.f('fk_purchases_type_id_garment_types')),
        sa.ForeignKeyConstraint(['owner_id'], ['employees.id'], name=op.f('fk_purchases_owner_id_employees')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_purchases_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_purchases')),
        sa.UniqueConstraint('request_key', name=op.f('uq_purchases_request_key')),
    )
    with op.batch_alter_table('purchases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_purchases_type_id'), ['type_id'], unique=False)
        batch_op.create_index('ix_purchases_purchased_on', ['purchased_on'], unique=False)
        batch_op.create_index('ix_purchases_created_at', ['created_at'], unique=False)

    op.create_table(
        'purchase_garments',
        sa.Column('purchase_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('garment_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['purchase_id'], ['purchases.id'],
                                name=op.f('fk_purchase_garments_purchase_id_purchases')),
        sa.ForeignKeyConstraint(['garment_id'], ['garments.id'],
                                name=op.f('fk_purchase_garments_garment_id_garments')),
        sa.PrimaryKeyConstraint('purchase_id', 'position', name=op.f('pk_purchase_garments')),
        sa.UniqueConstraint('garment_id', name=op.f('uq_purchase_garments_garment_id')),
    )


def downgrade():
    op.drop_table('purchase_garments')
    with op.batch_alter_table('purchases', schema=None) as batch_op:
        batch_op.drop_index('ix_purchases_created_at')
        batch_op.drop_index('ix_purchases_purchased_on')
        batch_op.drop_index(batch_op.f('ix_purchases_type_id'))
    op.drop_table('purchases')
