"""process configuration: node_setting (candidate strategy, fallback, allowed operations, time-limit code per user task)

Revision ID: 0009
Revises: 0006
Create Date: 2026-11-21

"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'node_setting',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('process_key', sa.String(length=100), nullable=False),
        sa.Column('node_id', sa.String(length=100), nullable=False),
        sa.Column('candidate_strategy', sa.JSON(), nullable=True),
        sa.Column('fallback', sa.JSON(), nullable=True),
        sa.Column('allowed_operations', sa.JSON(), nullable=True),
        sa.Column('time_limit', sa.String(length=20), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_by', sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_node_setting')),
        sa.UniqueConstraint('process_key', 'node_id', name=op.f('uq_node_setting_process_key_node_id')),
    )


def downgrade():
    op.drop_table('node_setting')
