"""write offs, compensation and its corrections

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=12, scale=2)


def upgrade():
    op.create_table(
        'write_offs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('garment_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=16), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('responsible', sa.String(length=16), nullable=False),
        sa.Column('employee_id', sa.Integer(), nullable=True),
        sa.Column('borrower_name', sa.String(length=64), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('price', MONEY, nullable=False),
        sa.Column('purchased_on', sa.Date(), nullable=True),
        sa.Column('months_in_use', sa.Integer(), nullable=False),
        sa.Column('percent', MONEY, nullable=False),
        sa.Column('unwashed_fee', MONEY, nullable=False),
        sa.Column('amount', MONEY, nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('approved_by_id', sa.Integer(), nullable=True),
        sa.Column('approved_at', sa.DateTime(), nullable=True),
        sa.Column('event_id', sa.Integer(), nullable=True),
        sa.Column('request_key', sa.String(length=64), nullable=True),
        sa.CheckConstraint("reason IN ('worn_out', 'damaged', 'lost', 'stain', 'tag_lost', 'other')",
                           name=op.f('ck_write_offs_reason')),
        sa.CheckConstraint("responsible IN ('employee', 'borrower', 'hotel', 'unknown')",
                           name=op.f('ck_write_offs_responsible')),
        sa.CheckConstraint("status IN ('pending', 'approved')", name=op.f('ck_write_offs_status')),
        sa.CheckConstraint('price >= 0 AND amount >= 0 AND unwashed_fee >= 0', name=op.f('ck_write_offs_money')),
        sa.ForeignKeyConstraint(['garment_id'], ['garments.id'], name=op.f('fk_write_offs_garment_id_garments')),
        sa.ForeignKeyConstraint(['employee_id'], ['employees.id'], name=op.f('fk_write_offs_employee_id_employees')),
        sa.ForeignKeyConstraint(['department_id'], ['departments.id'],
                                name=op.f('fk_write_offs_department_id_departments')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_write_offs_created_by_id_users')),
        sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_write_offs_approved_by_id_users')),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_write_offs_event_id_events')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_write_offs')),
        sa.UniqueConstraint('request_key', name=op.f('uq_write_offs_request_key')),
    )
    with op.batch_alter_table('write_offs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_write_offs_garment_id'), ['garment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_write_offs_employee_id'), ['employee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_write_offs_department_id'), ['department_id'], unique=False)
        batch_op.create_index('ix_write_offs_status_approved', ['status', 'approved_at'], unique=False)

    op.create_table(
        'compensations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('write_off_id', sa.Integer(), nullable=False),
        sa.Column('party', sa.String(length=64), nullable=False),
        sa.Column('employee_id', sa.Integer(), nullable=True),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('amount', MONEY, nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('settled_by_id', sa.Integer(), nullable=True),
        sa.Column('settled_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'paid', 'waived')", name=op.f('ck_compensations_status')),
        sa.CheckConstraint('amount >= 0', name=op.f('ck_compensations_amount')),
        sa.ForeignKeyConstraint(['write_off_id'], ['write_offs.id'],
                                name=op.f('fk_compensations_write_off_id_write_offs')),
        sa.ForeignKeyConstraint(['employee_id'], ['employees.id'],
                                name=op.f('fk_compensations_employee_id_employees')),
        sa.ForeignKeyConstraint(['department_id'], ['departments.id'],
                                name=op.f('fk_compensations_department_id_departments')),
        sa.ForeignKeyConstraint(['settled_by_id'], ['users.id'], name=op.f('fk_compensations_settled_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_compensations')),
        sa.UniqueConstraint('write_off_id', name=op.f('uq_compensations_write_off_id')),
    )
    with op.batch_alter_table('compensations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_compensations_employee_id'), ['employee_id'], unique=False)

    op.create_table(
        'compensation_corrections',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('compensation_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('amount', MONEY, nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('request_key', sa.String(length=64), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'paid', 'waived')",
                           name=op.f('ck_compensation_corrections_status')),
        sa.CheckConstraint('amount >= 0', name=op.f('ck_compensation_corrections_amount')),
        sa.ForeignKeyConstraint(['compensation_id'], ['compensations.id'],
                                name=op.f('fk_compensation_corrections_compensation_id_compensations')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_compensation_corrections_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_compensation_corrections')),
        sa.UniqueConstraint('request_key', name=op.f('uq_compensation_corrections_request_key')),
    )
    with op.batch_alter_table('compensation_corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_compensation_corrections_compensation_id'), ['compensation_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('compensation_corrections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_compensation_corrections_compensation_id'))
    op.drop_table('compensation_corrections')
    with op.batch_alter_table('compensations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_compensations_employee_id'))
    op.drop_table('compensations')
    with op.batch_alter_table('write_offs', schema=None) as batch_op:
        batch_op.drop_index('ix_write_offs_status_approved')
        batch_op.drop_index(batch_op.f('ix_write_offs_department_id'))
        batch_op.drop_index(batch_op.f('ix_write_offs_employee_id'))
        batch_op.drop_index(batch_op.f('ix_write_offs_garment_id'))
    op.drop_table('write_offs')
