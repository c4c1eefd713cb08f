"""The nightly step: carry every runner's stored plan forward to their local today.

A runner's plan is stored when they write (``plan.service.refresh``). On a day they write
nothing, readers over many runners (the reminder sweep, a therapist's dashboard) would step
the latest stored day forward in memory, every time they read it. The worker instead stores
those days once, soon after each runner's local midnight, so the sweep reads today's row.

This is a cache of what ``refresh(user, None, today)`` would store — the same replay from
the same row and inputs — never a second source of truth: a reader that finds no row for
today still steps in memory, and a write replays over whatever was stored here. Runners are
taken in batches, locked like any writer of their plan, so a check-in racing the step
either lands first (and the runner is skipped) or replays after it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select

from strideguard import gcpause
from strideguard.accounts.limits import runner_settings_many
from strideguard.accounts.models import User
from strideguard.extensions import core_rows, db, ids_match, insert_rows
from strideguard.day.values import CheckinSnap, RunSnap
from strideguard.plan.machine import inputs_from, replay
from strideguard.plan.models import PlanDayRow, PlanEventRow
from strideguard.plan.records import CHECKIN_COLUMNS, RUN_COLUMNS, checkin_snap, run_snap
from strideguard.plan.rows import _event_values, _row_values
from strideguard.plan.service import latest_days, lock_runners
from strideguard.timeutil import local_today, utcnow
from strideguard.training.models import Checkin, Run

#: Runners stepped per tick at most: a zone's midnight never holds up a tick's pushes for
#: long (the rest follow in the next ticks; readers step in memory meanwhile).
PER_TICK = 10_000

#: Runners stepped per transaction: short enough that a runner's own write waits little.
BATCH = 2_000

#: The user columns the step's limits need (``runner_settings_many``), not whole ORM rows.
_USER_COLUMNS = (User.id, User.units, User.weekly_increase_pct, User.pain_threshold, User.conditions)


def _latest_date() -> Any:
    return (select(func.max(PlanDayRow.date)).where(PlanDayRow.user_id == User.id)
            .correlate(User).scalar_subquery())


def behind(now: datetime, limit: int | None = None) -> list[tuple[int, date]]:
    """``(runner id, local today)`` of the runners whose latest stored plan day is before
    their local today at ``now`` (oldest ids first). Runners with no plan yet are not
    included: their first write starts it. Local today is evaluated once per zone."""
    zones = list(db.session.execute(select(User.timezone).distinct()).scalars())
    if not zones:
        return []
    by_day: dict[date, list[str]] = defaultdict(list)
    for zone in zones:
        by_day[local_today(zone, now)].append(zone)
    latest = _latest_date()
    clause = or_(*(and_(User.timezone.in_(names), latest < day) for day, names in by_day.items()))
    query = select(User.id, User.timezone).where(clause).order_by(User.id)
    if limit is not None:
        query = query.limit(limit)
    today = {zone: day for day, names in by_day.items() for zone in names}
    return [(uid, today[zone]) for uid, zone in core_rows(query)]


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _step_batch(today_of: dict[int, date]) -> int:
    """Lock, re-read and step one batch of runners; store the new days. Returns days stored."""
    ids = sorted(today_of)
    lock_runners(ids)
    # Re-read under the lock: a runner who wrote since ``behind`` ran is already stepped.
    latest = {uid: day for uid, day in latest_days(ids, date.max).items() if day.date < today_of[uid]}
    if not latest:
        return 0
    first = min(day.date for day in latest.values()) + timedelta(days=1)
    last = max(today_of[uid] for uid in latest)
    uids = sorted(latest)
    # Whatever was recorded after a runner's latest stepped day (rare: a write steps the plan).
    checkins: dict[int, list[CheckinSnap]] = defaultdict(list)
    for row in core_rows(select(Checkin.user_id, *CHECKIN_COLUMNS).where(
            ids_match(Checkin.user_id, uids), Checkin.date.between(first, last))):
        checkins[row.user_id].append(checkin_snap(row))
    runs: dict[int, list[RunSnap]] = defaultdict(list)
    for row in core_rows(select(Run.user_id, *RUN_COLUMNS).where(
            ids_match(Run.user_id, uids), Run.date.between(first, last))
            .order_by(Run.user_id, Run.date, Run.created_at)):
        runs[row.user_id].append(run_snap(row))
    settings = runner_settings_many(core_rows(select(*_USER_COLUMNS).where(ids_match(User.id, uids))))
    day_rows: list[dict[str, Any]] = []
    event_rows: list[dict[str, Any]] = []
    for uid in uids:
        start, today = latest[uid], today_of[uid]
        inputs = inputs_from((c for c in checkins.get(uid, ()) if start.date < c.date <= today),
                             (r for r in runs.get(uid, ()) if start.date < r.date <= today))
        for day in replay(start.state, inputs, today, settings[uid]):
            day_rows.append(_row_values(uid, day))
            event_rows.extend(_event_values(uid, e) for e in day.events)
    created = utcnow()
    for rows_of, table in ((day_rows, PlanDayRow.__table__), (event_rows, PlanEventRow.__table__)):
        insert_rows(table, [{**row, "created_at": created} for row in rows_of])
    return len(day_rows)


@gcpause.paused()
def advance(now: datetime, limit: int | None = None, batch: int = BATCH) -> int:
    """Store each runner's plan through their local today at ``now`` (at most ``limit``
    runners; one commit per ``batch``). Returns the number of plan days stored."""
    stored = 0
    for part in _chunks(behind(now, limit), batch):
        try:
            stored += _step_batch(dict(part))
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
    return stored
