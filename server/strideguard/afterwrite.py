"""THE path after every write of a runner's inputs.

A check-in, a run (typed or imported), an edit, a deletion, a change of time zone or limits,
and a therapist's assessment of the knee all change what the care plan is made from. Each
of them goes through the same two calls, in one transaction::

    begin_write(user)            # 1. the runner's lock, before the first write
    ...write the change...       # 2. the caller's insert, update or delete
    after_write(user, changed)   # 3. replay the plan from ``changed`` through the runner's
                                 #    today, assess today (and ``changed``), queue the
                                 #    runner's pushes and their therapists' alerts
    db.session.commit()          # 4. the change, the plan, the outbox: together or not at all

Taking the lock first is what keeps two writes of one runner from deadlocking on
PostgreSQL: a write that inserts its row first holds a share lock on the runner's ``users``
row (the foreign key) that the other's ``FOR UPDATE`` waits on, and the other way round.
The stored guidance (``GET /guidance``) needs no step here: every table it is made from
raises the runner's ``guidance_rev`` in this same transaction (migration 0007's triggers),
so no stored answer older than the change is ever served again.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError

from strideguard.accounts.limits import runner_settings
from strideguard.accounts.models import User
from strideguard.clinic.alerts import queue_for_therapists
from strideguard.extensions import db
from strideguard.guidance.engine import Guidance, assess_day
from strideguard.guidance.service import build_snapshot, host
from strideguard.load import window_start
from strideguard.plan import service as plan_service
from strideguard.reminders.service import queue_alerts
from strideguard.timeutil import utcnow

P = ParamSpec("P")
T = TypeVar("T")
log = logging.getLogger(__name__)


def begin_write(user: User | int) -> None:
    """Take the runner's lock before the first write of the transaction (see the module doc)."""
    plan_service.lock_runner(user if isinstance(user, int) else user.id)


@dataclass(frozen=True)
class Written:
    """What the path produced: the guidance of the changed date and of the runner's today."""

    changed: Guidance
    today: Guidance


def after_write(user: User, changed: date, now: datetime | None = None, today: date | None = None) -> Written:
    """After a change dated ``changed`` was written (not committed; the lock taken first):
    replay the care plan from that date through the runner's today, assess today and the
    changed date, queue today's pushes to the runner and alerts to their therapists. The
    caller commits once. The rows are read once for the plan's replay and today's snapshot.
    ``today``: the runner's today, when the caller read it under the lock and its write
    cannot have moved it (else it is read here)."""
    now = now or utcnow()
    begin_write(user)  # a no-op when the caller took it, as it should
    today = today or plan_service.runner_today(user, now)
    changed = min(changed, today)
    settings = runner_settings(user)
    known = plan_service.recorded(
        user.id, min(changed, today - timedelta(days=1)), min(changed, window_start(today)), today
    )
    days = {d.date: d for d in plan_service.refresh(user, changed, today, settings, known)}
    plan_today = days.get(today) or plan_service.day_for(user, today, today)
    current = assess_day(build_snapshot(user, today, plan_today, known), host())
    if changed == today:
        guidance = current
    else:
        plan = days.get(changed) or plan_service.day_for(user, changed, today)
        guidance = assess_day(build_snapshot(user, changed, plan), host())
    queue_alerts(user, current, now)
    queue_for_therapists(user, plan_today, known.checkins.get(today), now)
    return Written(guidance, current)


#: SQLSTATEs of a transaction the database gave up on to let another go first (PostgreSQL's
#: deadlock and serialization failure): the write is tried again from the start.
RETRY_SQLSTATES = frozenset({"40P01", "40001"})
#: Attempts of a write in all (the lock order makes a second one rare, a third rarer still).
WRITE_ATTEMPTS = 3


def retrying(write: Callable[P, T]) -> Callable[P, T]:
    """Run a whole write again, in a fresh transaction, when the database rolled it back for a
    deadlock or a serialization failure (bounded: ``WRITE_ATTEMPTS``). With the runner's lock
    taken first this should never happen; if it ever does, the runner gets their answer, not
    a 500 (and past the bound, the outage handler's 503)."""

    @functools.wraps(write)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> T:
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                return write(*args, **kwargs)
            except DBAPIError as exc:
                code = getattr(getattr(exc, "orig", None), "sqlstate", None)
                if code not in RETRY_SQLSTATES or attempt == WRITE_ATTEMPTS:
                    raise
                db.session.rollback()
                log.warning("write %s retried after %s (attempt %d)", write.__name__, code, attempt)
        raise RuntimeError("unreachable")  # pragma: no cover

    return wrapped
