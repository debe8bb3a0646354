"""rbac: role_grant (permissions and data scope per role); process_instance.org_code (case owner)

Revision ID: 0010
Revises: 0007
Create Date: 2026-11-21

"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'role_grant',
        sa.Column('role_code', sa.String(length=40), nullable=False),
        sa.Column('permissions', sa.JSON(), nullable=False),
        sa.Column('data_scope', sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint('role_code', name=op.f('pk_role_grant')),
    )
    with op.batch_alter_table('process_instance') as batch:
        batch.add_column(sa.Column('org_code', sa.String(length=40), nullable=True))
        batch.create_index('ix_process_instance_org_code', ['org_code'], unique=False)


def downgrade():
    with op.batch_alter_table('process_instance') as batch:
        batch.drop_index('ix_process_instance_org_code')
        batch.drop_column('org_code')
    op.drop_table('role_grant')
