"""evaluation: the watermark remembers the event ids it has not seen yet (late commits on a server database)

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-21

"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('evaluation_watermark') as batch:
        batch.add_column(sa.Column('gaps', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('evaluation_watermark') as batch:
        batch.drop_column('gaps')
