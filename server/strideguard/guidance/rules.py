"""The core rules of DESIGN §4, straight from the seed article.

Pure functions: each takes a :class:`DaySnapshot` and returns a list of :class:`Advice` (empty
when it does not fire). Thresholds are strict: "more than 3/10" fires at 4, not at 3; "more
than 10%" fires at 10.1, not at 10.0.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from importlib import metadata

from strideguard.guidance.advice import Advice, Reason, Source
from strideguard.guidance.snapshot import CheckinSnap, DaySnapshot
from strideguard.guidance.wording import EVIDENCE, format_distance

#: A break of this many days or more without a run makes the next run a comeback.
BREAK_DAYS = 14

Rule = Callable[[DaySnapshot], list[Advice]]


@functools.cache
def core_version() -> str:
    """The installed StrideGuard version (``0+unknown`` when running from a source tree)."""
    try:
        return metadata.version("strideguard")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def core_source() -> Source:
    """The ``source`` of every core advice."""
    return Source("core", core_version())


def make(
    rule_id: str,
    action: str,
    severity: str,
    title: str,
    message: str,
    reasons: Iterable[Reason],
    evidence: str,
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
        source=core_source(),
    )


def _pct(value: float) -> float:
    return round(value, 1)


def day_pains(snapshot: DaySnapshot) -> list[tuple[str, int]]:
    """Every pain score recorded for ``as_of``: the check-in's and each run's, with its field."""
    pains: list[tuple[str, int]] = []
    checkin = snapshot.checkin
    if checkin is not None and checkin.date == snapshot.as_of:
        pains.append(("pain", checkin.pain))
        if checkin.morning_pain is not None:
            pains.append(("morning_pain", checkin.morning_pain))
    for run in snapshot.todays_runs:
        if run.pain_during is not None:
            pains.append(("pain_during", run.pain_during))
        if run.pain_after is not None:
            pains.append(("pain_after", run.pain_after))
    return pains


def rest_span(pain: int) -> str:
    """How long to rest first, by the worst pain of the day (a few days to a week)."""
    if pain >= 8:
        return "up to a week"
    if pain >= 6:
        return "3 to 5 days"
    return "2 to 3 days"


def pain_threshold(snapshot: DaySnapshot) -> list[Advice]:
    """Pain above the runner's threshold in any pain field of the day: stop, rest, call the PT."""
    limit = snapshot.settings.pain_threshold
    over = [(field, value) for field, value in day_pains(snapshot) if value > limit]
    if not over:
        return []
    worst = max(value for _, value in over)
    reasons = [Reason(field, value, limit) for field, value in over]
    span = rest_span(worst)
    return [
        make(
            "core.pain_threshold",
            "stop_running",
            "warning",
            "Stop running for now",
            f"Your knee pain reached {worst}/10, above your limit of {limit}/10. "
            "Running through that pain rarely helps the knee.",
            reasons,
            EVIDENCE["pain"],
        ),
        make(
            "core.pain_rest",
            "rest",
            "warning",
            f"Rest for {span}",
            f"Give the knee {span} off running, then try again only if pain stays at "
            f"{limit}/10 or below. Walking and daily life are fine if they do not hurt more.",
            reasons,
            EVIDENCE["rest"],
        ),
        make(
            "core.pain_contact_pt",
            "contact_pt",
            "caution",
            "Book your physical therapist",
            "A therapist can find the cause so the pain does not come back after the rest.",
            reasons,
            EVIDENCE["pain"],
        ),
    ]


def distance_jump(snapshot: DaySnapshot) -> list[Advice]:
    """Distance of the last 7 days up more than the weekly limit on the 7 before."""
    load = snapshot.load
    limit = snapshot.settings.weekly_increase_pct
    if load.distance_pct is None or load.distance_pct <= limit:
        return []
    units = snapshot.settings.units
    cap = format_distance(load.next_week_cap_m, units)
    return [
        make(
            "core.distance_jump",
            "reduce_volume",
            "caution",
            f"Keep the next 7 days under {cap}",
            f"You ran {_pct(load.distance_pct)}% more in the last 7 days "
            f"({format_distance(load.current.distance_m, units)}) than in the 7 before "
            f"({format_distance(load.previous.distance_m, units)}). Your limit is {limit:g}% "
            f"a week, so hold the next 7 days under {cap} to let knees and tendons catch up.",
            [
                Reason("distance_pct", _pct(load.distance_pct), limit),
                Reason("current_distance_m", round(load.current.distance_m), None),
                Reason("next_week_cap_m", round(load.next_week_cap_m), None),
            ],
            EVIDENCE["weekly"],
        )
    ]


def speed_jump(snapshot: DaySnapshot) -> list[Advice]:
    """Average speed of the last 7 days up more than the weekly limit (both windows have runs)."""
    load = snapshot.load
    limit = snapshot.settings.speed_increase_pct
    if load.speed_pct is None or load.speed_pct <= limit:
        return []
    return [
        make(
            "core.speed_jump",
            "reduce_intensity",
            "caution",
            "Slow down this week",
            f"Your average pace was {_pct(load.speed_pct)}% faster than the week before, "
            f"above your {limit:g}% limit. Run easy until your body has caught up.",
            [Reason("speed_pct", _pct(load.speed_pct), limit)],
            EVIDENCE["weekly"],
        )
    ]


def todays_checkin(snapshot: DaySnapshot) -> CheckinSnap | None:
    """The check-in dated ``as_of``, if any."""
    checkin = snapshot.checkin
    return checkin if checkin is not None and checkin.date == snapshot.as_of else None


def swelling(snapshot: DaySnapshot) -> list[Advice]:
    """Swelling reported: no running until it is down."""
    checkin = todays_checkin(snapshot)
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


def fever(snapshot: DaySnapshot) -> list[Advice]:
    """Fever together with knee pain or swelling: see a doctor today."""
    checkin = todays_checkin(snapshot)
    if checkin is None or not checkin.fever or not (checkin.pain > 0 or checkin.swelling):
        return []
    return [
        make(
            "core.fever",
            "contact_doctor",
            "urgent",
            "Call a doctor today",
            "You have a fever and a painful or swollen knee. That can be an infection in the "
            "knee, which needs a doctor and often antibiotics. Do not run.",
            [Reason("fever", True, None), Reason("pain", checkin.pain, None),
             Reason("swelling", checkin.swelling, None)],
            EVIDENCE["fever"],
        )
    ]


def mechanical(snapshot: DaySnapshot) -> list[Advice]:
    """The knee locks, gives way or cannot straighten: the therapist should look at it."""
    checkin = todays_checkin(snapshot)
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


def days_since_previous_run(snapshot: DaySnapshot) -> int | None:
    """Days between ``as_of`` and the latest run before it, or ``None`` with no earlier run."""
    earlier = [run.date for run in snapshot.runs if run.date < snapshot.as_of]
    if earlier:
        return (snapshot.as_of - max(earlier)).days
    if snapshot.last_run_before is not None:
        return (snapshot.as_of - snapshot.last_run_before).days
    return None


def return_after_break(snapshot: DaySnapshot) -> list[Advice]:
    """First run after 14 days or more without one, or a break the runner flagged."""
    if not snapshot.todays_runs and not snapshot.break_flagged:
        return []
    gap = days_since_previous_run(snapshot) if snapshot.todays_runs else None
    long_gap = gap is not None and gap >= BREAK_DAYS
    if not long_gap and not snapshot.break_flagged:
        return []
    reasons = [Reason("days_since_previous_run", gap, BREAK_DAYS)] if long_gap else []
    if snapshot.break_flagged:
        reasons.append(Reason("break_flagged", True, None))
    return [
        make(
            "core.return_after_break",
            "return_gradually",
            "caution",
            "Build back up slowly",
            "You are coming back after a break. Start shorter and easier than before and add "
            "a little each week; this is when many runners get hurt.",
            reasons,
            EVIDENCE["break"],
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


#: The seed's rules, in the order they are evaluated.
CORE_RULES: tuple[Rule, ...] = (
    fever,
    pain_threshold,
    swelling,
    mechanical,
    distance_jump,
    speed_jump,
    return_after_break,
    shoe_limit,
)

#: Actions that do not stop an all-clear.
QUIET_ACTIONS = frozenset({"keep_running", "info"})


def all_clear(snapshot: DaySnapshot, fired: Iterable[Advice]) -> list[Advice]:
    """Nothing asks for a change: keep running within the weekly cap."""
    if any(advice.action not in QUIET_ACTIONS for advice in fired):
        return []
    load = snapshot.load
    units = snapshot.settings.units
    limit = snapshot.settings.weekly_increase_pct
    if load.current.distance_m > 0:
        cap = format_distance(load.next_week_cap_m, units)
        title = f"Keep running, under {cap} in the next 7 days"
        message = (
            f"Nothing in your check-in or runs needs a change. Stay within {limit:g}% more "
            f"than the last 7 days: at most {cap}."
        )
        reasons = [
            Reason("current_distance_m", round(load.current.distance_m), None),
            Reason("next_week_cap_m", round(load.next_week_cap_m), None),
        ]
    else:
        title = "Keep running, and build up gradually"
        message = (
            "Nothing in your check-in or runs needs a change. Start with short, easy runs "
            f"and add no more than {limit:g}% a week."
        )
        reasons = [Reason("current_distance_m", 0, None)]
    if todays_checkin(snapshot) is None:
        message += " Check in today so the advice can take your knee into account."
    return [make("core.all_clear", "keep_running", "info", title, message, reasons,
                 EVIDENCE["all_clear"])]


def core_advice(snapshot: DaySnapshot) -> list[Advice]:
    """Run every core rule (without the all-clear) and return what fired."""
    fired: list[Advice] = []
    for rule in CORE_RULES:
        fired.extend(rule(snapshot))
    return fired
