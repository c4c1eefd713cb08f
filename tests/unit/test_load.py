"""Pure training-load maths (``strideguard.load.windows``): parametrised tables, no app.

Every date is a runner's local calendar date; the tables pin calendar-week edges, the
30-day longest run, the two-week change, ACWR, chart weeks, time zones and DST. The exact
percent change and the cap are tested in test_weekly.py, the baseline in test_plan_machine.py.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from strideguard.load import HISTORY_DAYS, RunPoint, compute_load, window_start

AS_OF = date(2025, 3, 12)  # a Wednesday


def run(days_ago: int, metres: float = 5000.0, seconds: float = 1800.0, as_of: date = AS_OF) -> RunPoint:
    """A run ``days_ago`` local days before ``as_of``."""
    return RunPoint(as_of - timedelta(days=days_ago), metres, seconds)


# --- the calendar weeks --------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_ago", "in_current", "in_previous"),
    [
        (0, True, False),    # as_of itself (a Wednesday) is in this week
        (2, True, False),    # this week's Monday
        (3, False, True),    # last week's Sunday
        (9, False, True),    # last week's Monday
        (10, False, False),  # the week before that
        (-1, False, False),  # after as_of: ignored
    ],
)
def test_a_run_falls_in_the_calendar_week_its_local_date_names(days_ago: int, in_current: bool, in_previous: bool) -> None:
    summary = compute_load([run(days_ago, 4000, 1200)], AS_OF)

    assert summary.week_start == date(2025, 3, 10)
    assert summary.current.runs == int(in_current)
    assert summary.current.distance_m == (4000 if in_current else 0)
    assert summary.current.duration_s == (1200 if in_current else 0)
    assert summary.previous.runs == int(in_previous)
    assert summary.previous.distance_m == (4000 if in_previous else 0)


def test_week_speed_is_none_without_runs_and_pooled_with_them() -> None:
    # Average speed = total distance / total time (distance-weighted), not a mean of runs.
    summary = compute_load([run(0, 6000, 1500), run(2, 4000, 1000)], AS_OF)

    assert summary.current.speed_mps == pytest.approx(4.0)
    assert summary.previous.speed_mps is None


# --- longest run of the 30 days before as_of ----------------------------------------------


@pytest.mark.parametrize(
    ("days_ago", "counted"),
    [
        (0, False),   # today's run is what gets compared, not the yardstick
        (1, True),
        (30, True),   # the oldest day of the 30
        (31, False),
        (-2, False),  # after as_of
    ],
)
def test_longest_run_looks_at_the_30_days_before_as_of(days_ago: int, counted: bool) -> None:
    summary = compute_load([run(days_ago, 21097)], AS_OF)

    assert summary.longest_run_30d_m == (21097 if counted else None)


def test_longest_run_is_the_single_longest_not_a_sum() -> None:
    runs = [run(2, 8000), run(2, 9000), run(20, 15000), run(0, 30000), run(35, 42195)]

    assert compute_load(runs, AS_OF).longest_run_30d_m == 15000


# --- two-week change and ACWR -------------------------------------------------------------


@pytest.mark.parametrize(
    ("recent", "prior", "expected_pct"),
    [
        # (days_ago, metres) pairs from Wednesday 12 March: this week and last = days 0..9
        # (Mon 3 .. Wed 12), the two weeks before = days 10..23 (Mon 17 Feb .. Sun 2 Mar).
        ([(0, 13000)], [(17, 10000)], 30.0),
        ([(0, 13000)], [(10, 10000)], None),  # the history does not reach the older week
        ([(9, 13010)], [(23, 10000)], 30.1),
        ([(3, 5000), (8, 5000)], [(20, 10000)], 0.0),
        ([(0, 10000)], [(24, 10000)], None),   # day 24 is outside both blocks
        ([(0, 10000)], [], None),
        ([], [(17, 10000)], -100.0),
    ],
)
def test_two_week_change_compares_fortnights(
    recent: list[tuple[int, float]], prior: list[tuple[int, float]], expected_pct: float | None
) -> None:
    runs = [run(d, m) for d, m in recent + prior]

    summary = compute_load(runs, AS_OF)

    if expected_pct is None:
        assert summary.two_week_change_pct is None
    else:
        assert summary.two_week_change_pct == Decimal(str(expected_pct))


@pytest.mark.parametrize(
    ("runs", "expected"),
    [
        ([], None),                                              # no chronic load at all
        ([(28, 10000)], None),                                   # only outside the 28 days
        ([(0, 10000), (7, 10000), (14, 10000), (21, 10000)], 1.0),
        ([(0, 20000), (7, 10000), (14, 10000), (21, 0.0)], 2.0),  # 20 km / (40 km / 4)
        ([(27, 10000)], 0.0),                                    # chronic load but none this week
        ([(0, 10000)], 4.0),                                     # everything in the acute week
    ],
)
def test_acwr_is_acute_over_the_28_day_weekly_average(runs: list[tuple[int, float]], expected: float | None) -> None:
    summary = compute_load([run(d, m) for d, m in runs], AS_OF)

    if expected is None:
        assert summary.acwr is None
    else:
        assert summary.acwr == pytest.approx(expected)


# --- calendar weeks for charts ------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "last_monday"),
    [
        (date(2025, 3, 16), date(2025, 3, 10)),  # a Sunday: its own week started six days ago
        (date(2025, 3, 17), date(2025, 3, 17)),  # a Monday starts a new week
        (date(2025, 3, 12), date(2025, 3, 10)),  # a Wednesday
        (date(2025, 1, 1), date(2024, 12, 30)),  # a week across New Year
    ],
)
def test_weeks_are_the_last_12_monday_start_weeks(as_of: date, last_monday: date) -> None:
    weeks = compute_load([], as_of).weeks

    assert len(weeks) == 12
    assert weeks[-1].week_start == last_monday
    assert weeks[0].week_start == last_monday - timedelta(weeks=11)
    assert all(w.week_start.weekday() == 0 for w in weeks)
    assert [b.week_start - a.week_start for a, b in zip(weeks, weeks[1:])] == [timedelta(weeks=1)] * 11
    assert all(w.runs == 0 and w.distance_m == 0 for w in weeks)


def test_weeks_sum_their_runs_and_skip_runs_after_as_of() -> None:
    sunday = date(2025, 3, 16)
    runs = [
        RunPoint(date(2025, 3, 10), 5000, 1500),   # Monday of the current week
        RunPoint(date(2025, 3, 16), 7000, 2100),   # the Sunday itself
        RunPoint(date(2025, 3, 9), 3000, 900),     # the Sunday before: previous week
        RunPoint(date(2024, 12, 23), 4000, 1200),  # Monday of the oldest chart week
        RunPoint(date(2024, 12, 22), 9000, 2700),  # one day too old for the chart
        RunPoint(date(2025, 3, 17), 8000, 2400),   # after as_of
    ]

    weeks = compute_load(runs, sunday).weeks

    assert weeks[0].week_start == date(2024, 12, 23)
    assert (weeks[0].distance_m, weeks[0].duration_s, weeks[0].runs) == (4000, 1200, 1)
    assert (weeks[-2].distance_m, weeks[-2].runs) == (3000, 1)
    assert (weeks[-1].distance_m, weeks[-1].duration_s, weeks[-1].runs) == (12000, 3600, 2)
    assert sum(w.runs for w in weeks) == 4


@pytest.mark.parametrize(
    ("zone", "utc_moment", "week_start"),
    [
        # 23:30 on Sunday 16 March in Los Angeles is already Monday 06:30 in UTC.
        ("America/Los_Angeles", datetime(2025, 3, 17, 6, 30, tzinfo=timezone.utc), date(2025, 3, 10)),
        # 23:30 on Sunday 16 March in Auckland is still Sunday 10:30 in UTC.
        ("Pacific/Auckland", datetime(2025, 3, 16, 10, 30, tzinfo=timezone.utc), date(2025, 3, 10)),
        # 23:30 on Sunday 30 March in Berlin, the night the clocks went forward.
        ("Europe/Berlin", datetime(2025, 3, 30, 21, 30, tzinfo=timezone.utc), date(2025, 3, 24)),
    ],
)
def test_a_late_sunday_run_counts_in_that_sundays_week(zone: str, utc_moment: datetime, week_start: date) -> None:
    local = utc_moment.astimezone(ZoneInfo(zone))
    assert (local.hour, local.minute, local.weekday()) == (23, 30, 6)
    stored = RunPoint(local.date(), 10000, 3000)  # runs are stored with their local date

    for as_of in (local.date(), local.date() + timedelta(days=1)):
        weeks = {w.week_start: w for w in compute_load([stored], as_of).weeks}
        assert weeks[week_start].runs == 1
        assert weeks[week_start].distance_m == 10000
        assert sum(w.runs for w in weeks.values()) == 1

    # ... and in the current week of that Sunday, in the previous week of the Monday after.
    assert compute_load([stored], local.date()).current.runs == 1
    assert compute_load([stored], local.date() + timedelta(days=1)).previous.runs == 1


@pytest.mark.parametrize(
    ("as_of", "label"),
    [
        (date(2025, 3, 30), "EU clocks forward (23-hour Sunday)"),
        (date(2025, 10, 26), "EU clocks back (25-hour Sunday)"),
        (date(2025, 3, 16), "US clocks forward on 9 March, in the week before"),
        (date(2025, 11, 9), "US clocks back on 2 November, in the week before"),
    ],
)
def test_a_week_is_seven_local_dates_whatever_the_clock_does(as_of: date, label: str) -> None:
    # Every as_of here is a Sunday: its week is the 7 local dates ending on it.
    runs = [RunPoint(as_of - timedelta(days=d), 1000 * (d + 1), 300) for d in range(15)]

    summary = compute_load(runs, as_of)

    assert summary.current.runs == 7, label
    assert summary.current.distance_m == sum(1000 * (d + 1) for d in range(7))
    assert summary.previous.runs == 7
    assert summary.previous.distance_m == sum(1000 * (d + 1) for d in range(7, 14))
    assert summary.weeks[-1].runs == 7


# --- runs after as_of and the history a service must load ---------------------------------


def test_runs_after_as_of_change_nothing() -> None:
    history = [run(d, 3000 + 100 * d, 900 + 10 * d) for d in range(0, 60, 2)]
    future = [run(-1, 50000), run(-7, 50000), run(-30, 50000)]

    assert compute_load(history + future, AS_OF) == compute_load(history, AS_OF)


@pytest.mark.parametrize("as_of", [date(2025, 3, 10), date(2025, 3, 12), date(2025, 3, 16), date(2024, 2, 29)])
def test_runs_before_window_start_change_nothing(as_of: date) -> None:
    start = window_start(as_of)
    history = [run(d, 2000 + 37 * d, 700 + 3 * d, as_of=as_of) for d in range(0, 200)]
    needed = [r for r in history if r.date >= start]

    assert len(needed) < len(history)
    assert (as_of - start).days < HISTORY_DAYS
    assert compute_load(needed, as_of) == compute_load(history, as_of)


def test_a_known_history_gives_exact_figures() -> None:
    runs = [
        run(0, 8000, 2400), run(1, 6000, 1800), run(2, 10000, 3300),  # this week: 24 km
        run(4, 5000, 1500), run(8, 15000, 5000),                      # last week: 20 km
        run(16, 12000, 4000), run(22, 4000, 1200),                    # the two before: 16 km
    ]

    s = compute_load(runs, AS_OF)

    assert (s.current.distance_m, s.current.duration_s, s.current.runs) == (24000, 7500, 3)
    assert (s.previous.distance_m, s.previous.duration_s, s.previous.runs) == (20000, 6500, 2)
    assert s.current.speed_mps == pytest.approx(3.2)
    assert s.previous.speed_mps == pytest.approx(20000 / 6500)
    assert s.longest_run_30d_m == 15000
    assert s.two_week_change_pct == Decimal("175.0")  # (44 - 16) / 16 km
    assert s.acwr == pytest.approx(29000 / (60000 / 4))  # rolling 7 days: days 0..6
    assert s.as_of == AS_OF
