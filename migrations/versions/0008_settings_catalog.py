"""settings and catalog: system_setting, category (部件/事件 分类), unit_grid, evaluation_weight

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-21

"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'system_setting',
        sa.Column('key', sa.String(length=60), nullable=False),
        sa.Column('value', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_system_setting')),
    )

    op.create_table(
        'category',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=20), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('level', sa.String(length=10), nullable=False),
        sa.Column('parent_code', sa.String(length=20), nullable=True),
        sa.Column('is_active', sa.Boolean(), nullable=False),
        sa.Column('sort', sa.Integer(), nullable=False),
        sa.Column('filing_standard', sa.Text(), nullable=True),
        sa.Column('closing_standard', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['parent_code'], ['category.code'], name=op.f('fk_category_parent_code_category')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_category')),
        sa.UniqueConstraint('code', name=op.f('uq_category_code')),
    )
    op.create_index(op.f('ix_category_parent_code'), 'category', ['parent_code'], unique=False)

    op.create_table(
        'unit_grid',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=30), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('org_code', sa.String(length=40), nullable=False),
        sa.Column('is_active', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['org_code'], ['org.code'], name=op.f('fk_unit_grid_org_code_org')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_grid')),
        sa.UniqueConstraint('code', name=op.f('uq_unit_grid_code')),
    )
    op.create_index(op.f('ix_unit_grid_org_code'), 'unit_grid', ['org_code'], unique=False)

    op.create_table(
        'evaluation_weight',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('party', sa.String(length=20), nullable=False),
        sa.Column('indicator', sa.String(length=40), nullable=False),
        sa.Column('weight', sa.Float(), nullable=False),
        sa.Column('formula_zh', sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_weight')),
        sa.UniqueConstraint('party', 'indicator', name=op.f('uq_evaluation_weight_party_indicator')),
    )


def downgrade():
    op.drop_table('evaluation_weight')
    op.drop_index(op.f('ix_unit_grid_org_code'), table_name='unit_grid')
    op.drop_table('unit_grid')
    op.drop_index(op.f('ix_category_parent_code'), table_name='category')
    op.drop_table('category')
    op.drop_table('system_setting')
