"""deleted runs: the UUIDs of imported runs the runner deleted (deleted_runs), so importing the
same file again asks before it brings the run back.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 01:30:00.000000

Not read by the guidance or the care plan (no guidance-rev triggers): only the importer reads it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('deleted_runs',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_deleted_runs_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'uuid', name=op.f('pk_deleted_runs'))
    )


def downgrade():
    op.drop_table('deleted_runs')
