"""deleted runs remember their distance and start (deleted_runs.distance_m, .started_at), so
the same activity imported again in another format (a FIT deleted, its GPX imported) asks
before it comes back, as the same file does.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 04:40:00.000000
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('deleted_runs') as batch_op:
        batch_op.add_column(sa.Column('distance_m', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('started_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('deleted_runs') as batch_op:
        batch_op.drop_column('started_at')
        batch_op.drop_column('distance_m')
