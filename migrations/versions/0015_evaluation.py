"""evaluation: facts derived from the event log (绩效考核 rollups) and the refresh watermark

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-21

"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'evaluation_fact',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('party', sa.String(length=20), nullable=False),
        sa.Column('key', sa.String(length=100), nullable=False),
        sa.Column('counter', sa.String(length=40), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('org', sa.String(length=40), nullable=True),
        sa.Column('district', sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_fact')),
    )
    op.create_index('ix_evaluation_fact_party_day', 'evaluation_fact', ['party', 'day', 'counter', 'key'])
    op.create_table(
        'evaluation_watermark',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('last_event_id', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_watermark')),
    )


def downgrade():
    op.drop_table('evaluation_watermark')
    op.drop_index('ix_evaluation_fact_party_day', table_name='evaluation_fact')
    op.drop_table('evaluation_fact')
