"""staff accounts, sessions, audit; human handoffs

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'staff_users',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=40), nullable=False),
        sa.Column('display_name', sa.String(length=60), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('department', sa.String(length=40), nullable=True),
        sa.Column('password_hash', sa.String(length=200), nullable=False),
        sa.Column('dev_default', sa.Boolean(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('failed_logins', sa.Integer(), nullable=False),
        sa.Column('locked_until', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_login_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('username'),
    )
    op.create_table(
        'staff_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('csrf_token', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['staff_users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_index('ix_staff_sessions_user_id', 'staff_sessions', ['user_id'])
    op.create_table(
        'staff_audit',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('username', sa.String(length=40), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=True),
        sa.Column('action', sa.String(length=40), nullable=False),
        sa.Column('target', sa.String(length=80), nullable=True),
        sa.Column('ok', sa.Boolean(), nullable=False),
        sa.Column('client', sa.String(length=64), nullable=True),
        sa.Column('detail', sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_staff_audit_at', 'staff_audit', ['at'])
    op.create_index('ix_staff_audit_username', 'staff_audit', ['username'])
    op.create_table(
        'handoffs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('conversation_id', sa.String(length=128), nullable=False),
        sa.Column('channel', sa.String(length=20), nullable=False),
        sa.Column('reason', sa.String(length=20), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('transcript', sa.JSON(), nullable=False),
        sa.Column('slots', sa.JSON(), nullable=False),
        sa.Column('records', sa.JSON(), nullable=True),
        sa.Column('form', sa.String(length=60), nullable=True),
        sa.Column('in_office_hours', sa.Boolean(), nullable=False),
        sa.Column('agent', sa.String(length=40), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('first_response_at', sa.DateTime(), nullable=True),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('slot_changes', sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_handoffs_conversation_id', 'handoffs', ['conversation_id'])
    op.create_index('ix_handoffs_open', 'handoffs', ['status', 'created_at'])
    op.create_table(
        'handoff_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('handoff_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('sender', sa.String(length=10), nullable=False),
        sa.Column('agent', sa.String(length=40), nullable=True),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('delivered_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['handoff_id'], ['handoffs.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_handoff_messages_handoff_id', 'handoff_messages', ['handoff_id'])


def downgrade() -> None:
    op.drop_table('handoff_messages')
    op.drop_table('handoffs')
    op.drop_table('staff_audit')
    op.drop_table('staff_sessions')
    op.drop_table('staff_users')
