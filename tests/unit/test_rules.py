"""Core rules: the seed's rules read through the care plan, one table per rule.

Snapshots come from ``day_snapshot`` (the plan is replayed from the given history), so
every rule sees what the app would see. Texts are asserted where the runner reads them.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest

from strideguard.guidance import plancards, rules
from strideguard.guidance.engine import core_advice
from strideguard.guidance.builder import day_snapshot
from strideguard.guidance.snapshot import CheckinSnap, RunnerSettings, RunSnap, ShoeSnap
from strideguard.load.weekly import METRES_PER_MILE
from strideguard.plan.machine import PlanState, replay, inputs_from

D = date(2025, 3, 12)  # a Wednesday
MONDAY = D - timedelta(days=2)


def checkin(day: date = D, pain: int = 0, **kw) -> CheckinSnap:
    return CheckinSnap(date=day, pain=pain, **kw)


def run(days_ago: int, metres: float, seconds: float = 3600.0, **kw) -> RunSnap:
    day = D - timedelta(days=days_ago)
    return RunSnap(id=f"r{days_ago}-{metres}", date=day, distance_m=metres, duration_s=seconds, **kw)


def ids(advice) -> list[str]:
    return [a.id for a in advice]


def clean_weeks(*km: float, before: int = 1) -> list[RunSnap]:
    """Clean calendar weeks ending ``before`` weeks before D's week, one run each (Tuesday)."""
    out = []
    for i, value in enumerate(reversed(km)):
        day = MONDAY - timedelta(weeks=before + i) + timedelta(days=1)
        out.append(RunSnap(id=f"w{i}", date=day, distance_m=value * 1000, duration_s=value * 330))
    return out


@pytest.mark.parametrize(
    ("threshold", "field", "value", "fires"),
    [
        (3, "pain", 3, False),
        (3, "pain", 4, True),
        (3, "pain_during", 3, False),
        (3, "pain_during", 4, True),
        (3, "pain_after", 3, False),
        (3, "pain_after", 4, True),
        (3, "morning_pain", 4, False),  # morning stiffness is not pain
        (5, "pain", 5, False),  # a therapist's own limit
        (5, "pain", 6, True),
        (0, "pain_after", 1, True),
    ],
)
def test_pain_threshold_is_strict(threshold: int, field: str, value: int, fires: bool) -> None:
    settings = RunnerSettings(pain_threshold=threshold)
    if field == "pain":
        snap = day_snapshot(D, checkin=checkin(pain=value), settings=settings)
    elif field == "morning_pain":
        snap = day_snapshot(D, checkin=checkin(pain=0, morning_pain=value), settings=settings)
    else:
        snap = day_snapshot(D, runs=[run(0, 5000, **{field: value})], settings=settings)
    fired = rules.pain_threshold(snap) + plancards.rest_day(snap)
    if fires:
        # One verdict card: the rest card carries the pain (no "Stop running" card beside it).
        assert ids(fired) == ["core.rest_day", "core.pain_contact_pt"]
        assert [a.action for a in fired] == ["rest", "contact_pt"]
        assert fired[0].reasons[0].metric == field
        assert fired[0].reasons[0].value == value
        assert fired[0].reasons[0].threshold == threshold
        assert fired[0].title.startswith("Rest day 1 of ")
    else:
        assert fired == []


def test_pain_of_another_day_does_not_count_but_last_nights_run_does() -> None:
    old = day_snapshot(D, checkin=checkin(day=D - timedelta(days=2), pain=8))
    assert rules.pain_threshold(old) == []
    carried = day_snapshot(D, runs=[run(1, 5000, pain_after=6)])
    # Yesterday's run already started the rest: its card says the pain, today too.
    [card] = plancards.rest_day(carried)
    assert card.title == "Rest day 2 of 3: no running"
    assert "6/10 after a run" in card.message and card.reasons[0].metric == "pain_after"
    assert not carried.plan.events  # last night's pain started the rest then; it does not restart it
    assert [r for r in card.reasons if r.metric == "pain_after_yesterday"][0].value == 6
    # Without a plan (a snapshot built on its own), the seed's rule says it itself.
    bare = dataclasses.replace(carried, plan=None)
    fired = rules.pain_threshold(bare)
    assert ids(fired) == ["core.pain_threshold"] and "after yesterday's run" in fired[0].message


@pytest.mark.parametrize(("pain", "days"), [(4, 2), (5, 2), (6, 3), (7, 3), (8, 7), (10, 7)])
def test_rest_day_card_says_day_n_of_m_by_severity(pain: int, days: int) -> None:
    snap = day_snapshot(D, checkin=checkin(pain=pain))
    [card, call] = plancards.rest_day(snap)
    assert card.title == f"Rest day 1 of {days}: no running"
    assert f"reached {pain}/10" in card.message and f"after day {days}" in card.message
    assert card.source.kind == "plan" and call.source.kind == "clinic"


def test_rest_day_two_of_three_and_still_resting_after_the_days() -> None:
    day2 = day_snapshot(D, checkin=checkin(pain=2), previous_checkin=checkin(D - timedelta(days=1), pain=6))
    [card] = plancards.rest_day(day2)  # the call-your-therapist card shows on the day it started
    assert card.title == "Rest day 2 of 3: no running"
    later = day_snapshot(D, checkins=[checkin(D - timedelta(days=4), pain=6)])
    [card] = plancards.rest_day(later)
    assert card.title == "Still resting (day 5): no running yet"
    # No check-in since: the card says what ends the rest, with the session ceiling.
    assert "Check in today and tomorrow: the rest ends when both show pain at 2/10 or less" in card.message


def test_a_run_during_rest_is_acknowledged_plainly() -> None:
    snap = day_snapshot(D, runs=[run(0, 6000)], previous_checkin=checkin(D - timedelta(days=1), pain=6))
    found = {a.id: a for a in plancards.rest_day(snap)}
    assert found["core.run_during_rest"].title == "You ran during your rest"
    assert "6.0 km" in found["core.run_during_rest"].message


@pytest.mark.parametrize(
    ("week_km", "fires"),
    [
        (14.3, False),   # 13 km baseline + 10 % = 14.3 km: exactly at the cap
        (14.306, False),  # +10.05 % would round up; 14.306 / 13 = +10.046 % -> 10.0
        (14.35, True),
    ],
)
def test_distance_jump_is_strict_against_the_baseline_week(week_km: float, fires: bool) -> None:
    history = clean_weeks(13, 13)
    snap = day_snapshot(D, runs=history + [run(0, week_km * 1000)])
    fired = plancards.distance_jump(snap)
    pct = snap.plan.distance_pct
    assert (pct > 10) is bool(fired)
    if week_km == 14.3:
        assert str(pct) == "10.0" and fired == []
    if fires:
        assert fired[0].title.startswith("Over this week's cap: ") and fired[0].title.endswith(" of 14.3 km")
        assert fired[0].reasons[0].metric == "distance_pct" and fired[0].reasons[0].threshold == 10.0
        assert "your baseline of 13.0 km (your last clean week)" in fired[0].message


def test_distance_jump_title_gives_the_cap_in_the_runners_unit() -> None:
    mi = RunnerSettings(units="mi")
    history = [RunSnap(id="a", date=MONDAY - timedelta(days=7), distance_m=round(9 * METRES_PER_MILE), duration_s=5000)]
    snap = day_snapshot(D, runs=history + [run(0, 12 * METRES_PER_MILE)], settings=mi)
    [advice] = plancards.distance_jump(snap)
    assert advice.title.startswith("Over this week's cap: ") and advice.title.endswith(" of 9.9 mi")


def test_the_all_clear_says_what_is_left_from_the_figures_it_shows() -> None:
    # Found trying it: "Keep running: 17.3 of 17.6 mi this week ... 0.4 mi left": what is left
    # was rounded on its own. 27,761 m is 17.2498 mi: shown 17.2, so 0.4 left (0.3498 rounded: 0.3).
    mi = RunnerSettings(units="mi")
    history = [RunSnap(id="a", date=MONDAY - timedelta(days=7), distance_m=round(16 * METRES_PER_MILE), duration_s=9000)]
    snap = day_snapshot(D, runs=history + [run(0, 27761)], settings=mi)
    [card] = plancards.all_clear(snap, [])
    assert card.title == "Keep running: 17.2 of 17.6 mi this week"
    assert "0.4 mi left this week" in card.message


def test_exactly_ten_percent_in_miles_after_the_clients_rounding_does_not_fire() -> None:
    mi = RunnerSettings(units="mi")
    history = [RunSnap(id="a", date=MONDAY - timedelta(days=7), distance_m=round(9 * METRES_PER_MILE), duration_s=5000)]
    snap = day_snapshot(D, runs=history + [run(0, round(9.9 * METRES_PER_MILE))], settings=mi)
    assert plancards.distance_jump(snap) == []
    assert str(snap.plan.distance_pct) == "10.0"


def test_first_week_without_history_is_held_at_the_starting_cap() -> None:
    snap = day_snapshot(D, runs=[run(2, 20000), run(0, 20000)])
    [advice] = plancards.distance_jump(snap)
    assert advice.title.startswith("Over this week's cap: ") and advice.title.endswith(" of 15.0 km")
    assert "Log or import" in advice.message
    assert plancards.all_clear(snap, [advice]) == []


@pytest.mark.parametrize(("seconds", "fires"), [(1500, False), (1498, True)])
def test_speed_jump_is_strict_and_shows_the_pace(seconds: float, fires: bool) -> None:
    history = [RunSnap(id="a", date=MONDAY - timedelta(days=7), distance_m=5000, duration_s=1650)]
    snap = day_snapshot(D, runs=history + [run(0, 5000, seconds)])
    fired = plancards.speed_jump(snap)
    assert bool(fired) is fires
    if fires:
        assert "4:60" not in fired[0].message and "/km" in fired[0].message
        assert "5:30 /km" in fired[0].message  # the reference week's pace


@pytest.mark.parametrize(("swollen", "fires"), [(False, False), (True, True)])
def test_swelling_means_rest(swollen: bool, fires: bool) -> None:
    snap = day_snapshot(D, checkin=checkin(swelling=swollen))
    assert (snap.plan.name == "rest") is fires
    # A red flag is urgent and plain, in a rest too: the rest card says how long, the
    # swelling card says what to do (tell the therapist), with the answer that fired it.
    if fires:
        [card] = plancards.rest_day(snap)
        assert "your knee was swollen" in card.message and "swelling has gone" in card.message
        [flag] = rules.swelling(snap)
        assert (flag.severity, flag.action) == ("urgent", "rest")
        assert "physical therapist" in flag.message and "could be" in flag.message
        assert [(r.metric, r.value) for r in flag.reasons] == [("swelling", True)]
    else:
        assert rules.swelling(snap) == []
    # Without a plan the seed's rule says it itself.
    bare = dataclasses.replace(snap, plan=None)
    assert (ids(rules.swelling(bare)) == ["core.swelling"]) is fires


def test_a_swollen_knee_with_a_fever_gets_no_self_care_tips() -> None:
    """Found by trying it: fever + a swollen knee read "gentle movement and compression
    usually help" on the rest card and the swelling card, beside "Call a doctor today". With a
    fever both say the doctor comes first; without one the tips stay."""
    feverish = day_snapshot(D, checkin=checkin(pain=5, fever=True, swelling=True))
    [rest] = [a for a in plancards.rest_day(feverish) if a.id == "core.rest_day"]
    [flag] = rules.swelling(feverish)
    for card in (rest, flag):
        assert "compression" not in card.message and "doctor" in card.message, card.id
    assert ("fever", True) in [(r.metric, r.value) for r in flag.reasons]
    plain = day_snapshot(D, checkin=checkin(pain=5, swelling=True))
    [rest] = [a for a in plancards.rest_day(plain) if a.id == "core.rest_day"]
    assert "compression" in rest.message and "compression" in rules.swelling(plain)[0].message


def test_a_held_rest_names_no_end_day() -> None:
    """A knee that locked holds the rest until it is checked: "Rest day 1 of 3" promised an
    end on day 3 that the assessment decides."""
    snap = day_snapshot(D, checkin=checkin(pain=1, locking_or_giving_way=True))
    [card] = [a for a in plancards.rest_day(snap) if a.id == "core.rest_day"]
    assert card.title == "Rest day 1: no running until your knee is checked"
    assert "holds until a therapist or doctor has checked your knee" in card.message


@pytest.mark.parametrize(
    ("fever", "pain", "swelling", "run_pain", "fires"),
    [
        (True, 0, False, None, "alone"),  # fever alone: no running today, a doctor if it lasts
        (True, 2, False, None, True),
        (True, 0, True, None, True),
        (True, 0, False, 3, True),       # a run's pain of the same day counts too
        (False, 6, True, None, False),
    ],
)
def test_fever_with_knee_pain_or_swelling_is_urgent(fever, pain, swelling, run_pain, fires) -> None:
    runs = [run(0, 3000, pain_during=run_pain)] if run_pain is not None else []
    snap = day_snapshot(D, checkin=checkin(pain=pain, fever=fever, swelling=swelling), runs=runs)
    fired = rules.fever(snap)
    assert bool(fired) is bool(fires)
    if fires == "alone":
        assert (fired[0].severity, fired[0].action, fired[0].title) == ("warning", "stop_running",
                                                                        "No running with a fever")
        assert snap.plan.verdict == "stop" and snap.plan.name == "normal"  # a stop for the day
    elif fires:
        assert fired[0].severity == "urgent" and fired[0].action == "contact_doctor"
        assert snap.plan.name == "rest"


@pytest.mark.parametrize(
    ("locking", "straighten", "fires"),
    [(False, False, False), (True, False, True), (False, True, True), (True, True, True)],
)
def test_mechanical_symptoms_mean_the_therapist(locking: bool, straighten: bool, fires: bool) -> None:
    snap = day_snapshot(D, checkin=checkin(locking_or_giving_way=locking, hard_to_straighten=straighten))
    fired = rules.mechanical(snap)
    assert bool(fired) is fires
    if fires:
        assert fired[0].action == "contact_pt" and snap.plan.name == "rest"


@pytest.mark.parametrize(("pain", "fires"), [(0, False), (1, True), (3, True), (4, False)])
def test_mild_pain_gets_a_calm_note_for_the_therapist(pain: int, fires: bool) -> None:
    snap = day_snapshot(D, checkin=checkin(pain=pain))
    fired = rules.mild_pain(snap)
    assert bool(fired) is fires
    if fires:
        assert fired[0].severity == "info" and fired[0].action == "info"
        assert fired[0].title == "Mention the knee to your therapist"


def test_return_session_card_names_the_session() -> None:
    history = [checkin(D - timedelta(days=2), pain=4), checkin(D - timedelta(days=1), pain=1)]
    snap = day_snapshot(D, checkin=checkin(pain=1), checkins=history)
    [card] = plancards.return_session(snap)
    assert snap.plan.name == "return"
    assert card.title == "Today: Walk 2 min · run 3 min for 1.6 km, easy"
    assert "Phase 1 of 6, 0 of 2 sessions done" in card.message
    assert card.action == "return_gradually" and card.source.kind == "plan"


def test_return_after_a_break_says_why() -> None:
    snap = day_snapshot(D, runs=[run(20, 5000)])
    [card] = plancards.return_session(snap)
    assert "have not run for" in card.message or snap.plan.state.since != D
    assert snap.plan.name == "return" and snap.plan.state.cause.metric == "days_since_previous_run"


@pytest.mark.parametrize(
    ("distance", "retired", "fires"),
    [(799_999, False, False), (800_001, False, True), (900_000, True, False)],
)
def test_shoe_past_its_limit(distance: float, retired: bool, fires: bool) -> None:
    shoe = ShoeSnap(id=1, name="Trail", limit_m=800_000, distance_m=distance, retired=retired)
    fired = rules.shoe_limit(day_snapshot(D, shoes=[shoe]))
    assert bool(fired) is fires
    if fires:
        assert fired[0].title == "Replace your Trail shoes"


def test_all_clear_only_when_nothing_fired() -> None:
    snap = day_snapshot(D, checkin=checkin(pain=0), runs=clean_weeks(12, 13) + [run(0, 5000)])
    fired = core_advice(snap)
    assert fired == []
    [clear] = plancards.all_clear(snap, fired)
    assert clear.title == "Keep running: 5.0 of 14.3 km this week"  # 13 km (the latest) + 10 %
    assert "9.3 km left this week" in clear.message
    swollen = dataclasses.replace(day_snapshot(D, checkin=checkin(swelling=True)), plan=None)
    assert plancards.all_clear(snap, rules.swelling(swollen)) == []


def test_all_clear_without_history_or_checkin() -> None:
    snap = day_snapshot(D)
    [clear] = plancards.all_clear(snap, [])
    assert clear.title == "Keep running: 0.0 of 15.0 km this week"
    assert clear.message.endswith("Check in today so the advice can take your knee into account.")


def test_every_core_advice_is_core_sourced_labelled_and_explained() -> None:
    snaps = [
        day_snapshot(D, checkin=checkin(pain=9, fever=True, swelling=True, locking_or_giving_way=True)),
        day_snapshot(D, runs=clean_weeks(12, 13) + [run(0, 20000, 4000)]),
        day_snapshot(D, checkin=checkin(pain=2)),
        day_snapshot(D, runs=[run(20, 5000)]),
    ]
    for snap in snaps:
        for advice in core_advice(snap) + plancards.all_clear(snap, []):
            assert advice.source.plugin == "core"
            assert advice.source.kind in ("clinic", "plan")
            assert advice.evidence and advice.title and advice.message
            assert advice.reasons, advice.id


def test_replayed_and_snapshotted_plans_agree() -> None:
    history = [checkin(D - timedelta(days=2), pain=5)]
    snap = day_snapshot(D, checkins=history)
    days = replay(PlanState(), inputs_from(history, []), D, RunnerSettings())
    assert snap.plan == days[-1]
