"""The care plan's state machine (PURE): one runner, one local day at a time.

``step(state, inputs, settings)`` takes the plan as it stood at the end of the previous day
and that day's check-in and runs, and returns the :class:`PlanDay`: the new state, the
events (transitions and their reasons, for the history a therapist reads), notes for the
day's advice, and the verdict. ``replay`` steps through a span of days, empty days
included. Nothing here touches a clock, a database or Flask.

States
======

``normal``  Running within the week's cap. The cap of a calendar week (Monday–Sunday, the
            runner's zone) is ``baseline × (1 + limit)``, where the *baseline* is the last
            clean week: a complete week spent in ``normal`` whose distance stayed within its
            cap. A week that breaks the cap never becomes the baseline, so the cap holds
            after a jump; rest and return weeks never become it either, so after a break
            the cap comes from the last clean week before it. With no baseline yet the
            conservative starting cap applies (``load.weekly.STARTING_CAP_M``).
``rest``    Entered when any pain of the day is above the runner's limit (check-in pain,
            pain during or after a run, pain after yesterday's run carried into a day with
            no check-in), on swelling, or on a red flag (fever with pain or swelling, a knee
            that locks, gives way or will not straighten). Its length follows the severity
            (:func:`rest_length`); a new, longer reason restarts it. It ends only when the
            days are over AND the runner has reported pain at or under the limit, without
            swelling or a red flag, for 48 hours: two daily check-ins in a row (each covers
            the worst pain of its 24 hours). 48 h is the cautious end of the 24–48 h range:
            the soreness rules' "two days" and the pain-monitoring model's "settled by the
            next morning" (Silbernagel et al., AJSM 2007) both pass then.
``return``  A graded return (``plan.phases``): entered when a rest ends, after 14 days
            without a run, or when the runner flags a comeback (illness, pregnancy,
            injury). Sessions on non-consecutive days; a session counts when it stayed
            within the phase's distance, pain stayed at or under 2/10 during and after, and
            the next check-in shows the knee no worse that morning; two counted sessions
            move up a phase; a broken one drops a phase. After the last phase: ``normal``,
            with the cap from the baseline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from strideguard.guidance.advice import Reason
from strideguard.guidance.snapshot import (
    CheckinSnap,
    Pain,
    RunnerSettings,
    RunSnap,
    pains_of_day,
    worst_pain_after,
)
from strideguard.load.weekly import (
    STARTING_CAP_M,
    exceeds,
    over_cap,
    pct_change,
    speed_pct_change,
    week_start,
    weekly_cap_m,
)
from strideguard.plan import phases

NORMAL, REST, RETURN = "normal", "rest", "return"
STATES = (NORMAL, REST, RETURN)
#: Days without a run after which the next running starts with the graded return.
BREAK_DAYS = 14
#: Daily check-ins in a row, at or under the limit, that end a rest (48 hours).
REST_CLEAN_CHECKINS = 2
#: The check-in answer with which a runner flags a comeback after a break.
BREAK_ANSWER = "core.back_from_break"
VERDICTS = ("ok", "caution", "stop")
_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class DayInput:
    """What the runner recorded on one local date."""

    day: date
    checkin: CheckinSnap | None = None
    runs: tuple[RunSnap, ...] = ()


@dataclass(frozen=True, slots=True)
class PlanEvent:
    """A transition (or a change within a state) and the number that caused it.

    ``kind``: rest_started, rest_extended, return_started, phase_up, phase_down,
    return_completed, over_cap, speed_over.
    """

    day: date
    from_state: str
    to_state: str
    kind: str
    reason: Reason
    detail: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, slots=True)
class PlanState:
    """The plan at the end of a day: everything the next day's step needs, and no more."""

    state: str = NORMAL
    since: date | None = None  # first day of the current state
    # rest
    rest_days: int = 0
    cause: Reason | None = None  # what started the current rest or return
    clean_streak: int = 0  # daily check-ins in a row at or under the limit, no red flag
    last_clean: date | None = None
    # return
    phase: int = 0
    phase_sessions: int = 0  # counted sessions in the current phase
    pending: date | None = None  # a session waiting for the next check-in
    pending_ref: int | None = None  # morning pain before that session
    last_session: date | None = None
    # carried into the next day
    carry_pain: int | None = None  # worst pain_after of this day's runs
    last_morning: int | None = None  # the latest morning pain reported
    last_run: date | None = None
    # this calendar week
    week: date | None = None  # its Monday
    week_m: float = 0.0
    week_s: float = 0.0
    week_runs: int = 0
    week_normal: bool = True  # every day so far in ``normal``
    week_over: bool = False  # went over its cap
    week_fast: bool = False  # average speed went over its limit
    # baselines (the last clean week)
    baseline_m: float | None = None
    baseline_week: date | None = None
    speed_m: float | None = None  # distance and time of the speed reference week
    speed_s: float | None = None
    speed_week: date | None = None
    day: date | None = None  # the last day stepped


@dataclass(frozen=True, slots=True)
class PlanDay:
    """One day of the plan: the state after the day, its events and notes, and the verdict.

    ``notes`` name what today's advice should say about the day's runs: ``run_during_rest``,
    ``session_logged`` (waiting for tomorrow's check-in), ``session_counted``,
    ``session_broken``, ``session_too_long``, ``back_to_back``, ``session_unconfirmed``.
    """

    date: date
    state: PlanState
    cap_m: int  # the most this calendar week may hold (0 in rest; the session in return)
    week_cap_m: int  # the normal weekly cap from the baseline (or the starting cap)
    distance_pct: Decimal | None  # this week against the baseline, as shown
    speed_pct: Decimal | None  # this week's average speed against the reference week
    verdict: str
    pains: tuple[Pain, ...] = ()
    events: tuple[PlanEvent, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.state.state

    @property
    def day_number(self) -> int:
        """Day N of the current state (1 on the day it began)."""
        since = self.state.since or self.date
        return (self.date - since).days + 1

    @property
    def of_days(self) -> int | None:
        """Planned length of a rest in days; ``None`` outside rest."""
        return self.state.rest_days if self.state.state == REST else None

    @property
    def session(self) -> phases.Phase | None:
        """The return phase in force (``None`` outside return)."""
        return phases.phase(self.state.phase) if self.state.state == RETURN else None

    @property
    def session_day(self) -> bool:
        """True when a return session may be run today (not the day after one)."""
        last = self.state.last_session
        return self.state.state == RETURN and (last is None or last < self.date - timedelta(days=1)
                                               or last == self.date)


_STATE_NAMES = tuple(f.name for f in fields(PlanState))
_set = object.__setattr__


def _with(old: PlanState, /, **changes: Any) -> PlanState:
    """``dataclasses.replace`` for the frozen :class:`PlanState`, without re-running
    ``__init__`` over its 30-odd fields (the plan steps every day of every runner's week)."""
    new = object.__new__(PlanState)
    for name in _STATE_NAMES:
        _set(new, name, changes[name] if name in changes else getattr(old, name))
    return new


def rest_length(worst_over: int | None, *, swelling: bool, fever: bool, mechanical: bool) -> int:
    """Days of rest by severity (the seed: a few days to a week).

    Pain above the limit: 4–5/10 → 2 days, 6–7/10 → 3 days, 8/10 or more → 7 days;
    swelling → at least 2 days; a knee that locks, gives way or will not straighten, or a
    fever with a painful or swollen knee → at least 3 days.
    """
    days = 0
    if worst_over is not None:
        days = 2 if worst_over <= 5 else 3 if worst_over <= 7 else 7
    if swelling:
        days = max(days, 2)
    if mechanical or fever:
        days = max(days, 3)
    return days


def _red_flags(checkin: CheckinSnap | None, pains: tuple[Pain, ...]) -> tuple[bool, bool, bool]:
    """(swelling, fever with pain or swelling, mechanical) for a day."""
    if checkin is None:
        return False, False, False
    swelling = checkin.swelling
    fever = checkin.fever and (swelling or any(p.value > 0 for p in pains))
    mechanical = checkin.locking_or_giving_way or checkin.hard_to_straighten
    return swelling, fever, mechanical


def _trigger(
    checkin: CheckinSnap | None, pains: tuple[Pain, ...], threshold: int
) -> tuple[Reason | None, int]:
    """What sends the runner to rest today (most urgent first) and the rest's length."""
    swelling, fever, mechanical = _red_flags(checkin, pains)
    over = [p for p in pains if p.value > threshold]
    worst = max(over, key=lambda p: p.value) if over else None
    days = rest_length(worst.value if worst else None, swelling=swelling, fever=fever, mechanical=mechanical)
    if fever:
        return Reason("fever", True, None), days
    if mechanical:
        metric = "locking_or_giving_way" if checkin and checkin.locking_or_giving_way else "hard_to_straighten"
        return Reason(metric, True, None), days
    if worst is not None:
        return Reason(worst.field, worst.value, threshold), days
    if swelling:
        return Reason("swelling", True, None), days
    return None, 0


def week_cap(state: PlanState, settings: RunnerSettings) -> int:
    """The normal cap of the state's week: from the baseline, or the starting cap."""
    if state.baseline_m:
        return weekly_cap_m(state.baseline_m, settings.weekly_increase_pct, settings.units)
    return STARTING_CAP_M


def clean_week(s: PlanState) -> bool:
    """True when the state's week (so far) was spent in ``normal`` within its cap, with runs:
    such a week becomes the baseline when it ends."""
    return s.week_normal and s.week_runs > 0 and not s.week_over and s.week_m > 0


def next_week_cap(day: PlanDay, settings: RunnerSettings) -> int | None:
    """The cap next week will have if this week ends as it stands (``None`` outside normal)."""
    if day.name != NORMAL:
        return None
    s = day.state
    if clean_week(s):
        return weekly_cap_m(s.week_m, settings.weekly_increase_pct, settings.units)
    return week_cap(s, settings)


def _close_week(s: PlanState, monday: date) -> PlanState:
    """Roll the week over on its Monday; a clean week becomes the baseline."""
    if s.week is None or s.week == monday:
        return s if s.week is not None else _with(s, week=monday)
    changes: dict[str, Any] = {}
    if clean_week(s):
        changes.update(baseline_m=s.week_m, baseline_week=s.week)
    if s.week_normal and s.week_runs and not s.week_fast and s.week_s > 0:
        changes.update(speed_m=s.week_m, speed_s=s.week_s, speed_week=s.week)
    return _with(
        s, week=monday, week_m=0.0, week_s=0.0, week_runs=0, week_normal=True,
        week_over=False, week_fast=False, **changes,
    )


def _enter_rest(s: PlanState, day: date, cause: Reason, days: int) -> PlanState:
    return _with(
        s, state=REST, since=day, rest_days=days, cause=cause, clean_streak=0, last_clean=None,
        phase=0, phase_sessions=0, pending=None, pending_ref=None, last_session=None,
    )


def _enter_return(s: PlanState, day: date, cause: Reason) -> PlanState:
    return _with(
        s, state=RETURN, since=day, rest_days=0, cause=cause, phase=1, phase_sessions=0,
        pending=None, pending_ref=None, last_session=None,
    )


class _Day:
    """Working values of one step (kept out of the frozen state)."""

    def __init__(self, day: date) -> None:
        self.day = day
        self.events: list[PlanEvent] = []
        self.notes: list[str] = []

    def event(self, from_state: str, to_state: str, kind: str, reason: Reason, **detail: Any) -> None:
        self.events.append(PlanEvent(self.day, from_state, to_state, kind, reason, MappingProxyType(detail)))


def _phase_move(s: PlanState, work: _Day, up: bool, reason: Reason) -> PlanState:
    """Count a clean session (``up``) or drop a phase for a broken one."""
    if not up:
        lower = max(1, s.phase - 1)
        work.event(RETURN, RETURN, "phase_down", reason, phase=lower, was=s.phase)
        return _with(s, phase=lower, phase_sessions=0)
    done = s.phase_sessions + 1
    if done < phases.SESSIONS_PER_PHASE:
        return _with(s, phase_sessions=done)
    if s.phase >= phases.LAST_PHASE:
        work.event(RETURN, NORMAL, "return_completed", reason, phase=s.phase)
        return _with(
            s, state=NORMAL, since=work.day, cause=None, phase=0, phase_sessions=0,
            pending=None, pending_ref=None, last_session=None,
        )
    work.event(RETURN, RETURN, "phase_up", reason, phase=s.phase + 1, was=s.phase)
    return _with(s, phase=s.phase + 1, phase_sessions=0)


def _confirm_pending(s: PlanState, checkin: CheckinSnap, work: _Day, limit: int) -> PlanState:
    """The check-in after a session decides whether the session counts."""
    ref = s.pending_ref if s.pending_ref is not None else limit
    morning = checkin.morning_pain
    s = _with(s, pending=None, pending_ref=None)
    if checkin.pain > limit:
        work.notes.append("session_broken")
        return _phase_move(s, work, False, Reason("pain", checkin.pain, limit))
    if morning is not None and morning > ref:
        work.notes.append("session_broken")
        return _phase_move(s, work, False, Reason("morning_pain", morning, ref))
    work.notes.append("session_counted")
    return _phase_move(s, work, True, Reason("sessions_in_phase", s.phase_sessions + 1,
                                             phases.SESSIONS_PER_PHASE))


def _return_runs(s: PlanState, inp: DayInput, work: _Day, limit: int) -> PlanState:
    """Judge today's runs as a return session."""
    if s.pending is not None:  # ran again before checking in: the last session is unconfirmed
        work.notes.append("session_unconfirmed")
        s = _with(s, pending=None, pending_ref=None)
    distance = sum(r.distance_m for r in inp.runs)
    run_pains = pains_of_day(None, inp.runs)
    back_to_back = s.last_session == inp.day - timedelta(days=1)
    s = _with(s, last_session=inp.day)
    if back_to_back:
        work.notes.append("back_to_back")
        return s
    if phases.too_long(distance, s.phase):
        work.notes.append("session_too_long")
        return s
    worst = max(run_pains, key=lambda pain: pain.value, default=None)
    if worst is not None and worst.value > limit:
        work.notes.append("session_broken")
        return _phase_move(s, work, False, Reason(worst.field, worst.value, limit))
    morning_ref = inp.checkin.morning_pain if inp.checkin and inp.checkin.morning_pain is not None \
        else s.last_morning
    work.notes.append("session_logged")
    return _with(s, pending=inp.day, pending_ref=morning_ref)


def step(state: PlanState, inp: DayInput, settings: RunnerSettings) -> PlanDay:
    """Advance the plan through one local day (see the module docstring for the rules)."""
    day = inp.day
    if state.day is not None and day <= state.day:
        raise ValueError(f"step({day}) after {state.day}: days must move forward")
    work = _Day(day)
    s = _close_week(state, week_start(day))
    threshold = settings.pain_threshold
    checkin = inp.checkin if inp.checkin is not None and inp.checkin.date == day else None
    carried = state.carry_pain if state.day == day - timedelta(days=1) else None
    pains = pains_of_day(checkin, inp.runs, carried)
    before = s.state

    if inp.runs:
        s = _with(
            s, week_m=s.week_m + sum(r.distance_m for r in inp.runs),
            week_s=s.week_s + sum(r.duration_s for r in inp.runs),
            week_runs=s.week_runs + len(inp.runs),
        )
    gap = (day - s.last_run).days if s.last_run is not None else None

    cause, days = _trigger(checkin, pains, threshold)
    if cause is not None:
        if s.state == REST:
            if inp.runs:
                work.notes.append("run_during_rest")
            if s.since is None or day + timedelta(days=days) > s.since + timedelta(days=s.rest_days):
                work.event(REST, REST, "rest_extended", cause, days=days)
                s = _with(s, since=day, rest_days=days, cause=cause)
            s = _with(s, clean_streak=0, last_clean=None)
        else:
            if s.state == RETURN and inp.runs:
                work.notes.append("session_broken")
            work.event(s.state, REST, "rest_started", cause, days=days)
            s = _enter_rest(s, day, cause, days)
    elif s.state == REST:
        if inp.runs:
            work.notes.append("run_during_rest")
        if checkin is not None:
            streak = s.clean_streak + 1 if s.last_clean == day - timedelta(days=1) else 1
            s = _with(s, clean_streak=streak, last_clean=day)
        elif s.last_clean != day - timedelta(days=1):
            s = _with(s, clean_streak=0)
        days_over = s.since is not None and (day - s.since).days >= s.rest_days
        fresh = s.last_clean is not None and s.last_clean >= day - timedelta(days=1)
        if days_over and fresh and s.clean_streak >= REST_CLEAN_CHECKINS:
            reason = Reason("checkins_at_or_under_limit", s.clean_streak, REST_CLEAN_CHECKINS)
            work.event(REST, RETURN, "return_started", reason, after="rest", phase=1)
            s = _enter_return(s, day, reason)
            if inp.runs:
                s = _return_runs(s, inp, work, phases.session_pain_max(threshold))
    else:
        flagged = bool(checkin and checkin.answers.get(BREAK_ANSWER) is True)
        if s.state == NORMAL and (flagged or (gap is not None and gap >= BREAK_DAYS)):
            reason = (Reason("break_flagged", True, None) if flagged
                      else Reason("days_since_previous_run", gap, BREAK_DAYS))
            work.event(NORMAL, RETURN, "return_started", reason, after="break", phase=1)
            s = _enter_return(s, day, reason)
        if s.state == RETURN:
            limit = phases.session_pain_max(threshold)
            if s.pending is not None and checkin is not None and s.pending < day:
                s = _confirm_pending(s, checkin, work, limit)
            if inp.runs and s.state == RETURN:
                s = _return_runs(s, inp, work, limit)

    if s.state != NORMAL or before != NORMAL:
        s = _with(s, week_normal=False)

    normal_cap = week_cap(s, settings)
    distance_pct = pct_change(s.week_m, s.baseline_m) if s.baseline_m else None
    speed_pct = (
        speed_pct_change(s.week_m, s.week_s, s.speed_m, s.speed_s)
        if s.speed_m and s.speed_s and s.week_runs else None
    )
    verdict = "ok"
    if s.state == NORMAL:
        over = (exceeds(distance_pct, settings.weekly_increase_pct) if s.baseline_m
                else over_cap(s.week_m, STARTING_CAP_M, settings.units))
        if over and not s.week_over:
            if s.baseline_m:
                work.event(NORMAL, NORMAL, "over_cap", Reason("distance_pct", float(distance_pct),
                                                             settings.weekly_increase_pct),
                           week_m=round(s.week_m), baseline_m=round(s.baseline_m), cap_m=normal_cap)
            else:
                work.event(NORMAL, NORMAL, "over_cap", Reason("week_distance_m", round(s.week_m),
                                                             STARTING_CAP_M), cap_m=normal_cap)
            s = _with(s, week_over=True)
        fast = exceeds(speed_pct, settings.speed_increase_pct)
        if fast and not s.week_fast:
            work.event(NORMAL, NORMAL, "speed_over", Reason("speed_pct", float(speed_pct),
                                                           settings.speed_increase_pct))
            s = _with(s, week_fast=True)
        if over or fast:
            verdict = "caution"
    elif s.state == RETURN:
        verdict = "caution"
    else:
        verdict = "stop"

    if s.state == REST:
        cap = 0
    elif s.state == RETURN:
        cap = phases.phase(s.phase).distance_m
    else:
        cap = normal_cap

    morning = checkin.morning_pain if checkin is not None and checkin.morning_pain is not None else s.last_morning
    s = _with(
        s, day=day, carry_pain=worst_pain_after(inp.runs), last_morning=morning,
        last_run=day if inp.runs else s.last_run,
    )
    return PlanDay(
        date=day, state=s, cap_m=cap, week_cap_m=normal_cap, distance_pct=distance_pct,
        speed_pct=speed_pct, verdict=verdict, pains=pains, events=tuple(work.events),
        notes=tuple(work.notes),
    )


def replay(
    start: PlanState,
    inputs: Iterable[DayInput],
    through: date,
    settings: RunnerSettings,
    first: date | None = None,
) -> list[PlanDay]:
    """Step from the day after ``start.day`` (or ``first``) through ``through``, one day at a
    time; days without inputs are stepped too (a rest counts its days, a break its gap)."""
    by_day: dict[date, DayInput] = {}
    for item in inputs:
        by_day[item.day] = item
    day = start.day + timedelta(days=1) if start.day is not None else (
        first or min(by_day, default=through)
    )
    out: list[PlanDay] = []
    state = start
    while day <= through:
        result = step(state, by_day.get(day) or DayInput(day), settings)
        out.append(result)
        state = result.state
        day += timedelta(days=1)
    return out


def inputs_from(checkins: Iterable[CheckinSnap], runs: Iterable[RunSnap]) -> list[DayInput]:
    """Group check-ins and runs into one :class:`DayInput` per date."""
    days: dict[date, tuple[CheckinSnap | None, list[RunSnap]]] = {}
    for checkin in checkins:
        days[checkin.date] = (checkin, days.get(checkin.date, (None, []))[1])
    for run in runs:
        entry = days.setdefault(run.date, (None, []))
        entry[1].append(run)
    return [DayInput(day, ck, tuple(rs)) for day, (ck, rs) in sorted(days.items())]
