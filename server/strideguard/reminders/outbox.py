"""The outbox: write planned reminders once, claim due ones so no two workers send one twice."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from strideguard.extensions import db
from strideguard.reminders.models import Reminder
from strideguard.reminders.planner import PlannedReminder

#: A row claimed longer ago than this is assumed lost with its worker and is claimable again.
STALE_CLAIM = timedelta(minutes=5)
BATCH = 500


def _insert():
    return pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert


def write(planned: Iterable[PlannedReminder]) -> int:
    """Insert planned rows; an existing (runner, kind, local date) is left alone. Returns rows."""
    rows = [
        {
            "user_id": p.user_id,
            "kind": p.kind,
            "local_date": p.local_date,
            "due_at": p.due_at,
            "status": "skipped" if p.merged_into else "pending",
            "attempts": 0,
            "context": {**dict(p.context), **({"merged_into": p.merged_into} if p.merged_into else {})},
        }
        for p in planned
    ]
    if not rows:
        return 0
    stmt = _insert()(Reminder).values(rows).on_conflict_do_nothing(
        index_elements=["user_id", "kind", "local_date"]
    )
    result = db.session.execute(stmt)
    db.session.commit()
    return result.rowcount or 0


def release_stale_claims(now: datetime) -> None:
    """Put back rows whose worker died mid-send (at-least-once for that rare case)."""
    db.session.execute(
        update(Reminder)
        .where(Reminder.status == "sending", Reminder.claimed_at < now - STALE_CLAIM)
        .values(status="pending", claimed_by=None)
    )
    db.session.commit()


def claim(now: datetime, limit: int = BATCH) -> list[Reminder]:
    """Atomically take up to ``limit`` due rows for this worker.

    PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` then mark them. SQLite: one
    compare-and-set UPDATE (``status = 'pending'`` in the WHERE), then read back by token.
    """
    token = uuid.uuid4().hex
    due = (
        select(Reminder.id)
        .where(Reminder.status == "pending", Reminder.due_at <= now)
        .order_by(Reminder.due_at, Reminder.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        ids = list(db.session.execute(due.with_for_update(skip_locked=True)).scalars())
        if not ids:
            db.session.commit()
            return []
        db.session.execute(
            update(Reminder).where(Reminder.id.in_(ids))
            .values(status="sending", claimed_by=token, claimed_at=now)
        )
    else:
        db.session.execute(
            update(Reminder)
            .where(Reminder.id.in_(due.scalar_subquery()), Reminder.status == "pending")
            .values(status="sending", claimed_by=token, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    return list(
        db.session.execute(
            select(Reminder).where(Reminder.claimed_by == token, Reminder.status == "sending")
        ).scalars()
    )
