"""Pure tables for issue 21: the baseline from 1–8 weeks of history, the post-return ramp
week by week, exact boundaries in km and miles, and ONE red-flag table checked against every
layer that uses it (the plan's rest cause, the rules' advice, the dashboard's urgency, the
therapist alert planner and the push text).
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta, timezone

import pytest

from strideguard.accounts.limits import own_settings
from strideguard.clinic.rules import ALERT, URGENT, PatientDay, PatientFacts, alert_contexts, urgency
from strideguard.day import redflags
from strideguard.day.values import CLINIC_INCREASE_PCT, CLINIC_PAIN_THRESHOLD, CheckinSnap, RunnerSettings, RunSnap
from strideguard.guidance.builder import day_snapshot
from strideguard.guidance.engine import assess_day
from strideguard.load.weekly import METRES_PER_MILE, STARTING_CAP_M, weekly_cap_m
from strideguard.plan.machine import REST, DayInput, PlanState, inputs_from, replay
from strideguard.push.payload import build_payload

MONDAY = date(2026, 3, 2)
_ids = itertools.count()


def d(n: int) -> date:
    return MONDAY + timedelta(days=n)


def week_runs(km_per_week, per_week: int = 3, pain_in: dict[int, int] | None = None) -> list[RunSnap]:
    out = []
    for w, km in enumerate(km_per_week):
        for k in range(per_week):
            pain = (pain_in or {}).get(w) if k == 0 else None
            out.append(RunSnap(f"r{next(_ids)}", d(7 * w + 2 * k), km * 1000 / per_week, km * 330 / per_week,
                               pain_during=pain))
    return out


def monday_after(km_per_week, settings=RunnerSettings(), pain_in=None):
    """The plan on the Monday after the given weeks."""
    weeks = len(km_per_week)
    days = replay(PlanState(), inputs_from([], week_runs(km_per_week, pain_in=pain_in)), d(7 * weeks),
                  settings, first=d(0))
    return days[-1]


# --- the baseline: the latest clean week, or the mean of the last four when larger ------------------------------------


@pytest.mark.parametrize(("weeks", "baseline", "cap"), [
    ([30], 30000, 33000),                                  # one week of history is enough
    ([30, 30], 30000, 33000),
    ([30, 30, 30, 30], 30000, 33000),                       # steady: the regular runner
    ([30] * 8, 30000, 33000),                               # eight weeks: the same
    ([20, 22, 24, 26], 26000, 28600),                       # rising within +10 % a week: never told off
    ([20, 22, 24, 26, 28, 30, 32, 34], 34000, 37400),       # eight rising weeks
    ([30, 30, 30, 10], 25000, 27500),                       # a light week: the mean of four, not 10 km + 10 %
    ([20, 20, 20, 40], 20000, 22000),                       # a jump (+100 %) never enters it
    ([20, 20, 20, 40, 20], 20000, 22000),
    ([10, 40], 10000, 11000),                               # 40 after 10 broke the runner's own cap
    ([40, 45], 40000, 44000),                               # 45 after 40 (+12.5 %) too
])
def test_the_baseline_is_the_latest_clean_week_or_the_mean_of_four_if_larger(weeks, baseline, cap) -> None:
    monday = monday_after(weeks)
    assert monday.state.baseline_m == pytest.approx(baseline)
    assert monday.week_cap_m == cap


def test_a_painful_week_never_enters_the_baseline() -> None:
    painful = monday_after([30, 30, 33], pain_in={2: 5})
    assert painful.state.baseline_m == 30000
    clean = monday_after([30, 30, 33])
    assert clean.state.baseline_m == 33000


def test_without_history_the_starting_cap_is_a_caution_not_a_gate() -> None:
    days = replay(PlanState(), inputs_from([], week_runs([40])), d(6), RunnerSettings(), first=d(0))
    assert days[2].verdict == "caution" and days[2].week_cap_m == STARTING_CAP_M
    assert [e.kind for day in days for e in day.events].count("over_cap") == 1  # said once a week
    assert monday_after([40]).state.baseline_m == 40000


# --- exact boundaries in km and miles --------------------------------------------------------


@pytest.mark.parametrize(("units", "base_m", "week_m", "fires"), [
    ("km", 30000, 33000, False),     # exactly +10.0 %
    ("km", 30000, 33049, False),     # shown as 33.0 km: +10.0 % as the runner reads it
    ("km", 30000, 33050, True),      # shown as 33.1 km: +10.3 %
    ("mi", 10 * METRES_PER_MILE, round(11 * METRES_PER_MILE), False),
    ("mi", 10 * METRES_PER_MILE, round(11.04 * METRES_PER_MILE), False),  # 11.0 mi shown
    ("mi", 10 * METRES_PER_MILE, round(11.06 * METRES_PER_MILE), True),   # 11.1 mi shown: +11.0 %
])
def test_the_boundary_is_exact_against_a_mean_baseline(units, base_m, week_m, fires) -> None:
    settings = RunnerSettings(units=units)
    per_week = [base_m / 1000] * 4
    runs = week_runs(per_week) + [RunSnap("x", d(28), week_m, week_m * 0.33)]
    days = replay(PlanState(), inputs_from([], runs), d(28), settings, first=d(0))
    assert days[-1].state.baseline_m == pytest.approx(base_m, abs=0.1)
    assert ("over_cap" in [e.kind for e in days[-1].events]) is fires


# --- the ramp after a return, week by week -------------------------------------------------------


def test_the_ramp_week_by_week_from_the_return_to_the_baseline() -> None:
    start = PlanState(baseline_m=20000.0, clean_weeks=((d(-14), 20000.0), (d(-7), 20000.0)),
                      baseline_week=d(-7), ramp_m=9657.0, week=d(-7), day=d(-1))
    caps, ramp = [], 9657.0
    while ramp < 20000:
        caps.append(weekly_cap_m(ramp, 10, "km"))
        ramp = caps[-1]
    runs = [RunSnap(f"w{w}{k}", d(7 * w + 2 * k), cap / 3, cap / 10) for w, cap in enumerate(caps) for k in range(3)]
    days = {p.date: p for p in replay(start, inputs_from([], runs), d(7 * len(caps)), RunnerSettings())}
    assert [days[d(7 * w)].week_cap_m for w in range(len(caps))] == caps
    assert caps[0] == 10600 and caps[-1] >= 20000 * 1.0
    assert days[d(7 * len(caps))].state.ramp_m is None  # met the baseline: the ramp is over
    # A ramp week over its cap never moves the ramp.
    over = [RunSnap("o", d(0), 12000, 4000)]
    days = replay(start, inputs_from([], over), d(7), RunnerSettings())
    assert days[-1].state.ramp_m == 9657 and days[-1].week_cap_m == 10600


# --- the clinic's lines -------------------------------------------------------------------------


class _Profile:
    def __init__(self, pain: int, pct: float) -> None:
        self.pain_threshold, self.weekly_increase_pct = pain, pct
        self.conditions, self.units = [], "km"


@pytest.mark.parametrize(("pain", "pct"), [(9, 100.0), (4, 10.1), (3, 10.0), (2, 5.0), (0, 0.0)])
def test_a_runners_own_limits_never_loosen_past_the_clinics(pain: int, pct: float) -> None:
    settings = own_settings(_Profile(pain, pct))
    assert settings.pain_threshold == min(pain, CLINIC_PAIN_THRESHOLD)
    assert settings.weekly_increase_pct == min(pct, CLINIC_INCREASE_PCT)


# --- ONE red-flag table -------------------------------------------------------------------------

D = date(2026, 3, 4)
NOW = datetime(2026, 3, 4, 9, 0, tzinfo=timezone.utc)
CASES = [
    # (check-in, the flag found)
    (CheckinSnap(D, 0, fever=True), redflags.FEVER),
    (CheckinSnap(D, 2, fever=True), redflags.FEVER_KNEE),
    (CheckinSnap(D, 0, fever=True, swelling=True), redflags.FEVER_KNEE),
    (CheckinSnap(D, 0, swelling=True), redflags.SWELLING),
    (CheckinSnap(D, 1, locking_or_giving_way=True), redflags.LOCKING),
    (CheckinSnap(D, 1, hard_to_straighten=True), redflags.STRAIGHTEN),
]


@pytest.mark.parametrize(("checkin", "flag"), CASES, ids=[f.id for _, f in CASES])
def test_every_layer_reads_a_red_flag_from_the_one_table(checkin: CheckinSnap, flag: redflags.RedFlag) -> None:
    pains = ()
    found = redflags.found(checkin, [p for p in _pains(checkin)])
    assert flag in found and found[0] is flag
    # The plan: rest (with the table's least days) or a stop for the day; a hold where it holds.
    day = replay(PlanState(), [DayInput(D, checkin)], D, RunnerSettings(), first=D)[-1]
    assert day.verdict == "stop"
    if flag.rest_days:
        assert day.name == REST and day.state.rest_days >= flag.rest_days
        assert day.state.hold is flag.holds
        assert day.state.cause.metric in (flag.id, "fever")
    else:
        assert day.name != REST and "fever_day" in day.notes
    # The rules: the table's advice, action and title.
    guidance = assess_day(day_snapshot(D, checkin=checkin, plan=day))
    advice = {a.id: a for a in guidance.advice}
    if flag is redflags.SWELLING:
        assert redflags.SWELLING.cause in advice["core.rest_day"].message  # folded into the verdict card
    else:
        got = advice[flag.advice_id]
        assert (got.action, got.severity, got.title) == (flag.action, flag.severity, flag.title)
    assert guidance.status == "stop"
    # The dashboard: an urgent flag is a red flag; a fever alone ranks with pain.
    facts = PatientFacts(patient_id=1, name="A", today=D, settings=RunnerSettings(),
                         recent_flags=((D, flag.id),))
    reasons = urgency(facts).reasons
    assert reasons[0]["kind"] == ("red_flag" if flag.urgent else "flag") and reasons[0]["text"] == flag.therapist
    # The therapist's alerts: urgent flags are patient_urgent, the rest patient_alert.
    contexts = alert_contexts(PatientDay(1, "A", D, 3, pains=tuple(_pains(checkin)), flags=(flag,),
                                         plan_events=day.events, plan_state=day.name))
    assert (URGENT in contexts) is flag.urgent
    if not flag.urgent:
        assert ALERT in contexts and contexts[ALERT]["flags"] == [flag.id]
    # The push a therapist reads names the flag in the table's words.
    if flag.urgent:
        body = build_payload(URGENT, "detailed", {"patient_id": 1, "patient": "A", "flags": [flag.id]})["body"]
        assert flag.therapist in body
    del pains


def _pains(checkin: CheckinSnap):
    from strideguard.day.values import pains_of_day

    return pains_of_day(checkin, ())


def test_the_table_is_one_of_each_and_most_urgent_first() -> None:
    assert len({f.id for f in redflags.TABLE}) == len(redflags.TABLE)
    assert redflags.TABLE[0] is redflags.FEVER_KNEE
    assert set(redflags.FIELDS) == {"fever", "swelling", "locking_or_giving_way", "hard_to_straighten"}
    assert all(f.holds == (f.field in ("locking_or_giving_way", "hard_to_straighten")) for f in redflags.TABLE)
