"""a hotel's own price of a garment type of the group's catalogue (issue 17)

Revision ID: 0023
Revises: 0022
"""
import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'type_prices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('property_id', sa.Integer(), nullable=False),
        sa.Column('type_id', sa.Integer(), nullable=False),
        sa.Column('unit_cost', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('unit_cost >= 0', name=op.f('ck_type_prices_cost')),
        sa.ForeignKeyConstraint(['property_id'], ['properties.id'], name=op.f('fk_type_prices_property_id_properties')),
        sa.ForeignKeyConstraint(['type_id'], ['garment_types.id'], name=op.f('fk_type_prices_type_id_garment_types')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_type_prices')),
        sa.UniqueConstraint('property_id', 'type_id', name='uq_type_prices_property_type'),
    )


def downgrade():
    op.drop_table('type_prices')
