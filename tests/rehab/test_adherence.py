"""The rehab arithmetic as tables (pure: no app, no database): prescribed and done per calendar
week, across a daylight-saving change and time zones; pain ceilings; the alert's seven days;
the return's minimum adherence, which holds a phase and never advances one."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from strideguard.day.values import CheckinSnap, RunnerSettings, RunSnap
from strideguard.plan import phases
from strideguard.plan.machine import BREAK_ANSWER, EXERCISE_ANSWER, DayInput, PlanState, replay
from strideguard.rehab.adherence import (
    ItemPlan,
    Logged,
    Rehab,
    VersionPlan,
    alert_dates,
    below_minimum,
    due_on,
    exceedances,
    pct,
    rolling,
    version_on,
    weekly,
    window,
)

MON = date(2026, 3, 23)  # the week Europe moves its clocks forward (Sunday 29 March)
BRIDGE = ItemPlan("core.glute_bridge", "Glute bridge", per_week=3)
CLAM = ItemPlan("core.clamshell", "Clamshell", weekdays=(1, 3, 5))
DAILY = ItemPlan("core.wall_sit", "Wall sit", per_week=7, pain_ceiling=5)


def v(items, start=MON, version=1, effective=None, minimum=None):
    return VersionPlan(version, start, effective or start, tuple(items), minimum)


def did(day, exercise="core.glute_bridge", sets=2, pain=None, ceiling=3):
    return Logged(day, exercise, sets, pain, ceiling)


@pytest.mark.parametrize("per_week, days, prescribed", [
    (3, 7, 3), (3, 3, 1), (3, 2, 0), (7, 7, 7), (7, 1, 1), (1, 6, 0), (5, 7, 5), (2, 4, 1),
])
def test_n_days_a_week_prescribes_the_whole_part_of_n_sevenths_per_day(per_week, days, prescribed):
    found = window([v([ItemPlan("x.y", "X", per_week=per_week)])], [], MON, MON + timedelta(days=days - 1))
    assert found.prescribed == prescribed


def test_the_week_of_a_clock_change_has_seven_days():
    # 23–29 March 2026 is 167 hours long in Berlin: counted by local dates it has seven days.
    week = weekly([v([DAILY])], [did(MON + timedelta(days=n), "core.wall_sit") for n in range(7)],
                  MON + timedelta(days=6), 1)
    assert [(w.first, w.last, w.done, w.prescribed, w.pct) for w in week] == [
        (MON, date(2026, 3, 29), 7, 7, 100)]


def test_weekdays_and_calendar_weeks_with_the_current_week_so_far():
    logged = [did(MON, "core.clamshell"), did(MON + timedelta(days=2), "core.clamshell"),
              did(MON + timedelta(days=7), "core.clamshell")]
    weeks = weekly([v([CLAM])], logged, MON + timedelta(days=9), 3)  # through Wednesday of week 2
    assert [(w.first, w.done, w.prescribed, w.pct) for w in weeks] == [
        (MON, 2, 3, 67),  # the week before the start is left out; Mon, Wed of Mon/Wed/Fri
        (MON + timedelta(days=7), 1, 2, 50),  # so far: Mon and Wed were due, Mon done
    ]


def test_done_counts_distinct_days_and_never_more_than_prescribed():
    logged = [did(MON), did(MON), did(MON + timedelta(days=1)), did(MON + timedelta(days=2)),
              did(MON + timedelta(days=3)), did(MON + timedelta(days=4), sets=0)]
    found = window([v([BRIDGE])], logged, MON, MON + timedelta(days=6))
    assert (found.done, found.prescribed, found.pct) == (3, 3, 100)
    nothing = window([v([BRIDGE])], [did(MON + timedelta(days=4), sets=0)], MON, MON + timedelta(days=6))
    assert nothing.done == 0  # a session with no set done is not done


def test_days_before_the_start_and_paused_days_prescribe_nothing():
    thursday = MON + timedelta(days=3)
    found = window([v([DAILY], start=thursday)], [], MON, MON + timedelta(days=6))
    assert found.prescribed == 4
    paused = {thursday, thursday + timedelta(days=1)}
    assert window([v([DAILY], start=thursday)], [], MON, MON + timedelta(days=6), paused).prescribed == 2


def test_a_new_version_applies_from_its_own_date():
    first = v([BRIDGE])
    second = v([BRIDGE, DAILY], version=2, effective=MON + timedelta(days=4))
    assert version_on([first, second], MON + timedelta(days=3)) is first
    assert version_on([first, second], MON + timedelta(days=4)) is second
    found = window([first, second], [], MON, MON + timedelta(days=6))
    assert {c.exercise: c.prescribed for c in found.items} == {"core.glute_bridge": 3, "core.wall_sit": 3}


def test_time_zones_only_ever_see_local_dates():
    # A runner in Auckland and one in Honolulu log on their own Mondays: each session counts
    # on the date it was logged, whatever UTC day that was.
    auckland = [did(MON, "core.wall_sit")]
    honolulu = [did(MON, "core.wall_sit")]
    for logged in (auckland, honolulu):
        assert rolling([v([DAILY])], logged, MON, 7).pct == 100


@pytest.mark.parametrize("done, prescribed, shown", [(2, 3, 67), (1, 3, 33), (1, 8, 13), (5, 8, 63), (0, 0, None)])
def test_percent_is_whole_and_rounded_half_up(done, prescribed, shown):
    assert pct(done, prescribed) == shown


@pytest.mark.parametrize("pain, above", [(4, False), (5, False), (6, True), (None, False)])
def test_a_ceiling_of_5_lets_5_through_and_not_6(pain, above):
    entry = did(MON, "core.wall_sit", pain=pain, ceiling=5)
    assert entry.above_ceiling is above
    assert exceedances([entry]) == ([entry] if above else [])


@pytest.mark.parametrize("gap_days, alerts", [(0, 1), (1, 1), (6, 1), (7, 0), (8, 0)])
def test_the_second_exceedance_within_seven_days_alerts_once(gap_days, alerts):
    first = did(MON, "core.wall_sit", pain=6, ceiling=5)
    second = did(MON + timedelta(days=gap_days), "core.wall_sit" if gap_days else "core.glute_bridge",
                 pain=7, ceiling=5)
    assert len(alert_dates([first, second])) == alerts


def test_a_third_exceedance_inside_the_window_does_not_alert_again_a_later_pair_does():
    days = [0, 2, 4, 12, 13]
    found = alert_dates([did(MON + timedelta(days=d), "core.wall_sit", pain=7, ceiling=5) for d in days])
    assert found == [MON + timedelta(days=2), MON + timedelta(days=13)]


def test_due_today_lists_weekdays_and_the_open_sessions_of_the_week():
    version = v([BRIDGE, CLAM])
    tuesday = MON + timedelta(days=1)
    assert [d.item.exercise for d in due_on(version, [], tuesday)] == ["core.glute_bridge"]
    logged = [did(MON), did(tuesday), did(MON + timedelta(days=2), "core.clamshell")]
    wednesday = due_on(version, logged + [did(MON + timedelta(days=2))], MON + timedelta(days=2))
    assert [(d.item.exercise, d.done, d.left_this_week) for d in wednesday] == [
        ("core.glute_bridge", True, 0), ("core.clamshell", True, None)]
    assert [d.item.exercise for d in due_on(version, logged + [did(MON + timedelta(days=2))],
                                            MON + timedelta(days=3))] == []


@pytest.mark.parametrize("done_days, minimum, short", [
    ((), 80, True), ((0, 2), 80, True), ((0, 2, 4), 80, False), ((0, 2), 60, False), ((0,), 34, True),
])
def test_below_minimum_compares_the_shown_percent(done_days, minimum, short):
    found = below_minimum([v([BRIDGE], minimum=minimum)], [did(MON + timedelta(days=d)) for d in done_days],
                          MON + timedelta(days=7))
    assert (found is not None) is short
    if found is not None:
        assert found.metric == "exercise_adherence_pct" and found.threshold == minimum


# --- the care plan ---------------------------------------------------------------------------


def _with_sessions(count: int, rehab: Rehab | None, worse_on: int | None = None):
    """A return with ``count`` sessions run every other day from day 0 (distance of the phase
    the plan is in), stepping the plan day by day."""
    inputs: list[DayInput] = []
    state = PlanState()
    days = []
    phase = 1
    for n in range(2 * count):
        day = MON + timedelta(days=n)
        answers = {BREAK_ANSWER: True} if n == 0 else ({EXERCISE_ANSWER: "worse"} if worse_on == n else {})
        checkin = CheckinSnap(date=day, pain=0, morning_pain=0, answers=answers)
        runs = (RunSnap(f"r{n}", day, phases.phase(phase).distance_m, 900),) if n % 2 == 0 else ()
        item = DayInput(day, checkin, runs, exercised_before=worse_on == n, rehab=rehab)
        inputs.append(item)
        step = replay(state, [item], day, RunnerSettings())
        state = step[-1].state
        phase = max(1, state.phase)
        days.extend(step)
    return days


def test_minimum_adherence_holds_the_phase_and_never_advances_it():
    never = Rehab((v([DAILY], start=MON - timedelta(days=14), minimum=80),), ())
    always = Rehab((v([DAILY], start=MON - timedelta(days=14), minimum=80),),
                   tuple(did(MON - timedelta(days=14) + timedelta(days=n), "core.wall_sit") for n in range(40)))
    free = _with_sessions(6, None)
    held = _with_sessions(6, never)
    kept = _with_sessions(6, always)
    assert max(d.state.phase for d in free) >= 3
    assert [d.state.phase for d in kept] == [d.state.phase for d in free]  # met: no difference
    assert max(d.state.phase for d in held) == 1  # never met: the phase holds
    events = [e for d in held for e in d.events if e.kind == "phase_held"]
    assert events and events[0].reason.metric == "exercise_adherence_pct"
    assert events[0].reason.value == 0 and events[0].reason.threshold == 80
    # Never ahead of the plan without a programme, day by day.
    assert all(h.state.phase <= f.state.phase for h, f in zip(held, free))


def test_a_worse_knee_after_exercises_counts_like_a_worse_morning_after_a_session():
    free = _with_sessions(3, None)
    worse = _with_sessions(3, None, worse_on=3)  # the check-in after the second session
    assert [e.kind for e in free[3].events] == ["phase_up"]
    down = [e for e in worse[3].events if e.kind == "phase_down"]
    assert down and down[0].reason.metric == "knee_after_exercise" and "session_broken" in worse[3].notes
