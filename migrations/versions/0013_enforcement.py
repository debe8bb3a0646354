"""enforcement: the 法律法规库 (causes, discretion bands), numbered 文书 (types, per-type-and-year sequences,
issued documents) and case links (双流程派遣)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-22

"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'law_cause',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('category_code', sa.String(length=20), nullable=True),
        sa.Column('violated_law', sa.String(length=200), nullable=False),
        sa.Column('violated_article', sa.String(length=100), nullable=False),
        sa.Column('violated_text', sa.Text(), nullable=True),
        sa.Column('penalty_law', sa.String(length=200), nullable=False),
        sa.Column('penalty_article', sa.String(length=100), nullable=False),
        sa.Column('penalty_text', sa.Text(), nullable=True),
        sa.Column('other_penalties', sa.JSON(), nullable=False),
        sa.Column('is_active', sa.Boolean(), nullable=False),
        sa.Column('sort', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_law_cause')),
        sa.UniqueConstraint('code', name=op.f('uq_law_cause_code')),
    )
    op.create_table(
        'law_discretion_band',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cause_id', sa.Integer(), nullable=False),
        sa.Column('party_type', sa.String(length=20), nullable=False),
        sa.Column('circumstance', sa.String(length=20), nullable=False),
        sa.Column('min_amount', sa.Integer(), nullable=False),
        sa.Column('max_amount', sa.Integer(), nullable=False),
        sa.Column('other_penalty', sa.String(length=200), nullable=True),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('sort', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['cause_id'], ['law_cause.id'],
                                name=op.f('fk_law_discretion_band_cause_id_law_cause'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_law_discretion_band')),
        sa.UniqueConstraint('cause_id', 'party_type', 'circumstance',
                            name=op.f('uq_law_discretion_band_cause_id_party_type_circumstance')),
    )
    op.create_index('ix_law_discretion_band_cause_id', 'law_discretion_band', ['cause_id'], unique=False)
    op.create_table(
        'document_type',
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('number_pattern', sa.String(length=80), nullable=False),
        sa.Column('fields', sa.JSON(), nullable=False),
        sa.Column('is_active', sa.Boolean(), nullable=False),
        sa.Column('sort', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('code', name=op.f('pk_document_type')),
    )
    op.create_table(
        'document_sequence',
        sa.Column('doc_type', sa.String(length=40), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('doc_type', 'year', name=op.f('pk_document_sequence')),
    )
    op.create_table(
        'case_document',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('doc_type', sa.String(length=40), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=100), nullable=False),
        sa.Column('title', sa.String(length=100), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('task_id', sa.String(length=36), nullable=True),
        sa.Column('node_id', sa.String(length=100), nullable=True),
        sa.Column('issued_by', sa.String(length=100), nullable=False),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['doc_type'], ['document_type.code'],
                                name=op.f('fk_case_document_doc_type_document_type')),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                                name=op.f('fk_case_document_instance_id_process_instance')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_document')),
        sa.UniqueConstraint('doc_type', 'year', 'seq', name=op.f('uq_case_document_doc_type_year_seq')),
    )
    op.create_index('ix_case_document_instance_id_id', 'case_document', ['instance_id', 'id'], unique=False)
    op.create_table(
        'case_link',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('linked_case_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('created_by', sa.String(length=100), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['process_instance.id'],
                                name=op.f('fk_case_link_case_id_process_instance')),
        sa.ForeignKeyConstraint(['linked_case_id'], ['process_instance.id'],
                                name=op.f('fk_case_link_linked_case_id_process_instance')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_link')),
        sa.UniqueConstraint('case_id', 'linked_case_id', 'kind', name=op.f('uq_case_link_case_id_linked_case_id_kind')),
    )
    op.create_index('ix_case_link_linked_case_id', 'case_link', ['linked_case_id'], unique=False)


def downgrade():
    op.drop_table('case_link')
    op.drop_table('case_document')
    op.drop_table('document_sequence')
    op.drop_table('document_type')
    op.drop_table('law_discretion_band')
    op.drop_table('law_cause')
