"""when a queued scan was scanned on the tablet (issue 16)

A scan made while the tablet's Wi-Fi was down waits in the tablet's queue and arrives later:
its event keeps when it arrived (``created_at``, as every event) and when it was scanned
(``scanned_at``, never later than its arrival). NULL for a scan sent at once, and for every
event before this revision.

Revision ID: 0020
Revises: 0019
"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scanned_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('scanned_at')
