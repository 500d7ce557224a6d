"""stocktakes: a 'closing' state between open and closed, and the close's list of garments to
mark missing (each with its version at the moment of the close), so that a close runs in
short steps (a batch at a time, each its own transaction) and a close cut short by a crash is
seen and finished

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def _status(allowed: str) -> None:
    with op.batch_alter_table('stocktakes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_stocktakes_status'), type_='check')
        batch_op.create_check_constraint('status', f"status IN ({allowed})")


def upgrade():
    _status("'open', 'closing', 'closed'")
    op.create_table(
        'stocktake_close_queue',
        sa.Column('stocktake_id', sa.Integer(), nullable=False),
        sa.Column('garment_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['stocktake_id'], ['stocktakes.id'],
                                name=op.f('fk_stocktake_close_queue_stocktake_id_stocktakes')),
        sa.ForeignKeyConstraint(['garment_id'], ['garments.id'],
                                name=op.f('fk_stocktake_close_queue_garment_id_garments')),
        sa.PrimaryKeyConstraint('stocktake_id', 'garment_id', name=op.f('pk_stocktake_close_queue')),
    )


def downgrade():
    op.drop_table('stocktake_close_queue')
    op.execute("UPDATE stocktakes SET status = 'open', closed_by_id = NULL, counted_by_id = NULL, "
               "closed_at = NULL WHERE status = 'closing'")
    _status("'open', 'closed'")
