"""The clinic's decisions (PURE): limits in force, a patient's urgency, alerts to therapists.

Nothing here touches a clock, a database or Flask; callers pass plain values and ``now``.

Limits
    A therapist sets any of ``pain_threshold``, ``weekly_increase_pct``,
    ``speed_increase_pct``, ``conditions`` and ``instruction`` for one patient; a limit set
    replaces the runner's own and is locked for the runner. With two therapists, the
    stricter number wins (the lower pain threshold, the smaller increase), the conditions
    are the union, and the most recently changed instruction is shown.

Urgency (the dashboard's order)
    ``red_flag`` (an urgent flag of ``day.redflags``: fever with a painful or swollen knee,
    swelling, a knee that locks, gives way or will not straighten, reported in the
    patient's last ``RECENT_DAYS`` local days) > plan state ``rest`` >
    ``pain_above_limit`` (any pain of those days above the limit in force), ``flag``
    (a fever alone) and ``exercise_pain`` (pain during a prescribed exercise above its
    ceiling on one of those days: the worst, with its exercise) > ``weekly_jump`` (this week's distance or speed up more than the limit
    on the care plan's baseline) > none. Within a level: unread alerts first, then the
    worst recent pain, then the latest check-in, then the name.

Alerts to therapists (from the care plan's day: its pains, red flags and events)
    ``patient_urgent``: an urgent red flag today. ``patient_alert``: a pain of today above
    the limit, the plan entered ``rest`` today, or a fever alone. ``patient_load``: this
    week passed its distance or speed limit, or the runner ran during a rest, beyond the
    session, or on a day the return gives to rest. ``patient_recurrence``: a second (or
    later) flare within six weeks. Each kind at most once per therapist, patient and
    (patient's) local date — so each of those reaches a therapist exactly once a day.
    Several due in one pass for one therapist: ONE push, carried by the first in that
    order, with the others written as merged. Nothing is due in the therapist's quiet
    hours (deferred to their end); a muted patient's alerts are written as skipped (the
    dashboard badge still counts them, no push goes out).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from typing import TYPE_CHECKING

from strideguard.day import redflags
from strideguard.day.values import Pain, RunnerSettings
from strideguard.load.weekly import exceeds
from strideguard.plan.machine import PlanEvent
from strideguard.timeutil import zone

if TYPE_CHECKING:
    from strideguard.reminders.planner import QuietHours

RECENT_DAYS = 3
URGENT, ALERT, LOAD, RECURRENCE = "patient_urgent", "patient_alert", "patient_load", "patient_recurrence"
#: Pain during an exercise above its ceiling, the second time within seven days (``rehab``).
EXERCISE_PAIN = "patient_rehab"
#: Therapist alert kinds, in the order one push carries them.
KINDS = (URGENT, ALERT, RECURRENCE, LOAD, EXERCISE_PAIN)
LEVELS = {"red_flag": 4, "rest": 3, "pain_above_limit": 2, "flag": 2, "exercise_pain": 2, "weekly_jump": 1,
          "silent": 1}
#: Days without a check-in after which a patient in a rest or a return is "silent": the plan
#: waits on check-ins (a rest ends on them, a session counts with the next morning's).
SILENT_DAYS = 7
#: Plan events that tell a therapist about load: (event kind, alert reason).
LOAD_EVENTS = {"over_cap": "over_cap", "speed_over": "speed_over", "ran_during_rest": "ran_during_rest",
               "session_too_long": "session_too_long", "session_early": "session_early"}
NUMERIC_LIMITS = ("pain_threshold", "weekly_increase_pct", "speed_increase_pct")


# --- limits ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TherapistLimits:
    """What one therapist set for one patient (``None``: not set)."""

    therapist_id: int
    therapist: str  # as shown to the runner
    pain_threshold: int | None = None
    weekly_increase_pct: float | None = None
    speed_increase_pct: float | None = None
    conditions: tuple[str, ...] | None = None
    instruction: str | None = None
    updated_at: datetime | None = None

    def is_set(self, name: str) -> bool:
        return getattr(self, name) is not None


def apply_limits(own: RunnerSettings, limits: Sequence[TherapistLimits]) -> RunnerSettings:
    """The runner's settings with their therapists' limits layered on (see the module doc)."""
    if not limits:
        return own
    changes: dict[str, Any] = {}
    locked: list[str] = []
    for name in NUMERIC_LIMITS:
        values = [getattr(item, name) for item in limits if item.is_set(name)]
        if values:
            changes[name] = min(values)
            locked.append(name)
    sets = [item.conditions for item in limits if item.conditions is not None]
    if sets:
        changes["conditions"] = tuple(dict.fromkeys(c for chosen in sets for c in chosen))
        locked.append("conditions")
    instructed = [item for item in limits if item.instruction]
    if instructed:
        latest = max(instructed, key=lambda item: (item.updated_at is not None, item.updated_at or 0))
        changes["instruction"] = latest.instruction
        locked.append("instruction")
    return replace(own, locked=tuple(locked), **changes)


def set_by(limits: Sequence[TherapistLimits], settings: RunnerSettings) -> dict[str, list[str]]:
    """For each locked limit, the therapists whose value is in force (for "set by …")."""
    out: dict[str, list[str]] = {}
    for name in settings.locked:
        value = getattr(settings, name)
        who = []
        for item in limits:
            mine = getattr(item, name)
            if mine is None:
                continue
            if name == "conditions" or mine == value:  # all who chose conditions; else the winner
                who.append(item.therapist)
        out[name] = list(dict.fromkeys(who))
    return out


def limit_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``{field: {"old": …, "new": …}}`` for each limit that differs (lists compared as sets)."""
    changed: dict[str, dict[str, Any]] = {}
    for name, new in after.items():
        old = before.get(name)
        same = (sorted(old) == sorted(new)) if isinstance(old, (list, tuple)) and isinstance(new, (list, tuple)) else old == new
        if not same:
            changed[name] = {"old": list(old) if isinstance(old, tuple) else old,
                             "new": list(new) if isinstance(new, tuple) else new}
    return changed


# --- urgency -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PatientFacts:
    """What the dashboard knows about one patient (all local dates of the patient)."""

    patient_id: int
    name: str
    today: date
    settings: RunnerSettings
    #: (date, field, value) of every pain in the last RECENT_DAYS days.
    recent_pains: tuple[tuple[date, str, int], ...] = ()
    #: (date, flag) of every red flag in the last RECENT_DAYS days.
    recent_flags: tuple[tuple[date, str], ...] = ()
    last_checkin: date | None = None
    plan_state: str | None = None
    distance_pct: Decimal | None = None
    speed_pct: Decimal | None = None
    unseen_alerts: int = 0
    #: (date, exercise id, exercise name, pain, ceiling) of each exercise logged with pain
    #: above its ceiling (any recent dates: ``urgency`` keeps the last RECENT_DAYS days).
    exercise_pains: tuple[tuple[date, str, str, int, int], ...] = ()


@dataclass(frozen=True)
class Urgency:
    level: int
    reasons: tuple[dict[str, Any], ...] = field(default_factory=tuple)


def urgency(facts: PatientFacts) -> Urgency:
    """How urgent a patient is, and the numbers that make it so (most urgent first)."""
    s = facts.settings
    reasons: list[dict[str, Any]] = []
    for day, flag in sorted(facts.recent_flags, key=lambda item: item[0], reverse=True):
        if not any(r["metric"] == flag for r in reasons):
            known = redflags.BY_ID.get(flag)
            reasons.append({"kind": "red_flag" if known is None or known.urgent else "flag", "metric": flag,
                            "value": True, "threshold": None, "date": day.isoformat(),
                            "text": known.therapist if known else flag})
    if facts.plan_state == "rest":
        reasons.append({"kind": "rest", "metric": "plan_state", "value": "rest", "threshold": None,
                        "date": facts.today.isoformat()})
    over = [p for p in facts.recent_pains if p[2] > s.pain_threshold]
    if over:
        day, name, value = max(over, key=lambda p: (p[2], p[0]))
        reasons.append({"kind": "pain_above_limit", "metric": name, "value": value,
                        "threshold": s.pain_threshold, "date": day.isoformat()})
    recent = [e for e in facts.exercise_pains
              if 0 <= (facts.today - e[0]).days < RECENT_DAYS and e[3] > e[4]]
    if recent:
        day, exercise, name, value, ceiling = max(recent, key=lambda e: (e[3] - e[4], e[3], e[0]))
        reasons.append({"kind": "exercise_pain", "metric": "exercise_pain", "value": value, "threshold": ceiling,
                        "date": day.isoformat(), "exercise": exercise, "name": name,
                        "count": len(recent)})
    if exceeds(facts.distance_pct, s.weekly_increase_pct):
        reasons.append({"kind": "weekly_jump", "metric": "distance_pct", "value": float(facts.distance_pct),
                        "threshold": s.weekly_increase_pct, "date": facts.today.isoformat()})
    if exceeds(facts.speed_pct, s.speed_increase_pct):
        reasons.append({"kind": "weekly_jump", "metric": "speed_pct", "value": float(facts.speed_pct),
                        "threshold": s.speed_increase_pct, "date": facts.today.isoformat()})
    if facts.plan_state in ("rest", "return"):
        quiet = (facts.today - facts.last_checkin).days if facts.last_checkin is not None else None
        if quiet is None or quiet >= SILENT_DAYS:
            reasons.append({"kind": "silent", "metric": "days_since_checkin", "value": quiet,
                            "threshold": SILENT_DAYS,
                            "date": facts.last_checkin.isoformat() if facts.last_checkin else None})
    level = max((LEVELS[r["kind"]] for r in reasons), default=0)
    return Urgency(level, tuple(reasons))


def worst_recent_pain(facts: PatientFacts) -> int:
    return max((p[2] for p in facts.recent_pains), default=-1)


def order_key(facts: PatientFacts, found: Urgency) -> tuple:
    """Sort key for the dashboard: most urgent first (see the module doc)."""
    last = facts.last_checkin.toordinal() if facts.last_checkin else 0
    return (-found.level, -(facts.unseen_alerts > 0), -worst_recent_pain(facts), -last,
            facts.name.lower(), facts.patient_id)


# --- alerts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PatientDay:
    """Today's facts about one patient that can alert their therapists: the care plan's day
    as values (its pains, the red flags of today's check-in, its events)."""

    patient_id: int
    patient: str  # the name a therapist sees (only in a detailed push)
    local_date: date
    pain_threshold: int
    pains: tuple[Pain, ...] = ()  # the day's pains, as the plan counts them
    flags: tuple[redflags.RedFlag, ...] = ()  # red flags of today's check-in
    plan_events: tuple[PlanEvent, ...] = ()  # the care plan's events of today
    plan_state: str | None = None


@dataclass(frozen=True)
class Recipient:
    """One therapist of the patient."""

    therapist_id: int
    timezone: str = "UTC"
    quiet_hours: QuietHours | None = None
    muted: bool = False
    #: Kinds already in the outbox for this therapist, patient and local date.
    planned: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TherapistAlert:
    """One outbox row to write: recipient ``therapist_id``, subject ``patient_id``."""

    therapist_id: int
    patient_id: int
    kind: str
    local_date: date
    due_at: datetime
    context: Mapping[str, Any]
    status: str = "pending"  # "skipped" when merged or muted
    note: str | None = None  # why it was skipped


def alert_contexts(day: PatientDay) -> dict[str, dict[str, Any]]:
    """The alerts today's facts raise (kind -> payload context with the numbers)."""
    found: dict[str, dict[str, Any]] = {}
    base = {"patient_id": day.patient_id, "patient": day.patient}
    urgent = [f.id for f in day.flags if f.urgent]
    if urgent:
        found[URGENT] = {**base, "flags": list(dict.fromkeys(urgent))}
    reasons: list[str] = []
    context: dict[str, Any] = dict(base)
    over = [p.value for p in day.pains if p.value > day.pain_threshold]
    if over:
        reasons.append("pain_above_limit")
        context.update(pain=max(over), pain_threshold=day.pain_threshold)
    if any(e.kind == "rest_started" and e.to_state == "rest" for e in day.plan_events):
        reasons.append("rest_started")
        context["plan_state"] = "rest"
    quiet = [f.id for f in day.flags if not f.urgent]
    if quiet:
        reasons.append("flag")
        context["flags"] = quiet
    if reasons:
        found[ALERT] = {**context, "reasons": reasons}
    load: dict[str, Any] = dict(base)
    load_reasons: list[str] = []
    for event in day.plan_events:
        reason = LOAD_EVENTS.get(event.kind)
        if reason is None or reason in load_reasons:
            continue
        load_reasons.append(reason)
        value = event.reason.value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            load[event.reason.metric] = value
            load[f"{event.reason.metric}_limit"] = event.reason.threshold
    if load_reasons:
        found[LOAD] = {**load, "reasons": load_reasons, "plan_state": day.plan_state}
    for event in day.plan_events:
        if event.kind == "recurrence":
            found[RECURRENCE] = {**base, "flares": event.reason.value, "window_days": event.reason.threshold,
                                 "previous": event.detail.get("previous")}
    return found


def _due(recipient: Recipient, now: datetime) -> datetime:
    quiet = recipient.quiet_hours
    if quiet is None:
        return now
    local = now.astimezone(zone(recipient.timezone))
    if not quiet.contains(local.time()):
        return now
    end_day = quiet.end_date(local.date(), local.time())
    return datetime.combine(end_day, quiet.end, tzinfo=zone(recipient.timezone)).astimezone(timezone.utc)


def plan_alerts(day: PatientDay, recipients: Iterable[Recipient], now: datetime) -> list[TherapistAlert]:
    """The outbox rows today's facts call for (see the module doc); ``now`` is aware."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(timezone.utc)
    contexts = alert_contexts(day)
    out: list[TherapistAlert] = []
    for recipient in recipients:
        due = [kind for kind in KINDS if kind in contexts and kind not in recipient.planned]
        if not due:
            continue
        at = _due(recipient, now)
        lead, rest = due[0], due[1:]
        context = dict(contexts[lead])
        if rest:
            context["also"] = rest
            for other in rest:
                for key, value in contexts[other].items():
                    context.setdefault(key, value)
        status, note = ("skipped", "muted") if recipient.muted else ("pending", None)
        out.append(TherapistAlert(recipient.therapist_id, day.patient_id, lead, day.local_date, at,
                                  context, status, note))
        for other in rest:
            out.append(TherapistAlert(recipient.therapist_id, day.patient_id, other, day.local_date, at,
                                      {**contexts[other], "merged_into": lead}, "skipped", "merged"))
    return out
