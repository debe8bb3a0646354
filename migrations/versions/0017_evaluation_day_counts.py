"""evaluation: facts counted per day (reports read these, not the facts); 回访 answers become facts too; node
passages per day for the heat map

The facts are derived from the event log only, so they are cleared here and the next refresh derives them again
(with the day counts and the 回访 facts an older refresh did not write).

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-21

"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'evaluation_day_count',
        sa.Column('party', sa.String(length=20), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('counter', sa.String(length=40), nullable=False),
        sa.Column('key', sa.String(length=100), nullable=False),
        sa.Column('org', sa.String(length=40), nullable=False),
        sa.Column('district', sa.String(length=20), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('party', 'day', 'counter', 'key', 'org', 'district',
                                name=op.f('pk_evaluation_day_count')),
        sqlite_with_rowid=False,
    )
    op.create_table(
        'evaluation_passage',
        sa.Column('process_key', sa.String(length=100), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('call', sa.String(length=100), nullable=False),
        sa.Column('node', sa.String(length=100), nullable=False),
        sa.Column('centihours', sa.Integer(), nullable=False),
        sa.Column('passed', sa.Integer(), nullable=False),
        sa.Column('overdue', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('process_key', 'day', 'call', 'node', 'centihours',
                                name=op.f('pk_evaluation_passage')),
        sqlite_with_rowid=False,
    )
    op.execute("DELETE FROM evaluation_fact")
    op.execute("DELETE FROM evaluation_watermark")


def downgrade():
    op.drop_table('evaluation_passage')
    op.drop_table('evaluation_day_count')
