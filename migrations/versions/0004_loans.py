"""loans: borrowers, items lent and returned, contact attempts

Revision ID: 0004
Revises: 0003

Written by hand (batch mode, so SQLite can alter it later).
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'loans',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('request_key', sa.String(length=64), nullable=True),
        sa.Column('employee_id', sa.Integer(), nullable=True),
        sa.Column('borrower_name', sa.String(length=64), nullable=False),
        sa.Column('borrower_phone', sa.String(length=32), nullable=False),
        sa.Column('borrower_org', sa.String(length=64), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.String(length=24), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('approver', sa.String(length=64), nullable=False),
        sa.Column('deposit', sa.String(length=128), nullable=False),
        sa.Column('deposit_returned_at', sa.DateTime(), nullable=True),
        sa.Column('due_at', sa.DateTime(), nullable=False),
        sa.Column('signature_png', sa.LargeBinary(), nullable=True),
        sa.Column('signed_on_paper', sa.Boolean(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('contact_erased_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint("reason IN ('forgot_locker_key', 'other_post', 'event', 'other')",
                           name=op.f('ck_loans_reason')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_loans_created_by_id_users')),
        sa.ForeignKeyConstraint(['department_id'], ['departments.id'],
                                name=op.f('fk_loans_department_id_departments')),
        sa.ForeignKeyConstraint(['employee_id'], ['employees.id'], name=op.f('fk_loans_employee_id_employees')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_loans')),
        sa.UniqueConstraint('request_key', name=op.f('uq_loans_request_key')),
    )
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loans_closed_at'), ['closed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_loans_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_loans_employee_id'), ['employee_id'], unique=False)

    op.create_table(
        'loan_contact_attempts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('loan_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('how', sa.String(length=16), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('request_key', sa.String(length=64), nullable=True),
        sa.CheckConstraint("how IN ('phone', 'wechat', 'in_person', 'other')",
                           name=op.f('ck_loan_contact_attempts_how')),
        sa.CheckConstraint("outcome IN ('reached', 'no_answer', 'promised', 'refused')",
                           name=op.f('ck_loan_contact_attempts_outcome')),
        sa.ForeignKeyConstraint(['loan_id'], ['loans.id'], name=op.f('fk_loan_contact_attempts_loan_id_loans')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_loan_contact_attempts_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_loan_contact_attempts')),
        sa.UniqueConstraint('request_key', name=op.f('uq_loan_contact_attempts_request_key')),
    )
    with op.batch_alter_table('loan_contact_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loan_contact_attempts_loan_id'), ['loan_id'], unique=False)

    op.create_table(
        'loan_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('loan_id', sa.Integer(), nullable=False),
        sa.Column('garment_id', sa.Integer(), nullable=False),
        sa.Column('loan_event_id', sa.Integer(), nullable=False),
        sa.Column('returned_at', sa.DateTime(), nullable=True),
        sa.Column('return_event_id', sa.Integer(), nullable=True),
        sa.Column('written_off_event_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['garment_id'], ['garments.id'], name=op.f('fk_loan_items_garment_id_garments')),
        sa.ForeignKeyConstraint(['loan_event_id'], ['events.id'], name=op.f('fk_loan_items_loan_event_id_events')),
        sa.ForeignKeyConstraint(['loan_id'], ['loans.id'], name=op.f('fk_loan_items_loan_id_loans')),
        sa.ForeignKeyConstraint(['return_event_id'], ['events.id'],
                                name=op.f('fk_loan_items_return_event_id_events')),
        sa.ForeignKeyConstraint(['written_off_event_id'], ['events.id'],
                                name=op.f('fk_loan_items_written_off_event_id_events')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_loan_items')),
        sa.UniqueConstraint('loan_event_id', name=op.f('uq_loan_items_loan_event_id')),
    )
    with op.batch_alter_table('loan_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loan_items_garment_id'), ['garment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_loan_items_loan_id'), ['loan_id'], unique=False)


def downgrade():
    with op.batch_alter_table('loan_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loan_items_loan_id'))
        batch_op.drop_index(batch_op.f('ix_loan_items_garment_id'))
    op.drop_table('loan_items')
    with op.batch_alter_table('loan_contact_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loan_contact_attempts_loan_id'))
    op.drop_table('loan_contact_attempts')
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loans_employee_id'))
        batch_op.drop_index(batch_op.f('ix_loans_due_at'))
        batch_op.drop_index(batch_op.f('ix_loans_closed_at'))
    op.drop_table('loans')
