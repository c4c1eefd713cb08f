"""stored guidance: users.guidance_rev, raised by triggers on every table guidance reads, and
stored_guidance (GET /guidance's answer per runner and local date, valid at one rev)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 19:00:00.000000

The triggers are what keeps stored guidance honest: every insert, update or delete of a row
the guidance is made from raises its runner's ``guidance_rev`` in the same transaction,
whatever wrote it (ORM, Core, COPY, a cascade). PostgreSQL uses statement triggers with
transition tables (one UPDATE per statement, however many rows a COPY brings); SQLite has
row triggers only.

Careful in later migrations: on SQLite, ``batch_alter_table`` with a table recreate drops
that table's triggers. Re-create them (``_sqlite_triggers``) after such a change.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

#: The tables the guidance reads, each with its runner column.
TABLES = ("checkins", "runs", "shoes", "plan_days", "plan_events", "care_links")

_PG_FUNCTIONS = {
    "sg_guidance_rev_new": "SELECT user_id FROM new_rows",
    "sg_guidance_rev_old": "SELECT user_id FROM old_rows",
    "sg_guidance_rev_both": "SELECT user_id FROM old_rows UNION SELECT user_id FROM new_rows",
}
_PG_EVENTS = (  # (event, REFERENCING clause, function)
    ("INSERT", "NEW TABLE AS new_rows", "sg_guidance_rev_new"),
    ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows", "sg_guidance_rev_both"),
    ("DELETE", "OLD TABLE AS old_rows", "sg_guidance_rev_old"),
)


_PATIENTS = ("UPDATE users SET guidance_rev = guidance_rev + 1 "
             "WHERE id IN (SELECT user_id FROM care_links WHERE therapist_id = NEW.id)")


def _pg_upgrade():
    for name, rows in _PG_FUNCTIONS.items():
        op.execute(f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE users SET guidance_rev = guidance_rev + 1 WHERE id IN ({rows});
    RETURN NULL;
END $$""")
    for table in TABLES:
        for event, referencing, function in _PG_EVENTS:
            op.execute(f"CREATE TRIGGER {table}_guidance_{event.lower()} AFTER {event} ON {table} "
                       f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {function}()")
    # The runner's own row (profile, limits, zone): any update that did not raise the rev.
    op.execute("""
CREATE FUNCTION sg_guidance_rev_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.guidance_rev = OLD.guidance_rev THEN
        NEW.guidance_rev := OLD.guidance_rev + 1;
    END IF;
    RETURN NEW;
END $$""")
    op.execute("CREATE TRIGGER users_guidance_rev BEFORE UPDATE ON users "
               "FOR EACH ROW EXECUTE FUNCTION sg_guidance_rev_user()")
    # A therapist's name is shown with the limits they set: their patients' answers change.
    op.execute(f"""
CREATE FUNCTION sg_guidance_rev_patients() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_PATIENTS};
    RETURN NULL;
END $$""")
    op.execute("CREATE TRIGGER users_guidance_patients AFTER UPDATE OF display_name, email ON users "
               "FOR EACH ROW WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name "
               "OR OLD.email IS DISTINCT FROM NEW.email) EXECUTE FUNCTION sg_guidance_rev_patients()")


def _pg_downgrade():
    op.execute("DROP TRIGGER IF EXISTS users_guidance_patients ON users")
    op.execute("DROP TRIGGER IF EXISTS users_guidance_rev ON users")
    for table in TABLES:
        for event, _, _ in _PG_EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_guidance_{event.lower()} ON {table}")
    for name in (*_PG_FUNCTIONS, "sg_guidance_rev_user", "sg_guidance_rev_patients"):
        op.execute(f"DROP FUNCTION IF EXISTS {name}()")


def _sqlite_triggers():
    bump = "UPDATE users SET guidance_rev = guidance_rev + 1 WHERE id"
    for table in TABLES:
        yield f"{table}_guidance_insert", f"AFTER INSERT ON {table} BEGIN {bump} = NEW.user_id; END"
        yield (f"{table}_guidance_update",
               f"AFTER UPDATE ON {table} BEGIN {bump} IN (OLD.user_id, NEW.user_id); END")
        yield f"{table}_guidance_delete", f"AFTER DELETE ON {table} BEGIN {bump} = OLD.user_id; END"
    yield ("users_guidance_rev",
           "AFTER UPDATE ON users WHEN NEW.guidance_rev = OLD.guidance_rev BEGIN "
           "UPDATE users SET guidance_rev = OLD.guidance_rev + 1 WHERE id = NEW.id; END")
    yield ("users_guidance_patients",
           "AFTER UPDATE OF display_name, email ON users "
           "WHEN OLD.display_name IS NOT NEW.display_name OR OLD.email IS NOT NEW.email "
           f"BEGIN {_PATIENTS}; END")


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('guidance_rev', sa.Integer(), server_default='0', nullable=False))

    op.create_table('stored_guidance',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('rev', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_stored_guidance_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'date', name=op.f('pk_stored_guidance'))
    )
    if op.get_bind().dialect.name == "postgresql":
        _pg_upgrade()
    else:
        for name, body in _sqlite_triggers():
            op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        _pg_downgrade()
    else:
        for name, _ in _sqlite_triggers():
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table('stored_guidance')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('guidance_rev')
