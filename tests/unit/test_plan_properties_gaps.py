"""Properties of the care plan through gaps and flares (hypothesis).

* A return session counts only with the check-in of the day after it, and a session whose
  next day passes with neither a check-in nor a run is recorded (``session_unconfirmed``) the
  day after that.
* No day ends in a return that has made progress (a phase above the first, or a counted
  session) with ``BREAK_DAYS`` or more since the last run: the break restarted it.
* A run's pain never hides its load: the day's ``over_cap`` and ``speed_over`` events are the
  same whether or not the run's pain started a rest.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strideguard.guidance.snapshot import CheckinSnap, RunnerSettings, RunSnap
from strideguard.plan.machine import BREAK_DAYS, NORMAL, REST, RETURN, PlanState, inputs_from, replay
from tests.unit.test_plan_properties import histories

START = date(2026, 3, 2)  # a Monday
LOAD_EVENTS = ("over_cap", "speed_over")


@st.composite
def returns(draw):
    """A rest on day 0 (pain 5) and calm check-ins, then a return: sessions, check-ins that come
    or do not, pains within and above the ceiling, and silent spans of up to four weeks."""
    limits = RunnerSettings(pain_threshold=draw(st.sampled_from([3, 3, 4])))
    checkins = [CheckinSnap(START, pain=5), CheckinSnap(START + timedelta(days=1), pain=1),
                CheckinSnap(START + timedelta(days=2), pain=1)]
    runs = []
    n = 3
    while n < 80:
        if draw(st.integers(0, 9)) == 0:  # a silent span
            n += draw(st.integers(2, 28))
            continue
        day = START + timedelta(days=n)
        if draw(st.integers(0, 4)) > 0:
            checkins.append(CheckinSnap(day, pain=draw(st.sampled_from([0, 0, 1, 1, 2, 3, 5])),
                                        morning_pain=draw(st.none() | st.integers(0, 2))))
        if draw(st.booleans()):
            metres = draw(st.sampled_from([1500, 1600, 2400, 3200, 5000]))
            pain = draw(st.none() | st.sampled_from([0, 1, 2, 3]))
            runs.append(RunSnap(f"s{n}", day, float(metres), metres * 0.4, pain_during=pain, pain_after=pain))
        n += 1
    return limits, checkins, runs


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(returns())
def test_sessions_count_only_with_the_next_days_check_in_and_breaks_restart_the_return(history) -> None:
    limits, checkins, runs = history
    through = START + timedelta(days=90)
    days = replay(PlanState(), inputs_from(checkins, runs), through, limits, first=START)
    by_date = {d.date: d for d in days}
    checked_in = {c.date for c in checkins}
    ran = {r.date for r in runs}
    one = timedelta(days=1)

    for day in days:
        # 1. A session counts on the day after it, with that day's check-in — never later.
        if "session_counted" in day.notes:
            assert day.date in checked_in and day.date - one in ran, day
        # ... and a session whose next day had neither is recorded as unconfirmed the day after.
        if day.name == RETURN and day.state.pending == day.date:
            nxt, after = day.date + one, day.date + 2 * one
            if nxt not in checked_in and nxt not in ran and after in by_date:
                assert "session_unconfirmed" in [e.kind for e in by_date[after].events], day
        # A lapsed session is said once, never confirmed.
        lapsed = [e for e in day.events if e.kind == "session_unconfirmed"]
        assert len(lapsed) <= 1
        # 2. No return with progress outlives a break.
        s = day.state
        if day.name == RETURN and (s.phase > 1 or s.phase_sessions > 0):
            assert s.last_run is not None and (day.date - s.last_run).days < BREAK_DAYS, day
        if any(e.kind == "return_restarted" for e in day.events):
            assert (s.phase, s.phase_sessions) == (1, 0) and s.since == day.date
            assert all(d not in ran for d in (day.date - timedelta(days=k) for k in range(1, BREAK_DAYS)))


@st.composite
def loads(draw):
    """Steady weeks (a baseline and a pace), then weeks of bigger, faster runs, some painful."""
    limits = RunnerSettings(pain_threshold=draw(st.sampled_from([3, 4])))
    runs, checkins = [], []
    steady = draw(st.integers(2, 4))
    for w in range(steady):
        for offset in (0, 2, 5):
            metres = float(draw(st.integers(5, 8)) * 1000)
            runs.append(RunSnap(f"w{w}{offset}", START + timedelta(days=7 * w + offset), metres, metres * 0.33))
    for n in range(7 * steady, 7 * steady + 21):
        day = START + timedelta(days=n)
        if draw(st.integers(0, 2)) == 0:
            checkins.append(CheckinSnap(day, pain=draw(st.sampled_from([0, 1, 2, 5]))))
        if draw(st.booleans()):
            metres = float(draw(st.integers(3, 14)) * 1000)
            pain = draw(st.none() | st.integers(0, 6))
            runs.append(RunSnap(f"j{n}", day, metres, metres * draw(st.sampled_from([0.27, 0.33])),
                                pain_during=draw(st.none() | st.integers(0, 4)), pain_after=pain))
    return limits, checkins, runs


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(histories(), loads()))
def test_a_runs_pain_never_hides_its_load(history) -> None:
    limits, checkins, runs = history
    dates = [c.date for c in checkins] + [r.date for r in runs]
    if not dates:
        return
    days = replay(PlanState(), inputs_from(checkins, runs), max(dates), limits, first=min(dates))
    by_date = {d.date: d for d in days}
    checkin_of = {c.date: c for c in checkins}
    for day in days:
        before = by_date.get(day.date - timedelta(days=1))
        if before is None or before.name != NORMAL or day.name != REST:
            continue
        todays = [r for r in runs if r.date == day.date]
        if not todays:
            continue
        # The same history through this day, with today's runs painless and no check-in today.
        calm_runs = [r for r in runs if r.date < day.date] + [
            dataclasses.replace(r, pain_during=None, pain_after=None) for r in todays]
        calm_checkins = [c for c in checkins if c.date < day.date]
        calm = replay(before.state, inputs_from(calm_checkins, calm_runs), day.date, limits)[-1]
        if calm.name != NORMAL:  # a break: today's run starts a return, judged as a session
            continue
        assert [e for e in day.events if e.kind in LOAD_EVENTS] == [
            e for e in calm.events if e.kind in LOAD_EVENTS], (day, checkin_of.get(day.date))
