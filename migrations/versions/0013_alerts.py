"""alerts to the supervisors' group chats: channels, thresholds, the alert queue

- ``alert_channels``: a group robot (WeCom, DingTalk, Feishu) or any JSON URL,
  its signing secret, the events it gets, switched on or off.
- ``alert_settings``: one row of thresholds (minutes of failing prints, hours
  of an open stocktake, the morning summary's hour); none until saved.
- ``alerts``: one message per event instance and channel (``channel_id``,
  ``dedupe_key`` unique), its state, attempts, next attempt and last error.

New tables only: nothing to carry over, and the downgrade drops them.

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'alert_channels',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('url', sa.String(length=1024), nullable=False),
        sa.Column('secret', sa.String(length=255), nullable=False),
        sa.Column('events', sa.String(length=255), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('wecom', 'dingtalk', 'feishu', 'generic')", name=op.f('ck_alert_channels_kind')),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_alert_channels_updated_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_channels')),
    )
    op.create_table(
        'alert_settings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('print_failing_minutes', sa.Integer(), nullable=False),
        sa.Column('stocktake_open_hours', sa.Integer(), nullable=False),
        sa.Column('summary_hour', sa.Integer(), nullable=True),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('print_failing_minutes > 0', name=op.f('ck_alert_settings_print_minutes')),
        sa.CheckConstraint('stocktake_open_hours > 0', name=op.f('ck_alert_settings_stocktake_hours')),
        sa.CheckConstraint('summary_hour IS NULL OR (summary_hour >= 0 AND summary_hour <= 23)',
                           name=op.f('ck_alert_settings_summary_hour')),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_alert_settings_updated_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_settings')),
    )
    op.create_table(
        'alerts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('channel_id', sa.Integer(), nullable=False),
        sa.Column('event', sa.String(length=24), nullable=False),
        sa.Column('dedupe_key', sa.String(length=128), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed')", name=op.f('ck_alerts_status')),
        sa.CheckConstraint('attempts >= 0', name=op.f('ck_alerts_attempts')),
        sa.ForeignKeyConstraint(['channel_id'], ['alert_channels.id'], name=op.f('fk_alerts_channel_id_alert_channels')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts')),
        sa.UniqueConstraint('channel_id', 'dedupe_key', name=op.f('uq_alerts_channel_key')),
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index('ix_alerts_status_next', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_alerts_created_at'), ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alerts_created_at'))
        batch_op.drop_index('ix_alerts_status_next')
    op.drop_table('alerts')
    op.drop_table('alert_settings')
    op.drop_table('alert_channels')
