"""The reminder planner (PURE): which reminders to write into the outbox at ``now``.

Input: one ``RunnerState`` per runner (settings, latest check-in date, today's alerts from
guidance, what the outbox already holds) and an aware ``now``. Output: ``PlannedReminder``
rows, keyed ``"<user>:<kind>:<local_date>"`` (the outbox's unique key). Nothing here touches
a clock, a database or Flask.

Rules (times are the runner's local wall-clock time in their IANA zone, DST-aware):

* ``checkin_due`` — at ``reminder_time`` on a local date without a check-in
  (``last_checkin_date != today``). It is planned only once that time has come, so a runner
  who checks in at 19:59 never gets the 20:00 reminder.
* Alerts (``rest``, ``reduce_volume``, ``contact_pt``, ``contact_doctor``) from today's
  guidance — planned at the next tick, ``due_at = now``.
* ``weekly_plan`` — once a week, on Sunday at ``reminder_time`` (20:00 when the runner has
  no reminder time), when a next-week cap is known.
* Quiet hours (``start``–``end``, may cross midnight; start == end means none): nothing is
  due inside them. An alert raised in quiet hours is planned at once with ``due_at`` = the
  end of the quiet period. A scheduled reminder (``checkin_due``, ``weekly_plan``) whose
  time falls inside quiet hours moves to their end — if that end is on the next local date
  it is skipped for the day; while ``now`` is inside quiet hours it waits.
* Once per (runner, kind, local date): a kind already in ``planned`` is never planned again.
* One push per tick: everything due for a runner in the same tick is folded into ONE push,
  carried by the most urgent kind (contact_doctor > contact_pt > rest > reduce_volume >
  checkin_due > weekly_plan); the others are returned with ``merged_into`` set to that
  push's key (write them with status "skipped" so they stay deduplicated) and are named in
  the push's ``context["also"]``. Pain 5/10 -> one push: "contact your therapist" + "rest".
* Daily cap: at most ``daily_cap`` (default 3) pushes per runner per local date, counting
  ``planned`` minus ``skipped``. A push carrying ``contact_doctor`` (urgent: fever with
  knee pain or swelling) is always allowed, even over the cap.
* Stale rule (the worker was down): a scheduled reminder more than ``stale_after`` (3 h)
  late, or whose local date is over, is skipped; alerts are planned only for today's local
  date and at most once. A restart never produces a burst of old reminders.

A time zone name this machine does not know falls back to UTC (zones are validated when a
runner saves their profile). Nonexistent local times (the spring-forward gap) shift by the
gap; ambiguous ones (fall-back) use the first occurrence.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from strideguard.day.values import RunnerSettings
from strideguard.plan.phases import session_pain_max, session_text
from strideguard.plan.machine import PlanDay, next_week_cap

if TYPE_CHECKING:
    from strideguard.guidance.engine import Guidance

ALERT_KINDS = frozenset({"rest", "reduce_volume", "contact_pt", "contact_doctor"})
#: Advice actions (from the clinic rules and plugins) that become push alerts, and the kind.
ACTION_TO_ALERT: Mapping[str, str] = MappingProxyType({
    "stop_running": "rest",
    "rest": "rest",
    "reduce_volume": "reduce_volume",
    "reduce_intensity": "reduce_volume",
    "contact_pt": "contact_pt",
    "contact_doctor": "contact_doctor",
})
#: Care-plan events that become push alerts. The plan's own cards (rest day N of M, the
#: return session, the weekly cap) repeat every day; they alert once, on the day the plan
#: changes, and the daily check-in reminder carries the plan after that.
EVENT_TO_ALERT: Mapping[str, str] = MappingProxyType({
    "rest_started": "rest",
    "rest_extended": "rest",
    "over_cap": "reduce_volume",
    "speed_over": "reduce_volume",
})
#: Advice actions and plan events whose ``reduce_volume`` alert asks to ease the pace or the
#: effort, not to cut the week's distance: its push says "Go easier", not "Run less this week".
EASE_ACTIONS = frozenset({"reduce_intensity"})
EASE_EVENTS = frozenset({"speed_over"})
#: Reason metrics copied into an alert's context (the payload shows them in detailed mode).
CONTEXT_METRICS = ("distance_pct", "speed_pct")
PAIN_FIELDS = frozenset({"pain", "pain_during", "pain_after", "pain_after_yesterday"})
# Lower number = more urgent; the most urgent kind of a tick carries the push.
PRIORITY: dict[str, int] = {
    "contact_doctor": 0,
    "contact_pt": 1,
    "rest": 2,
    "reduce_volume": 3,
    "checkin_due": 4,
    "weekly_plan": 5,
}
SUNDAY = 6
DEFAULT_WEEKLY_TIME = time(20, 0)
_EMPTY: Mapping[str, Any] = MappingProxyType({})
_UTC = timezone.utc


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Local wall-clock quiet period; ``start > end`` crosses midnight (22:00–07:00)."""

    start: time
    end: time

    def contains(self, t: time) -> bool:
        """True when local time ``t`` is inside the quiet period (end excluded)."""
        if self.start < self.end:
            return self.start <= t < self.end
        if self.start > self.end:
            return t >= self.start or t < self.end
        return False

    def end_date(self, day: date, t: time) -> date:
        """The local date on which a quiet period containing ``day`` ``t`` ends."""
        if self.start > self.end and t >= self.start:
            return day + timedelta(days=1)
        return day


@dataclass(frozen=True, slots=True)
class Alert:
    """An alert kind from the runner's guidance for ``local_date``, with payload context
    (e.g. ``{"pain": 5, "pain_threshold": 3}``; see ``strideguard.push.payload``)."""

    kind: str
    local_date: date
    context: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, slots=True)
class PlanBrief:
    """The care plan of the runner's local today, as a push needs it."""

    state: str  # normal | rest | return
    day: int | None = None  # day N of the state
    of_days: int | None = None  # rest length
    session: str | None = None  # today's return session ("Walk 2 min / run 3 min for 1.6 km, easy")
    session_today: str | None = None  # session | rest_day | done
    cap_m: int | None = None  # this week's cap (normal)
    next_week_cap_m: int | None = None  # next week's cap if this week ends as it stands
    ceiling: int | None = None  # the session pain ceiling: what ends a rest, what a session allows
    hold: bool | None = None  # a rest held until the knee has been assessed

    def context(self) -> dict[str, Any]:
        """The payload context keys for this plan (``plan_state``, ``plan_day`` …)."""
        out: dict[str, Any] = {"plan_state": self.state}
        for name, key in (("day", "plan_day"), ("of_days", "plan_of_days"), ("session", "session"),
                          ("session_today", "session_today"), ("ceiling", "session_ceiling"),
                          ("hold", "plan_hold")):
            value = getattr(self, name)
            if value is not None:
                out[key] = value
        return out


@dataclass(frozen=True, slots=True)
class RunnerState:
    """What the planner needs to know about one runner at this tick."""

    user_id: int | str
    timezone: str
    reminder_time: time | None = time(20, 0)  # None: no daily check-in reminder
    quiet_hours: QuietHours | None = None
    notification_detail: str = "discreet"
    last_checkin_date: date | None = None  # latest local date with a check-in
    alerts: tuple[Alert, ...] = ()
    next_week_cap_m: float | None = None  # None: no weekly_plan push
    units: str = "km"
    plan: PlanBrief | None = None  # today's care plan: the check-in reminder follows it
    planned: frozenset[tuple[str, date]] = frozenset()  # (kind, local_date) already in the outbox
    skipped: frozenset[tuple[str, date]] = frozenset()  # those of them that were never pushed


@dataclass(frozen=True, slots=True)
class PlannerSettings:
    """Tunable rules (defaults documented in the module docstring)."""

    daily_cap: int = 3
    stale_after: timedelta = timedelta(hours=3)
    weekly_weekday: int = SUNDAY
    cap_exempt: frozenset[str] = frozenset({"contact_doctor"})


@dataclass(frozen=True, slots=True)
class PlannedReminder:
    """One outbox row to insert. ``merged_into`` set: folded into that push, do not send."""

    user_id: int | str
    kind: str
    local_date: date
    key: str
    due_at: datetime  # aware, UTC
    context: Mapping[str, Any] = field(default_factory=dict)
    detail: str = "discreet"
    merged_into: str | None = None


DEFAULT_SETTINGS = PlannerSettings()
_ZONES: dict[str, ZoneInfo] = {}


def _zone(name: str) -> ZoneInfo:
    tz = _ZONES.get(name)
    if tz is None:
        try:
            tz = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            tz = ZoneInfo("UTC")
        _ZONES[name] = tz
    return tz


class _ZoneNow:
    """``now`` seen from one zone, computed once per planning pass."""

    __slots__ = ("tz", "today", "local_time", "weekday", "_at")

    def __init__(self, tz: ZoneInfo, now: datetime) -> None:
        local = now.astimezone(tz)
        self.tz = tz
        self.today = local.date()
        self.local_time = local.time()
        self.weekday = local.weekday()
        self._at: dict[tuple[date, time], datetime] = {}

    def at(self, day: date, t: time) -> datetime:
        """UTC instant of local ``day`` ``t`` in this zone (cached)."""
        hit = self._at.get((day, t))
        if hit is None:
            hit = datetime.combine(day, t, tzinfo=self.tz).astimezone(_UTC)
            self._at[(day, t)] = hit
        return hit


def _scheduled_due(
    z: _ZoneNow, t: time, quiet: QuietHours | None, now: datetime, stale: timedelta
) -> datetime | None:
    """Due instant of a scheduled reminder at local ``t`` today if it should go now."""
    day = z.today
    if quiet is not None:
        if quiet.contains(z.local_time):
            return None  # wait for the quiet period to end
        if quiet.contains(t):
            if quiet.end_date(day, t) != day:
                return None  # deferred into tomorrow: this date's reminder is over
            t = quiet.end
    due = z.at(day, t)
    if due > now or now - due > stale:
        return None
    return due


def _key(user_id: int | str, kind: str, day: date) -> str:
    return f"{user_id}:{kind}:{day.isoformat()}"


def plan(
    runners: Iterable[RunnerState], now: datetime, settings: PlannerSettings = DEFAULT_SETTINGS
) -> list[PlannedReminder]:
    """Plan the reminders due at ``now`` (aware) for ``runners``; see the module rules.

    Returns rows in input order; per runner the push comes first, then rows merged into it.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(_UTC)
    zones: dict[str, _ZoneNow] = {}
    stale = settings.stale_after
    weekly_weekday = settings.weekly_weekday
    out: list[PlannedReminder] = []
    for runner in runners:
        z = zones.get(runner.timezone)
        if z is None:
            z = zones[runner.timezone] = _ZoneNow(_zone(runner.timezone), now)
        today = z.today
        planned = runner.planned
        due: list[tuple[str, datetime, Mapping[str, Any]]] = []

        if runner.alerts:
            for alert in runner.alerts:
                if alert.kind not in ALERT_KINDS:
                    raise ValueError(f"not an alert kind: {alert.kind!r}")
                if alert.local_date != today or (alert.kind, today) in planned:
                    continue
                if any(k == alert.kind for k, _, _ in due):
                    continue
                quiet = runner.quiet_hours
                if quiet is not None and quiet.contains(z.local_time):
                    at = z.at(quiet.end_date(today, z.local_time), quiet.end)
                else:
                    at = now
                due.append((alert.kind, at, alert.context))

        rt = runner.reminder_time
        if rt is not None and runner.last_checkin_date != today and ("checkin_due", today) not in planned:
            at_or_none = _scheduled_due(z, rt, runner.quiet_hours, now, stale)
            if at_or_none is not None:
                due.append(("checkin_due", at_or_none,
                            runner.plan.context() if runner.plan is not None else _EMPTY))

        if (
            z.weekday == weekly_weekday
            and runner.next_week_cap_m is not None
            and (runner.plan is None or runner.plan.state == "normal")
            and ("weekly_plan", today) not in planned
        ):
            at_or_none = _scheduled_due(z, rt or DEFAULT_WEEKLY_TIME, runner.quiet_hours, now, stale)
            if at_or_none is not None:
                due.append(("weekly_plan", at_or_none, {"next_week_cap_m": runner.next_week_cap_m}))

        if due:
            _emit(runner, today, due, settings, out)
    return out


def _emit(
    runner: RunnerState,
    today: date,
    due: list[tuple[str, datetime, Mapping[str, Any]]],
    settings: PlannerSettings,
    out: list[PlannedReminder],
) -> None:
    due.sort(key=lambda item: PRIORITY[item[0]])
    kinds = [kind for kind, _, _ in due]
    if not settings.cap_exempt.intersection(kinds):
        pushes_today = sum(1 for k, d in runner.planned if d == today and (k, d) not in runner.skipped)
        if pushes_today >= settings.daily_cap:
            return
    kind, at, ctx = due[0]
    context: dict[str, Any] = dict(ctx)
    context.setdefault("units", runner.units)
    for other_kind, _, other_ctx in due[1:]:
        for name, value in other_ctx.items():
            context.setdefault(name, value)
    if len(kinds) > 1:
        context["also"] = kinds[1:]
    key = _key(runner.user_id, kind, today)
    out.append(PlannedReminder(runner.user_id, kind, today, key, at, context, runner.notification_detail))
    for other_kind, _, other_ctx in due[1:]:
        out.append(
            PlannedReminder(
                runner.user_id,
                other_kind,
                today,
                _key(runner.user_id, other_kind, today),
                at,
                dict(other_ctx),
                runner.notification_detail,
                merged_into=key,
            )
        )


@dataclass(frozen=True, slots=True)
class DueWindow:
    """Local wall-clock times in one zone at which a scheduled reminder can be due now.

    A runner in the zone can have ``checkin_due`` (or, when ``weekly``, ``weekly_plan``)
    planned at this tick only if their ``reminder_time`` — or the end of their quiet hours,
    where a reminder inside them moves to — lies in ``[start, end]`` on local date
    ``today`` (20:00 stands in for a missing reminder time on the weekly plan). The window
    is the planner's stale rule (a reminder more than ``stale_after`` late, or of a date that
    is over, is skipped) widened by an hour for clock changes: a superset, never a miss.
    """

    zone: str
    today: date
    start: time
    end: time
    weekly: bool


def due_windows(zones: Iterable[str], now: datetime,
                settings: PlannerSettings = DEFAULT_SETTINGS) -> list[DueWindow]:
    """The :class:`DueWindow` of each zone at ``now`` (aware) — evaluated once per zone, so
    the sweep selects in SQL only the runners who can have anything due."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    out = []
    for name in zones:
        tz = _zone(name)
        local = now.astimezone(tz)
        earliest = (now - settings.stale_after - timedelta(hours=1)).astimezone(tz)
        start = earliest.time() if earliest.date() == local.date() else time(0, 0)
        out.append(DueWindow(name, local.date(), start, local.time(),
                             local.weekday() == settings.weekly_weekday))
    return out


def alerts_for(guidance: Guidance) -> tuple[Alert, ...]:
    """One alert per kind raised by a day's :class:`~strideguard.guidance.engine.Guidance`:
    from the advice of the clinic rules and plugins (``ACTION_TO_ALERT``) and from the care
    plan's events of that day (``EVENT_TO_ALERT``), with the numbers behind them and the
    plan's state. Advice reconciled away under the verdict raises nothing."""
    found: dict[str, dict[str, Any]] = {}
    plan = guidance.plan

    def add(kind: str, ident: str, reasons: Iterable[Any], ease: bool = False) -> None:
        if kind in found:
            if not ease:  # a distance to cut as well: "Run less this week" stands
                found[kind].pop("ease", None)
            return
        context: dict[str, Any] = {"advice_id": ident}
        if ease:  # only the pace or the effort to ease: the push says so ("Go easier")
            context["ease"] = True
        for reason in reasons:
            value = reason.value
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                continue
            if reason.metric in PAIN_FIELDS:
                context["pain"] = max(value, context.get("pain", value))
                if isinstance(reason.threshold, int):
                    context["pain_threshold"] = reason.threshold
            elif reason.metric in CONTEXT_METRICS:
                context[reason.metric] = value
        if plan is not None:
            context["plan_state"] = plan.name
            if plan.of_days is not None:
                context.update(plan_day=plan.day_number, plan_of_days=plan.of_days, plan_hold=plan.state.hold)
            if guidance.settings is not None:
                context["session_ceiling"] = session_pain_max(guidance.settings.pain_threshold)
            if plan.name == "normal":
                context["cap_m"] = plan.week_cap_m
        found[kind] = context

    for advice in guidance.advice:
        if advice.source.kind == "plan":
            continue
        kind = ACTION_TO_ALERT.get(advice.action)
        if kind is not None:
            add(kind, advice.id, advice.reasons, ease=advice.action in EASE_ACTIONS)
    if plan is not None:
        for event in plan.events:
            kind = EVENT_TO_ALERT.get(event.kind)
            if kind is not None:
                add(kind, f"plan.{event.kind}", (event.reason,), ease=event.kind in EASE_EVENTS)
    if plan is not None and plan.name == "rest":
        # A rest says no running at all: "Run less this week" (a jump the same run made) beside
        # it would contradict it.
        found.pop("reduce_volume", None)
    return tuple(Alert(kind, guidance.as_of, ctx) for kind, ctx in found.items())


def brief(day: PlanDay, settings: RunnerSettings) -> PlanBrief:
    """The :class:`PlanBrief` of a care-plan day."""
    session = session_today = None
    if day.name == "return" and day.session is not None:
        session = session_text(day.session, settings.units)
        if day.state.last_session == day.date:
            session_today = "done"
        else:
            session_today = "session" if day.session_day else "rest_day"
    return PlanBrief(
        state=day.name,
        day=day.day_number if day.name != "normal" else None,
        of_days=day.of_days,
        session=session,
        session_today=session_today,
        cap_m=day.week_cap_m if day.name == "normal" else None,
        next_week_cap_m=next_week_cap(day, settings),
        ceiling=session_pain_max(settings.pain_threshold) if day.name != "normal" else None,
        hold=day.state.hold if day.name == "rest" else None,
    )
