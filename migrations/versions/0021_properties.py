"""properties: a hotel group on one database (issue 17)

``properties`` are the group's hotels; the hotel of an existing database becomes property 1 and
everything it holds is property 1's. Every record of a room gets ``property_id``; the numbers
staff read (工号, 制服编号, a department's name, a printer's and a tablet's name, a stock item's
code, a month's stocktake and distribution) are unique within their property, while tags,
badges and the garment types' codes stay unique in the group. ``property_members``: the
properties an operator works at (every operator of property 1 to begin with); a sign-in
(``operator_sessions.property_id``) is to one of them.

Revision ID: 0021
Revises: 0020
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

FIRST = 1
#: the operators' roles as of this revision (kiosk.domain.roles.ROLES then)
ROLES = ('clerk', 'ironer', 'supervisor', 'admin', 'group_supervisor', 'group_admin')

#: table -> (index property_id on its own, uniques dropped, uniques added, indexes dropped, indexes added):
#: where an index or unique key begins with property_id, it is not indexed on its own
#: a unique or index is (name, columns); partial indexes are in PARTIAL
TABLES = {
    'departments': (False, [('uq_departments_name', ['name'])],
                    [('uq_departments_property_name', ['property_id', 'name'])], [], []),
    'employees': (False, [('uq_employees_staff_no', ['staff_no']), ('uq_employees_uniform_no', ['uniform_no'])],
                  [('uq_employees_property_staff_no', ['property_id', 'staff_no']),
                   ('uq_employees_property_uniform_no', ['property_id', 'uniform_no'])], [], []),
    'garments': (False, [], [],
                 [('ix_garments_status_type', ['status', 'type_id']),
                  ('ix_garments_status_since', ['status', 'status_since'])],
                 [('ix_garments_property_status_type', ['property_id', 'status', 'type_id']),
                  ('ix_garments_property_status_since', ['property_id', 'status', 'status_since'])]),
    'events': (False, [], [],
               [('ix_events_created', ['created_at']), ('ix_events_action_created', ['action', 'created_at'])],
               [('ix_events_property_created', ['property_id', 'created_at']),
                ('ix_events_property_action_created', ['property_id', 'action', 'created_at'])]),
    'checkin_batches': (True, [], [], [], []),
    'tag_reprints': (True, [], [], [], []),
    'printers': (False, [('uq_printers_name', ['name'])], [('uq_printers_property_name', ['property_id', 'name'])],
                 [], []),
    'tablets': (True, [], [], [], []),
    'print_jobs': (False, [], [],
                   [('ix_print_jobs_status_id', ['status', 'id']),
                    ('ix_print_jobs_status_created_at', ['status', 'created_at']),
                    ('ix_print_jobs_status_printed_at', ['status', 'printed_at']),
                    ('ix_print_jobs_status_updated_at', ['status', 'updated_at'])],
                   [('ix_print_jobs_property_status_id', ['property_id', 'status', 'id']),
                    ('ix_print_jobs_property_status_created_at', ['property_id', 'status', 'created_at']),
                    ('ix_print_jobs_property_status_printed_at', ['property_id', 'status', 'printed_at']),
                    ('ix_print_jobs_property_status_updated_at', ['property_id', 'status', 'updated_at'])]),
    'station_settings': (False, [], [], [], []),
    'purchases': (False, [], [],
                  [('ix_purchases_purchased_on', ['purchased_on']), ('ix_purchases_created_at', ['created_at'])],
                  [('ix_purchases_property_purchased_on', ['property_id', 'purchased_on']),
                   ('ix_purchases_property_created_at', ['property_id', 'created_at'])]),
    'purchase_garments': (True, [], [], [], []),
    'checklist_items': (False, [], [], [('ix_checklist_items_checklist_position', ['checklist', 'position'])],
                        [('ix_checklist_items_property_checklist_position', ['property_id', 'checklist', 'position'])]),
    'checklist_runs': (False, [], [], [('ix_checklist_runs_at', ['at'])],
                       [('ix_checklist_runs_property_at', ['property_id', 'at'])]),
    'loans': (True, [], [], [], []),
    'loan_items': (True, [], [], [], []),
    'loan_contact_attempts': (True, [], [], [], []),
    'handovers': (False, [], [], [('ix_handovers_acknowledged_created', ['acknowledged_at', 'created_at'])],
                  [('ix_handovers_property_acknowledged_created', ['property_id', 'acknowledged_at', 'created_at'])]),
    'write_offs': (False, [], [], [('ix_write_offs_status_approved', ['status', 'approved_at'])],
                   [('ix_write_offs_property_status_approved', ['property_id', 'status', 'approved_at'])]),
    'compensations': (True, [], [], [], []),
    'compensation_corrections': (True, [], [], [], []),
    'stock_snapshots': (False, [('uq_stock_snapshots_taken_at', ['taken_at'])],
                        [('uq_stock_snapshots_property_taken_at', ['property_id', 'taken_at'])], [], []),
    'alert_channels': (True, [], [], [], []),
    'alert_settings': (False, [], [('uq_alert_settings_property', ['property_id'])], [], []),
    'alerts': (False, [], [], [('ix_alerts_status_next', ['status', 'next_attempt_at'])],
               [('ix_alerts_property_status_next', ['property_id', 'status', 'next_attempt_at'])]),
    'clearances': (True, [], [], [], []),
    'clearance_lines': (True, [], [], [], []),
    'stocktakes': (True, [], [], [], []),
    'stocktake_scans': (True, [], [], [], []),
    'stocktake_snapshots': (True, [], [], [], []),
    'stocktake_item_counts': (True, [], [], [], []),
    'stock_items': (False, [('uq_stock_items_code_size', ['code', 'size'])],
                    [('uq_stock_items_code_size', ['property_id', 'code', 'size'])], [], []),
    'stock_movements': (True, [], [], [], []),
    'distribution_runs': (False, [('uq_distribution_runs_month', ['month'])],
                          [('uq_distribution_runs_property_month', ['property_id', 'month'])], [], []),
    'distribution_lines': (True, [], [], [], []),
    'kit_lines': (False, [('uq_kit_lines_position_item', ['position', 'department_key', 'item_key'])],
                  [('uq_kit_lines_position_item', ['property_id', 'position', 'department_key', 'item_key'])],
                  [], []),
}

#: partial indexes: (name, table, columns before, columns after, unique, where). Dropped before a
#: table is rebuilt and made again after it (a SQLite rebuild would not keep their WHERE).
PARTIAL = [
    ('ix_events_reversed', 'events', ['reverses_event_id'], ['reverses_event_id'], False,
     'reverses_event_id IS NOT NULL'),
    ('ix_checkin_batches_open', 'checkin_batches', ['opened_at'], ['property_id', 'opened_at'], False,
     'closed_at IS NULL'),
    ('ix_tag_reprints_pending', 'tag_reprints', ['requested_at'], ['property_id', 'requested_at'], False,
     'done_at IS NULL'),
    ('ix_printers_one_default', 'printers', ['is_default'], ['property_id', 'is_default'], True,
     'is_default AND retired_at IS NULL'),
    ('ix_tablets_name_in_use', 'tablets', ['name'], ['property_id', 'name'], True, 'retired_at IS NULL'),
    ('uq_stocktakes_month_original', 'stocktakes', ['month'], ['property_id', 'month'], True,
     'corrects_id IS NULL'),
]


def _partial(name, table, columns, unique, where):
    op.create_index(name, table, columns, unique=unique, sqlite_where=sa.text(where),
                    postgresql_where=sa.text(where))


def upgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    properties = op.create_table(
        'properties',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=8), nullable=False),
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('time_zone', sa.String(length=64), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_properties')),
        sa.UniqueConstraint('code', name=op.f('uq_properties_code')),
    )
    bind = op.get_bind()
    hotel = bind.execute(sa.text("SELECT name FROM hotel ORDER BY id LIMIT 1")).scalar()
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    op.bulk_insert(properties, [{'id': FIRST, 'code': '', 'name': hotel or '', 'active': True, 'created_at': now}])
    if not sqlite:  # the id was given: the sequence starts after it
        op.execute("SELECT setval(pg_get_serial_sequence('properties', 'id'), 1)")

    op.create_table(
        'property_members',
        sa.Column('property_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['property_id'], ['properties.id'],
                                name=op.f('fk_property_members_property_id_properties')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_property_members_user_id_users')),
        sa.PrimaryKeyConstraint('property_id', 'user_id', name=op.f('pk_property_members')),
    )
    op.create_index(op.f('ix_property_members_user_id'), 'property_members', ['user_id'])
    # Every operator of the hotel works at its property.
    op.execute(sa.text("INSERT INTO property_members (property_id, user_id, created_at) "
                       "SELECT :first, id, created_at FROM users").bindparams(first=FIRST))

    for name, table, before, _after, _unique, _where in PARTIAL:
        op.drop_index(name, table_name=table)
    for table, (own_index, drop_uniques, add_uniques, drop_indexes, add_indexes) in TABLES.items():
        _belong(table, sqlite, drop_uniques, add_uniques, drop_indexes, add_indexes,
                primary_key=table == 'station_settings')
        if own_index:
            op.create_index(f'ix_{table}_property_id', table, ['property_id'])
    _belong('operator_sessions', sqlite, [], [], [], [])
    # The group's own roles: a group administrator and a group supervisor work at every property.
    with op.batch_alter_table('users') as batch:
        batch.drop_constraint('role', type_='check')
        batch.create_check_constraint('role', f"role IN ({', '.join(repr(r) for r in ROLES)})")
    for name, table, _before, after, unique, where in PARTIAL:
        _partial(name, table, after, unique, where)


def _belong(table, sqlite, drop_uniques, add_uniques, drop_indexes, add_indexes, *, primary_key=False):
    """``table.property_id``: every row property 1's, then a key to ``properties`` with no default."""
    if sqlite:
        # Added with its value in one statement (a rebuild below turns it into a key).
        op.execute(f"ALTER TABLE {table} ADD COLUMN property_id INTEGER NOT NULL DEFAULT {FIRST}")
    else:
        op.add_column(table, sa.Column('property_id', sa.Integer(), nullable=False, server_default=str(FIRST)))
    for name, _columns in drop_indexes:
        op.drop_index(name, table_name=table)
    with op.batch_alter_table(table, recreate='always' if sqlite else 'auto') as batch:
        batch.alter_column('property_id', existing_type=sa.Integer(), existing_nullable=False, server_default=None)
        batch.create_foreign_key(f'fk_{table}_property_id_properties', 'properties', ['property_id'], ['id'])
        for name, _columns in drop_uniques:
            batch.drop_constraint(name, type_='unique')
        for name, columns in add_uniques:
            batch.create_unique_constraint(name, columns)
        if primary_key:
            batch.drop_constraint(f'pk_{table}', type_='primary')
            batch.create_primary_key(f'pk_{table}', ['property_id', 'station'])
    for name, columns in add_indexes:
        op.create_index(name, table, columns)


def downgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    several = op.get_bind().execute(sa.text("SELECT COUNT(*) FROM properties")).scalar()
    if several > 1:
        raise RuntimeError("this database holds several properties: one database per hotel cannot hold them")
    group = op.get_bind().execute(sa.text("SELECT COUNT(*) FROM users WHERE role LIKE 'group_%'")).scalar()
    if group:
        raise RuntimeError("operators with a group role: give them a hotel's role before going back")
    with op.batch_alter_table('users') as batch:
        batch.drop_constraint('role', type_='check')
        batch.create_check_constraint('role', f"role IN ({', '.join(repr(r) for r in ROLES[:4])})")
    for name, table, _before, _after, _unique, _where in PARTIAL:
        op.drop_index(name, table_name=table)
    tables = [('operator_sessions', (False, [], [], [], []))] + list(TABLES.items())
    for table, (own_index, drop_uniques, add_uniques, drop_indexes, add_indexes) in reversed(tables):
        if own_index:
            op.drop_index(f'ix_{table}_property_id', table_name=table)
        for name, _columns in add_indexes:
            op.drop_index(name, table_name=table)
        with op.batch_alter_table(table, recreate='always' if sqlite else 'auto') as batch:
            for name, _columns in add_uniques:
                batch.drop_constraint(name, type_='unique')
            if table == 'station_settings':
                batch.drop_constraint(f'pk_{table}', type_='primary')
                batch.create_primary_key(f'pk_{table}', ['station'])
            batch.drop_constraint(f'fk_{table}_property_id_properties', type_='foreignkey')
            batch.drop_column('property_id')
            for name, columns in drop_uniques:
                batch.create_unique_constraint(name, columns)
        for name, columns in drop_indexes:
            op.create_index(name, table, columns)
    for name, table, before, _after, unique, where in PARTIAL:
        _partial(name, table, before, unique, where)
    op.drop_index(op.f('ix_property_members_user_id'), table_name='property_members')
    op.drop_table('property_members')
    op.drop_table('properties')
