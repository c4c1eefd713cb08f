"""(PURE) Assemble a :class:`DaySnapshot` from plain values — the ONE place a snapshot is built.

The guidance service calls it with rows read from the database and the stored care plan of
the day; plugin authors' tests and ours call it with a few values:
``day_snapshot(date(2025, 3, 9), checkin=...)`` (the plan is then replayed from the given
check-ins and runs, from a fresh start).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from strideguard.guidance.snapshot import (
    CheckinSnap,
    DaySnapshot,
    RunnerSettings,
    RunSnap,
    ShoeSnap,
)
from strideguard.load import RunPoint, compute_load
from strideguard.plan.machine import PlanDay, PlanState, inputs_from, replay

#: Days of runs a snapshot keeps (the detectors look back at most this far).
SNAPSHOT_DAYS = 60


def day_snapshot(
    as_of: date,
    *,
    checkin: CheckinSnap | None = None,
    previous_checkin: CheckinSnap | None = None,
    runs: Iterable[RunSnap] = (),
    shoes: Iterable[ShoeSnap] = (),
    settings: RunnerSettings | None = None,
    plan: PlanDay | None = None,
    checkins: Iterable[CheckinSnap] = (),
) -> DaySnapshot:
    """A snapshot for ``as_of``: the load summary from ``runs``, the last 60 days of runs kept.

    ``plan`` is the runner's care plan on ``as_of``; without one it is replayed from
    ``checkins`` (plus ``previous_checkin`` and ``checkin``) and ``runs``.
    """
    settings = settings or RunnerSettings()
    all_runs = sorted((r for r in runs if r.date <= as_of), key=lambda r: r.date)
    load = compute_load((RunPoint(r.date, r.distance_m, r.duration_s) for r in all_runs), as_of)
    if plan is None:
        known = [c for c in (*checkins, previous_checkin, checkin) if c is not None and c.date <= as_of]
        days = replay(PlanState(), inputs_from(known, all_runs), as_of, settings)
        plan = days[-1]
    first = as_of - timedelta(days=SNAPSHOT_DAYS)
    return DaySnapshot(
        as_of=as_of,
        settings=settings,
        checkin=checkin,
        previous_checkin=previous_checkin,
        runs=tuple(r for r in all_runs if r.date >= first),
        shoes=tuple(shoes),
        load=load,
        plan=plan,
    )
