"""orgs, users, audit: org path/leader/grids/is_active/sort, user post/phone/email/created_at,
membership.is_primary, audit_log

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22

Every new column is added in place (ALTER TABLE ADD COLUMN): on SQLite a batch *recreate* of ``org`` or
``app_user`` would drop the old table under live foreign keys (memberships, tokens with ON DELETE CASCADE).
NOT NULL columns therefore come with a plain string server default, and ``org.path`` is backfilled here.
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _backfill_org_paths(conn) -> None:
    rows = conn.execute(sa.text("SELECT id, code, parent_id FROM org")).all()
    by_id = {row.id: row for row in rows}
    paths: dict[int, str] = {}

    def path_of(org_id: int, seen: tuple = ()) -> str:
        if org_id in paths:
            return paths[org_id]
        if org_id in seen:
            raise RuntimeError(f"org tree has a cycle through id {org_id}")
        row = by_id[org_id]
        parent = path_of(row.parent_id, seen + (org_id,)) if row.parent_id in by_id else "/"
        paths[org_id] = f"{parent}{row.code}/"
        return paths[org_id]

    for org_id in by_id:
        conn.execute(sa.text("UPDATE org SET path = :path WHERE id = :id"), {"path": path_of(org_id), "id": org_id})


def upgrade():
    with op.batch_alter_table('org') as batch:
        batch.add_column(sa.Column('path', sa.String(length=500), nullable=False, server_default=''))
        batch.add_column(sa.Column('leader_username', sa.String(length=100), nullable=True))
        batch.add_column(sa.Column('grids', sa.JSON(), nullable=False, server_default='[]'))
        batch.add_column(sa.Column('is_active', sa.Boolean(), nullable=False, server_default='1'))
        batch.add_column(sa.Column('sort', sa.Integer(), nullable=False, server_default='0'))
    conn = op.get_bind()
    _backfill_org_paths(conn)
    if conn.dialect.name != 'sqlite':
        op.alter_column('org', 'path', server_default=None)
    op.create_index('ix_org_path', 'org', ['path'], unique=False, postgresql_ops={'path': 'text_pattern_ops'})
    op.create_index('ix_org_parent_id', 'org', ['parent_id'], unique=False)

    with op.batch_alter_table('app_user') as batch:
        batch.add_column(sa.Column('post', sa.String(length=100), nullable=True))
        batch.add_column(sa.Column('phone', sa.String(length=30), nullable=True))
        batch.add_column(sa.Column('email', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('created_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('membership') as batch:
        batch.add_column(sa.Column('is_primary', sa.Boolean(), nullable=False, server_default='0'))
    # each person's first organisation becomes their primary one
    conn.execute(sa.text("UPDATE membership SET is_primary = :yes WHERE id IN "
                         "(SELECT MIN(id) FROM membership GROUP BY user_id)").bindparams(
        sa.bindparam('yes', True, type_=sa.Boolean())))
    op.create_index('ix_membership_org_code', 'membership', ['org_code'], unique=False)

    op.create_table(
        'audit_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=100), nullable=False),
        sa.Column('action', sa.String(length=60), nullable=False),
        sa.Column('target_type', sa.String(length=40), nullable=False),
        sa.Column('target_id', sa.String(length=100), nullable=False),
        sa.Column('before', sa.JSON(), nullable=True),
        sa.Column('after', sa.JSON(), nullable=True),
        sa.Column('ip', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log')),
    )
    op.create_index('ix_audit_log_at', 'audit_log', ['at'], unique=False)
    op.create_index('ix_audit_log_actor_id', 'audit_log', ['actor', 'id'], unique=False)
    op.create_index('ix_audit_log_action_id', 'audit_log', ['action', 'id'], unique=False)
    op.create_index('ix_audit_log_target_type_target_id_id', 'audit_log', ['target_type', 'target_id', 'id'],
                    unique=False)


def downgrade():
    # Plain DROP COLUMN (SQLite ≥ 3.35, PostgreSQL): no table recreate under live foreign keys.
    op.drop_index('ix_audit_log_target_type_target_id_id', table_name='audit_log')
    op.drop_index('ix_audit_log_action_id', table_name='audit_log')
    op.drop_index('ix_audit_log_actor_id', table_name='audit_log')
    op.drop_index('ix_audit_log_at', table_name='audit_log')
    op.drop_table('audit_log')
    op.drop_index('ix_membership_org_code', table_name='membership')
    op.drop_column('membership', 'is_primary')
    for column in ('created_at', 'email', 'phone', 'post'):
        op.drop_column('app_user', column)
    op.drop_index('ix_org_parent_id', table_name='org')
    op.drop_index('ix_org_path', table_name='org')
    for column in ('sort', 'is_active', 'grids', 'leader_username', 'path'):
        op.drop_column('org', column)
