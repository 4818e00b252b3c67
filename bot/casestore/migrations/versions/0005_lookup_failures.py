"""failed look-ups (unknown case or wrong phone), for the look-up limits

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'lookup_failures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('case_key', sa.String(length=40), nullable=True),
        sa.Column('client_key', sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_lookup_failures_case', 'lookup_failures', ['case_key', 'at'])
    op.create_index('ix_lookup_failures_client', 'lookup_failures', ['client_key', 'at'])


def downgrade() -> None:
    op.drop_index('ix_lookup_failures_client', table_name='lookup_failures')
    op.drop_index('ix_lookup_failures_case', table_name='lookup_failures')
    op.drop_table('lookup_failures')
