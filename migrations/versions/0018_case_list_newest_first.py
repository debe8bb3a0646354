"""case lists: an index for newest first (started_at, id), so the first page of every case is read from the index

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-21

"""
from alembic import op


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_process_instance_started_at_id', 'process_instance', ['started_at', 'id'])


def downgrade():
    op.drop_index('ix_process_instance_started_at_id', table_name='process_instance')
