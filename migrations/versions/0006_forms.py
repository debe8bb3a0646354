"""forms: form_definition (versions, draft/published), field_permission, task.form_version

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21

"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'form_definition',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=100), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('schema', sa.JSON(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(length=100), nullable=True),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('published_by', sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_form_definition')),
        sa.UniqueConstraint('key', 'version', name=op.f('uq_form_definition_key_version')),
    )
    op.create_index('ix_form_definition_key_status_version', 'form_definition', ['key', 'status', 'version'],
                    unique=False)
    op.create_table(
        'field_permission',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('process_key', sa.String(length=100), nullable=False),
        sa.Column('node_id', sa.String(length=100), nullable=False),
        sa.Column('field_key', sa.String(length=200), nullable=False),
        sa.Column('permission', sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_field_permission')),
        sa.UniqueConstraint('process_key', 'node_id', 'field_key',
                            name=op.f('uq_field_permission_process_key_node_id_field_key')),
    )
    op.create_index('ix_field_permission_process_key_node_id', 'field_permission', ['process_key', 'node_id'],
                    unique=False)
    with op.batch_alter_table('task') as batch:
        batch.add_column(sa.Column('form_version', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('task') as batch:
        batch.drop_column('form_version')
    op.drop_index('ix_field_permission_process_key_node_id', table_name='field_permission')
    op.drop_table('field_permission')
    op.drop_index('ix_form_definition_key_status_version', table_name='form_definition')
    op.drop_table('form_definition')
