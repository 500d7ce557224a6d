"""kits by position, employees' shoe and sock sizes, a leaver's clearance, shift checklists

- ``kit_lines``: the 配发标准, per position (and department) a garment type
  or a stock item code and how many; one row per position, department and
  item (``department_key`` and ``item_key`` hold the NULLs as values).
- ``employees``: ``shoe_size`` and ``sock_size`` beside the clothing size.
- ``stock_items``: ``return_on_leaving`` (handed back by a leaver) and
  ``unit_cost`` (charged when it is not); ``stock_movements.reason`` may be
  ``returned``.
- ``clearances`` and ``clearance_lines``: what a leaver holds and how each
  thing ended (returned, written off and charged, waived).
- ``checklist_items`` and ``checklist_runs``: the opening and closing checks
  of the ironing station and the counter, seeded here with the room's written
  duties in their own words (the seed text), and each check as done or missing.

The seeded items are written out here, not imported, so this migration stays
what it was when later code changes.

Revision ID: 0012
Revises: 0011
"""
import datetime as dt

from alembic import op
import sqlalchemy as sa

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

_OLD_REASONS = "reason IN ('received', 'issued', 'adjusted', 'distributed')"
_NEW_REASONS = "reason IN ('received', 'issued', 'adjusted', 'distributed', 'returned')"

#: (checklist, text as the duties say it, English, rule): the seed's words.
_SEED_ITEMS = (
    ('ironing_open', '做好机器设备使用前的各种准备工作', 'Prepare the machines and equipment before use', ''),
    ('ironing_open', '检查不安全隐患', 'Check for safety hazards', ''),
    ('ironing_close', '关闭电源、蒸汽阀门', 'Switch off the power and the steam valves', ''),
    ('ironing_close', '擦拭机器，维护保养机器设备', 'Wipe the machines; maintain the equipment', ''),
    ('ironing_close', '检查工作场所是否有遗留衣服、纽扣、拉锁等',
     'Check the work area for garments, buttons or zips left behind', ''),
    ('counter_open', '对工作区域进行卫生打扫，擦拭所用物品', 'Clean the work area; wipe what you use', ''),
    ('counter_open', '检查制服间的制服情况：上架和折叠的制服有无毛发、破碎',
     'Check the uniforms on the racks and folded: hair, tears', ''),
    ('counter_close', '洗涤和熨烫合格的衣物全部按号配入', 'Every passed garment is in its numbered slot',
     'all_slotted'),
    ('counter_close', '检查制服间的门窗是否完好', 'Check the doors and windows of the uniform room', ''),
    ('counter_close', '关闭照明', 'Switch off the lights', ''),
)


def upgrade():
    op.create_table(
        'kit_lines',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('position', sa.String(length=64), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('type_id', sa.Integer(), nullable=True),
        sa.Column('stock_code', sa.String(length=32), nullable=True),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('department_key', sa.Integer(), nullable=False),
        sa.Column('item_key', sa.String(length=40), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('(type_id IS NULL) <> (stock_code IS NULL)', name=op.f('ck_kit_lines_one_item')),
        sa.CheckConstraint('quantity > 0 AND quantity <= 20', name=op.f('ck_kit_lines_quantity')),
        sa.ForeignKeyConstraint(['department_id'], ['departments.id'],
                                name=op.f('fk_kit_lines_department_id_departments')),
        sa.ForeignKeyConstraint(['type_id'], ['garment_types.id'],
                                name=op.f('fk_kit_lines_type_id_garment_types')),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_kit_lines_updated_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_kit_lines')),
        sa.UniqueConstraint('position', 'department_key', 'item_key', name=op.f('uq_kit_lines_position_item')),
    )
    with op.batch_alter_table('kit_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kit_lines_position'), ['position'], unique=False)

    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shoe_size', sa.String(length=16), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('sock_size', sa.String(length=16), nullable=False, server_default=''))
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.alter_column('shoe_size', server_default=None)
        batch_op.alter_column('sock_size', server_default=None)

    with op.batch_alter_table('stock_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('return_on_leaving', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('unit_cost', sa.Numeric(precision=12, scale=2), nullable=False,
                                      server_default='0'))
        batch_op.create_check_constraint(op.f('ck_stock_items_cost'), 'unit_cost >= 0')
    with op.batch_alter_table('stock_items', schema=None) as batch_op:
        batch_op.alter_column('return_on_leaving', server_default=None)
        batch_op.alter_column('unit_cost', server_default=None)

    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_stock_movements_reason'), type_='check')
        batch_op.create_check_constraint(op.f('ck_stock_movements_reason'), _NEW_REASONS)

    op.create_table(
        'clearances',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('employee_id', sa.Integer(), nullable=False),
        sa.Column('opened_by_id', sa.Integer(), nullable=True),
        sa.Column('opened_at', sa.DateTime(), nullable=False),
        sa.Column('closed_by_id', sa.Integer(), nullable=True),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('signature_png', sa.LargeBinary(), nullable=True),
        sa.Column('signed_on_paper', sa.Boolean(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['employee_id'], ['employees.id'], name=op.f('fk_clearances_employee_id_employees')),
        sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_clearances_opened_by_id_users')),
        sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_clearances_closed_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_clearances')),
    )
    with op.batch_alter_table('clearances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clearances_employee_id'), ['employee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_clearances_closed_at'), ['closed_at'], unique=False)

    op.create_table(
        'clearance_lines',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('clearance_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('garment_id', sa.Integer(), nullable=True),
        sa.Column('loan_item_id', sa.Integer(), nullable=True),
        sa.Column('stock_item_id', sa.Integer(), nullable=True),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('returned_quantity', sa.Integer(), nullable=False),
        sa.Column('outcome', sa.String(length=12), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=True),
        sa.Column('movement_id', sa.Integer(), nullable=True),
        sa.Column('write_off_id', sa.Integer(), nullable=True),
        sa.Column('charged', sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column('done_by_id', sa.Integer(), nullable=True),
        sa.Column('done_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint("kind IN ('garment', 'spare', 'loan', 'stock')", name=op.f('ck_clearance_lines_kind')),
        sa.CheckConstraint("outcome IN ('open', 'returned', 'written_off', 'waived')",
                           name=op.f('ck_clearance_lines_outcome')),
        sa.CheckConstraint('quantity > 0 AND returned_quantity >= 0 AND returned_quantity <= quantity',
                           name=op.f('ck_clearance_lines_quantities')),
        sa.CheckConstraint('(garment_id IS NULL) <> (stock_item_id IS NULL)',
                           name=op.f('ck_clearance_lines_one_thing')),
        sa.ForeignKeyConstraint(['clearance_id'], ['clearances.id'],
                                name=op.f('fk_clearance_lines_clearance_id_clearances')),
        sa.ForeignKeyConstraint(['garment_id'], ['garments.id'], name=op.f('fk_clearance_lines_garment_id_garments')),
        sa.ForeignKeyConstraint(['loan_item_id'], ['loan_items.id'],
                                name=op.f('fk_clearance_lines_loan_item_id_loan_items')),
        sa.ForeignKeyConstraint(['stock_item_id'], ['stock_items.id'],
                                name=op.f('fk_clearance_lines_stock_item_id_stock_items')),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_clearance_lines_event_id_events')),
        sa.ForeignKeyConstraint(['movement_id'], ['stock_movements.id'],
                                name=op.f('fk_clearance_lines_movement_id_stock_movements')),
        sa.ForeignKeyConstraint(['write_off_id'], ['write_offs.id'],
                                name=op.f('fk_clearance_lines_write_off_id_write_offs')),
        sa.ForeignKeyConstraint(['done_by_id'], ['users.id'], name=op.f('fk_clearance_lines_done_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_clearance_lines')),
    )
    with op.batch_alter_table('clearance_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clearance_lines_clearance_id'), ['clearance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_clearance_lines_garment_id'), ['garment_id'], unique=False)

    items = op.create_table(
        'checklist_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('checklist', sa.String(length=24), nullable=False),
        sa.Column('text', sa.String(length=200), nullable=False),
        sa.Column('text_en', sa.String(length=200), nullable=False),
        sa.Column('rule', sa.String(length=24), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'],
                                name=op.f('fk_checklist_items_updated_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_items')),
    )
    with op.batch_alter_table('checklist_items', schema=None) as batch_op:
        batch_op.create_index('ix_checklist_items_checklist_position', ['checklist', 'position'], unique=False)

    op.create_table(
        'checklist_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('checklist', sa.String(length=24), nullable=False),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=True),
        sa.Column('station', sa.String(length=24), nullable=False),
        sa.Column('items', sa.Text(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("status IN ('done', 'missing')", name=op.f('ck_checklist_runs_status')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_checklist_runs_user_id_users')),
        sa.ForeignKeyConstraint(['session_id'], ['operator_sessions.id'],
                                name=op.f('fk_checklist_runs_session_id_operator_sessions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_runs')),
    )
    with op.batch_alter_table('checklist_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklist_runs_user_id'), ['user_id'], unique=False)
        batch_op.create_index('ix_checklist_runs_at', ['at'], unique=False)
        batch_op.create_index('ix_checklist_runs_session_checklist', ['session_id', 'checklist'], unique=False)

    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    positions: dict[str, int] = {}
    rows = []
    for checklist, text, text_en, rule in _SEED_ITEMS:
        positions[checklist] = positions.get(checklist, 0) + 1
        rows.append({'checklist': checklist, 'text': text, 'text_en': text_en, 'rule': rule,
                     'position': positions[checklist], 'active': True, 'updated_at': now})
    op.bulk_insert(items, rows)


def downgrade():
    with op.batch_alter_table('checklist_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_checklist_runs_session_checklist')
        batch_op.drop_index('ix_checklist_runs_at')
        batch_op.drop_index(batch_op.f('ix_checklist_runs_user_id'))
    op.drop_table('checklist_runs')
    with op.batch_alter_table('checklist_items', schema=None) as batch_op:
        batch_op.drop_index('ix_checklist_items_checklist_position')
    op.drop_table('checklist_items')
    with op.batch_alter_table('clearance_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clearance_lines_garment_id'))
        batch_op.drop_index(batch_op.f('ix_clearance_lines_clearance_id'))
    op.drop_table('clearance_lines')
    with op.batch_alter_table('clearances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clearances_closed_at'))
        batch_op.drop_index(batch_op.f('ix_clearances_employee_id'))
    op.drop_table('clearances')
    op.execute("UPDATE stock_movements SET reason = 'adjusted' WHERE reason = 'returned'")
    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_stock_movements_reason'), type_='check')
        batch_op.create_check_constraint(op.f('ck_stock_movements_reason'), _OLD_REASONS)
    with op.batch_alter_table('stock_items', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_stock_items_cost'), type_='check')
        batch_op.drop_column('unit_cost')
        batch_op.drop_column('return_on_leaving')
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.drop_column('sock_size')
        batch_op.drop_column('shoe_size')
    with op.batch_alter_table('kit_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kit_lines_position'))
    op.drop_table('kit_lines')
