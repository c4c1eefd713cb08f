"""The core rules: the clinic's article (DESIGN §4) read through the runner's care plan.

Pure functions: each takes a :class:`DaySnapshot` and returns a list of :class:`Advice`
(empty when it does not fire). The care plan (``snapshot.plan``, see ``strideguard.plan``)
already decided the state of the day — normal, rest or return — and this week's cap; the
rules turn that into words and reasons. Thresholds are strict: "more than 3/10" fires at 4,
not at 3; "more than 10%" fires at 10.1, never at 10.0 (compared at display precision).

Labels (``source.kind``): ``clinic`` for the seed's rules, ``plan`` for the care plan's cards.
"""

from __future__ import annotations

import functools
from datetime import timedelta
from collections.abc import Callable, Iterable
from importlib import metadata

from strideguard.guidance.advice import Advice, Reason, Source
from strideguard.guidance.snapshot import DaySnapshot
from strideguard.guidance.wording import (
    EVIDENCE,
    format_day,
    format_distance,
    format_pace,
    session_text,
)
from strideguard.load.weekly import STARTING_CAP_M, limit_of, shown_distance
from strideguard.plan import phases
from strideguard.plan.machine import NORMAL, REST, REST_CLEAN_CHECKINS, RETURN, PlanDay

Rule = Callable[[DaySnapshot], list[Advice]]


@functools.cache
def core_version() -> str:
    """The installed StrideGuard version (``0+unknown`` when running from a source tree)."""
    try:
        return metadata.version("strideguard")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def core_source(kind: str = "clinic") -> Source:
    """The ``source`` of a core advice: the seed's rules (``clinic``) or the care plan."""
    return Source("core", core_version(), kind)


def make(
    rule_id: str,
    action: str,
    severity: str,
    title: str,
    message: str,
    reasons: Iterable[Reason],
    evidence: str,
    kind: str = "clinic",
) -> Advice:
    """Build a core advice (source ``core``)."""
    return Advice(
        id=rule_id,
        action=action,
        severity=severity,
        title=title,
        message=message,
        reasons=tuple(reasons),
        evidence=evidence,
        source=core_source(kind),
    )


def _plan(snapshot: DaySnapshot) -> PlanDay:
    if snapshot.plan is None:
        raise ValueError("the core rules need the day's care plan (snapshot.plan)")
    return snapshot.plan


def _pct(value) -> float:
    return float(value)


# --- the seed's red flags and pain ----------------------------------------------------


def pain_threshold(snapshot: DaySnapshot) -> list[Advice]:
    """Pain above the runner's limit in any pain of the day: stop and see the therapist."""
    limit = snapshot.settings.pain_threshold
    over = [p for p in snapshot.day_pains if p.value > limit]
    if not over:
        return []
    worst = max(p.value for p in over)
    reasons = [Reason(p.field, p.value, limit) for p in over]
    carried = " after yesterday's run" if all(p.field == "pain_after_yesterday" for p in over) else ""
    return [
        make(
            "core.pain_threshold",
            "stop_running",
            "warning",
            "Stop running for now",
            f"Your knee pain reached {worst}/10{carried}, above your limit of {limit}/10. "
            "Running through that pain rarely helps the knee.",
            reasons,
            EVIDENCE["pain"],
        )
    ]


def fever(snapshot: DaySnapshot) -> list[Advice]:
    """Fever together with any knee pain of the day or swelling: see a doctor today."""
    checkin = snapshot.todays_checkin
    if checkin is None or not checkin.fever or not (snapshot.worst_pain > 0 or checkin.swelling):
        return []
    return [
        make(
            "core.fever",
            "contact_doctor",
            "urgent",
            "Call a doctor today",
            "You have a fever and a painful or swollen knee. That could be an infection in the "
            "knee, which needs a doctor and often antibiotics. Do not run.",
            [Reason("fever", True, None), Reason("pain", snapshot.worst_pain, None),
             Reason("swelling", checkin.swelling, None)],
            EVIDENCE["fever"],
        )
    ]


def swelling(snapshot: DaySnapshot) -> list[Advice]:
    """Swelling reported: no running until it is down."""
    checkin = snapshot.todays_checkin
    if checkin is None or not checkin.swelling:
        return []
    return [
        make(
            "core.swelling",
            "rest",
            "warning",
            "Do not run until the swelling is down",
            "Your knee is swollen. Wait until the swelling has gone before you run again; "
            "gentle movement and compression usually help more than keeping still.",
            [Reason("swelling", True, None)],
            EVIDENCE["swelling"],
        )
    ]


def mechanical(snapshot: DaySnapshot) -> list[Advice]:
    """The knee locks, gives way or cannot straighten: the therapist should look at it."""
    checkin = snapshot.todays_checkin
    if checkin is None or not (checkin.locking_or_giving_way or checkin.hard_to_straighten):
        return []
    reasons = []
    if checkin.locking_or_giving_way:
        reasons.append(Reason("locking_or_giving_way", True, None))
    if checkin.hard_to_straighten:
        reasons.append(Reason("hard_to_straighten", True, None))
    return [
        make(
            "core.mechanical",
            "contact_pt",
            "warning",
            "See your physical therapist before you run again",
            "A knee that locks, gives way or will not straighten fully needs to be checked. "
            "Hold off running until then.",
            reasons,
            EVIDENCE["mechanical"],
        )
    ]


def mild_pain(snapshot: DaySnapshot) -> list[Advice]:
    """Pain above 0 and within the limit: a calm note to mention it to the therapist."""
    limit = snapshot.settings.pain_threshold
    worst = snapshot.worst_pain
    if not 0 < worst <= limit or _plan(snapshot).name == REST:
        return []
    return [
        make(
            "core.mild_pain",
            "info",
            "info",
            "Mention the knee to your therapist",
            f"Pain {worst}/10 is within your limit of {limit}/10, so you can go on. Any knee "
            "pain after running is worth showing your therapist: note where it hurts and when.",
            [Reason("pain", worst, limit)],
            EVIDENCE["mild_pain"],
        )
    ]


def shoe_limit(snapshot: DaySnapshot) -> list[Advice]:
    """A shoe in use has passed its distance limit."""
    worn = [s for s in snapshot.shoes if not s.retired and s.distance_m > s.limit_m]
    if not worn:
        return []
    names = ", ".join(s.name for s in worn)
    title = f"Replace your {worn[0].name} shoes" if len(worn) == 1 else "Replace your worn shoes"
    return [
        make(
            "core.shoe_limit",
            "replace_shoes",
            "info",
            title,
            f"These shoes have passed their limit: {names}. Worn shoes put more stress on "
            f"the knees; retire them and run in a fresh pair.",
            [Reason("shoe_distance_m", round(s.distance_m), round(s.limit_m)) for s in worn],
            EVIDENCE["shoes"],
        )
    ]


# --- the care plan ------------------------------------------------------------------


_CAUSE_TEXT = {
    "fever": "you reported a fever with a painful or swollen knee",
    "locking_or_giving_way": "your knee locked or gave way",
    "hard_to_straighten": "your knee would not straighten fully",
    "swelling": "your knee was swollen",
}


def _cause_text(plan: PlanDay) -> str:
    cause = plan.state.cause
    if cause is None:
        return "your knee needed a break"
    if cause.metric in _CAUSE_TEXT:
        return _CAUSE_TEXT[cause.metric]
    after = " after a run" if cause.metric in ("pain_after", "pain_after_yesterday") else ""
    return f"your knee pain reached {cause.value}/10{after}, above your limit of {cause.threshold}/10"


def rest_day(snapshot: DaySnapshot) -> list[Advice]:
    """In rest: "Rest day 2 of 3: no running", how the rest ends, and a run logged anyway."""
    plan = _plan(snapshot)
    if plan.name != REST:
        return []
    limit = snapshot.settings.pain_threshold
    n, of = plan.day_number, plan.state.rest_days
    since = plan.state.since
    started = format_day(since) if since else "today"
    fresh = plan.state.last_clean is not None and plan.state.last_clean >= plan.date - timedelta(days=1)
    streak = plan.state.clean_streak if fresh else 0
    needed = REST_CLEAN_CHECKINS
    if n <= of:
        title = f"Rest day {n} of {of}: no running"
        ends = (f"The rest ends after day {of}, once two daily check-ins in a row show pain at "
                f"{limit}/10 or less with no swelling.")
    else:
        title = f"Still resting (day {n}): no running yet"
        ends = (f"The {of} rest days are over; the rest ends once two daily check-ins in a row "
                f"show pain at {limit}/10 or less with no swelling ({min(streak, needed)} of "
                f"{needed} so far).")
    cause = plan.state.cause
    reasons = [cause] if cause else []
    reasons += [Reason("rest_day", n, of), Reason("checkins_at_or_under_limit", streak, needed)]
    out = [
        make(
            "core.rest_day",
            "rest",
            "warning",
            title,
            f"Since {started}: {_cause_text(plan)}. Walking and daily life are fine if they do "
            f"not hurt more. {ends}",
            reasons,
            EVIDENCE["rest_plan"],
            kind="plan",
        )
    ]
    started_today = any(e.kind in ("rest_started", "rest_extended") for e in plan.events)
    if started_today and cause is not None and cause.metric != "fever":
        out.append(
            make(
                "core.pain_contact_pt",
                "contact_pt",
                "caution",
                "Book your physical therapist",
                "A therapist can find the cause so the pain does not come back after the rest.",
                reasons[:1],
                EVIDENCE["pain"],
            )
        )
    if "run_during_rest" in plan.notes:
        runs = snapshot.todays_runs
        out.append(
            make(
                "core.run_during_rest",
                "stop_running",
                "caution",
                "You ran during your rest",
                f"You logged {format_distance(sum(r.distance_m for r in runs), snapshot.settings.units)} "
                "today. The plan still says no running: the knee settles faster without it. "
                "If it hurt, say so in today's check-in.",
                [Reason("run_distance_m", round(sum(r.distance_m for r in runs)), 0)],
                EVIDENCE["rest_plan"],
                kind="plan",
            )
        )
    return out


def _session_reasons(plan: PlanDay, phase: phases.Phase) -> list[Reason]:
    return [
        Reason("return_phase", phase.number, phases.LAST_PHASE),
        Reason("sessions_in_phase", plan.state.phase_sessions, phases.SESSIONS_PER_PHASE),
        Reason("session_distance_m", phase.distance_m, None),
    ]


def return_session(snapshot: DaySnapshot) -> list[Advice]:
    """In return: today's walk–run session (or the rest day between sessions) and why."""
    plan = _plan(snapshot)
    units = snapshot.settings.units
    phase = plan.session  # None outside the return
    if phase is None:
        return []
    session = session_text(phase, units)
    done, need = plan.state.phase_sessions, phases.SESSIONS_PER_PHASE
    where = f"Phase {phase.number} of {phases.LAST_PHASE}, {done} of {need} sessions done."
    rule = ("The plan moves up after two sessions with pain at 2/10 or less that leave the knee "
            "no worse the next morning. On level ground, with a rest day between runs.")
    notes = set(plan.notes)
    today_events = {e.kind for e in plan.events}
    lead = ""
    if "return_started" in today_events:
        cause = plan.state.cause
        if cause and cause.metric == "days_since_previous_run":
            lead = f"You have not run for {cause.value} days, so start back with walk–run. "
        elif cause and cause.metric == "break_flagged":
            lead = "You are coming back after a break, so start back with walk–run. "
        else:
            lead = "The rest is over. Start back with walk–run. "
    if "phase_up" in today_events:
        lead = f"Up to phase {phase.number}: the last sessions went well. "
    if "phase_down" in today_events:
        lead = (f"Back to phase {phase.number}: the knee did not take the last session well. "
                "Take two easy days before the next one. ")

    if "session_too_long" in notes:
        title, severity = "That was more than today's session", "caution"
        message = (f"Today's run was longer than the session ({session}), so it does not count. "
                   f"Keep to the session for now. {where}")
    elif "back_to_back" in notes:
        title, severity = "Take a day off between sessions", "caution"
        message = (f"You also ran yesterday. A rest day between runs lets the knee adapt; this run "
                   f"does not count as a session. {where}")
    elif "session_logged" in notes:
        title, severity = "Session logged: check in tomorrow morning", "caution"
        message = (f"{lead}Tomorrow's check-in tells the plan how the knee took it. Rest from "
                   f"running tomorrow. {where}")
    elif not plan.session_day:
        title, severity = "Rest day between sessions", "caution"
        message = (f"{lead}Your next session is tomorrow: {session}. {where}")
    else:
        title, severity = f"Today: {session}", "caution"
        message = f"{lead}{where} {rule}"
    return [
        make(
            "core.return_session",
            "return_gradually",
            severity,
            title,
            message,
            ([plan.state.cause] if plan.state.cause and "return_started" in today_events else [])
            + _session_reasons(plan, phase),
            EVIDENCE["return_plan"],
            kind="plan",
        )
    ]


def _week_reasons(plan: PlanDay) -> list[Reason]:
    reasons = [Reason("week_distance_m", round(plan.state.week_m), None)]
    if plan.state.baseline_m:
        reasons.append(Reason("baseline_week_m", round(plan.state.baseline_m), None))
    reasons.append(Reason("week_cap_m", plan.week_cap_m, None))
    return reasons


def distance_jump(snapshot: DaySnapshot) -> list[Advice]:
    """This calendar week is over its cap (more than the limit on the baseline week)."""
    plan = _plan(snapshot)
    if plan.name != NORMAL:
        return []
    units = snapshot.settings.units
    limit = snapshot.settings.weekly_increase_pct
    cap = format_distance(plan.week_cap_m, units)
    week = format_distance(plan.state.week_m, units)
    base = plan.state.baseline_m
    if base:
        if plan.distance_pct is None or plan.distance_pct <= limit_of(limit):
            return []
        message = (
            f"This week so far: {week}, {plan.distance_pct}% more than your baseline week "
            f"({format_distance(base, units)}, week of {format_day(plan.state.baseline_week)}). "
            f"Your limit is {limit:g}% a week. Hold at {cap}: next week's cap stays the same "
            "and grows again only after a week within it."
        )
        reasons = [Reason("distance_pct", _pct(plan.distance_pct), limit)] + _week_reasons(plan)
        evidence = EVIDENCE["weekly"]
    else:
        if plan.state.week_m <= 0 or not plan.state.week_over:
            return []
        message = (
            f"This week so far: {week}. With no earlier weeks to compare, the first weeks start "
            f"at {cap}. Log or import your runs of the last weeks to set your own baseline."
        )
        reasons = [Reason("week_distance_m", round(plan.state.week_m), STARTING_CAP_M)]
        evidence = EVIDENCE["start_cap"]
    return [make("core.distance_jump", "reduce_volume", "caution", f"Keep this week under {cap}",
                 message, reasons, evidence, kind="plan")]


def speed_jump(snapshot: DaySnapshot) -> list[Advice]:
    """This week's average pace is faster than the reference week by more than the limit."""
    plan = _plan(snapshot)
    limit = snapshot.settings.speed_increase_pct
    if plan.name != NORMAL or plan.speed_pct is None or plan.speed_pct <= limit_of(limit):
        return []
    units = snapshot.settings.units
    s = plan.state
    pace_now = format_pace(s.week_m / s.week_s if s.week_s else None, units)
    pace_ref = format_pace(s.speed_m / s.speed_s if s.speed_m and s.speed_s else None, units)
    return [
        make(
            "core.speed_jump",
            "reduce_intensity",
            "caution",
            "Slow down this week",
            f"Your average pace this week, {pace_now}, is {plan.speed_pct}% faster than "
            f"{pace_ref} in the week of {format_day(s.speed_week)}, above your {limit:g}% limit. "
            "Run easy until your body has caught up.",
            [Reason("speed_pct", _pct(plan.speed_pct), limit)],
            EVIDENCE["weekly"],
            kind="plan",
        )
    ]


#: The seed's rules and the plan's cards, in the order they are evaluated.
CORE_RULES: tuple[Rule, ...] = (
    fever,
    pain_threshold,
    swelling,
    mechanical,
    rest_day,
    return_session,
    distance_jump,
    speed_jump,
    mild_pain,
    shoe_limit,
)

#: Actions that do not stop an all-clear.
QUIET_ACTIONS = frozenset({"keep_running", "info"})


def all_clear(snapshot: DaySnapshot, fired: Iterable[Advice]) -> list[Advice]:
    """Nothing asks for a change: keep running within this week's cap."""
    plan = _plan(snapshot)
    if plan.name != NORMAL or any(advice.action not in QUIET_ACTIONS for advice in fired):
        return []
    units = snapshot.settings.units
    limit = snapshot.settings.weekly_increase_pct
    cap = format_distance(plan.week_cap_m, units)
    week = format_distance(plan.state.week_m, units)
    left = format_distance(max(plan.week_cap_m - plan.state.week_m, 0), units)
    if plan.state.baseline_m:
        title = f"Keep running: {shown_distance(plan.state.week_m, units)} of {cap} this week"
        message = (
            f"Nothing in your check-in or runs needs a change. {left} left this week (Monday to "
            f"Sunday): at most {limit:g}% more than your baseline week of "
            f"{format_distance(plan.state.baseline_m, units)}."
        )
    else:
        title = f"Keep running: {shown_distance(plan.state.week_m, units)} of {cap} this week"
        message = (
            f"Nothing in your check-in or runs needs a change. With no earlier weeks to compare, "
            f"the first weeks start at {cap}; log or import your runs of the last weeks to set "
            "your own baseline."
        )
    if snapshot.todays_checkin is None:
        message += " Check in today so the advice can take your knee into account."
    return [make("core.all_clear", "keep_running", "info", title, message, _week_reasons(plan),
                 EVIDENCE["all_clear"], kind="plan")]


def core_advice(snapshot: DaySnapshot) -> list[Advice]:
    """Run every core rule (without the all-clear) and return what fired."""
    fired: list[Advice] = []
    for rule in CORE_RULES:
        fired.extend(rule(snapshot))
    return fired
