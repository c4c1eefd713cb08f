"""The core rules (PURE): the clinic's article (DESIGN §4) read through the runner's care plan.

Pure functions: each takes a :class:`DaySnapshot` and returns a list of :class:`Advice`
(empty when it does not fire). The care plan (``snapshot.plan``, see ``strideguard.plan``)
already decided the state of the day — normal, rest or return — and this week's cap; the
rules turn that into words and reasons. Thresholds are strict: "more than 3/10" fires at 4,
not at 3; "more than 10%" fires at 10.1, never at 10.0 (compared at display precision).

Labels (``source.kind``): ``clinic`` for the seed's rules here, ``plan`` for the care plan's
cards (``guidance.plancards``). The red flags' words are ``day.redflags``'s.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from importlib import metadata

from strideguard.day import redflags
from strideguard.guidance.advice import Advice, Reason, Source
from strideguard.guidance.snapshot import DaySnapshot
from strideguard.guidance.wording import EVIDENCE
from strideguard.plan.machine import NORMAL, REST, PlanDay

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


def _resting(snapshot: DaySnapshot) -> bool:
    """True when the day's care plan is in rest: its rest card is the day's one verdict, and
    it carries the pains and red flags that rest the knee (no second card repeats them)."""
    return snapshot.plan is not None and snapshot.plan.name == REST


def pain_threshold(snapshot: DaySnapshot) -> list[Advice]:
    """Pain above the runner's limit in any pain of the day: stop and see the therapist. In
    a rest (which such pain always starts) the rest card says it, with the same reasons."""
    limit = snapshot.settings.pain_threshold
    over = [p for p in snapshot.day_pains if p.value > limit]
    if not over or _resting(snapshot):
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


def _flag_advice(flag: redflags.RedFlag, snapshot: DaySnapshot, reasons: list[Reason],
                 message: str | None = None) -> Advice:
    return make(flag.advice_id, flag.action, flag.severity, flag.title, message or flag.message, reasons,
                EVIDENCE[_FLAG_EVIDENCE[flag.advice_id]])


_FLAG_EVIDENCE = {"core.fever": "fever", "core.swelling": "swelling", "core.mechanical": "mechanical"}


def _todays_flags(snapshot: DaySnapshot) -> tuple[redflags.RedFlag, ...]:
    return redflags.found(snapshot.todays_checkin, snapshot.day_pains)


def fever(snapshot: DaySnapshot) -> list[Advice]:
    """A fever: with a painful or swollen knee, call a doctor today (urgent); alone, no
    running today, and a doctor if it lasts (``day.redflags``)."""
    flags = _todays_flags(snapshot)
    flag = next((f for f in flags if f.field == "fever"), None)
    if flag is None:
        return []
    checkin = snapshot.todays_checkin
    reasons = [Reason("fever", True, None)]
    if flag is redflags.FEVER_KNEE:
        reasons += [Reason("pain", snapshot.worst_pain, None), Reason("swelling", checkin.swelling, None)]
    return [_flag_advice(flag, snapshot, reasons)]


def swelling(snapshot: DaySnapshot) -> list[Advice]:
    """Swelling reported: tell the therapist, no running until it is down. Shown in a rest as
    well: the rest's card says how long, this one what to do about the swelling."""
    flags = _todays_flags(snapshot)
    if redflags.SWELLING not in flags:
        return []
    reasons = [Reason("swelling", True, None)]
    if redflags.FEVER_KNEE in flags:  # a hot, swollen knee: the doctor first, no self-care tips
        return [_flag_advice(redflags.SWELLING, snapshot, reasons + [Reason("fever", True, None)],
                             redflags.SWELLING.with_fever)]
    return [_flag_advice(redflags.SWELLING, snapshot, reasons)]


def mechanical(snapshot: DaySnapshot) -> list[Advice]:
    """The knee locks, gives way or cannot straighten: the therapist should look at it before
    the runner runs again (the plan holds the rest until then)."""
    flags = [f for f in _todays_flags(snapshot) if f.holds]
    if not flags:
        return []
    return [_flag_advice(flags[0], snapshot, [Reason(f.id, True, None) for f in flags])]


def mild_pain(snapshot: DaySnapshot) -> list[Advice]:
    """Pain above 0 and within the limit on a day of normal running: a calm note to mention
    it to the therapist (in a rest or a return the plan's card says what the pain means)."""
    limit = snapshot.settings.pain_threshold
    worst = snapshot.worst_pain
    if not 0 < worst <= limit or _plan(snapshot).name != NORMAL:
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


def morning_pain(snapshot: DaySnapshot) -> list[Advice]:
    """Today's morning pain or stiffness above the runner's pain limit: not pain for the
    threshold (``day.values.pains_of_day``), but never a day with "nothing needs a change":
    tell the therapist. (Found trying it: a morning of 10/10, "could barely walk", got the
    all-clear.)"""
    checkin = snapshot.todays_checkin
    limit = snapshot.settings.pain_threshold
    if checkin is None or checkin.morning_pain is None or checkin.morning_pain <= limit:
        return []
    morning = checkin.morning_pain
    return [
        make(
            "core.morning_pain",
            "contact_pt",
            "caution",
            "Tell your therapist about your mornings",
            f"You rated your knee {morning}/10 when you woke up, above your limit of {limit}/10. "
            "Stiffness on waking does not count toward the limit, but a knee that sore in the "
            "morning could mean it is not settling overnight: show your therapist.",
            [Reason("morning_pain", morning, limit)],
            EVIDENCE["morning_pain"],
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




#: Actions that do not stop an all-clear.
QUIET_ACTIONS = frozenset({"keep_running", "info"})
