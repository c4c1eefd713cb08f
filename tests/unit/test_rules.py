"""Core rules of DESIGN §4: strict boundaries, one parametrised table per rule."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest

from strideguard.guidance import rules
from strideguard.guidance.builder import day_snapshot
from strideguard.guidance.snapshot import CheckinSnap, RunnerSettings, RunSnap, ShoeSnap

D = date(2025, 3, 12)  # a Wednesday


def checkin(day: date = D, pain: int = 0, **kw) -> CheckinSnap:
    return CheckinSnap(date=day, pain=pain, **kw)


def run(days_ago: int, metres: float, seconds: float = 3600.0, **kw) -> RunSnap:
    day = D - timedelta(days=days_ago)
    return RunSnap(id=f"r{days_ago}-{metres}", date=day, distance_m=metres, duration_s=seconds, **kw)


def ids(advice) -> list[str]:
    return [a.id for a in advice]


@pytest.mark.parametrize(
    ("threshold", "field", "value", "fires"),
    [
        (3, "pain", 3, False),
        (3, "pain", 4, True),
        (3, "morning_pain", 3, False),
        (3, "morning_pain", 4, True),
        (3, "pain_during", 3, False),
        (3, "pain_during", 4, True),
        (3, "pain_after", 3, False),
        (3, "pain_after", 4, True),
        (5, "pain", 5, False),  # a therapist's own limit
        (5, "pain", 6, True),
        (0, "pain_after", 1, True),
    ],
)
def test_pain_threshold_is_strict(threshold: int, field: str, value: int, fires: bool) -> None:
    settings = RunnerSettings(pain_threshold=threshold)
    if field in ("pain", "morning_pain"):
        snap = day_snapshot(D, checkin=checkin(**{field: value}), settings=settings)
    else:
        snap = day_snapshot(D, runs=[run(0, 5000, **{field: value})], settings=settings)
    fired = rules.pain_threshold(snap)
    if fires:
        assert ids(fired) == ["core.pain_threshold", "core.pain_rest", "core.pain_contact_pt"]
        assert [a.action for a in fired] == ["stop_running", "rest", "contact_pt"]
        assert fired[0].reasons[0].metric == field
        assert fired[0].reasons[0].value == value
        assert fired[0].reasons[0].threshold == threshold
    else:
        assert fired == []


def test_pain_of_another_day_does_not_count() -> None:
    snap = day_snapshot(
        D,
        checkin=checkin(pain=2),
        previous_checkin=checkin(D - timedelta(days=1), pain=7),
        runs=[run(1, 5000, pain_after=8)],
    )
    assert rules.pain_threshold(snap) == []


@pytest.mark.parametrize(
    ("pain", "span"),
    [(4, "2 to 3 days"), (5, "2 to 3 days"), (6, "3 to 5 days"), (7, "3 to 5 days"),
     (8, "up to a week"), (10, "up to a week")],
)
def test_rest_lasts_a_few_days_to_a_week_by_severity(pain: int, span: str) -> None:
    fired = rules.pain_threshold(day_snapshot(D, checkin=checkin(pain=pain)))
    rest = next(a for a in fired if a.id == "core.pain_rest")
    assert rest.title == f"Rest for {span}"


@pytest.mark.parametrize(
    ("current_m", "limit", "fires"),
    [
        (11000, 10.0, False),  # exactly +10.0%
        (11010, 10.0, True),  # +10.1%
        (9000, 10.0, False),
        (12000, 20.0, False),
        (12010, 20.0, True),
    ],
)
def test_distance_jump_is_strict(current_m: float, limit: float, fires: bool) -> None:
    snap = day_snapshot(
        D,
        runs=[run(8, 10000), run(1, current_m)],
        settings=RunnerSettings(weekly_increase_pct=limit),
    )
    fired = rules.distance_jump(snap)
    assert ids(fired) == (["core.distance_jump"] if fires else [])
    if fires:
        assert fired[0].action == "reduce_volume"
        reasons = {r.metric: r for r in fired[0].reasons}
        assert reasons["distance_pct"].threshold == limit
        assert reasons["distance_pct"].value > limit
        assert reasons["next_week_cap_m"].value == round(current_m * (1 + limit / 100))


def test_distance_jump_title_gives_the_cap_in_the_runners_unit() -> None:
    runs = [run(8, 10000), run(1, 11010)]  # cap 12111 m
    km = rules.distance_jump(day_snapshot(D, runs=runs))[0]
    mi = rules.distance_jump(day_snapshot(D, runs=runs, settings=RunnerSettings(units="mi")))[0]
    assert km.title == "Keep the next 7 days under 12.1 km"
    assert mi.title == "Keep the next 7 days under 7.5 mi"


def test_distance_jump_needs_a_previous_week() -> None:
    assert rules.distance_jump(day_snapshot(D, runs=[run(1, 20000)])) == []


@pytest.mark.parametrize(("days_ago", "fires"), [(6, True), (7, False)])
def test_distance_jump_window_edge_is_the_local_calendar_day(days_ago: int, fires: bool) -> None:
    # 5 km a week before; the extra run on day -6 is this week, on day -7 last week.
    runs = [run(10, 5000), run(1, 5000), run(days_ago, 1000)]
    assert bool(rules.distance_jump(day_snapshot(D, runs=runs))) is fires


@pytest.mark.parametrize(
    ("speed_pct", "fires"), [(None, False), (9.9, False), (10.0, False), (10.1, True), (40.0, True)]
)
def test_speed_jump_is_strict(speed_pct: float | None, fires: bool) -> None:
    snap = day_snapshot(D)
    snap = dataclasses.replace(snap, load=dataclasses.replace(snap.load, speed_pct=speed_pct))
    fired = rules.speed_jump(snap)
    assert ids(fired) == (["core.speed_jump"] if fires else [])
    if fires:
        assert fired[0].action == "reduce_intensity"
        assert fired[0].reasons[0].value == speed_pct


def test_speed_jump_from_real_runs() -> None:
    slow = [run(9, 10000, 4000)]  # 2.5 m/s
    assert rules.speed_jump(day_snapshot(D, runs=slow + [run(1, 10000, 3600)]))  # +11.1%
    assert not rules.speed_jump(day_snapshot(D, runs=slow + [run(1, 10000, 3700)]))  # +8.1%


@pytest.mark.parametrize(("swollen", "fires"), [(False, False), (True, True)])
def test_swelling_means_rest(swollen: bool, fires: bool) -> None:
    fired = rules.swelling(day_snapshot(D, checkin=checkin(pain=1, swelling=swollen)))
    assert [(a.id, a.action) for a in fired] == ([("core.swelling", "rest")] if fires else [])


@pytest.mark.parametrize(
    ("fever", "pain", "swelling", "fires"),
    [
        (False, 5, True, False),
        (True, 0, False, False),  # fever alone is not a knee matter
        (True, 1, False, True),
        (True, 0, True, True),
    ],
)
def test_fever_with_knee_pain_or_swelling_is_urgent(
    fever: bool, pain: int, swelling: bool, fires: bool
) -> None:
    fired = rules.fever(
        day_snapshot(D, checkin=checkin(pain=pain, fever=fever, swelling=swelling))
    )
    if fires:
        assert [(a.id, a.action, a.severity) for a in fired] == [
            ("core.fever", "contact_doctor", "urgent")
        ]
    else:
        assert fired == []


@pytest.mark.parametrize(
    ("locking", "straighten", "fires"),
    [(False, False, False), (True, False, True), (False, True, True), (True, True, True)],
)
def test_mechanical_symptoms_mean_the_therapist(
    locking: bool, straighten: bool, fires: bool
) -> None:
    snap = day_snapshot(
        D, checkin=checkin(pain=2, locking_or_giving_way=locking, hard_to_straighten=straighten)
    )
    fired = rules.mechanical(snap)
    assert [(a.id, a.action) for a in fired] == (
        [("core.mechanical", "contact_pt")] if fires else []
    )


@pytest.mark.parametrize(("gap", "fires"), [(1, False), (13, False), (14, True), (45, True)])
def test_first_run_after_a_break_is_strict(gap: int, fires: bool) -> None:
    fired = rules.return_after_break(day_snapshot(D, runs=[run(gap, 5000), run(0, 3000)]))
    assert ids(fired) == (["core.return_after_break"] if fires else [])
    if fires:
        assert fired[0].action == "return_gradually"
        assert fired[0].reasons[0].value == gap
        assert fired[0].reasons[0].threshold == 14


def test_break_longer_than_the_snapshot_window_still_counts() -> None:
    snap = day_snapshot(D, runs=[run(80, 5000), run(0, 3000)])
    assert snap.last_run_before == D - timedelta(days=80)
    assert ids(rules.return_after_break(snap)) == ["core.return_after_break"]


def test_no_break_advice_without_a_run_today_or_without_history() -> None:
    assert rules.return_after_break(day_snapshot(D, runs=[run(20, 5000)])) == []
    assert rules.return_after_break(day_snapshot(D, runs=[run(0, 5000)])) == []


def test_flagged_break_fires_without_the_gap() -> None:
    fired = rules.return_after_break(day_snapshot(D, break_flagged=True))
    assert [(r.metric, r.value) for r in fired[0].reasons] == [("break_flagged", True)]


@pytest.mark.parametrize(
    ("distance", "retired", "fires"),
    [(800000, False, False), (800001, False, True), (900000, True, False)],
)
def test_shoe_past_its_limit(distance: float, retired: bool, fires: bool) -> None:
    shoe = ShoeSnap(id=7, name="Pegasus", limit_m=800000, distance_m=distance, retired=retired)
    fired = rules.shoe_limit(day_snapshot(D, shoes=[shoe]))
    if fires:
        assert [(a.id, a.action, a.title) for a in fired] == [
            ("core.shoe_limit", "replace_shoes", "Replace your Pegasus shoes")
        ]
        assert fired[0].reasons[0].threshold == 800000
    else:
        assert fired == []


def test_all_clear_only_when_nothing_fired() -> None:
    quiet = day_snapshot(D, checkin=checkin(pain=2), runs=[run(8, 10000), run(1, 10500)])
    assert rules.core_advice(quiet) == []
    clear = rules.all_clear(quiet, [])
    assert [(a.id, a.action) for a in clear] == [("core.all_clear", "keep_running")]
    assert clear[0].title == "Keep running, under 11.6 km in the next 7 days"
    noisy = day_snapshot(D, checkin=checkin(pain=4))
    assert rules.all_clear(noisy, rules.core_advice(noisy)) == []


def test_all_clear_without_recent_runs_or_checkin() -> None:
    (clear,) = rules.all_clear(day_snapshot(D), [])
    assert clear.title == "Keep running, and build up gradually"
    assert "Check in today" in clear.message


def test_every_core_advice_is_core_sourced_and_explained() -> None:
    snap = day_snapshot(
        D,
        checkin=checkin(pain=6, swelling=True, fever=True, hard_to_straighten=True),
        runs=[run(20, 10000), run(0, 12000, 3000)],
        shoes=[ShoeSnap(id=1, name="Old", limit_m=100, distance_m=200)],
    )
    fired = rules.core_advice(snap)
    assert {a.id for a in fired} >= {
        "core.fever", "core.pain_threshold", "core.swelling", "core.mechanical",
        "core.return_after_break", "core.shoe_limit",
    }
    for advice in fired:
        assert advice.source.plugin == "core"
        assert advice.reasons and advice.evidence and advice.title and advice.message
