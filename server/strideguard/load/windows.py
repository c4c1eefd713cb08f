"""Rolling 7-day windows, week-over-week change, caps and calendar weeks.

Every date here is the runner's *local calendar date*: runs are stored with the local date on
which they were run, so time zones and DST never shift a run between windows once it is
stored. The only zone-aware step ("what is today for this runner?") happens in the service.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

#: Calendar weeks returned for charts.
CHART_WEEKS = 12
#: Days of history any figure here looks at. Services load only runs dated on or after
#: ``window_start(as_of)`` — never a runner's whole history.
HISTORY_DAYS = 7 * (CHART_WEEKS + 1)


@dataclass(frozen=True, slots=True)
class RunPoint:
    """One run as the load maths sees it."""

    date: date
    distance_m: float
    duration_s: float


@dataclass(frozen=True, slots=True)
class WindowTotals:
    """Totals of a span of days."""

    distance_m: float
    duration_s: float
    runs: int
    speed_mps: float | None


@dataclass(frozen=True, slots=True)
class WeekTotals:
    """Totals of one calendar week (Monday start)."""

    week_start: date
    distance_m: float
    duration_s: float
    runs: int


@dataclass(frozen=True, slots=True)
class LoadSummary:
    """Everything ``GET /load`` reports, for one runner on one local date."""

    as_of: date
    current: WindowTotals
    previous: WindowTotals
    distance_pct: float | None
    speed_pct: float | None
    next_week_cap_m: float
    longest_run_30d_m: float | None
    two_week_change_pct: float | None
    acwr: float | None
    weekly_increase_pct: float
    weeks: tuple[WeekTotals, ...]


def window_start(as_of: date) -> date:
    """First local date any figure for ``as_of`` depends on (the oldest chart week's Monday)."""
    this_monday = as_of - timedelta(days=as_of.weekday())
    oldest_monday = this_monday - timedelta(weeks=CHART_WEEKS - 1)
    return min(oldest_monday, as_of - timedelta(days=30))


def _totals(runs: list[RunPoint]) -> WindowTotals:
    distance = sum(r.distance_m for r in runs)
    duration = sum(r.duration_s for r in runs)
    speed = distance / duration if runs and duration > 0 else None
    return WindowTotals(distance_m=distance, duration_s=duration, runs=len(runs), speed_mps=speed)


def _pct_change(current: float | None, previous: float | None) -> float | None:
    """Percent change, or None when there is nothing to compare against."""
    if current is None or not previous:
        return None
    return (current - previous) / previous * 100.0


def _between(runs: list[RunPoint], first: date, last: date) -> list[RunPoint]:
    return [r for r in runs if first <= r.date <= last]


def compute_load(
    runs: Iterable[RunPoint], as_of: date, weekly_increase_pct: float = 10.0
) -> LoadSummary:
    """Summarise training load for the runner's local date ``as_of``.

    ``current`` is the 7 days ending on ``as_of`` (inclusive), ``previous`` the 7 before.
    ``distance_pct`` is ``None`` when the previous window has no distance; ``speed_pct`` is
    ``None`` unless both windows have runs. ``longest_run_30d_m`` is the longest single run in
    the 30 days *before* ``as_of`` — the yardstick for a one-run spike today.
    ``two_week_change_pct`` compares the last 14 days with the 14 before them. ``acwr`` is the
    7-day distance over the 28-day weekly average: context only, never a trigger. Runs dated
    after ``as_of`` are ignored.
    """
    runs = [r for r in runs if r.date <= as_of]
    day = timedelta(days=1)

    current = _totals(_between(runs, as_of - 6 * day, as_of))
    previous = _totals(_between(runs, as_of - 13 * day, as_of - 7 * day))

    distance_pct = _pct_change(current.distance_m, previous.distance_m)
    speed_pct = (
        _pct_change(current.speed_mps, previous.speed_mps)
        if current.runs and previous.runs
        else None
    )

    prior_30 = _between(runs, as_of - 30 * day, as_of - day)
    longest = max((r.distance_m for r in prior_30), default=None)

    last_14 = sum(r.distance_m for r in _between(runs, as_of - 13 * day, as_of))
    prior_14 = sum(r.distance_m for r in _between(runs, as_of - 27 * day, as_of - 14 * day))
    two_week = _pct_change(last_14, prior_14)

    chronic_weekly = sum(r.distance_m for r in _between(runs, as_of - 27 * day, as_of)) / 4.0
    acwr = current.distance_m / chronic_weekly if chronic_weekly > 0 else None

    this_monday = as_of - timedelta(days=as_of.weekday())
    weeks = []
    for back in range(CHART_WEEKS - 1, -1, -1):
        start = this_monday - timedelta(weeks=back)
        week = _between(runs, start, start + 6 * day)
        weeks.append(
            WeekTotals(
                week_start=start,
                distance_m=sum(r.distance_m for r in week),
                duration_s=sum(r.duration_s for r in week),
                runs=len(week),
            )
        )

    return LoadSummary(
        as_of=as_of,
        current=current,
        previous=previous,
        distance_pct=distance_pct,
        speed_pct=speed_pct,
        next_week_cap_m=current.distance_m * (1 + weekly_increase_pct / 100.0),
        longest_run_30d_m=longest,
        two_week_change_pct=two_week,
        acwr=acwr,
        weekly_increase_pct=weekly_increase_pct,
        weeks=tuple(weeks),
    )
