"""imports held for the runner's answer: imports.held (files that name no sport and are too
fast to be taken for a run without asking) and import_items.answered_at (when the runner
said "this was a run" or "skip"); the item's status is "needs_answer" until then.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 04:30:00.000000

Plain ADD/DROP COLUMN (no batch recreate): neither table carries the guidance triggers.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('imports', sa.Column('held', sa.Integer(), server_default='0', nullable=False))
    op.add_column('import_items', sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('import_items') as batch_op:
        batch_op.drop_column('answered_at')
    with op.batch_alter_table('imports') as batch_op:
        batch_op.drop_column('held')
