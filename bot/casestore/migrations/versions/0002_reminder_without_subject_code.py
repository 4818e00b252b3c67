"""reminders may be set before the credit code is known (path check in chat)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.alter_column('subject_code', existing_type=sa.String(length=18), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.alter_column('subject_code', existing_type=sa.String(length=18), nullable=False)
