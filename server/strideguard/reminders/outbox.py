"""The outbox: write planned reminders once, claim due ones so no two senders send one twice,
and store what became of each (the decisions are ``reminders/retry.py``'s).

``write`` takes the runner planner's rows (about the runner themself); therapist alerts
are written by ``strideguard.clinic.alerts`` under the same unique key (``KEY``).
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from strideguard.extensions import db
from strideguard.reminders.models import Reminder
from strideguard.reminders.planner import PlannedReminder
from strideguard.reminders.retry import Settlement
from strideguard.timeutil import utcnow

#: A row claimed longer ago than this is assumed lost with its worker and is claimable again.
STALE_CLAIM = timedelta(minutes=5)
BATCH = 500
#: Rows per executemany when writing planned reminders.
WRITE_CHUNK = 5000
#: The outbox's unique key: one row per recipient, kind, local date and subject.
KEY = ("user_id", "kind", "local_date", "subject_id")


#: PostgreSQL, when a row's key is already taken: the rows are COPYed into a session-local
#: staging table, then moved in ONE ``INSERT … SELECT … ON CONFLICT DO NOTHING`` (COPY
#: cannot skip conflicts itself).
_PG_STAGE = (
    "CREATE TEMP TABLE IF NOT EXISTS reminders_in (user_id integer, kind text, local_date date, "
    "due_at timestamptz, status text, context text) ON COMMIT DELETE ROWS"
)
_PG_MOVE = (
    "INSERT INTO reminders (user_id, subject_id, kind, local_date, due_at, status, attempts, context, created_at) "
    "SELECT user_id, user_id, kind, local_date, due_at, status, 0, CAST(context AS json), %s FROM reminders_in "
    "ON CONFLICT (user_id, kind, local_date, subject_id) DO NOTHING"
)
_PG_COPY = ("COPY reminders (user_id, subject_id, kind, local_date, due_at, status, attempts, context, "
            "created_at) FROM STDIN")


def _status_context(p: PlannedReminder) -> tuple[str, dict[str, Any]]:
    """A planned row's outbox status and context: a row folded into another push is stored
    ``skipped`` (kept only for deduplication) and names that push in its context."""
    context = dict(p.context)
    if p.merged_into:
        context["merged_into"] = p.merged_into
        return "skipped", context
    return "pending", context


def _pg_row(p: PlannedReminder) -> tuple:
    """``(user_id, kind, local_date, due_at, status, context JSON)`` of a planned row."""
    status, context = _status_context(p)
    return (p.user_id, p.kind, p.local_date, p.due_at, status, json.dumps(context))


def _pg_write(planned: Iterable[PlannedReminder], created: datetime) -> int:
    """Stream the rows straight into the outbox with COPY as they are planned (the server
    stores each chunk while the next is planned), inside a savepoint. COPY cannot skip a
    taken key: if another writer stored one meanwhile (a second worker's tick, a check-in's
    alert), the savepoint is rolled back and the same rows are moved through the staging
    table with ``ON CONFLICT DO NOTHING`` instead."""
    import psycopg  # PostgreSQL only (an SQLite process never loads the driver: ~60 ms at start)

    raw = db.session.connection().connection.dbapi_connection
    rows: list[tuple] = []
    with raw.cursor() as cur:
        cur.execute("SAVEPOINT outbox_copy")
        try:
            with cur.copy(_PG_COPY) as copy:
                for p in planned:
                    row = _pg_row(p)
                    rows.append(row)
                    copy.write_row((row[0], row[0], *row[1:5], 0, row[5], created))
        except psycopg.errors.UniqueViolation:
            cur.execute("ROLLBACK TO SAVEPOINT outbox_copy")
            rows.extend(_pg_row(p) for p in planned)  # whatever the failed COPY had not taken yet
        else:
            cur.execute("RELEASE SAVEPOINT outbox_copy")
            return len(rows)
        cur.execute(_PG_STAGE)
        with cur.copy("COPY reminders_in (user_id, kind, local_date, due_at, status, context) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cur.execute(_PG_MOVE, (created,))
        return cur.rowcount


def write(planned: Iterable[PlannedReminder]) -> int:
    """Insert planned rows; an existing (runner, kind, local date) is left alone. Returns rows
    written. ``planned`` may be a generator: it is consumed once, as the rows are written.

    PostgreSQL: COPY straight into the outbox, or through a staging table when a key is taken
    (``_pg_write``). SQLite: one prepared INSERT … ON CONFLICT DO NOTHING as an executemany in
    chunks. (A multi-row VALUES statement is compiled and parsed afresh every pass, costs
    ~0.3 ms a row, and passes SQLite's limit of 32,766 bound parameters at ~4,700 rows.)
    """
    created = utcnow()
    if db.engine.dialect.name == "postgresql":
        rest = iter(planned)
        first = next(rest, None)
        if first is None:
            return 0  # nothing planned: no statement, and the caller's transaction stays open
        written = _pg_write(itertools.chain((first,), rest), created)
        db.session.commit()
        return written
    rows = []
    for p in planned:
        status, context = _status_context(p)
        rows.append({
            "user_id": p.user_id,
            "subject_id": p.user_id,  # a runner's own reminder is about themself
            "kind": p.kind, "local_date": p.local_date, "due_at": p.due_at, "status": status,
            "attempts": 0, "context": context, "created_at": created,
        })
    if not rows:
        return 0
    table = Reminder.__table__
    stmt = sqlite_insert(table).on_conflict_do_nothing(index_elements=list(KEY))
    connection = db.session.connection()
    written = 0
    for start in range(0, len(rows), WRITE_CHUNK):
        written += max(connection.execute(stmt, rows[start:start + WRITE_CHUNK]).rowcount, 0)
    db.session.commit()
    return written


#: The rows of one subject's day to some recipients, of some kinds, not sent (a claimed row is
#: ``sending``, out of reach): built once.
_UNSENT = select(Reminder.id, Reminder.user_id, Reminder.kind, Reminder.status, Reminder.context).where(
    Reminder.user_id.in_(bindparam("users", expanding=True)), Reminder.subject_id == bindparam("subject"),
    Reminder.local_date == bindparam("day"), Reminder.kind.in_(bindparam("kinds", expanding=True)),
    Reminder.status.in_(("pending", "skipped")),
)


def withdraw(recipients: Sequence[int], subject_id: int, day: date, kinds: Collection[str],
             due: Collection[str]) -> int:
    """Take back the alerts about ``subject_id``'s ``day`` that a later write of that day no
    longer calls for: pending rows of ``kinds`` to ``recipients`` whose kind is not in
    ``due`` (a check-in of pain 5 corrected to 2: its "rest" push must not go out at the next
    tick). They were never sent, so they are deleted, with the rows merged into them (their
    kinds are planned again right after, if still due); the same cause coming back that day
    plans its alert again. Returns the rows taken back (not committed)."""
    if not recipients:
        return 0
    rows = db.session.connection().execute(_UNSENT, {
        "users": list(recipients), "subject": subject_id, "day": day, "kinds": list(kinds)}).all()
    gone = {(r.user_id, r.kind) for r in rows if r.status == "pending" and r.kind not in due}
    if not gone:
        return 0
    # A merged row names its push by kind (a therapist's alert) or by the push's key
    # ("<user>:<kind>:<date>", a runner's own).
    lead = gone | {(uid, f"{uid}:{kind}:{day.isoformat()}") for uid, kind in gone}
    ids = [r.id for r in rows if (r.user_id, r.kind) in gone and r.status == "pending"
           or r.status == "skipped" and (r.user_id, (r.context or {}).get("merged_into")) in lead]
    db.session.execute(delete(Reminder).where(Reminder.id.in_(ids)).execution_options(synchronize_session=False))
    return len(gone)


def release_stale_claims(now: datetime) -> None:
    """Put back rows whose sender died mid-send (at-least-once for that rare case)."""
    db.session.execute(
        update(Reminder)
        .where(Reminder.status == "sending", Reminder.claimed_at < now - STALE_CLAIM)
        .values(status="pending", claimed_by=None)
    )
    db.session.commit()


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row this sender holds (status ``sending``, ``claimed_by == token``)."""

    id: int
    user_id: int
    kind: str
    attempts: int
    context: dict[str, Any]
    token: str


def claim(now: datetime, limit: int = BATCH) -> list[Claimed]:
    """Atomically take up to ``limit`` due rows for this sender, oldest due first.

    One ``UPDATE … WHERE id IN (due ids) RETURNING``: on PostgreSQL the due ids are selected
    ``FOR UPDATE SKIP LOCKED`` (concurrent senders take disjoint rows without waiting); on
    SQLite the statement runs under the database's single write lock and re-checks
    ``status = 'pending'`` (compare-and-set), so a row is never claimed twice either.
    """
    token = uuid.uuid4().hex
    due = (
        select(Reminder.id)
        .where(Reminder.status == "pending", Reminder.due_at <= now)
        .order_by(Reminder.due_at, Reminder.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    rows = db.session.execute(
        update(Reminder)
        .where(Reminder.id.in_(due.scalar_subquery()), Reminder.status == "pending")
        .values(status="sending", claimed_by=token, claimed_at=now)
        .returning(Reminder.id, Reminder.user_id, Reminder.kind, Reminder.attempts, Reminder.context)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return sorted((Claimed(r.id, r.user_id, r.kind, r.attempts, r.context or {}, token) for r in rows),
                  key=lambda c: c.id)


def record(settled: Sequence[tuple[Claimed, Settlement]]) -> None:
    """Store each row's new state, one UPDATE per distinct outcome (most of a batch shares one).

    Only rows still claimed by the same token change: if a stale claim was released and
    another sender took the row meanwhile, its outcome wins. The caller commits.
    """
    groups: dict[tuple, list[int]] = defaultdict(list)
    for row, s in settled:
        groups[(row.token, s.status, s.last_status, s.last_error, s.due_at, s.sent_at)].append(row.id)
    for (token, status, last_status, last_error, due_at, sent_at), ids in groups.items():
        values: dict[str, Any] = {
            "status": status, "attempts": Reminder.attempts + 1, "claimed_by": None,
            "last_status": last_status, "last_error": last_error,
        }
        if due_at is not None:
            values["due_at"] = due_at
        if sent_at is not None:
            values["sent_at"] = sent_at
        db.session.execute(
            update(Reminder)
            .where(Reminder.id.in_(bindparam("ids", expanding=True)), Reminder.claimed_by == token,
                   Reminder.status == "sending")
            .values(**values)
            .execution_options(synchronize_session=False),
            {"ids": ids},
        )


def due_count(now: datetime, cap: int) -> int:
    """How many rows are due now, counting at most ``cap`` (cheap however long the queue)."""
    due = select(Reminder.id).where(Reminder.status == "pending", Reminder.due_at <= now).limit(cap)
    return db.session.execute(select(func.count()).select_from(due.subquery())).scalar_one()


def depth(now: datetime) -> dict[str, Any]:
    """The queue for monitoring: rows pending (and due now), sending, and the oldest due age.

    Reads only the live part of the table (status pending/sending, on the status index), so
    it costs the same with millions of sent rows.
    """
    counts = dict(db.session.execute(
        select(Reminder.status, func.count()).where(Reminder.status.in_(("pending", "sending")))
        .group_by(Reminder.status)
    ).all())
    due, oldest = db.session.execute(
        select(func.count(), func.min(Reminder.due_at))
        .where(Reminder.status == "pending", Reminder.due_at <= now)
    ).one()
    return {
        "pending": counts.get("pending", 0), "sending": counts.get("sending", 0), "due": due,
        "oldest_due_s": max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0,
    }
