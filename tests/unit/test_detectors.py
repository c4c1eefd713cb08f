"""Evidence-labelled detectors beyond the seed: strict boundaries, never louder than the seed."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest

from strideguard.guidance import detectors
from strideguard.guidance.builder import day_snapshot
from strideguard.guidance.snapshot import CheckinSnap, RunnerSettings, RunSnap
from strideguard.plan.machine import PlanState, replay

D = date(2025, 3, 12)


NORMAL = replay(PlanState(), (), D, RunnerSettings())[-1]


def normal_day(*args, **kw):
    """A snapshot whose care plan is plain ``normal`` (these tables test the detectors)."""
    return day_snapshot(*args, plan=NORMAL, **kw)


def run(days_ago: int, metres: float, seconds: float = 3600.0, **kw) -> RunSnap:
    return RunSnap(
        id=f"r{days_ago}-{metres}", date=D - timedelta(days=days_ago), distance_m=metres,
        duration_s=seconds, **kw,
    )


@pytest.mark.parametrize(
    # Compared as shown: 11.049 km reads 11.0 km (+10.0 %), 11.050 km reads 11.1 km (+11.0 %).
    ("today_m", "fires"), [(10000, False), (11000, False), (11049, False), (11050, True), (20000, True)]
)
def test_single_run_spike_over_the_30_day_longest(today_m: float, fires: bool) -> None:
    snap = normal_day(D, runs=[run(20, 10000), run(3, 8000), run(0, today_m)])
    fired = detectors.single_run_spike(snap)
    assert [a.id for a in fired] == (["core.single_run_spike"] if fires else [])
    if fires:
        assert fired[0].title == "Keep your next long run under 11.0 km"
        reasons = {r.metric: r for r in fired[0].reasons}
        assert reasons["longest_run_30d_m"].value == 10000
        assert reasons["single_run_increase_pct"].threshold == 10.0
        assert "Frandsen" in fired[0].evidence


@pytest.mark.parametrize(("days_ago", "fires"), [(30, True), (31, False)])
def test_single_run_spike_looks_back_exactly_30_days(days_ago: int, fires: bool) -> None:
    # the long run 30 days ago is the yardstick; 31 days ago it has dropped out
    snap = normal_day(D, runs=[run(days_ago, 20000), run(10, 10000), run(0, 15000)])
    assert bool(detectors.single_run_spike(snap)) is not fires


def test_single_run_spike_needs_history() -> None:
    assert detectors.single_run_spike(normal_day(D, runs=[run(0, 30000)])) == []


@pytest.mark.parametrize(
    ("change", "fires"), [(None, False), (29.9, False), (30.0, False), (30.1, True)]
)
def test_two_week_increase_is_strict(change: float | None, fires: bool) -> None:
    snap = normal_day(D)
    snap = dataclasses.replace(
        snap, load=dataclasses.replace(snap.load, two_week_change_pct=change)
    )
    fired = detectors.two_week_increase(snap)
    assert [a.id for a in fired] == (["core.two_week_increase"] if fires else [])
    if fires:
        assert fired[0].reasons[0].threshold == 30.0
        assert "Nielsen" in fired[0].evidence


def test_two_week_increase_from_real_runs() -> None:
    before = [run(20, 10000)]
    assert not detectors.two_week_increase(normal_day(D, runs=before + [run(2, 13000)]))
    assert detectors.two_week_increase(normal_day(D, runs=before + [run(2, 13010)]))


@pytest.mark.parametrize(
    ("before_m", "today_m", "fires"),
    [
        (5000, 5000, False),
        (5000, 6000, False),
        (5000, 4500, False),  # exactly 10% earlier
        (5000, 4450, False),  # shown as 4.5 km against 5.0 km: 10.0 % earlier
        (5000, 4449, True),   # shown as 4.4 km: 12.0 % earlier
        (3000, 800, True),  # the seed's "mile two or three" becoming "half a mile"
    ],
)
def test_pain_onset_coming_earlier(before_m: float, today_m: float, fires: bool) -> None:
    snap = normal_day(
        D,
        runs=[
            run(9, 6000, pain_onset_m=9999),
            run(4, 6000, pain_during=3, pain_onset_m=before_m),
            run(0, 6000, pain_during=3, pain_onset_m=today_m),
        ],
    )
    fired = detectors.pain_onset_earlier(snap)
    assert [a.id for a in fired] == (["core.pain_onset_earlier"] if fires else [])
    if fires:
        assert {r.metric: r.value for r in fired[0].reasons} == {
            "pain_onset_m": today_m, "previous_pain_onset_m": before_m,
        }


def test_pain_onset_needs_an_earlier_onset() -> None:
    snap = normal_day(D, runs=[run(4, 6000), run(0, 6000, pain_onset_m=100)])
    assert detectors.pain_onset_earlier(snap) == []


@pytest.mark.parametrize(
    ("yesterday", "today", "fires"),
    [(2, 3, True), (2, 2, False), (3, 1, False), (None, 5, False), (2, None, False), (0, 1, True)],
)
def test_morning_pain_higher_than_the_day_before(
    yesterday: int | None, today: int | None, fires: bool
) -> None:
    snap = normal_day(
        D,
        checkin=CheckinSnap(date=D, pain=2, morning_pain=today),
        previous_checkin=CheckinSnap(date=D - timedelta(days=1), pain=2, morning_pain=yesterday),
        runs=[run(1, 6000)],
    )
    fired = detectors.morning_pain_worse(snap)
    assert [a.id for a in fired] == (["core.morning_pain_worse"] if fires else [])
    if fires:
        assert (fired[0].reasons[0].value, fired[0].reasons[0].threshold) == (today, yesterday)
        assert "Silbernagel" in fired[0].evidence


@pytest.mark.parametrize(("previous_day", "runs"), [(1, ()), (3, (3,)), (1, (2,))])
def test_a_worse_morning_names_no_load_that_was_not_there(previous_day: int, runs: tuple[int, ...]) -> None:
    """Found trying it: morning pain 0 then 1 on two days off fired "Yesterday's load was more
    than the knee could take"; so did a check-in three days back taken for yesterday's."""
    snap = normal_day(
        D,
        checkin=CheckinSnap(date=D, pain=1, morning_pain=3),
        previous_checkin=CheckinSnap(date=D - timedelta(days=previous_day), pain=1, morning_pain=0),
        runs=[run(days, 6000) for days in runs],
    )
    assert detectors.morning_pain_worse(snap) == []


def test_detectors_are_never_louder_than_the_seed() -> None:
    snap = normal_day(
        D,
        checkin=CheckinSnap(date=D, pain=9, morning_pain=8),
        previous_checkin=CheckinSnap(date=D - timedelta(days=1), pain=2, morning_pain=1),
        runs=[
            run(20, 5000),
            run(1, 4000),
            run(5, 9000, pain_onset_m=4000),
            run(0, 12000, pain_during=9, pain_onset_m=500),
        ],
        settings=RunnerSettings(units="mi"),
    )
    fired = detectors.detector_advice(snap)
    assert {a.id for a in fired} == {
        "core.single_run_spike", "core.two_week_increase", "core.pain_onset_earlier",
        "core.morning_pain_worse",
    }
    for advice in fired:
        assert advice.source.kind == "evidence"
        assert advice.severity in ("info", "caution")
        assert advice.action in ("info", "reduce_volume", "reduce_intensity")
        assert advice.reasons and advice.evidence


def test_load_rise_detectors_stay_quiet_during_and_just_after_a_graded_return() -> None:
    # 20 days without a run: the plan is in return, and today's 6 km is not a "spike"
    # against the old 5 km runs — the return session card says it is too long instead.
    snap = day_snapshot(D, runs=[run(29, 5000), run(20, 5000), run(0, 6000)])
    assert snap.plan.name == "return"
    assert detectors.single_run_spike(snap) == []
    assert detectors.two_week_increase(snap) == []
