"""How long writes wait for, and hold, the runner's write lock (``plan.service.lock_runner``:
PostgreSQL's row lock on the runner, SQLite's one writer lock).

Every write of a runner's inputs takes that lock before its first write and keeps it until
its transaction ends, so writes of one runner (on SQLite: of everybody) follow one another:
the time a lock is held bounds their rate (one writer at a time: at most 1 / hold seconds a
second), and the time spent waiting for it is worker time that does nothing. Both go to
``/metrics`` (``strideguard_write_lock_wait_seconds_total``,
``strideguard_write_lock_held_seconds_total``, ``strideguard_write_locks_total``); the bench
divides them by the request time of the same cell.
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import Counter
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

LOCKS = Counter("strideguard_write_locks_total", "Write locks taken (lock_runner's first statement of a transaction).")
WAITED = Counter("strideguard_write_lock_wait_seconds_total",
                 "Time spent taking the write lock (waiting for another transaction that holds it).")
HELD = Counter("strideguard_write_lock_held_seconds_total",
               "Time from taking the write lock to the end of its transaction (commit or rollback).")

#: ``session.info`` key: when this transaction took the lock (``time.perf_counter``).
_TAKEN = "strideguard.write_lock_taken"


def took(session: Session, started: float) -> None:
    """The lock statement that began at ``started`` returned: count its wait and note when
    the lock was taken (the first time in this transaction)."""
    now = time.perf_counter()
    LOCKS.inc()
    WAITED.inc(now - started)
    session.info.setdefault(_TAKEN, now)


@event.listens_for(Session, "after_transaction_end")
def _released(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:  # a savepoint: the lock outlives it
        return
    taken: Any = session.info.pop(_TAKEN, None)
    if taken is not None:
        HELD.inc(time.perf_counter() - taken)
