"""Clinical arithmetic at the precision the runner is shown (``strideguard.load.weekly``).

"More than 10%" must never fire at exactly 10.0% — in km, in miles after the client's
rounding to whole metres, or in speed with whole-second durations — and must fire at 10.1%.
"""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

import pytest

from strideguard.load.weekly import (
    METRES_PER_MILE,
    exceeds,
    over_cap,
    pct_change,
    shown_distance,
    shown_pct_change,
    speed_pct_change,
    week_start,
    weekly_cap_m,
)


def client_metres(miles: float) -> int:
    """What the PWA stores for a distance typed in miles (client/js/state.js fromUnit + round)."""
    return round(miles * METRES_PER_MILE)


@pytest.mark.parametrize(
    ("before_m", "after_m", "shown", "fires"),
    [
        (30000, 33000, "10.0", False),         # exactly +10 % in km
        (30000, 33030, "10.1", True),
        (30000, 33014, "10.0", False),         # 10.047 % is shown, and compared, as 10.0
        (30000, 33015, "10.1", True),          # 10.05 % rounds half up
        (10000, 11000, "10.0", False),
        (10000, 11010, "10.1", True),
        (client_metres(10), client_metres(11), "10.0", False),  # 16,093 -> 17,703 m: 10.006 %
        (client_metres(10), client_metres(11.01), "10.1", True),
        (client_metres(20), client_metres(22), "10.0", False),
        (client_metres(3.1), client_metres(3.41), "10.0", False),
        (30000, 27000, "-10.0", False),
    ],
)
def test_distance_change_is_compared_as_shown(before_m: float, after_m: float, shown: str, fires: bool) -> None:
    pct = pct_change(after_m, before_m)
    assert pct == Decimal(shown)
    assert str(pct) == shown
    assert exceeds(pct, 10) is fires
    assert exceeds(pct, 10.0) is fires


@pytest.mark.parametrize(
    ("units", "before_m", "after_m", "shown", "fires"),
    [
        ("km", 30000, 33030, "10.0", False),   # 33.0 km against 30.0 km, as the runner reads them
        ("km", 30000, 33049, "10.0", False),
        ("km", 30000, 33050, "10.3", True),    # 33.1 km
        ("km", 10000, 11010, "10.0", False),   # 11.0 km
        ("mi", client_metres(10), client_metres(11.01), "10.0", False),  # 11.0 mi
        ("mi", client_metres(10), client_metres(11.1), "11.0", True),
        ("km", 5000, 4450, "-10.0", False),    # 4.5 km
    ],
)
def test_a_change_between_two_shown_distances_agrees_with_them(units, before_m, after_m, shown, fires) -> None:
    pct = shown_pct_change(after_m, before_m, units)
    assert str(pct) == shown
    assert exceeds(pct, 10) is fires
    assert pct == pct_change(shown_distance(after_m, units), shown_distance(before_m, units))


def test_every_exact_ten_percent_mile_week_stays_quiet() -> None:
    # Whole tenths of a mile typed by the runner, stored as whole metres.
    for tenths in range(10, 400):
        before = client_metres(tenths / 10)
        after = client_metres(tenths * 1.1 / 10) if (tenths * 11) % 10 == 0 else None
        if after is None:
            continue
        assert not exceeds(pct_change(after, before), 10), (tenths, before, after)


@pytest.mark.parametrize(
    ("distance", "seconds", "base_distance", "base_seconds", "shown", "fires"),
    [
        (10000, 3000, 10000, 3300, "10.0", False),   # 5:30 -> 5:00 /km: exactly +10 % speed
        (5000, 1500, 5000, 1650, "10.0", False),
        (21097, 6000, 21097, 6600, "10.0", False),
        (10000, 2997, 10000, 3300, "10.1", True),
        (11000, 3000, 10000, 3000, "10.0", False),   # same time, 10 % further
        (10000, 3300, 10000, 3000, "-9.1", False),
    ],
)
def test_speed_change_is_exact(distance, seconds, base_distance, base_seconds, shown, fires) -> None:
    pct = speed_pct_change(distance, seconds, base_distance, base_seconds)
    assert pct == Decimal(shown)
    assert exceeds(pct, 10) is fires


def test_exact_ten_percent_speed_weeks_never_fire() -> None:
    # The case: of 2,500 exact +10 % speed weeks with whole-second durations, the
    # float arithmetic fired 1,154. Exact arithmetic fires none, and +10.1 % fires all.
    rng = random.Random(7)
    fired = faster_fired = 0
    for _ in range(2500):
        distance = rng.randint(3000, 42195)
        base_seconds = 11 * rng.randint(90, 900)   # a multiple of 11 s ...
        seconds = base_seconds * 10 // 11          # ... so 1.1x the speed is whole seconds
        fired += exceeds(speed_pct_change(distance, seconds, distance, base_seconds), 10)
        faster = speed_pct_change(distance * 1.001, seconds, distance, base_seconds)
        faster_fired += exceeds(faster, 10)
        naive = ((distance / seconds) / (distance / base_seconds) - 1) * 100
        assert naive == pytest.approx(10.0)
    assert fired == 0
    assert faster_fired == 2500


@pytest.mark.parametrize(("previous", "expected"), [(0, None), (-5, None)])
def test_no_change_without_a_previous_amount(previous: float, expected) -> None:
    assert pct_change(1000, previous) is expected
    assert not exceeds(None, 10)


@pytest.mark.parametrize(
    ("baseline_m", "limit", "units", "cap_m"),
    [
        (30000, 10, "km", 33000),
        (13000, 10, "km", 14300),
        (30040, 10, "km", 33000),    # 33.044 km is shown 33.0; 33.1 would be +10.2 %
        (30050, 10, "km", 33000),    # 33.055 km would show 33.1 = +10.15 % -> fires: cap 33.0
        (client_metres(10), 10, "mi", client_metres(11)),  # 11.0 mi
        (client_metres(20), 10, "mi", client_metres(22)),
        (20000, 0, "km", 20000),
        (20000, 25, "km", 25000),
        (0, 10, "km", 0),
    ],
)
def test_the_cap_is_the_most_the_runner_can_run_without_breaking_it(baseline_m, limit, units, cap_m) -> None:
    cap = weekly_cap_m(baseline_m, limit, units)
    assert cap == cap_m
    if baseline_m:
        # Running exactly the cap as shown never fires; a tenth of a unit more does.
        assert not exceeds(pct_change(cap, baseline_m), limit)
        unit = 1000 if units == "km" else METRES_PER_MILE
        assert exceeds(pct_change(round(cap + unit / 10), baseline_m), limit)


def test_caps_hold_their_promise_for_many_baselines() -> None:
    rng = random.Random(3)
    for _ in range(3000):
        units = rng.choice(["km", "mi"])
        baseline = rng.randint(1000, 120000)
        limit = rng.choice([5, 10, 10.0, 15, 20])
        cap = weekly_cap_m(baseline, limit, units)
        shown_cap_metres = round(float(shown_distance(cap, units)) * (1000 if units == "km" else METRES_PER_MILE))
        assert not exceeds(pct_change(shown_cap_metres, baseline), limit), (baseline, limit, units)


@pytest.mark.parametrize(
    ("metres", "units", "shown"),
    [(24349, "km", "24.3"), (24350, "km", "24.4"), (17703, "mi", "11.0"), (0, "km", "0.0"), (50, "km", "0.1")],
)
def test_distances_round_half_up_at_one_decimal(metres, units, shown) -> None:
    assert shown_distance(metres, units) == Decimal(shown)


def test_week_distance_over_a_cap_is_judged_as_shown() -> None:
    assert not over_cap(15049, 15000, "km")   # 15.0 km shown
    assert over_cap(15050, 15000, "km")       # 15.1 km shown


@pytest.mark.parametrize(
    ("day", "monday"),
    [(date(2026, 9, 7), date(2026, 9, 7)), (date(2026, 9, 13), date(2026, 9, 7)),
     (date(2026, 1, 1), date(2025, 12, 29))],
)
def test_a_week_starts_on_monday(day: date, monday: date) -> None:
    assert week_start(day) == monday
