"""task operations: task kind/parent/owner/delegation/held data (加签, 委派), 抄送, approval requests,
督办 and merge columns on the instance; merges the settings, process-config and rbac branches

Revision ID: 0011
Revises: 0008, 0009, 0010
Create Date: 2026-11-21

"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = ('0008', '0009', '0010')
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('task') as batch:
        batch.add_column(sa.Column('kind', sa.String(length=10), nullable=False, server_default='bpmn'))
        batch.add_column(sa.Column('parent_id', sa.String(length=36), nullable=True))
        batch.add_column(sa.Column('sign_position', sa.String(length=10), nullable=True))
        batch.add_column(sa.Column('owner', sa.String(length=100), nullable=True))
        batch.add_column(sa.Column('delegation', sa.String(length=10), nullable=True))
        batch.add_column(sa.Column('held_data', sa.JSON(), nullable=True))
        batch.create_foreign_key(op.f('fk_task_parent_id_task'), 'task', ['parent_id'], ['id'], ondelete='CASCADE')
        batch.create_index('ix_task_parent_id', ['parent_id'], unique=False)
    with op.batch_alter_table('process_instance') as batch:
        batch.add_column(sa.Column('supervised_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('supervised_by', sa.String(length=100), nullable=True))
        batch.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_process_instance_merged_into_id_process_instance'), 'process_instance',
                                 ['merged_into_id'], ['id'])
    op.create_table(
        'task_copy',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.String(length=36), nullable=True),
        sa.Column('node_id', sa.String(length=100), nullable=True),
        sa.Column('recipient', sa.String(length=100), nullable=False),
        sa.Column('sent_by', sa.String(length=100), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('note', sa.String(length=500), nullable=True),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                                name=op.f('fk_task_copy_instance_id_process_instance')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_task_copy')),
    )
    op.create_index('ix_task_copy_instance_id', 'task_copy', ['instance_id'], unique=False)
    op.create_index('ix_task_copy_recipient_sent_at', 'task_copy', ['recipient', 'sent_at'], unique=False)
    op.create_table(
        'approval_request',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.String(length=36), nullable=True),
        sa.Column('node_id', sa.String(length=100), nullable=True),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('amount', sa.Float(), nullable=True),
        sa.Column('until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('requested_by', sa.String(length=100), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_by', sa.String(length=100), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decision_note', sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                                name=op.f('fk_approval_request_instance_id_process_instance')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_request')),
    )
    op.create_index('ix_approval_request_instance_id', 'approval_request', ['instance_id'], unique=False)
    op.create_index('ix_approval_request_task_id', 'approval_request', ['task_id'], unique=False)
    op.create_index('ix_approval_request_status_kind_requested', 'approval_request',
                    ['status', 'kind', 'requested_at'], unique=False)


def downgrade():
    op.drop_table('approval_request')
    op.drop_table('task_copy')
    with op.batch_alter_table('process_instance') as batch:
        batch.drop_constraint(op.f('fk_process_instance_merged_into_id_process_instance'), type_='foreignkey')
        batch.drop_column('merged_into_id')
        batch.drop_column('supervised_by')
        batch.drop_column('supervised_at')
    with op.batch_alter_table('task') as batch:
        batch.drop_index('ix_task_parent_id')
        batch.drop_constraint(op.f('fk_task_parent_id_task'), type_='foreignkey')
        for column in ('held_data', 'delegation', 'owner', 'sign_position', 'parent_id', 'kind'):
            batch.drop_column(column)
