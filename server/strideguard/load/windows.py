"""Calendar-week totals, the evidence detectors' figures, and the 12-week chart.

Every date here is the runner's *local calendar date*: runs are stored with the local date on
which they were run, so time zones and DST never shift a run between windows once it is
stored. The only zone-aware step ("what is today for this runner?") happens in the service.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from strideguard.load.weekly import pct_change, week_start

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
    """Everything the load maths reports for one runner on one local date.

    ``current`` is the calendar week (Monday–Sunday, the runner's zone) up to ``as_of``;
    ``previous`` the calendar week before. The weekly cap and the change against the
    runner's baseline week are the care plan's (``strideguard.plan``), not computed here.
    """

    as_of: date
    week_start: date
    current: WindowTotals
    previous: WindowTotals
    longest_run_30d_m: float | None
    two_week_change_pct: Decimal | None
    acwr: float | None
    weeks: tuple[WeekTotals, ...]


def window_start(as_of: date) -> date:
    """First local date any figure for ``as_of`` depends on (the oldest chart week's Monday)."""
    this_monday = week_start(as_of)
    oldest_monday = this_monday - timedelta(weeks=CHART_WEEKS - 1)
    return min(oldest_monday, as_of - timedelta(days=30))


def totals(runs: Iterable[RunPoint]) -> WindowTotals:
    """Distance, time, count and average speed (total distance ÷ total time) of some runs."""
    runs = list(runs)
    distance = sum(r.distance_m for r in runs)
    duration = sum(r.duration_s for r in runs)
    speed = distance / duration if runs and duration > 0 else None
    if speed is not None and not math.isfinite(speed):
        speed = None  # a duration too small to divide by (stored before durations were bounded)
    return WindowTotals(distance_m=distance, duration_s=duration, runs=len(runs), speed_mps=speed)


def _between(runs: list[RunPoint], first: date, last: date) -> list[RunPoint]:
    return [r for r in runs if first <= r.date <= last]


def compute_load(runs: Iterable[RunPoint], as_of: date) -> LoadSummary:
    """Summarise training load for the runner's local date ``as_of``.

    ``current`` / ``previous``: this calendar week up to ``as_of`` and the week before.
    ``longest_run_30d_m``: the longest single run in the 30 days *before* ``as_of`` — the
    yardstick for a one-run spike today (Frandsen et al. 2025 define it over 30 days).
    ``two_week_change_pct``: the last two calendar weeks (this one up to ``as_of`` and the
    one before) against the two before them, at display precision (Nielsen et al. 2014);
    calendar blocks, so moving a run by a day inside a week changes nothing; ``None`` until
    the runs reach back into the older of the two weeks before.
    ``acwr``: the rolling 7-day distance over the 28-day weekly average — context only,
    never a trigger (Impellizzeri et al. 2021). Runs dated after ``as_of`` are ignored.
    """
    runs = [r for r in runs if r.date <= as_of]
    day = timedelta(days=1)
    monday = week_start(as_of)

    current = totals(_between(runs, monday, as_of))
    previous = totals(_between(runs, monday - 7 * day, monday - day))

    prior_30 = _between(runs, as_of - 30 * day, as_of - day)
    longest = max((r.distance_m for r in prior_30), default=None)

    last_two = sum(r.distance_m for r in _between(runs, monday - 7 * day, as_of))
    two_before = sum(r.distance_m for r in _between(runs, monday - 21 * day, monday - 8 * day))
    # Only when the history reaches back to the start of the two weeks before: a runner's
    # first weeks in the app are not an increase.
    known_since = min((r.date for r in runs), default=None)
    reaches_back = known_since is not None and known_since <= monday - 15 * day
    two_week = pct_change(last_two, two_before) if reaches_back else None

    rolling_7 = sum(r.distance_m for r in _between(runs, as_of - 6 * day, as_of))
    chronic_weekly = sum(r.distance_m for r in _between(runs, as_of - 27 * day, as_of)) / 4.0
    acwr = rolling_7 / chronic_weekly if chronic_weekly > 0 else None

    weeks = []
    for back in range(CHART_WEEKS - 1, -1, -1):
        start = monday - timedelta(weeks=back)
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
        week_start=monday,
        current=current,
        previous=previous,
        longest_run_30d_m=longest,
        two_week_change_pct=two_week,
        acwr=acwr,
        weeks=tuple(weeks),
    )
