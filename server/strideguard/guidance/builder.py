"""Build a :class:`DaySnapshot` from plain values, computing the load summary from the runs.

For plugin authors' tests and for our own: ``day_snapshot(date(2025, 3, 9), checkin=...)``.
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

SNAPSHOT_DAYS = 60


def day_snapshot(
    as_of: date,
    *,
    checkin: CheckinSnap | None = None,
    previous_checkin: CheckinSnap | None = None,
    runs: Iterable[RunSnap] = (),
    shoes: Iterable[ShoeSnap] = (),
    settings: RunnerSettings | None = None,
    last_run_before: date | None = None,
    break_flagged: bool = False,
) -> DaySnapshot:
    """A snapshot for ``as_of``: load from all ``runs``; the snapshot keeps the last 60 days."""
    settings = settings or RunnerSettings()
    all_runs = sorted((r for r in runs if r.date <= as_of), key=lambda r: r.date)
    load = compute_load(
        (RunPoint(r.date, r.distance_m, r.duration_s) for r in all_runs),
        as_of,
        settings.weekly_increase_pct,
    )
    first = as_of - timedelta(days=SNAPSHOT_DAYS)
    kept = tuple(r for r in all_runs if r.date >= first)
    older = [r.date for r in all_runs if r.date < first]
    return DaySnapshot(
        as_of=as_of,
        settings=settings,
        checkin=checkin,
        previous_checkin=previous_checkin,
        runs=kept,
        shoes=tuple(shoes),
        load=load,
        last_run_before=last_run_before or (max(older) if older else None),
        break_flagged=break_flagged,
    )
