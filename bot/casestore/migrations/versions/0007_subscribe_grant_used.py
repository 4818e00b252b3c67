"""a one-time WeChat 订阅通知 grant is used up by the message it carried

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('consents') as batch:
        batch.add_column(sa.Column('template_used_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('consents') as batch:
        batch.drop_column('template_used_at')
