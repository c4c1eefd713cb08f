"""The care plan's state machine (PURE): one runner, one local day at a time.

``step(state, inputs, settings)`` takes the plan as it stood at the end of the previous day
and that day's check-in and runs, and returns the :class:`PlanDay`: the new state, the
events (transitions and their reasons, for the history a therapist reads), notes for the
day's advice, and the verdict. ``replay`` steps through a span of days, empty days
included. Nothing here touches a clock, a database or Flask.

States
======

``normal``  Running within the week's cap. The cap of a calendar week (Monday–Sunday, the
            runner's zone) is ``baseline × (1 + limit)``. The *baseline* is the runner's
            own tolerated load, learned from their *clean* weeks — complete calendar weeks
            spent in ``normal``, with runs, no pain above the limit, and within a cap that
            came from their own history: the larger of the latest clean week and the mean of
            the last ``BASELINE_WEEKS`` (4) clean weeks. The latest week is the seed's rule
            (no more than 10% on last week), so a runner who grows 10% a week is never told
            off; the 4-week mean is the chronic load of the workload literature (Gabbett,
            BJSM 2016; Hulin et al., BJSM 2016), so one light week (a holiday, a cold) does not
            drop the cap to a tenth more than that week. A week that broke a cap derived
            from the runner's own history never enters it, so the cap holds after a jump —
            for ``BASELINE_WEEKS``: once the baseline is that old, a week over it without
            pain above the limit enters it (a load held pain-free for a month is tolerated,
            and a cap the runner has outgrown for good only teaches them to ignore it).
            Rest and return weeks never enter it, nor does the first week the plan sees
            when it starts after that week's Monday (the runner's first entries, an import's
            first day): only part of it is known. With no clean week yet the
            conservative starting cap (``load.weekly.STARTING_CAP_M``) applies as a caution
            only: a week over it still counts as clean, so steady history (logged or
            imported) becomes the baseline however far above the starting cap it is.
            After a graded return the weeks *ramp*: the cap grows from the return's own
            volume (``ramp_m``: the most run in one calendar week of the return's end, at
            least two last-phase sessions) by the weekly limit, one clean week at a time,
            until it meets the pre-injury baseline; only then do clean weeks enter the
            baseline again.
``rest``    Entered when any pain of the day is above the runner's limit (check-in pain,
            pain during or after a run, pain after yesterday's run carried into a day with
            no check-in), or on a red flag that rests (``day.redflags``: fever with a
            painful or swollen knee, swelling, a knee that locks, gives way or will not
            straighten). Its length follows the severity (:func:`rest_length`); a new,
            longer reason extends it (the start date stays). It ends only when the days are
            over AND the runner has reported pain within the return's session ceiling (2/10,
            or their limit if lower), with no red flag and no run, for 48 hours: two daily
            check-ins in a row (each covers the worst pain of its 24 hours). 48 h is the
            cautious end of the 24–48 h range: the soreness rules' "two days" and the
            pain-monitoring model's "settled by the next morning" (Silbernagel et al., AJSM
            2007) both pass then. A red flag that ``holds`` (locking, giving way, a knee that
            will not straighten) keeps the rest until the knee has been assessed: a linked
            therapist records it, or the runner confirms it in a check-in
            (``ASSESSED_ANSWER``); either is an ``assessed`` event with who. A therapist's
            assessment dated the day of the flag counts (the usual answer to an urgent
            alert: seen that afternoon); the runner's own confirmation in the check-in
            that reports the flag does not.
``return``  A graded return (``plan.phases``): entered when a rest ends, after 14 days
            without a run, or when the runner flags a comeback (illness, pregnancy,
            injury). Sessions on non-consecutive days; a session counts when it stayed
            within the phase's distance, pain stayed at or under the session ceiling during
            and after, and the check-in of the next day shows the knee no worse (its morning
            pain, or its pain when the morning field is empty, against the morning before
            the session); two counted sessions move up a phase; a broken one drops a phase
            and is followed by two easy days. A session whose next day passes without a
            check-in (or with another run before it) does not count: a
            ``session_unconfirmed`` event, and the days after it say that a session needs
            the next morning's check-in; a check-in days later says nothing about that
            session's morning after. ``BREAK_DAYS`` without a run in a return that had made
            progress (a phase above the first, or a counted session) restart it at phase 1
            (``return_restarted``): the same break that starts a return from ``normal``.
            No session is offered on a day whose check-in pain is above the ceiling or that
            has a fever. After the last phase: ``normal``, with the ramp.

Every flare (a rest started) within ``RECURRENCE_DAYS`` of the one before is a
``recurrence`` event: the knee did not hold up through one full comeback.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from strideguard.day import redflags
from strideguard.day.reason import Reason
from strideguard.day.redflags import ASSESSED_ANSWER, RedFlag
from strideguard.day.values import (
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
    shown_pct_change,
    speed_pct_change,
    week_start,
    weekly_cap_m,
)
from strideguard.plan import phases
from strideguard.rehab.adherence import Rehab

NORMAL, REST, RETURN = "normal", "rest", "return"
STATES = (NORMAL, REST, RETURN)
#: Days without a run after which the next running starts with the graded return.
BREAK_DAYS = 14
#: Daily check-ins in a row, within the session ceiling, that end a rest (48 hours).
REST_CLEAN_CHECKINS = 2
#: Clean weeks whose mean distance is the baseline (the chronic load's four weeks).
BASELINE_WEEKS = 4
#: A flare this many days or fewer after the previous one is a recurrence: six weeks cover a
#: rest plus a full graded return (six phases, each twice, every other day: about 24 days)
#: with room for the ramp's first week — a flare inside it means the knee did not hold up
#: through one comeback, the moment the seed asks for a running-form assessment.
RECURRENCE_DAYS = 42
#: Easy days (no session) after a session the knee did not take well (the soreness rules).
EASY_DAYS = 2
#: The check-in answer with which a runner flags a comeback after a break.
BREAK_ANSWER = "core.back_from_break"
#: The check-in answer to "how is the knee after yesterday's exercises": better, same, worse.
EXERCISE_ANSWER = "core.knee_after_exercise"
#: Its answers ("worse" counts like a worse morning after a return session).
EXERCISE_OPTIONS = ("better", "same", "worse")
VERDICTS = ("ok", "caution", "stop")
_EMPTY: Mapping[str, Any] = MappingProxyType({})
_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class DayInput:
    """What was recorded about one local date: the runner's check-in and runs, and the names
    of the therapists who recorded an assessment of the knee that day (``assessed``)."""

    day: date
    checkin: CheckinSnap | None = None
    runs: tuple[RunSnap, ...] = ()
    assessed: tuple[str, ...] = ()
    #: An exercise session was logged the day before (the check-in's answer about the knee
    #: after it counts like the morning after a run session).
    exercised_before: bool = False
    #: The runner's exercise programme and logged exercises (``rehab.adherence.Rehab``), when
    #: it sets a minimum adherence for the return: below it, the return does not move up.
    rehab: Rehab | None = None


@dataclass(frozen=True, slots=True)
class PlanEvent:
    """A transition (or a change within a state) and the number that caused it.

    ``kind``: rest_started, rest_extended, return_started, phase_up, phase_down,
    return_completed, ramp_completed, over_cap, speed_over, ran_during_rest,
    session_too_long, session_early, recurrence, assessed, phase_held (the session counted,
    but the exercise programme's minimum adherence is not met), session_unconfirmed (no
    check-in the day after a session: it does not count), return_restarted (``BREAK_DAYS``
    without a run during a return: back to phase 1).

    ``over_cap`` and ``speed_over`` are also recorded on a day that began in ``normal`` and
    ends in ``rest``: the run that broke the cap is the one whose pain started the rest.
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
    rest_days: int = 0  # planned length, counted from ``since``
    cause: Reason | None = None  # what started the current rest or return
    clean_streak: int = 0  # daily check-ins in a row within the session ceiling, no red flag
    last_clean: date | None = None
    # return
    phase: int = 0
    phase_sessions: int = 0  # counted sessions in the current phase
    # The latest session not judged yet: waiting for the check-in of the day after it; once
    # that day has passed without one, lapsed (it does not count) until the next run.
    pending: date | None = None
    pending_ref: int | None = None  # the knee before that session (morning pain, or pain)
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
    week_over: bool = False  # went over a cap from the runner's own history
    week_fast: bool = False  # average speed went over its limit
    # baselines
    baseline_m: float | None = None  # max(latest clean week, mean of ``clean_weeks``)
    baseline_week: date | None = None  # the latest clean week
    speed_m: float | None = None  # distance and time of the speed reference week
    speed_s: float | None = None
    speed_week: date | None = None
    clean_weeks: tuple[tuple[date, float], ...] = ()  # (Monday, metres), oldest first
    ramp_m: float | None = None  # after a return: what the ramp's cap grows from
    prev_week_m: float = 0.0  # the calendar week before this one
    week_pain: bool = False  # a pain above the limit this week
    week_over_start: bool = False  # over the starting cap (no history yet: a caution only)
    hold: bool = False  # the rest holds until the knee has been assessed
    last_flare: date | None = None  # the latest rest started
    flare_count: int = 0  # flares in a row, each within RECURRENCE_DAYS of the one before
    easy_until: date | None = None  # no return session through this date
    day: date | None = None  # the last day stepped


@dataclass(frozen=True, slots=True)
class PlanDay:
    """One day of the plan: the state after the day, its events and notes, and the verdict.

    ``notes`` name what today's advice should say about the day: ``run_during_rest``,
    ``session_logged`` (waiting for tomorrow's check-in), ``session_counted``,
    ``session_broken``, ``session_too_long``, ``back_to_back``, ``session_unconfirmed`` (the
    last session will not count: no check-in the day after it, or a run before that check-in),
    ``easy_day_run``, ``no_session_today`` (a fever, or pain above the session ceiling),
    ``fever_day`` (a fever alone: a stop for the day), ``awaiting_assessment``.
    """

    date: date
    state: PlanState
    cap_m: int  # the most this calendar week may hold (0 in rest; the session in return)
    week_cap_m: int  # the normal weekly cap (ramp, baseline, or the starting cap)
    distance_pct: Decimal | None  # this week against the ramp or baseline, as shown
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
        """True when a return session may be run today: not the day after one, not in the
        easy days after a broken one, not with a fever or pain above the session ceiling."""
        s = self.state
        if s.state != RETURN:
            return False
        if s.last_session == self.date:
            return True
        if s.last_session is not None and s.last_session >= self.date - _DAY:
            return False
        if s.easy_until is not None and self.date <= s.easy_until:
            return False
        return "no_session_today" not in self.notes

    @property
    def checkin_due(self) -> bool:
        """Yesterday's session waits for today's check-in: without one it will not count."""
        s = self.state
        return s.state == RETURN and s.pending is not None and s.pending == self.date - _DAY

    @property
    def unconfirmed_session(self) -> date | None:
        """The latest session that did not count for want of the next day's check-in (until
        the next run); ``None`` when there is none."""
        s = self.state
        if s.state == RETURN and s.pending is not None and _lapsed(s.pending, self.date):
            return s.pending
        return None

    @property
    def next_session(self) -> date | None:
        """The first day from tomorrow a session may be run (``None`` outside return)."""
        s = self.state
        if s.state != RETURN:
            return None
        first = self.date + _DAY
        if s.last_session is not None:
            first = max(first, s.last_session + 2 * _DAY)
        if s.easy_until is not None:
            first = max(first, s.easy_until + _DAY)
        return first

    @property
    def reference_m(self) -> float | None:
        """What this week's distance is compared with: the ramp, else the baseline."""
        return self.state.ramp_m or self.state.baseline_m


_STATE_NAMES = tuple(f.name for f in fields(PlanState))
_set = object.__setattr__


def _with(old: PlanState, /, **changes: Any) -> PlanState:
    """``dataclasses.replace`` for the frozen :class:`PlanState`, without re-running
    ``__init__`` over its 40-odd fields (the plan steps every day of every runner's week)."""
    new = object.__new__(PlanState)
    for name in _STATE_NAMES:
        _set(new, name, changes[name] if name in changes else getattr(old, name))
    return new


def _lapsed(session: date, day: date) -> bool:
    """The day after ``session`` is over by ``day``: its check-in can no longer confirm it."""
    return session < day - _DAY


def rest_length(worst_over: int | None, *, swelling: bool, fever: bool, mechanical: bool) -> int:
    """Days of rest by severity (the seed: a few days to a week).

    Pain above the limit: 4–5/10 → 2 days, 6–7/10 → 3 days, 8/10 or more → 7 days;
    swelling → at least 2 days; a knee that locks, gives way or will not straighten, or a
    fever with a painful or swollen knee → at least 3 days (``day.redflags``' rest days).
    """
    days = 0
    if worst_over is not None:
        days = 2 if worst_over <= 5 else 3 if worst_over <= 7 else 7
    if swelling:
        days = max(days, redflags.SWELLING.rest_days)
    if mechanical:
        days = max(days, redflags.LOCKING.rest_days)
    if fever:
        days = max(days, redflags.FEVER_KNEE.rest_days)
    return days


def _trigger(flags: tuple[RedFlag, ...], pains: tuple[Pain, ...], threshold: int
             ) -> tuple[Reason | None, int]:
    """What sends the runner to rest today (most urgent first) and the rest's length."""
    over = [p for p in pains if p.value > threshold]
    worst = max(over, key=lambda p: p.value) if over else None
    resting = [f for f in flags if f.rest_days]
    ids = {f.id for f in resting}
    days = rest_length(worst.value if worst else None, swelling="swelling" in ids,
                       fever="fever" in ids, mechanical=any(f.holds for f in resting))
    urgent = [f for f in resting if f is not redflags.SWELLING]
    if urgent:
        return Reason(urgent[0].id, True, None), days
    if worst is not None:
        return Reason(worst.field, worst.value, threshold), days
    if resting:
        return Reason(resting[0].id, True, None), days
    return None, 0


def week_cap(state: PlanState, settings: RunnerSettings) -> int:
    """The normal cap of the state's week: from the ramp, the baseline, or the starting cap."""
    reference = state.ramp_m or state.baseline_m
    if reference:
        return weekly_cap_m(reference, settings.weekly_increase_pct, settings.units)
    return STARTING_CAP_M


def clean_week(s: PlanState) -> bool:
    """True when the state's week (so far) was spent in ``normal`` with runs, no pain above
    the limit and within a cap from the runner's own history: such a week enters the
    baseline (or moves the ramp) when it ends."""
    return s.week_normal and s.week_runs > 0 and s.week_m > 0 and not s.week_over and not s.week_pain


def _outgrown(s: PlanState) -> bool:
    """A week over a cap from the runner's own history, otherwise clean (normal, runs, no pain
    above the limit), when the baseline has not moved for ``BASELINE_WEEKS``: the runner has
    held more than the cap without pain for a month, and that load enters the baseline. Not
    in a ramp after a return (the ramp grows one clean week at a time, by design)."""
    return (s.week_over and s.ramp_m is None and s.baseline_week is not None and s.week is not None
            and s.week_normal and s.week_runs > 0 and s.week_m > 0 and not s.week_pain
            and (s.week - s.baseline_week).days >= 7 * BASELINE_WEEKS)


def _mean(weeks: tuple[tuple[date, float], ...]) -> float:
    return round(sum(m for _, m in weeks) / len(weeks), 1)


def _after_clean_week(s: PlanState) -> dict[str, Any]:
    """The baseline (or ramp) changes a clean week makes when it ends."""
    if s.ramp_m is not None:
        ramp = max(s.ramp_m, s.week_m)
        if s.baseline_m and ramp < s.baseline_m:
            return {"ramp_m": ramp}
        if s.baseline_m:
            return {"ramp_m": None}  # the ramp met the pre-injury baseline
    weeks = (s.clean_weeks + ((s.week, s.week_m),))[-BASELINE_WEEKS:]
    return {"clean_weeks": weeks, "baseline_m": max(round(s.week_m, 1), _mean(weeks)), "baseline_week": s.week,
            "ramp_m": None}


def next_week_cap(day: PlanDay, settings: RunnerSettings) -> int | None:
    """The cap next week will have if this week ends as it stands (``None`` outside normal)."""
    if day.name != NORMAL:
        return None
    s = day.state
    if clean_week(s):
        return week_cap(_with(s, **_after_clean_week(s)), settings)
    return week_cap(s, settings)


#: A pace reference older than this many weeks gives way to the next week of normal running,
#: however slow: the runner's usual pace has changed (a base phase, a new terrain).
PACE_REFERENCE_WEEKS = 4


def _sets_pace(s: PlanState) -> bool:
    """Whether the week closing (normal running, with runs) becomes the speed reference: when
    there is none yet; when it was not too fast and at least as fast as the reference; or,
    whatever its pace, when the reference is ``PACE_REFERENCE_WEEKS`` old.

    One slower week (a hilly holiday, a walk taken for a run) does not become the reference:
    it did, and every later week at the runner's usual pace read as a speed jump against it,
    for good. A faster pace kept for weeks does become it: a jump is flagged, but not forever."""
    if s.speed_m is None or s.speed_s is None or s.speed_week is None or s.week is None:
        return True
    if (s.week - s.speed_week).days >= 7 * PACE_REFERENCE_WEEKS:
        return True
    return not s.week_fast and s.week_m * s.speed_s >= s.speed_m * s.week_s  # speed >= reference


def _close_week(s: PlanState, day: date) -> PlanState:
    """Roll the week over on its Monday; a clean week enters the baseline or moves the ramp.
    ``day``: the day being stepped."""
    monday = week_start(day)
    if s.week is None or s.week == monday:
        if s.week is not None:
            return s
        # The plan's first week: only the days from ``day`` on are known (a runner who started
        # on a Sunday, a replay from the horizon): unless that is its Monday, it is no clean
        # week and sets no pace.
        return _with(s, week=monday, week_normal=day == monday)

    changes: dict[str, Any] = {"prev_week_m": s.week_m if s.week == monday - 7 * _DAY else 0.0}
    if clean_week(s) or _outgrown(s):
        changes.update(_after_clean_week(s))
    if s.week_normal and s.week_runs and s.week_s > 0 and _sets_pace(s):
        changes.update(speed_m=s.week_m, speed_s=s.week_s, speed_week=s.week)
    return _with(
        s, week=monday, week_m=0.0, week_s=0.0, week_runs=0, week_normal=True,
        week_over=False, week_fast=False, week_pain=False, week_over_start=False, **changes,
    )


def _enter_rest(s: PlanState, day: date, cause: Reason, days: int, hold: bool) -> PlanState:
    return _with(
        s, state=REST, since=day, rest_days=days, cause=cause, clean_streak=0, last_clean=None,
        phase=0, phase_sessions=0, pending=None, pending_ref=None, last_session=None,
        easy_until=None, hold=hold, ramp_m=None,
    )


def _enter_return(s: PlanState, day: date, cause: Reason) -> PlanState:
    return _with(
        s, state=RETURN, since=day, rest_days=0, cause=cause, phase=1, phase_sessions=0,
        pending=None, pending_ref=None, last_session=None, easy_until=None, ramp_m=None,
    )


class _Day:
    """Working values of one step (kept out of the frozen state)."""

    def __init__(self, day: date) -> None:
        self.day = day
        self.events: list[PlanEvent] = []
        self.notes: list[str] = []

    def event(self, from_state: str, to_state: str, kind: str, reason: Reason, **detail: Any) -> None:
        self.events.append(PlanEvent(self.day, from_state, to_state, kind, reason, MappingProxyType(detail)))


def _return_volume(s: PlanState) -> float:
    """What the ramp starts from: the most run in one calendar week at the return's end, at
    least the last phase's two sessions."""
    last = phases.phase(phases.LAST_PHASE).distance_m * phases.SESSIONS_PER_PHASE
    return max(s.week_m, s.prev_week_m, float(last))


def _phase_move(s: PlanState, work: _Day, up: bool, reason: Reason, session: date,
                short: Reason | None = None) -> PlanState:
    """Count a clean session (``up``) or drop a phase for a broken one (then easy days).
    ``short``: the exercise programme's minimum adherence is not met — the session counts,
    but the phase holds (the next clean session with the minimum met moves it up)."""
    if not up:
        lower = max(1, s.phase - 1)
        easy = session + EASY_DAYS * _DAY
        work.event(RETURN, RETURN, "phase_down", reason, phase=lower, was=s.phase,
                   easy_until=easy.isoformat())
        return _with(s, phase=lower, phase_sessions=0, easy_until=easy)
    done = s.phase_sessions + 1
    if done < phases.SESSIONS_PER_PHASE:
        return _with(s, phase_sessions=done)
    if short is not None:
        work.notes.append("rehab_below_minimum")
        work.event(RETURN, RETURN, "phase_held", short, phase=s.phase)
        return _with(s, phase_sessions=phases.SESSIONS_PER_PHASE - 1)
    if s.phase >= phases.LAST_PHASE:
        ramp: float | None = _return_volume(s)
        if s.baseline_m and ramp >= s.baseline_m:
            ramp = None
        work.event(RETURN, NORMAL, "return_completed", reason, phase=s.phase,
                   ramp_m=round(ramp) if ramp else None)
        return _with(
            s, state=NORMAL, since=work.day, cause=None, phase=0, phase_sessions=0,
            pending=None, pending_ref=None, last_session=None, easy_until=None, ramp_m=ramp,
        )
    work.event(RETURN, RETURN, "phase_up", reason, phase=s.phase + 1, was=s.phase)
    return _with(s, phase=s.phase + 1, phase_sessions=0)


#: The reason a worse knee the morning after exercises gives.
WORSE_AFTER_EXERCISE = Reason("knee_after_exercise", "worse", "same")


def _confirm_pending(s: PlanState, checkin: CheckinSnap, work: _Day, limit: int, ceiling: int,
                     inp: DayInput | None = None) -> PlanState:
    """The check-in after a session decides whether the session counts: pain within the
    limit, and the knee no worse than before the session — its morning pain, or its pain
    when the morning field is empty, or the runner's answer after yesterday's exercises."""
    session = s.pending or work.day
    ref = s.pending_ref if s.pending_ref is not None else ceiling
    morning, field_name = ((checkin.morning_pain, "morning_pain") if checkin.morning_pain is not None
                           else (checkin.pain, "pain"))
    s = _with(s, pending=None, pending_ref=None)
    if checkin.pain > limit:
        work.notes.append("session_broken")
        return _phase_move(s, work, False, Reason("pain", checkin.pain, limit), session)
    if morning > ref:
        work.notes.append("session_broken")
        return _phase_move(s, work, False, Reason(field_name, morning, ref), session)
    if inp is not None and worse_after_exercise(inp):
        work.notes.append("session_broken")
        return _phase_move(s, work, False, WORSE_AFTER_EXERCISE, session)
    work.notes.append("session_counted")
    short = inp.rehab.short(work.day, s.since) if inp is not None and inp.rehab is not None else None
    return _phase_move(s, work, True, Reason("sessions_in_phase", s.phase_sessions + 1,
                                             phases.SESSIONS_PER_PHASE), session, short)


def worse_after_exercise(inp: DayInput) -> bool:
    """The runner's check-in says the knee is worse after yesterday's exercise session."""
    return bool(inp.exercised_before and inp.checkin is not None
                and inp.checkin.answers.get(EXERCISE_ANSWER) == "worse")


def _unconfirmed(s: PlanState, work: _Day, why: str) -> None:
    """The pending session does not count: no check-in on the day after it (``no_checkin``),
    or another run that day before the check-in (``ran_again``)."""
    if s.pending is None:  # nothing waits: nothing to record
        return
    due = s.pending + _DAY
    work.notes.append("session_unconfirmed")
    work.event(RETURN, RETURN, "session_unconfirmed", Reason("missed_checkin", due.isoformat(), None),
               session=s.pending.isoformat(), phase=s.phase, why=why)


def _return_runs(s: PlanState, inp: DayInput, work: _Day, ceiling: int, blocked: Reason | None) -> PlanState:
    """Judge today's runs as a return session (``blocked``: why no session was on offer)."""
    day = inp.day
    if s.pending is not None:
        if not _lapsed(s.pending, day):  # ran again before checking in: the last session is unconfirmed
            _unconfirmed(s, work, "ran_again")
        s = _with(s, pending=None, pending_ref=None)
    distance = sum(r.distance_m for r in inp.runs)
    run_pains = pains_of_day(None, inp.runs)
    back_to_back = s.last_session == day - _DAY
    early = s.easy_until is not None and day <= s.easy_until
    s = _with(s, last_session=day)
    session = phases.phase(s.phase)
    if back_to_back or early:
        work.notes.append("back_to_back" if back_to_back else "easy_day_run")
        work.event(RETURN, RETURN, "session_early", Reason("run_distance_m", round(distance), None),
                   why="back_to_back" if back_to_back else "easy_days")
        return s
    if blocked is not None:
        work.notes.append("session_broken")
        return _phase_move(s, work, False, blocked, day)
    if phases.too_long(distance, s.phase):
        work.notes.append("session_too_long")
        work.event(RETURN, RETURN, "session_too_long",
                   Reason("run_distance_m", round(distance), session.distance_m), phase=s.phase)
        return s
    worst = max(run_pains, key=lambda pain: pain.value, default=None)
    if worst is not None and worst.value > ceiling:
        work.notes.append("session_broken")
        return _phase_move(s, work, False, Reason(worst.field, worst.value, ceiling), day)
    checkin = inp.checkin
    if checkin is not None and checkin.morning_pain is not None:
        ref = checkin.morning_pain
    elif checkin is not None:
        ref = checkin.pain
    else:
        ref = s.last_morning
    work.notes.append("session_logged")
    return _with(s, pending=day, pending_ref=ref)


def _rest_day(s: PlanState, inp: DayInput, checkin: CheckinSnap | None, flags: tuple[RedFlag, ...],
              work: _Day, ceiling: int) -> PlanState:
    """A day of rest with nothing that extends it: count it towards the rest's end."""
    day = inp.day
    if checkin is not None and not flags and checkin.pain <= ceiling:
        streak = s.clean_streak + 1 if s.last_clean == day - _DAY else 1
        s = _with(s, clean_streak=streak, last_clean=day)
    elif checkin is not None or s.last_clean != day - _DAY:
        s = _with(s, clean_streak=0, last_clean=None)
    days_over = s.since is not None and (day - s.since).days >= s.rest_days
    fresh = s.last_clean is not None and s.last_clean >= day - _DAY
    if days_over and fresh and s.clean_streak >= REST_CLEAN_CHECKINS and not s.hold:
        # The rest ends today: a run today is the return's first session, not a run in rest.
        reason = Reason("checkins_within_session_ceiling", s.clean_streak, REST_CLEAN_CHECKINS)
        work.event(REST, RETURN, "return_started", reason, after="rest", phase=1)
        return _enter_return(s, day, reason)
    if days_over and s.hold:
        work.notes.append("awaiting_assessment")
    if inp.runs:  # ran on a day still in rest: the 48 hours start again
        _ran_during_rest(inp, work)
        s = _with(s, clean_streak=0, last_clean=None)
    return s


def _assessed(s: PlanState, inp: DayInput, checkin: CheckinSnap | None, flags: tuple[RedFlag, ...],
              work: _Day) -> PlanState:
    """Lift an assessment hold: a therapist recorded it, or the runner confirmed it (a check-in
    that reports a new holding flag does not lift it)."""
    if not s.hold or any(f.holds for f in flags):
        return s
    if inp.assessed:
        work.event(s.state, s.state, "assessed", Reason("assessed_by", "therapist", None),
                   by="therapist", names=list(inp.assessed))
    elif checkin is not None and checkin.answers.get(ASSESSED_ANSWER) is True:
        work.event(s.state, s.state, "assessed", Reason("assessed_by", "runner", None), by="runner")
    else:
        return s
    return _with(s, hold=False)


def step(state: PlanState, inp: DayInput, settings: RunnerSettings) -> PlanDay:
    """Advance the plan through one local day (see the module docstring for the rules)."""
    day = inp.day
    if state.day is not None and day <= state.day:
        raise ValueError(f"step({day}) after {state.day}: days must move forward")
    work = _Day(day)
    s = _close_week(state, day)
    threshold = settings.pain_threshold
    ceiling = phases.session_pain_max(threshold)
    checkin = inp.checkin if inp.checkin is not None and inp.checkin.date == day else None
    carried = state.carry_pain if state.day == day - _DAY else None
    pains = pains_of_day(checkin, inp.runs, carried)
    flags = redflags.found(checkin, pains)
    fever_day = redflags.FEVER in flags
    before = s.state

    if inp.runs:
        s = _with(
            s, week_m=s.week_m + sum(r.distance_m for r in inp.runs),
            week_s=s.week_s + sum(r.duration_s for r in inp.runs),
            week_runs=s.week_runs + len(inp.runs),
        )
    if any(p.value > threshold for p in pains):
        s = _with(s, week_pain=True)
    gap = (day - s.last_run).days if s.last_run is not None else None
    s = _assessed(s, inp, checkin, flags, work)
    if (s.state == RETURN and s.pending is not None and _lapsed(s.pending, day)
            and (state.day is None or not _lapsed(s.pending, state.day))):
        # The day after the session passed without a check-in: it does not count. The date
        # stays in ``pending`` (lapsed) so the days after can say why, until the next run.
        _unconfirmed(s, work, "no_checkin")
    ramp_before = s.ramp_m
    mark = len(work.events)

    # Pain carried from last night's run was counted on its own day (it started any rest then).
    cause, days = _trigger(flags, tuple(p for p in pains if p.field != "pain_after_yesterday"), threshold)
    holds = any(f.holds for f in flags)
    if cause is not None:
        if s.state == REST:
            if inp.runs:
                _ran_during_rest(inp, work)
            end = (s.since or day) + timedelta(days=s.rest_days)
            if day + timedelta(days=days) > end:
                since = s.since or day
                longer = (day - since).days + days
                work.event(REST, REST, "rest_extended", cause, days=longer, since=since.isoformat())
                s = _with(s, since=since, rest_days=longer, cause=cause)
            s = _with(s, clean_streak=0, last_clean=None, hold=s.hold or holds)
        else:
            if s.state == RETURN and inp.runs:
                work.notes.append("session_broken")
            work.event(s.state, REST, "rest_started", cause, days=days)
            s = _enter_rest(s, day, cause, days, holds)
            s = _flare(s, day, cause, work)
        if holds and s.hold and inp.assessed:  # seen by the therapist the day it was flagged
            work.event(s.state, s.state, "assessed", Reason("assessed_by", "therapist", None),
                       by="therapist", names=list(inp.assessed))
            s = _with(s, hold=False)
    elif s.state == REST:
        s = _rest_day(s, inp, checkin, flags, work, ceiling)
        if s.state == RETURN and inp.runs:
            s = _return_runs(s, inp, work, ceiling, None)
    else:
        flagged = bool(checkin and checkin.answers.get(BREAK_ANSWER) is True)
        if s.state == NORMAL and (flagged or (gap is not None and gap >= BREAK_DAYS)):
            reason = (Reason("break_flagged", True, None) if flagged
                      else Reason("days_since_previous_run", gap, BREAK_DAYS))
            work.event(NORMAL, RETURN, "return_started", reason, after="break", phase=1)
            s = _enter_return(s, day, reason)
        elif (s.state == RETURN and gap is not None and gap >= BREAK_DAYS
              and (s.phase > 1 or s.phase_sessions > 0)):
            # The same break that starts a return from normal running: what the knee had
            # built up is gone, and the return starts again (at phase 1 it would change nothing).
            reason = Reason("days_since_previous_run", gap, BREAK_DAYS)
            work.event(RETURN, RETURN, "return_restarted", reason, phase=1, was=s.phase,
                       sessions_done=s.phase_sessions, last_run=s.last_run.isoformat())
            s = _enter_return(s, day, reason)
        if s.state == RETURN:
            if s.pending is not None and checkin is not None and s.pending == day - _DAY:
                s = _confirm_pending(s, checkin, work, threshold, ceiling, inp)
            elif worse_after_exercise(inp):  # like a worse morning after a run session
                work.notes.append("worse_after_exercise")
                s = _phase_move(s, work, False, WORSE_AFTER_EXERCISE, day - _DAY)
            blocked = None
            if fever_day:
                blocked = Reason(redflags.FEVER.id, True, None)
            elif checkin is not None and checkin.pain > ceiling:
                blocked = Reason("pain", checkin.pain, ceiling)
            if blocked is not None and s.state == RETURN:
                work.notes.append("no_session_today")
            if inp.runs and s.state == RETURN:
                s = _return_runs(s, inp, work, ceiling, blocked)
    if fever_day:
        work.notes.append("fever_day")

    if s.state != NORMAL or before != NORMAL:
        s = _with(s, week_normal=False)

    normal_cap = week_cap(s, settings)
    reference = s.ramp_m or s.baseline_m
    distance_pct = shown_pct_change(s.week_m, reference, settings.units) if reference else None
    speed_pct = (
        speed_pct_change(s.week_m, s.week_s, s.speed_m, s.speed_s)
        if s.speed_m and s.speed_s and s.week_runs else None
    )
    verdict = "ok"
    if s.state == NORMAL:
        s, over, fast = _week_checks(s, settings, work)
        if over or fast:
            verdict = "caution"
    elif before == NORMAL and s.state == REST:
        # The day's runs were run in normal running, against the cap in force before the rest
        # (a ramp the rest has just cleared): a week over it is recorded today too, before the
        # rest it led to — a therapist reads both.
        load = _Day(day)
        checked, _, _ = _week_checks(_with(s, ramp_m=ramp_before), settings, load)
        work.events[mark:mark] = load.events
        s = _with(s, week_over=checked.week_over, week_over_start=checked.week_over_start,
                  week_fast=checked.week_fast)
        verdict = "stop"
    elif s.state == RETURN:
        verdict = "caution"
    else:
        verdict = "stop"
    if fever_day:
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


def _week_checks(s: PlanState, settings: RunnerSettings, work: _Day) -> tuple[PlanState, bool, bool]:
    """The week so far against its cap and its pace limit (a day run in normal running): an
    ``over_cap`` or ``speed_over`` event the first time in the week each is broken. Returns
    the state (its week flags set) and whether the week is over either."""
    reference = s.ramp_m or s.baseline_m
    if reference:
        distance_pct = shown_pct_change(s.week_m, reference, settings.units)
        over = exceeds(distance_pct, settings.weekly_increase_pct)
        if over and not s.week_over:
            work.event(NORMAL, NORMAL, "over_cap", Reason("distance_pct", float(distance_pct),
                                                         settings.weekly_increase_pct),
                       week_m=round(s.week_m), baseline_m=round(reference), cap_m=week_cap(s, settings),
                       ramp=s.ramp_m is not None)
            s = _with(s, week_over=True)
    else:
        over = over_cap(s.week_m, STARTING_CAP_M, settings.units)
        if over and not s.week_over_start:
            work.event(NORMAL, NORMAL, "over_cap", Reason("week_distance_m", round(s.week_m), STARTING_CAP_M),
                       cap_m=STARTING_CAP_M, starting=True)
            s = _with(s, week_over_start=True)
    speed_pct = (
        speed_pct_change(s.week_m, s.week_s, s.speed_m, s.speed_s)
        if s.speed_m and s.speed_s and s.week_runs else None
    )
    fast = exceeds(speed_pct, settings.speed_increase_pct)
    if fast and not s.week_fast:
        work.event(NORMAL, NORMAL, "speed_over", Reason("speed_pct", float(speed_pct),
                                                       settings.speed_increase_pct))
        s = _with(s, week_fast=True)
    return s, over, fast


def _ran_during_rest(inp: DayInput, work: _Day) -> None:
    work.notes.append("run_during_rest")
    work.event(REST, REST, "ran_during_rest",
               Reason("run_distance_m", round(sum(r.distance_m for r in inp.runs)), 0))


def _flare(s: PlanState, day: date, cause: Reason, work: _Day) -> PlanState:
    """Count a rest started: within ``RECURRENCE_DAYS`` of the previous one, a recurrence."""
    if s.last_flare is not None and (day - s.last_flare).days <= RECURRENCE_DAYS:
        count = s.flare_count + 1
        work.event(REST, REST, "recurrence", Reason("flares_in_window", count, RECURRENCE_DAYS),
                   previous=s.last_flare.isoformat(), cause=cause.metric)
    else:
        count = 1
    return _with(s, last_flare=day, flare_count=count)


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
