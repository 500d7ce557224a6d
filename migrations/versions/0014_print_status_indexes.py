"""print jobs: indexes for the status bar (failed of the last hours, printed just now, the latest
finished job), so that it reads only what it shows however many jobs were printed before

Revision ID: 0014
Revises: 0013
"""
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

INDEXES = {
    'ix_print_jobs_status_created_at': ['status', 'created_at'],
    'ix_print_jobs_status_printed_at': ['status', 'printed_at'],
    'ix_print_jobs_status_updated_at': ['status', 'updated_at'],
}


def upgrade():
    for name, columns in INDEXES.items():
        op.create_index(name, 'print_jobs', columns)


def downgrade():
    for name in INDEXES:
        op.drop_index(name, table_name='print_jobs')
