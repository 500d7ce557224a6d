"""the today board at a year of data: partial indexes for what it asks of the history (an event
undone, the carts still open, the tags still to print), so that it reads only what it shows

The full index on events.reverses_event_id gives way to one of the undos only: it held a NULL for
every event, so SQLite, once it had counted the table (ANALYZE), judged it useless and read the
whole ledger once per event it checked.

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

#: name -> (table, columns, the rows it holds)
PARTIAL = {
    'ix_events_reversed': ('events', ['reverses_event_id'], 'reverses_event_id IS NOT NULL'),
    'ix_checkin_batches_open': ('checkin_batches', ['opened_at'], 'closed_at IS NULL'),
    'ix_tag_reprints_pending': ('tag_reprints', ['requested_at'], 'done_at IS NULL'),
}


def upgrade():
    for name, (table, columns, where) in PARTIAL.items():
        op.create_index(name, table, columns, sqlite_where=sa.text(where), postgresql_where=sa.text(where))
    op.drop_index('ix_events_reverses_event_id', table_name='events')


def downgrade():
    op.create_index('ix_events_reverses_event_id', 'events', ['reverses_event_id'])
    for name, (table, _columns, _where) in PARTIAL.items():
        op.drop_index(name, table_name=table)
