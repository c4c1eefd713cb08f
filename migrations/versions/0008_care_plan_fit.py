"""care plan that fits real runners: the baseline's clean weeks, the post-return ramp, the
assessment hold, recurrence, easy days (plan_days columns); therapists' assessments
(plan_assessments); the clinic's lines on the runner's own limits

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 04:30:00.000000

Columns are added with ``op.add_column`` (no table recreate on SQLite, so the guidance-rev
triggers of 0007 stay). A stored day's baseline (the last clean week) becomes the one clean
week of its ``clean_weeks``, so the baseline every stored day shows is unchanged; the next
replay of a runner learns the rest. The runner's own limits are brought within the clinic's
lines (pain above 3/10, more than 10% a week): a therapist's limits live in care_links and
are untouched.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_COLUMNS = (
    sa.Column('clean_weeks', sa.JSON(), server_default='[]', nullable=False),
    sa.Column('ramp_m', sa.Float(), nullable=True),
    sa.Column('prev_week_m', sa.Float(), server_default='0', nullable=False),
    sa.Column('week_pain', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('week_over_start', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('hold', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('last_flare', sa.Date(), nullable=True),
    sa.Column('flare_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('easy_until', sa.Date(), nullable=True),
)


def upgrade():
    for column in _COLUMNS:
        op.add_column('plan_days', column)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("UPDATE plan_days SET clean_weeks = json_build_array(json_build_array("
                   "to_char(baseline_week, 'YYYY-MM-DD'), baseline_m)) "
                   "WHERE baseline_m IS NOT NULL AND baseline_week IS NOT NULL")
    else:
        op.execute("UPDATE plan_days SET clean_weeks = json_array(json_array(baseline_week, baseline_m)) "
                   "WHERE baseline_m IS NOT NULL AND baseline_week IS NOT NULL")
    op.create_table(
        'plan_assessments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('therapist_id', sa.Integer(), nullable=True),
        sa.Column('therapist', sa.String(length=100), nullable=False),
        sa.Column('date', sa.Date(), nullable=False),
        sa.Column('note', sa.String(length=500), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['therapist_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_plan_assessments_user_id_date', 'plan_assessments', ['user_id', 'date'])
    op.execute("UPDATE users SET pain_threshold = 3 WHERE pain_threshold > 3")
    op.execute("UPDATE users SET weekly_increase_pct = 10 WHERE weekly_increase_pct > 10")


def downgrade():
    op.drop_index('ix_plan_assessments_user_id_date', table_name='plan_assessments')
    op.drop_table('plan_assessments')
    for column in reversed(_COLUMNS):
        op.drop_column('plan_days', column.name)
