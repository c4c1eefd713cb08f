"""The care plan through gaps (``strideguard.plan.machine``), as a tester met them over HTTP.

1. A return session counts only with the check-in of the next day ("the knee is no worse the
   next morning"): when that day passes without one, the session lapses (``session_unconfirmed``)
   and the days after say why. ``BREAK_DAYS`` without a run in a return that had made progress
   restart it at phase 1 (``return_restarted``), the rule normal running has.
2. A run that breaks the weekly cap and whose pain starts a rest is still an ``over_cap`` day.

Pure tables: check-ins and runs per date in, the plan replayed day by day.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from tests.unit.test_plan_machine import play  # the same replay of check-ins and runs

from strideguard.guidance.builder import day_snapshot
from strideguard.guidance.plancards import rest_day, return_session
from strideguard.guidance.snapshot import CheckinSnap, RunnerSettings, RunSnap
from strideguard.plan.machine import BREAK_DAYS, NORMAL, REST, RETURN, PlanDay, PlanState

_ids = itertools.count()
SEED = RunnerSettings()


def run(day: date, metres: float = 1500, **kw) -> RunSnap:
    return RunSnap(id=f"g{next(_ids)}", date=day, distance_m=metres, duration_s=metres * 0.36, **kw)


def ck(day: date, pain: int = 0, **kw) -> CheckinSnap:
    return CheckinSnap(date=day, pain=pain, **kw)




def kinds(day: PlanDay) -> list[str]:
    return [e.kind for e in day.events]


def card(plan: PlanDay, rule, checkin: CheckinSnap | None = None, runs=()):
    snap = day_snapshot(plan.date, checkin=checkin, runs=runs, settings=SEED, plan=plan)
    (advice,) = rule(snap)
    return advice


# --- 1. the tester's story: a phase-3 session, then three silent weeks ------------------------


def sep(n: int) -> date:
    """The n-th of September 2026, counting on into October and November (34: 4 Oct)."""
    return date(2026, 8, 31) + timedelta(days=n)


def to_phase_3() -> list:
    """Pain 6 on 2 Sep (a 3-day rest), calm check-ins; the return starts on 5 Sep and four
    sessions, each confirmed the next morning, reach phase 3 on 12 Sep."""
    items: list = [ck(sep(2), 6), ck(sep(3), 1, morning_pain=1), ck(sep(4), 1, morning_pain=1)]
    for n in (5, 7, 9, 11):
        items += [run(sep(n), 1500 if n < 9 else 2400), ck(sep(n + 1), 1, morning_pain=1)]
    return items


def story() -> dict[date, PlanDay]:
    items = to_phase_3() + [ck(sep(13), 2), run(sep(13), 2400, pain_after=2), ck(sep(34), 2)]  # 4 Oct
    return play(*items, through=sep(30 + 31 + 30))  # 30 Nov


def test_the_story_is_at_phase_3_before_the_gap() -> None:
    plan = story()
    assert plan[sep(5)].name == RETURN
    assert (plan[sep(12)].state.phase, plan[sep(12)].state.phase_sessions) == (3, 0)
    assert plan[sep(13)].state.pending == sep(13) and "session_logged" in plan[sep(13)].notes


def test_a_check_in_three_weeks_later_does_not_confirm_the_session() -> None:
    plan = story()
    # 14 Sep: the session waits for today's check-in; the card asks for it.
    assert plan[sep(14)].checkin_due and kinds(plan[sep(14)]) == []
    assert card(plan[sep(14)], return_session).title.startswith("Check in today")
    # 15 Sep: the day after passed without one — the session lapses, with an event.
    lapse = plan[sep(15)]
    assert kinds(lapse) == ["session_unconfirmed"]
    event = lapse.events[0]
    assert (event.reason.metric, event.reason.value) == ("missed_checkin", "2026-09-14")
    assert dict(event.detail) == {"session": "2026-09-13", "phase": 3, "why": "no_checkin"}
    assert lapse.state.phase_sessions == 0 and lapse.unconfirmed_session == sep(13)
    advice = card(lapse, return_session)
    assert advice.title == "Your last session did not count: no check-in the day after"
    assert (advice.reasons[0].metric, advice.reasons[0].value) == ("missed_checkin", "2026-09-14")
    # The days after keep saying it (and the session is on offer: it is not a phase-3 "Today").
    later = card(plan[sep(20)], return_session)
    assert later.title.startswith("Today: ")
    assert "did not count: there was no check-in the day after it" in later.message
    assert "check in the morning after each session" in later.message
    assert all(kinds(plan[sep(n)]) == [] for n in range(16, 27))
    # 4 Oct's check-in confirms nothing.
    assert plan[sep(34)].state.phase_sessions == 0 and "session_counted" not in plan[sep(34)].notes


def test_fourteen_days_without_a_run_restart_the_return_at_phase_1() -> None:
    plan = story()
    restart = plan[sep(13 + BREAK_DAYS)]  # 27 Sep
    assert kinds(restart) == ["return_restarted"]
    event = restart.events[0]
    assert (event.reason.metric, event.reason.value, event.reason.threshold) == (
        "days_since_previous_run", BREAK_DAYS, BREAK_DAYS)
    assert dict(event.detail) == {"phase": 1, "was": 3, "sessions_done": 0, "last_run": "2026-09-13"}
    s = restart.state
    assert (s.state, s.phase, s.phase_sessions, s.since, s.pending) == (RETURN, 1, 0, sep(27), None)
    advice = card(restart, return_session)
    assert advice.title == f"Back to phase 1: {BREAK_DAYS} days without a run"
    assert f"You have not run for {BREAK_DAYS} days, so the return starts again at phase 1" in advice.message
    assert advice.reasons[0].metric == "days_since_previous_run" and advice.reasons[0].value == BREAK_DAYS
    assert plan[sep(26)].state.phase == 3  # 13 days: not yet
    # Sixty days on, the runner is at phase 1, not still "in return at phase 3", and the
    # silence after the restart adds nothing to the history.
    last = plan[date(2026, 11, 30)]
    assert (last.name, last.state.phase) == (RETURN, 1)
    assert all(not kinds(day) for when, day in plan.items() if when > sep(27))


# --- 1a. the next day's check-in, and only it, confirms a session ----------------------------


def _phase_1() -> list:
    """The return starts on 5 Sep (phase 1, no session yet)."""
    return [ck(sep(2), 6), ck(sep(3), 1, morning_pain=1), ck(sep(4), 1, morning_pain=1)]


@pytest.mark.parametrize(
    ("after", "counted", "event_on"),
    [
        ({6: "ck"}, True, None),                      # the next morning: counts
        ({7: "ck"}, False, 7),                        # two days later: lapsed on the 7th
        ({10: "ck"}, False, 7),                       # days later: lapsed all the same
        ({6: "ck+run"}, True, None),                  # checked in, then ran again: counts (and back to back)
        ({6: "run", 7: "ck"}, False, 6),              # ran again before any check-in: unconfirmed that day
        ({}, False, 7),                               # nothing at all
    ],
)
def test_only_the_next_days_check_in_confirms_a_session(after: dict, counted: bool, event_on: int | None) -> None:
    items = _phase_1() + [run(sep(5), 1500)]
    for n, what in after.items():
        if "ck" in what:
            items.append(ck(sep(n), 0, morning_pain=1))
        if "run" in what:
            items.append(run(sep(n), 1500))
    plan = play(*items, through=sep(12))
    assert (plan[sep(12)].state.phase_sessions == 1) is counted
    unconfirmed = [n for n in range(5, 13) if "session_unconfirmed" in kinds(plan[sep(n)])]
    assert unconfirmed == ([event_on] if event_on else [])
    if event_on == 6:
        assert plan[sep(6)].events[0].detail["why"] == "ran_again"
        assert kinds(plan[sep(6)]) == ["session_unconfirmed", "session_early"]


def test_a_lapsed_session_is_said_until_the_next_run_and_a_new_session_counts_as_usual() -> None:
    items = _phase_1() + [run(sep(5), 1500), run(sep(9), 1500), ck(sep(10), 0, morning_pain=1)]
    plan = play(*items, through=sep(10))
    assert [plan[sep(n)].unconfirmed_session for n in (6, 7, 8)] == [None, sep(5), sep(5)]
    assert plan[sep(9)].unconfirmed_session is None and plan[sep(9)].state.pending == sep(9)
    assert "session_unconfirmed" not in plan[sep(9)].notes  # the lapse was recorded once, on the 7th
    assert plan[sep(10)].state.phase_sessions == 1 and "session_counted" in plan[sep(10)].notes


def test_the_day_after_a_session_asks_for_the_check_in_and_a_run_then_says_it_too() -> None:
    items = _phase_1() + [run(sep(5), 1500)]
    plan = play(*items, through=sep(6))
    advice = card(plan[sep(6)], return_session)
    assert advice.title == "Check in today: yesterday's session counts only then"
    assert "without a check-in today it does not count" in advice.message
    ran = play(*items, run(sep(6), 1500), through=sep(6))[sep(6)]
    advice = card(ran, return_session, runs=[run(sep(6), 1500)])
    assert "Check in today: yesterday's session counts only with today's check-in." in advice.message


def test_pain_after_the_session_carried_into_a_silent_day_still_starts_a_rest() -> None:
    """The safe behaviour that was there: no check-in the next day, but last night's pain
    above the limit rests the knee that day (the session lapses into the rest)."""
    plan = play(*_phase_1(), run(sep(5), 1500, pain_after=4), through=sep(7))
    assert plan[sep(5)].name == REST  # its own day already
    plan = play(*_phase_1(), run(sep(5), 1500, pain_after=2), through=sep(7))
    assert "session_unconfirmed" in kinds(plan[sep(7)]) and plan[sep(7)].state.phase_sessions == 0


# --- 1b. BREAK_DAYS without a run during a return ---------------------------------------------


@pytest.mark.parametrize(
    ("sessions", "gap", "restarts"),
    [
        (1, BREAK_DAYS - 1, False),   # 13 days: not a break
        (1, BREAK_DAYS, True),        # one counted session, 14 days: back to phase 1, no session
        (2, BREAK_DAYS, True),        # phase 2, 14 days: back to phase 1
        (2, 40, True),
        (0, 40, False),               # phase 1, nothing counted: nothing to restart
    ],
)
def test_a_break_in_the_return_restarts_it(sessions: int, gap: int, restarts: bool) -> None:
    items = _phase_1()
    n = 5
    for _ in range(sessions):
        items += [run(sep(n), 1500), ck(sep(n + 1), 0, morning_pain=1)]
        n += 2
    last_run = n - 2 if sessions else None
    through = sep((last_run or 5) + gap)
    plan = play(*items, through=through)
    events = [e for day in plan.values() for e in day.events if e.kind == "return_restarted"]
    assert bool(events) is restarts
    if restarts:
        assert events[0].day == sep(last_run + BREAK_DAYS) and len(events) == 1
        assert (plan[through].state.phase, plan[through].state.phase_sessions) == (1, 0)
    else:
        assert plan[through].state.phase == (2 if sessions == 2 else 1)


def test_the_first_run_after_the_break_is_judged_as_a_phase_1_session() -> None:
    items = _phase_1()
    for n in (5, 7, 9, 11):
        items += [run(sep(n), 1500 if n < 9 else 2400), ck(sep(n + 1), 0, morning_pain=1)]
    back = sep(11 + BREAK_DAYS)  # the first day of the break, with a run
    plan = play(*items, run(back, 2400), through=back)  # phase 3's distance: too long for phase 1
    assert kinds(plan[back]) == ["return_restarted", "session_too_long"]
    plan = play(*items, run(back, 1600), through=back)
    assert kinds(plan[back]) == ["return_restarted"] and plan[back].state.pending == back
    assert card(plan[back], return_session, runs=[run(back, 1600)]).title == "Session logged: check in tomorrow morning"


# --- 2. the week over its cap on the day its pain starts a rest -------------------------------


OCT5 = date(2026, 10, 5)  # a Monday


def cap_weeks(last_km: float, pain_after: int | None = 5) -> list[RunSnap]:
    """Four weeks of 6 + 7 + 7 km from 5 Oct (a 20 km baseline, a 22 km cap), then the week of
    2 Nov: 7 km, 7 km and, on Sunday 8 Nov, ``last_km`` with ``pain_after``."""
    out = []
    for w in range(4):
        for offset, km in zip((0, 2, 5), (6, 7, 7)):
            out.append(run(OCT5 + timedelta(days=7 * w + offset), km * 1000))
    nov2 = date(2026, 11, 2)
    return out + [run(nov2, 7000), run(nov2 + timedelta(days=2), 7000),
                  run(nov2 + timedelta(days=6), last_km * 1000, pain_after=pain_after)]


NOV8 = date(2026, 11, 8)


@pytest.mark.parametrize(
    ("last_km", "pct", "fires"),
    [
        (10, 20.0, True),      # the tester's week: 24 km on a 20 km baseline
        (8.1, 10.5, True),
        (8.04, 10.0, False),   # 22.04 km shows as 22.0 km: +10.0%, never over
        (8, 10.0, False),
    ],
)
def test_the_run_whose_pain_starts_a_rest_is_still_over_the_cap(last_km: float, pct: float, fires: bool) -> None:
    plan = play(*cap_weeks(last_km), through=NOV8)
    day = plan[NOV8]
    assert day.name == REST and float(day.distance_pct) == pct
    assert plan[NOV8 - timedelta(days=1)].state.baseline_m == 20000
    assert kinds(day) == (["over_cap", "rest_started"] if fires else ["rest_started"])
    if fires:
        event = day.events[0]
        assert (event.from_state, event.to_state) == (NORMAL, NORMAL)
        assert (event.reason.metric, event.reason.value, event.reason.threshold) == ("distance_pct", pct, 10.0)
        assert dict(event.detail) == {"week_m": round(last_km * 1000) + 14000, "baseline_m": 20000,
                                      "cap_m": 22000, "ramp": False}
    # The same run without the pain: the same load event, in normal running.
    calm = play(*cap_weeks(last_km, None), through=NOV8)[NOV8]
    assert calm.name == NORMAL and kinds(calm) == (["over_cap"] if fires else [])


def test_the_rest_card_carries_the_week_against_its_cap() -> None:
    runs = cap_weeks(10)
    plan = play(*runs, through=NOV8)
    snap = day_snapshot(NOV8, runs=runs, settings=SEED, plan=plan[NOV8])
    rest = next(a for a in rest_day(snap) if a.id == "core.rest_day")
    by_metric = {r.metric: r for r in rest.reasons}
    assert (by_metric["distance_pct"].value, by_metric["distance_pct"].threshold) == (20.0, 10.0)
    assert (by_metric["week_distance_m"].value, by_metric["week_distance_m"].threshold) == (24000, 22000)
    assert "This week's 24.0 km is also over its cap of 22.0 km" in rest.message
    # The next day of the rest says nothing more about the week.
    nxt = play(*runs, through=NOV8 + timedelta(days=1))[NOV8 + timedelta(days=1)]
    snap = day_snapshot(nxt.date, runs=runs, settings=SEED, plan=nxt)
    assert not any(r.metric == "week_distance_m" for a in rest_day(snap) for r in a.reasons)


def test_a_ramp_week_over_its_cap_is_judged_against_the_ramp_before_the_rest_clears_it() -> None:
    monday = date(2026, 11, 9)
    start = PlanState(state=NORMAL, since=monday - timedelta(days=10), baseline_m=30000.0,
                      baseline_week=monday - timedelta(days=35), ramp_m=10000.0, week=monday - timedelta(days=7),
                      week_normal=False, day=monday - timedelta(days=1))
    plan = play(run(monday, 6000), run(monday + timedelta(days=2), 6000, pain_during=4),
                through=monday + timedelta(days=2), start=start)
    day = plan[monday + timedelta(days=2)]
    assert kinds(day)[:2] == ["over_cap", "rest_started"]
    assert dict(day.events[0].detail) == {"week_m": 12000, "baseline_m": 10000, "cap_m": 11000, "ramp": True}
    assert day.state.ramp_m is None  # the rest cleared the ramp after the check


def test_the_rest_push_does_not_also_say_run_less_this_week() -> None:
    """A rest says no running at all: the same run's jump (its over_cap event) must not fold
    "Run less this week" into the rest push."""
    from strideguard.guidance.engine import assess_day
    from strideguard.reminders.planner import alerts_for

    runs = cap_weeks(10)
    plan = play(*runs, through=NOV8)
    guidance = assess_day(day_snapshot(NOV8, runs=runs, settings=SEED, plan=plan[NOV8]))
    kinds_due = {a.kind for a in alerts_for(guidance)}
    assert "rest" in kinds_due and "reduce_volume" not in kinds_due
