"""operators managed on screen, badges as keyed hashes, server-side sessions, the hotel record

- ``users``: ``badge_code`` becomes ``badge_hash`` (HMAC-SHA256 with the
  instance folder's badge key, ``KIOSK_BADGE_KEY``); an operator may be linked
  to their employee record (``employee_id``); ``must_change_pin`` after a PIN
  someone else chose; ``deactivated_at``.
- ``employees``: ``badge_code`` becomes ``badge_hash`` the same way.
- ``operator_changes``: who changed which operator, when and how (never a PIN).
- ``operator_sessions``: a sign-in held on the server, ended by sign-out.
- ``sign_in_throttle``: wrong PINs and unknown badges per client address.
- ``hotel``: the hotel's name and whether this is the demo. A database that
  already holds the demo's operators is marked as the demo, and everything in
  it at this upgrade counts as demo data (``demo_marks``: the highest id of
  each table, for ``kiosk demo --remove``).

The hashing is written out here, not imported, so this migration stays what
it was when later code changes: HMAC-SHA256 over the code as every scan
normalises it (NFKC, trimmed, upper case), hex.

Revision ID: 0011
Revises: 0010
"""
import datetime as dt
import hashlib
import hmac
import json
import unicodedata

from alembic import op
import sqlalchemy as sa
from flask import current_app

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

#: The demo hotel's operators (kiosk.demo.DEMO_USERS when this was written).
_DEMO_OPERATORS = ('王收发', '陈收发', '李熨烫', '周熨烫', '赵领班', '管理员')

#: Tables whose rows the demo loads (their highest ids become the demo's marks).
_DEMO_TABLES = ('checkin_batches', 'compensation_corrections', 'compensations', 'departments',
                'distribution_lines', 'distribution_runs', 'employees', 'events', 'garment_types',
                'garments', 'handovers', 'loan_contact_attempts', 'loan_items', 'loans', 'print_jobs',
                'purchase_garments', 'purchases', 'request_keys', 'stock_items', 'stock_movements',
                'stocktake_item_counts', 'stocktake_scans', 'stocktake_snapshots', 'stocktakes',
                'tag_reprints', 'users', 'write_offs')


def _digest(key: str, code):
    normalised = unicodedata.normalize('NFKC', code or '').strip().upper()
    if not normalised:
        return None
    return hmac.new(key.encode(), normalised.encode(), hashlib.sha256).hexdigest()


def _hash_badges(bind, table: str, key: str) -> None:
    rows = bind.execute(sa.text(f'SELECT id, badge_code FROM {table} WHERE badge_code IS NOT NULL')).all()
    for row in rows:
        bind.execute(sa.text(f'UPDATE {table} SET badge_hash = :h WHERE id = :id'),
                     dict(h=_digest(key, row.badge_code), id=row.id))


def upgrade():
    bind = op.get_bind()
    key = current_app.config['KIOSK_BADGE_KEY']

    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('badge_hash', sa.String(length=64), nullable=True))
    _hash_badges(bind, 'employees', key)
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_employees_badge_code'), type_='unique')
        batch_op.drop_column('badge_code')
        batch_op.create_unique_constraint(batch_op.f('uq_employees_badge_hash'), ['badge_hash'])

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('badge_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('employee_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('deactivated_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('must_change_pin', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    _hash_badges(bind, 'users', key)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_badge_code'), type_='unique')
        batch_op.drop_column('badge_code')
        batch_op.create_unique_constraint(batch_op.f('uq_users_badge_hash'), ['badge_hash'])
        batch_op.create_unique_constraint(batch_op.f('uq_users_employee_id'), ['employee_id'])
        batch_op.create_foreign_key(batch_op.f('fk_users_employee_id_employees'), 'employees',
                                    ['employee_id'], ['id'])
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('must_change_pin', server_default=None)

    op.create_table(
        'operator_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('action', sa.String(length=32), nullable=False),
        sa.Column('detail', sa.Text(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_operator_changes_actor_id_users')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_operator_changes_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_operator_changes')),
    )
    with op.batch_alter_table('operator_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_operator_changes_user_id'), ['user_id'], unique=False)

    op.create_table(
        'operator_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('client', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.Column('ended_reason', sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_operator_sessions_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_operator_sessions')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_operator_sessions_token_hash')),
    )
    with op.batch_alter_table('operator_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_operator_sessions_user_id'), ['user_id'], unique=False)

    op.create_table(
        'sign_in_throttle',
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_failure_at', sa.DateTime(), nullable=True),
        sa.Column('wait_until', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('address', name=op.f('pk_sign_in_throttle')),
    )

    hotel = op.create_table(
        'hotel',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('is_demo', sa.Boolean(), nullable=False),
        sa.Column('demo_marks', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_hotel')),
    )
    _record_the_hotel(bind, hotel)


def _record_the_hotel(bind, hotel) -> None:
    """An existing database gets its hotel row; one holding the demo's operators is the demo."""
    users = bind.execute(sa.text('SELECT name FROM users')).scalars().all()
    if not users:
        return  # a fresh database: ``kiosk init`` or the demo writes the row
    is_demo = set(_DEMO_OPERATORS) <= set(users)
    marks = {}
    if is_demo:
        inspector = sa.inspect(bind)
        for table in _DEMO_TABLES:
            if inspector.has_table(table) and 'id' in {c['name'] for c in inspector.get_columns(table)}:
                marks[table] = bind.execute(sa.text(f'SELECT MAX(id) FROM {table}')).scalar()
    bind.execute(hotel.insert().values(
        id=1, name='演示酒店' if is_demo else '', is_demo=is_demo,
        demo_marks=json.dumps({t: m for t, m in marks.items() if m is not None}),
        created_at=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)))


def downgrade():
    # Badge codes cannot come back from their hashes: the columns return empty
    # and every badge must be scanned in again.
    op.drop_table('hotel')
    op.drop_table('sign_in_throttle')
    with op.batch_alter_table('operator_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_operator_sessions_user_id'))
    op.drop_table('operator_sessions')
    with op.batch_alter_table('operator_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_operator_changes_user_id'))
    op.drop_table('operator_changes')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_employee_id_employees'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_users_employee_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_users_badge_hash'), type_='unique')
        batch_op.drop_column('must_change_pin')
        batch_op.drop_column('deactivated_at')
        batch_op.drop_column('employee_id')
        batch_op.drop_column('badge_hash')
        batch_op.add_column(sa.Column('badge_code', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_users_badge_code'), ['badge_code'])
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_employees_badge_hash'), type_='unique')
        batch_op.drop_column('badge_hash')
        batch_op.add_column(sa.Column('badge_code', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_employees_badge_code'), ['badge_code'])
