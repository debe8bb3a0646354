"""working-time calendars: calendars, seasonal windows, holidays and 调休 days

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('work_calendar',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('hours_per_work_day', sa.Float(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_calendar')),
    sa.UniqueConstraint('code', name=op.f('uq_work_calendar_code'))
    )
    op.create_table('work_calendar_day',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('calendar_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('seeded_kind', sa.String(length=10), nullable=True),
    sa.Column('seeded_name', sa.String(length=100), nullable=True),
    sa.CheckConstraint("kind in ('holiday', 'workday')", name=op.f('ck_work_calendar_day_kind')),
    sa.CheckConstraint("source in ('seed', 'admin')", name=op.f('ck_work_calendar_day_source')),
    sa.ForeignKeyConstraint(['calendar_id'], ['work_calendar.id'], name=op.f('fk_work_calendar_day_calendar_id_work_calendar'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_calendar_day')),
    sa.UniqueConstraint('calendar_id', 'day', name=op.f('uq_work_calendar_day_calendar_id_day'))
    )
    op.create_table('work_calendar_season',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('calendar_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('start_md', sa.String(length=5), nullable=False),
    sa.Column('end_md', sa.String(length=5), nullable=False),
    sa.Column('windows', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['calendar_id'], ['work_calendar.id'], name=op.f('fk_work_calendar_season_calendar_id_work_calendar'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_calendar_season'))
    )
    with op.batch_alter_table('work_calendar_season', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_calendar_season_calendar_id'), ['calendar_id'], unique=False)


def downgrade():
    with op.batch_alter_table('work_calendar_season', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_calendar_season_calendar_id'))

    op.drop_table('work_calendar_season')
    op.drop_table('work_calendar_day')
    op.drop_table('work_calendar')
