"""operation indexes: the 已办 list (events by actor and type), at most one pending 延期 request per task and
one pending 挂账 request per case (a race between two requests loses on the index, not in code)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-21

"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

PENDING_EXTENSION = sa.text("status = 'pending' AND kind = 'extension'")
PENDING_HANG = sa.text("status = 'pending' AND kind = 'hang'")


def upgrade():
    op.create_index('ix_event_actor_type_id', 'event', ['actor', 'type', 'id'], unique=False)
    op.create_index('uq_approval_request_pending_extension', 'approval_request', ['task_id'], unique=True,
                    sqlite_where=PENDING_EXTENSION, postgresql_where=PENDING_EXTENSION)
    op.create_index('uq_approval_request_pending_hang', 'approval_request', ['instance_id'], unique=True,
                    sqlite_where=PENDING_HANG, postgresql_where=PENDING_HANG)


def downgrade():
    op.drop_index('uq_approval_request_pending_hang', table_name='approval_request')
    op.drop_index('uq_approval_request_pending_extension', table_name='approval_request')
    op.drop_index('ix_event_actor_type_id', table_name='event')
