"""stock items, stock movements and the monthly distribution

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'stock_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('name_zh', sa.String(length=64), nullable=False),
        sa.Column('name_en', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('size', sa.String(length=16), nullable=False),
        sa.Column('quantity_on_hand', sa.Integer(), nullable=False),
        sa.Column('reorder_level', sa.Integer(), nullable=False),
        sa.Column('monthly_allowance', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('shoes', 'socks', 'hair_accessory', 'consumable')",
                           name=op.f('ck_stock_items_kind')),
        sa.CheckConstraint('quantity_on_hand >= 0', name=op.f('ck_stock_items_on_hand')),
        sa.CheckConstraint('reorder_level >= 0 AND monthly_allowance >= 0', name=op.f('ck_stock_items_levels')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_items')),
        sa.UniqueConstraint('code', 'size', name='uq_stock_items_code_size'),
    )
    op.create_table(
        'stock_movements',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('delta', sa.Integer(), nullable=False),
        sa.Column('balance', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=16), nullable=False),
        sa.Column('employee_id', sa.Integer(), nullable=True),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('request_key', sa.String(length=64), nullable=True),
        sa.CheckConstraint("reason IN ('received', 'issued', 'adjusted', 'distributed')",
                           name=op.f('ck_stock_movements_reason')),
        sa.CheckConstraint('delta <> 0', name=op.f('ck_stock_movements_delta')),
        sa.ForeignKeyConstraint(['item_id'], ['stock_items.id'], name=op.f('fk_stock_movements_item_id_stock_items')),
        sa.ForeignKeyConstraint(['employee_id'], ['employees.id'],
                                name=op.f('fk_stock_movements_employee_id_employees')),
        sa.ForeignKeyConstraint(['department_id'], ['departments.id'],
                                name=op.f('fk_stock_movements_department_id_departments')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_stock_movements_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_movements')),
        sa.UniqueConstraint('request_key', name=op.f('uq_stock_movements_request_key')),
    )
    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_movements_employee_id'), ['employee_id'], unique=False)
        batch_op.create_index('ix_stock_movements_item_at', ['item_id', 'at'], unique=False)

    op.create_table(
        'distribution_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('opened_by_id', sa.Integer(), nullable=True),
        sa.Column('opened_at', sa.DateTime(), nullable=False),
        sa.Column('closed_by_id', sa.Integer(), nullable=True),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('reopened_by_id', sa.Integer(), nullable=True),
        sa.Column('reopened_at', sa.DateTime(), nullable=True),
        sa.Column('reopen_count', sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_distribution_runs_status')),
        sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_distribution_runs_opened_by_id_users')),
        sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_distribution_runs_closed_by_id_users')),
        sa.ForeignKeyConstraint(['reopened_by_id'], ['users.id'],
                                name=op.f('fk_distribution_runs_reopened_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_distribution_runs')),
        sa.UniqueConstraint('month', name=op.f('uq_distribution_runs_month')),
    )
    op.create_table(
        'distribution_lines',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.Column('employee_id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('collected_at', sa.DateTime(), nullable=True),
        sa.Column('movement_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('quantity > 0', name=op.f('ck_distribution_lines_quantity')),
        sa.ForeignKeyConstraint(['run_id'], ['distribution_runs.id'],
                                name=op.f('fk_distribution_lines_run_id_distribution_runs')),
        sa.ForeignKeyConstraint(['employee_id'], ['employees.id'],
                                name=op.f('fk_distribution_lines_employee_id_employees')),
        sa.ForeignKeyConstraint(['item_id'], ['stock_items.id'],
                                name=op.f('fk_distribution_lines_item_id_stock_items')),
        sa.ForeignKeyConstraint(['movement_id'], ['stock_movements.id'],
                                name=op.f('fk_distribution_lines_movement_id_stock_movements')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_distribution_lines')),
        sa.UniqueConstraint('run_id', 'employee_id', 'item_id', name='uq_distribution_lines_run_employee_item'),
    )
    with op.batch_alter_table('distribution_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_distribution_lines_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_distribution_lines_employee_id'), ['employee_id'], unique=False)


def downgrade():
    with op.batch_alter_table('distribution_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_distribution_lines_employee_id'))
        batch_op.drop_index(batch_op.f('ix_distribution_lines_run_id'))
    op.drop_table('distribution_lines')
    op.drop_table('distribution_runs')
    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_movements_item_at')
        batch_op.drop_index(batch_op.f('ix_stock_movements_employee_id'))
    op.drop_table('stock_movements')
    op.drop_table('stock_items')
