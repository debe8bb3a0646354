"""timers and deadlines: timer, time_limit, deadline_policy, case_pause; due/warn columns on tasks and cases

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-21

"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'timer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=True),
        sa.Column('task_id', sa.String(length=36), nullable=True),
        sa.Column('definition_id', sa.Integer(), nullable=True),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('deadline_task_id', sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(['deadline_task_id'], ['task.id'],
                                name=op.f('fk_timer_deadline_task_id_task'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['definition_id'], ['process_definition.id'],
                                name=op.f('fk_timer_definition_id_process_definition'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                                name=op.f('fk_timer_instance_id_process_instance'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_timer')),
    )
    op.create_index('ix_timer_due_at', 'timer', ['due_at'], unique=False)
    op.create_index('ix_timer_instance_id_kind', 'timer', ['instance_id', 'kind'], unique=False)
    op.create_index(op.f('ix_timer_task_id'), 'timer', ['task_id'], unique=False)
    op.create_index(op.f('ix_timer_deadline_task_id'), 'timer', ['deadline_task_id'], unique=False)

    op.create_table(
        'time_limit',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('stage', sa.String(length=20), nullable=False),
        sa.Column('category_code', sa.String(length=40), nullable=True),
        sa.Column('amount', sa.Float(), nullable=False),
        sa.Column('unit', sa.String(length=20), nullable=False),
        sa.Column('warn_share', sa.Float(), nullable=True),
        sa.Column('note', sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_time_limit')),
        sa.UniqueConstraint('stage', 'category_code', name=op.f('uq_time_limit_stage_category_code')),
    )

    op.create_table(
        'deadline_policy',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('process_key', sa.String(length=100), nullable=False),
        sa.Column('node_id', sa.String(length=100), nullable=False),
        sa.Column('action', sa.String(length=20), nullable=False),
        sa.Column('max_reminders', sa.Integer(), nullable=False),
        sa.Column('remind_every', sa.Float(), nullable=False),
        sa.Column('remind_unit', sa.String(length=20), nullable=False),
        sa.Column('escalate_to_role', sa.String(length=40), nullable=True),
        sa.Column('auto_complete_data', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deadline_policy')),
        sa.UniqueConstraint('process_key', 'node_id', name=op.f('uq_deadline_policy_process_key_node_id')),
    )

    op.create_table(
        'case_pause',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reason', sa.String(length=500), nullable=True),
        sa.Column('actor', sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                                name=op.f('fk_case_pause_instance_id_process_instance'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_pause')),
    )
    op.create_index('ix_case_pause_instance_id_started_at', 'case_pause', ['instance_id', 'started_at'],
                    unique=False)

    with op.batch_alter_table('process_instance') as batch:
        batch.add_column(sa.Column('due_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('warn_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('limit_unit', sa.String(length=20), nullable=True))
        batch.create_index('ix_process_instance_due_at', ['due_at'], unique=False)
    with op.batch_alter_table('task') as batch:
        batch.add_column(sa.Column('warn_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('limit_amount', sa.Float(), nullable=True))
        batch.add_column(sa.Column('limit_unit', sa.String(length=20), nullable=True))
        batch.create_index('ix_task_due_at', ['due_at'], unique=False)
        batch.create_index('ix_task_warn_at', ['warn_at'], unique=False)


def downgrade():
    with op.batch_alter_table('task') as batch:
        batch.drop_index('ix_task_warn_at')
        batch.drop_index('ix_task_due_at')
        batch.drop_column('limit_unit')
        batch.drop_column('limit_amount')
        batch.drop_column('warn_at')
    with op.batch_alter_table('process_instance') as batch:
        batch.drop_index('ix_process_instance_due_at')
        batch.drop_column('limit_unit')
        batch.drop_column('warn_at')
        batch.drop_column('due_at')
    op.drop_index('ix_case_pause_instance_id_started_at', table_name='case_pause')
    op.drop_table('case_pause')
    op.drop_table('deadline_policy')
    op.drop_table('time_limit')
    op.drop_index(op.f('ix_timer_deadline_task_id'), table_name='timer')
    op.drop_index(op.f('ix_timer_task_id'), table_name='timer')
    op.drop_index('ix_timer_instance_id_kind', table_name='timer')
    op.drop_index('ix_timer_due_at', table_name='timer')
    op.drop_table('timer')
