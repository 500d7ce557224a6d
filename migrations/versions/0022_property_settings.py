"""a hotel's own settings: the duplicate-scan window, the tailor's days, how long a visitor's
contact details are kept, the depreciation table (issue 17). Empty: as the KIOSK_* setting says.

Revision ID: 0022
Revises: 0021
"""
import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('properties') as batch:
        batch.add_column(sa.Column('duplicate_seconds', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('tailor_days', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('borrower_retention_days', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('depreciation', sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table('properties') as batch:
        batch.drop_column('depreciation')
        batch.drop_column('borrower_retention_days')
        batch.drop_column('tailor_days')
        batch.drop_column('duplicate_seconds')
