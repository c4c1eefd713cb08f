"""Properties of the care plan over random histories (hypothesis).

* No day has an advice that says run under a ``stop`` verdict (core, detectors and the real
  installed condition plugins together).
* The cap never rises in a week that followed a rule break (a week over its cap, or a week
  with rest or return days in it).
* The plan never leaves ``rest`` while the last pain is above the limit.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strideguard.guidance.advice import LOCATIONS, RUN_ACTIONS
from strideguard.guidance.builder import day_snapshot
from strideguard.guidance.engine import assess_day
from strideguard.guidance.host import create_host
from strideguard.guidance.snapshot import CheckinSnap, RunnerSettings, RunSnap
from strideguard.load.weekly import week_start
from strideguard.plan.machine import BASELINE_WEEKS, NORMAL, REST, PlanState, clean_week, inputs_from, replay

START = date(2026, 1, 5)  # a Monday
DAYS = 56


@pytest.fixture(scope="module")
def host():
    return create_host()


@st.composite
def histories(draw):
    threshold = draw(st.sampled_from([3, 3, 5]))
    checkins, runs = [], []
    for n in range(DAYS):
        day = START + timedelta(days=n)
        if draw(st.booleans()):
            pain = draw(st.integers(0, 10) if draw(st.integers(0, 5)) == 0 else st.integers(0, 3))
            checkins.append(CheckinSnap(
                date=day, pain=pain,
                morning_pain=draw(st.none() | st.integers(0, 5)),
                location=draw(st.none() | st.sampled_from(LOCATIONS)),
                swelling=draw(st.integers(0, 30)) == 0,
                fever=draw(st.integers(0, 40)) == 0,
                locking_or_giving_way=draw(st.integers(0, 40)) == 0,
            ))
        if draw(st.integers(0, 2)) == 0:
            metres = draw(st.integers(1000, 16000))
            runs.append(RunSnap(
                id=f"r{n}", date=day, distance_m=float(metres),
                duration_s=float(metres * draw(st.sampled_from([0.27, 0.3, 0.33, 0.36]))),
                pain_during=draw(st.none() | st.integers(0, 6)),
                pain_after=draw(st.none() | st.integers(0, 6)),
            ))
    return RunnerSettings(pain_threshold=threshold, conditions=("bursitis", "patellar_tendinopathy")), checkins, runs


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(histories())
def test_the_plan_keeps_its_promises(host, history) -> None:
    limits, checkins, runs = history
    last = START + timedelta(days=DAYS - 1)
    days = replay(PlanState(), inputs_from(checkins, runs), last, limits, first=START)
    by_date = {d.date: d for d in days}
    checkin_of = {c.date: c for c in checkins}

    for day in days:
        # 1. One verdict, and nothing that says run under a stop.
        previous = checkin_of.get(day.date - timedelta(days=1))
        snap = day_snapshot(day.date, checkin=checkin_of.get(day.date), previous_checkin=previous,
                            runs=runs, settings=limits, plan=day)
        guidance = assess_day(snap, host)
        if guidance.status == "stop":
            said_run = [a.id for a in guidance.advice if a.action in RUN_ACTIONS]
            assert not said_run, (day.date, said_run)
        if day.name == REST:
            assert guidance.status == "stop"

        # 3. Rest is left only with the last pain within the session ceiling, and never while
        #    a knee that locked or would not straighten waits for an assessment.
        before = by_date.get(day.date - timedelta(days=1))
        ceiling = min(2, limits.pain_threshold)
        if before is not None and before.name == REST and day.name != REST:
            assert all(p.value <= ceiling for p in day.pains if p.field == "pain"), day
            assert all(p.value <= ceiling for p in before.pains if p.field == "pain"), before
            checkin = checkin_of.get(day.date) or checkin_of.get(day.date - timedelta(days=1))
            assert checkin is not None and checkin.pain <= ceiling
            assert not before.state.hold

    # 2. After a week that broke the rule, the next week's cap is no higher — unless the
    #    baseline had not moved for BASELINE_WEEKS and that week had no pain above the limit
    #    (a load held pain-free for a month enters the baseline; never in a ramp).
    sundays = [d for d in days if d.date.weekday() == 6]
    for sunday in sundays:
        monday = by_date.get(sunday.date + timedelta(days=1))
        if monday is None:
            continue
        s = sunday.state
        outgrown = (s.week_over and not s.week_pain and s.week_normal and s.ramp_m is None
                    and s.baseline_week is not None and (s.week - s.baseline_week).days >= 7 * BASELINE_WEEKS)
        if not clean_week(s) and not outgrown:
            assert monday.week_cap_m <= sunday.week_cap_m, (sunday.date, s)
        if s.week_over and not outgrown:
            assert monday.state.baseline_m == s.baseline_m
        if outgrown:
            assert monday.state.baseline_week == s.week and monday.state.baseline_m >= s.week_m - 0.05


def test_the_generator_reaches_every_state(host) -> None:
    """The property above is only as good as the histories: make sure they visit rest,
    return and a week over its cap (a fixed example of each)."""
    limits = RunnerSettings()
    checkins = [CheckinSnap(START + timedelta(days=8), pain=6)] + [
        CheckinSnap(START + timedelta(days=n), pain=1) for n in (9, 10, 11)]
    runs = [RunSnap(f"r{n}", START + timedelta(days=n), 9000.0, 2700.0) for n in (0, 2, 4)]
    days = replay(PlanState(), inputs_from(checkins, runs), START + timedelta(days=20), limits, first=START)
    names = {d.name for d in days}
    assert {NORMAL, REST, "return"} <= names
    assert any(d.state.week_over_start for d in days)  # 27 km, no history: over the starting cap
    assert week_start(days[0].date) == START
    # ... which still became the baseline; 40 km the week after is over a cap of the runner's own.
    jump = runs + [RunSnap(f"j{n}", START + timedelta(days=n), 13000.0, 3900.0) for n in (7, 9, 11)]
    days = replay(PlanState(), inputs_from([], jump), START + timedelta(days=13), limits, first=START)
    assert days[7].state.baseline_m == 27000 and any(d.state.week_over for d in days)
