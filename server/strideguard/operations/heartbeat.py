"""The reminder worker's heartbeat: one row per worker process, refreshed as it works.

The worker beats when a tick starts, after every batch it delivers and when the tick ends,
so a worker that is stuck (not merely alive) goes stale too. ``/readyz`` wants a beat
within :data:`FRESH_TICKS` of the beating worker's own interval.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select

from strideguard.extensions import db, upsert_insert
from strideguard.operations.models import WorkerHeartbeat
from strideguard.timeutil import utcnow

FRESH_TICKS = 3
#: Rows of workers silent this long are deleted (a restarted worker gets a new row).
FORGET_AFTER = timedelta(days=1)


def worker_id() -> str:
    """This process: ``host:pid``."""
    return f"{socket.gethostname()[:100]}:{os.getpid()}"


def beat(interval_s: int, started_at: datetime, now: datetime | None = None, worker: str | None = None) -> None:
    """Record that this worker is alive and working now (its own transaction)."""
    now = (now or utcnow()).astimezone(timezone.utc)
    table = WorkerHeartbeat.__table__
    db.session.execute(
        upsert_insert(table)
        .values(worker=worker or worker_id(), started_at=started_at, beat_at=now, interval_s=interval_s)
        .on_conflict_do_update(index_elements=[table.c.worker],
                               set_={"beat_at": now, "interval_s": interval_s})
    )
    db.session.execute(delete(table).where(table.c.beat_at < now - FORGET_AFTER))
    db.session.commit()


@dataclass(frozen=True)
class Freshness:
    """The most recent beat of any worker, seen at ``now``."""

    age_s: float
    interval_s: int

    @property
    def fresh(self) -> bool:
        return self.age_s <= FRESH_TICKS * self.interval_s


def latest(now: datetime | None = None) -> Freshness | None:
    """The freshest worker's beat (None: no worker has ever beaten, or all were forgotten)."""
    now = (now or utcnow()).astimezone(timezone.utc)
    row = db.session.execute(
        select(WorkerHeartbeat.beat_at, WorkerHeartbeat.interval_s)
        .order_by(WorkerHeartbeat.beat_at.desc()).limit(1)
    ).first()
    if row is None:
        return None
    return Freshness(max(0.0, (now - row.beat_at).total_seconds()), row.interval_s)
