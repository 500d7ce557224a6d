"""request keys in one table, scoped per operator (kiosk.request_keys)

Until now each table that a keyed command writes kept its own unique
``request_key`` column, global across operators. The keys move into
``request_keys`` (unique per operator, command and key, pointing at the
record the command produced) and the nine columns go.

Carried over, so that a form served before the upgrade and sent again after
it still lands once: the keys of loans, contact attempts, handovers,
write-offs, compensation corrections, stock movements, purchases and
registry registrations, each under its operator. Not carried: keys of scans
and prints (a repeated scan is still stopped by the duplicate window and the
state machine, a repeated print wastes a label), keys without an operator,
and keys the one parser now refuses.

Revision ID: 0010
Revises: 0009
"""
import json
import re

from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")

# (table, operator column, time column, command) for records one keyed command produced.
_DOCUMENTS = (
    ('loans', 'created_by_id', 'created_at', 'loan.open'),
    ('loan_contact_attempts', 'user_id', 'at', 'loan.contact'),
    ('handovers', 'written_by_id', 'created_at', 'handover.write'),
    ('write_offs', 'created_by_id', 'created_at', 'writeoff.open'),
    ('compensation_corrections', 'created_by_id', 'created_at', 'compensation.correct'),
    ('purchases', 'created_by_id', 'created_at', 'purchase.receive'),
)
_STOCK_COMMANDS = {'received': 'stock.receive', 'issued': 'stock.issue', 'adjusted': 'stock.adjust'}

# Every table that had a request_key column, with the length it had.
_KEYED = (('events', 64), ('print_jobs', 80), ('loans', 64), ('loan_contact_attempts', 64),
          ('handovers', 64), ('write_offs', 64), ('compensation_corrections', 64),
          ('stock_movements', 64), ('purchases', 64))


def upgrade():
    op.create_table(
        'request_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('command', sa.String(length=48), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('result', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_request_keys_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_request_keys')),
        sa.UniqueConstraint('user_id', 'command', 'key', name=op.f('uq_request_keys_user_id')),
    )
    with op.batch_alter_table('request_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_keys_created_at'), ['created_at'], unique=False)

    bind = op.get_bind()
    rows = _carried_keys(bind)
    if rows:
        # Plain SQL: the times go back as they were read (SQLite hands them out as text).
        bind.execute(sa.text('INSERT INTO request_keys (user_id, command, "key", result, created_at)'
                             ' VALUES (:user_id, :command, :key, :result, :created_at)'), rows)

    for table, _length in _KEYED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'uq_{table}_request_key'), type_='unique')
            batch_op.drop_column('request_key')


def _carried_keys(bind) -> list[dict]:
    rows: list[dict] = []

    def keep(user_id, command, key, result, created_at):
        if user_id is not None and key and _KEY.fullmatch(key):
            rows.append(dict(user_id=user_id, command=command, key=key, result=json.dumps(result),
                             created_at=created_at))

    for table, operator, when, command in _DOCUMENTS:
        found = bind.execute(sa.text(
            f"SELECT id, {operator} AS user_id, request_key, {when} AS created_at FROM {table}"
            " WHERE request_key IS NOT NULL ORDER BY id"))
        for row in found:
            keep(row.user_id, command, row.request_key, row.id, row.created_at)
    for row in bind.execute(sa.text(
            "SELECT id, user_id, reason, request_key, at FROM stock_movements"
            " WHERE request_key IS NOT NULL ORDER BY id")):
        if row.reason in _STOCK_COMMANDS:
            keep(row.user_id, _STOCK_COMMANDS[row.reason], row.request_key, row.id, row.at)
    # A registry registration keyed its events "<key>:<n>"; a purchase's own
    # registrations ("<key>:<chunk>:<n>") are carried with the purchase.
    registrations: dict[tuple[int, str], dict] = {}
    for row in bind.execute(sa.text(
            "SELECT garment_id, user_id, request_key, created_at FROM events"
            " WHERE action = 'register' AND station = 'registry' AND request_key IS NOT NULL ORDER BY id")):
        parts = row.request_key.split(':')
        if len(parts) != 2 or row.user_id is None:
            continue
        first = registrations.setdefault((row.user_id, parts[0]), dict(garments=[], created_at=row.created_at))
        first['garments'].append(row.garment_id)
    for (user_id, key), registration in registrations.items():
        keep(user_id, 'registry.register', key, registration['garments'], registration['created_at'])
    return rows


def downgrade():
    # The columns come back empty: a key kept per operator cannot be made
    # globally unique again without choosing whose request wins.
    for table, length in reversed(_KEYED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('request_key', sa.String(length=length), nullable=True))
            batch_op.create_unique_constraint(batch_op.f(f'uq_{table}_request_key'), ['request_key'])
    with op.batch_alter_table('request_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_keys_created_at'))
    op.drop_table('request_keys')
