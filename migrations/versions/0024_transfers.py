"""transfers between the group's properties (调拨, issue 17 point 4)

``transfers`` (the sender's record: ``property_id``; ``to_property_id`` the receiver; open,
sent, received or cancelled, who and when at each step, a note, the slip number) and
``transfer_lines`` (a garment, or a quantity of a stock item's code and size; the events and
stock movements out and in). A garment on its way is ``in_transit``: the garments' status
check admits it; stock movements admit the reasons ``transfer_out`` and ``transfer_in``.

Revision ID: 0024
Revises: 0023
"""
import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

#: the garment statuses before this revision, and with it
STATUSES = ('in_stock', 'issued', 'spare_issued', 'loaned', 'dirty', 'ironing', 'inspection', 'at_tailor',
            'missing', 'written_off')
WITH_TRANSIT = STATUSES + ('in_transit',)
REASONS = ('received', 'issued', 'adjusted', 'distributed', 'returned')
WITH_TRANSFERS = REASONS + ('transfer_out', 'transfer_in')


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _checks(statuses, reasons):
    with op.batch_alter_table('garments') as batch:
        batch.drop_constraint('status', type_='check')
        batch.create_check_constraint('status', _in('status', statuses))
    with op.batch_alter_table('stock_movements') as batch:
        batch.drop_constraint('reason', type_='check')
        batch.create_check_constraint('reason', _in('reason', reasons))


def upgrade():
    _checks(WITH_TRANSIT, WITH_TRANSFERS)
    op.create_table(
        'transfers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slip_no', sa.String(length=32), nullable=False),
        sa.Column('to_property_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('opened_by_id', sa.Integer(), nullable=True),
        sa.Column('opened_at', sa.DateTime(), nullable=False),
        sa.Column('sent_by_id', sa.Integer(), nullable=True),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.Column('received_by_id', sa.Integer(), nullable=True),
        sa.Column('received_at', sa.DateTime(), nullable=True),
        sa.Column('cancelled_by_id', sa.Integer(), nullable=True),
        sa.Column('cancelled_at', sa.DateTime(), nullable=True),
        sa.Column('property_id', sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('open', 'sent', 'received', 'cancelled')", name=op.f('ck_transfers_status')),
        sa.CheckConstraint('to_property_id <> property_id', name=op.f('ck_transfers_elsewhere')),
        sa.ForeignKeyConstraint(['to_property_id'], ['properties.id'],
                                name=op.f('fk_transfers_to_property_id_properties')),
        sa.ForeignKeyConstraint(['property_id'], ['properties.id'], name=op.f('fk_transfers_property_id_properties')),
        sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_transfers_opened_by_id_users')),
        sa.ForeignKeyConstraint(['sent_by_id'], ['users.id'], name=op.f('fk_transfers_sent_by_id_users')),
        sa.ForeignKeyConstraint(['received_by_id'], ['users.id'], name=op.f('fk_transfers_received_by_id_users')),
        sa.ForeignKeyConstraint(['cancelled_by_id'], ['users.id'], name=op.f('fk_transfers_cancelled_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_transfers')),
        sa.UniqueConstraint('property_id', 'slip_no', name='uq_transfers_property_slip_no'),
    )
    op.create_index('ix_transfers_property_status', 'transfers', ['property_id', 'status'])
    op.create_index('ix_transfers_to_property_status', 'transfers', ['to_property_id', 'status'])
    op.create_table(
        'transfer_lines',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('transfer_id', sa.Integer(), nullable=False),
        sa.Column('garment_id', sa.Integer(), nullable=True),
        sa.Column('stock_code', sa.String(length=32), nullable=True),
        sa.Column('stock_size', sa.String(length=16), nullable=True),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('stock_name_zh', sa.String(length=64), nullable=True),
        sa.Column('stock_name_en', sa.String(length=64), nullable=True),
        sa.Column('stock_kind', sa.String(length=16), nullable=True),
        sa.Column('unit_cost', sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column('out_event_id', sa.Integer(), nullable=True),
        sa.Column('in_event_id', sa.Integer(), nullable=True),
        sa.Column('out_movement_id', sa.Integer(), nullable=True),
        sa.Column('in_movement_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('(garment_id IS NULL) <> (stock_code IS NULL)', name=op.f('ck_transfer_lines_what')),
        sa.CheckConstraint('quantity > 0', name=op.f('ck_transfer_lines_quantity')),
        sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id'], name=op.f('fk_transfer_lines_transfer_id_transfers')),
        sa.ForeignKeyConstraint(['garment_id'], ['garments.id'], name=op.f('fk_transfer_lines_garment_id_garments')),
        sa.ForeignKeyConstraint(['out_event_id'], ['events.id'], name=op.f('fk_transfer_lines_out_event_id_events')),
        sa.ForeignKeyConstraint(['in_event_id'], ['events.id'], name=op.f('fk_transfer_lines_in_event_id_events')),
        sa.ForeignKeyConstraint(['out_movement_id'], ['stock_movements.id'],
                                name=op.f('fk_transfer_lines_out_movement_id_stock_movements')),
        sa.ForeignKeyConstraint(['in_movement_id'], ['stock_movements.id'],
                                name=op.f('fk_transfer_lines_in_movement_id_stock_movements')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_lines')),
        sa.UniqueConstraint('transfer_id', 'garment_id', name='uq_transfer_lines_transfer_garment'),
    )
    op.create_index('ix_transfer_lines_garment', 'transfer_lines', ['garment_id'],
                    sqlite_where=sa.text('garment_id IS NOT NULL'), postgresql_where=sa.text('garment_id IS NOT NULL'))


def downgrade():
    travelling = op.get_bind().execute(sa.text("SELECT COUNT(*) FROM garments WHERE status = 'in_transit'")).scalar()
    if travelling:
        raise RuntimeError("garments are in transit: receive or cancel their transfers before going back")
    op.execute("UPDATE stock_movements SET reason = 'adjusted' WHERE reason IN ('transfer_out', 'transfer_in')")
    op.drop_index('ix_transfer_lines_garment', table_name='transfer_lines')
    op.drop_table('transfer_lines')
    op.drop_index('ix_transfers_to_property_status', table_name='transfers')
    op.drop_index('ix_transfers_property_status', table_name='transfers')
    op.drop_table('transfers')
    _checks(STATUSES, REASONS)
