"""clean stored display names: control, bidi and invisible format characters out

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 04:20:00.000000

Names are cleaned on the way in from now on (``strideguard.accounts.text``); this cleans the
ones stored before. A name that was nothing but such characters becomes NULL (the email is
shown instead). No schema change; downgrade keeps the cleaned names.
"""
from alembic import op
import sqlalchemy as sa

from strideguard.accounts.text import clean_display_name


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

users = sa.table("users", sa.column("id", sa.Integer), sa.column("display_name", sa.String))


def upgrade():
    conn = op.get_bind()
    rows = conn.execute(sa.select(users.c.id, users.c.display_name).where(users.c.display_name.is_not(None)))
    changed = [{"uid": uid, "name": clean_display_name(name) or None}
               for uid, name in rows if clean_display_name(name) != name]
    if changed:
        conn.execute(users.update().where(users.c.id == sa.bindparam("uid"))
                     .values(display_name=sa.bindparam("name")), changed)


def downgrade():
    pass
