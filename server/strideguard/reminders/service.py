"""Reminder passes: plan (scheduled kinds and guidance alerts), then deliver the outbox
(``reminders/delivery.py``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from flask import current_app
from sqlalchemy import Integer, any_, case, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY as PG_ARRAY

from strideguard.accounts.models import User
from strideguard.extensions import db
from strideguard.push.models import PushSubscription
from strideguard.push.sender import VapidSigner
from strideguard.reminders import outbox
from strideguard.reminders.delivery import deliver
from strideguard.reminders.models import Reminder
from strideguard.reminders.planner import Alert, PlannerSettings, QuietHours, RunnerState, plan
from strideguard.timeutil import local_today, utcnow
from strideguard.training.models import Checkin, Run

log = logging.getLogger(__name__)

#: Guidance actions that become push alerts, and the alert kind each one raises.
ACTION_TO_ALERT = {
    "stop_running": "rest",
    "rest": "rest",
    "reduce_volume": "reduce_volume",
    "reduce_intensity": "reduce_volume",
    "contact_pt": "contact_pt",
    "contact_doctor": "contact_doctor",
}


def planner_settings() -> PlannerSettings:
    return PlannerSettings(daily_cap=current_app.config["PUSH_DAILY_CAP"])


_QUIET: dict[tuple[time, time], QuietHours] = {}


def _quiet(user: Any) -> QuietHours | None:
    start, end = user.quiet_start, user.quiet_end
    if start and end and start != end:
        found = _QUIET.get((start, end))
        if found is None:  # a handful of distinct periods: share one object per period
            found = _QUIET.setdefault((start, end), QuietHours(start, end))
        return found
    return None


def alerts_from_guidance(guidance: dict[str, Any], day: date) -> tuple[Alert, ...]:
    """One alert per kind raised by the day's advice, with the numbers behind it."""
    found: dict[str, dict[str, Any]] = {}
    for advice in guidance.get("advice", []):
        kind = ACTION_TO_ALERT.get(advice.get("action"))
        if kind is None or kind in found:
            continue
        context: dict[str, Any] = {"advice_id": advice["id"]}
        for reason in advice.get("reasons", []):
            if reason.get("metric") in ("pain", "next_week_cap_m", "distance_pct") and isinstance(
                reason.get("value"), (int, float)
            ):
                context[reason["metric"]] = reason["value"]
        found[kind] = context
    return tuple(Alert(kind, day, ctx) for kind, ctx in found.items())


_NO_KEYS: tuple[set, set] = (set(), set())
_NONE: frozenset = frozenset()


def _ids_match(column: Any, ids: list[int]) -> Any:
    """``column`` is one of ``ids``: ``= ANY(array)`` on PostgreSQL (one bound parameter, an
    index scan per id), an IN list elsewhere (SQLite binds at most 32,766 parameters)."""
    if db.engine.dialect.name == "postgresql":
        return column == any_(literal(ids, PG_ARRAY(Integer)))
    return column.in_(ids)


def _chunks(items: list, size: int | None = None):
    size = size or (len(items) or 1 if db.engine.dialect.name == "postgresql" else 10_000)
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _planned_keys(user_ids: list[int], since: date) -> dict[int, tuple[set, set]]:
    """(planned, skipped) outbox keys since ``since`` per runner; absent runners have none."""
    keys: dict[int, tuple[set, set]] = {}
    for chunk in _chunks(user_ids):
        rows = db.session.execute(
            select(Reminder.user_id, Reminder.kind, Reminder.local_date, Reminder.status).where(
                _ids_match(Reminder.user_id, chunk), Reminder.local_date >= since
            )
        )
        for uid, kind, day, status in rows:
            planned, skipped = keys.setdefault(uid, (set(), set()))
            planned.add((kind, day))
            if status == "skipped":
                skipped.add((kind, day))
    return keys


#: The user columns a planning pass reads (not whole ORM rows: 100k of those cost seconds).
_PLAN_COLUMNS = (
    User.id, User.timezone, User.reminder_time, User.quiet_start, User.quiet_end,
    User.notification_detail, User.units, User.weekly_increase_pct,
)


def _state(user: Any, last_checkin: date | None, planned: tuple[set, set],
           alerts: tuple[Alert, ...] = (), cap_m: float | None = None) -> RunnerState:
    return RunnerState(
        user_id=user.id,
        timezone=user.timezone,
        reminder_time=user.reminder_time,
        quiet_hours=_quiet(user),
        notification_detail=user.notification_detail,
        last_checkin_date=last_checkin,
        alerts=alerts,
        next_week_cap_m=cap_m,
        units=user.units,
        planned=frozenset(planned[0]) if planned[0] else _NONE,
        skipped=frozenset(planned[1]) if planned[1] else _NONE,
    )


def has_subscription(user: User) -> bool:
    return db.session.execute(
        select(PushSubscription.id).where(PushSubscription.user_id == user.id).limit(1)
    ).first() is not None


def queue_alerts(user: User, day: date, guidance: dict[str, Any], now: datetime | None = None) -> int:
    """Plan the alerts of today's guidance for the next tick (only for subscribed runners)."""
    now = now or utcnow()
    # Cheapest checks first: most check-ins raise no alert and need no query at all.
    if day != local_today(user.timezone, now):
        return 0
    alerts = alerts_from_guidance(guidance, day)
    if not alerts or not has_subscription(user):
        return 0
    since = day - timedelta(days=1)
    # The latest check-in up to today: one dated "tomorrow" in another zone does not count.
    last = db.session.execute(
        select(func.max(Checkin.date)).where(Checkin.user_id == user.id, Checkin.date <= day)
    ).scalar()
    state = _state(user, last, _planned_keys([user.id], since).get(user.id, _NO_KEYS), alerts)
    return outbox.write(plan([state], now, planner_settings()))


def plan_scheduled(now: datetime) -> int:
    """Plan ``checkin_due`` and ``weekly_plan`` for every runner with a push subscription."""
    users = db.session.execute(
        select(*_PLAN_COLUMNS).where(
            select(PushSubscription.id).where(PushSubscription.user_id == User.id).exists()
        ).order_by(User.id)
    ).all()
    if not users:
        return 0
    ids = [u.id for u in users]
    utc_day = now.astimezone(timezone.utc).date()
    since = utc_day - timedelta(days=2)
    # A runner's local date is the UTC date, the day before or the day after: sum the
    # 7-day distance ending on each of the three in SQL, one row per runner.
    offsets = (-1, 0, 1)
    window_sums = [
        func.sum(case(
            (Run.date.between(utc_day + timedelta(days=o - 6), utc_day + timedelta(days=o)), Run.distance_m),
            else_=0.0,
        ))
        for o in offsets
    ]
    # Likewise the latest check-in up to each of the three possible local dates (a runner who
    # moved west may hold a check-in dated after their new local today).
    latest_upto = [
        func.max(case((Checkin.date <= utc_day + timedelta(days=o), Checkin.date), else_=None))
        for o in offsets
    ]
    last_checkin: dict[int, tuple[date | None, ...]] = {}
    week_m: dict[int, tuple[float, ...]] = {}
    for chunk in _chunks(ids):
        for uid, *latest in db.session.execute(
            select(Checkin.user_id, *latest_upto)
            .where(_ids_match(Checkin.user_id, chunk), Checkin.date >= since)
            .group_by(Checkin.user_id)
        ):
            last_checkin[uid] = tuple(latest)
        for uid, *totals in db.session.execute(
            select(Run.user_id, *window_sums)
            .where(_ids_match(Run.user_id, chunk), Run.date >= utc_day - timedelta(days=7),
                   Run.date <= utc_day + timedelta(days=1))
            .group_by(Run.user_id)
        ):
            week_m[uid] = tuple(float(t or 0.0) for t in totals)
    planned = _planned_keys(ids, since)
    states = []
    no_runs = (0.0, 0.0, 0.0)
    offsets_by_zone: dict[str, int] = {}
    for user in users:
        offset = offsets_by_zone.get(user.timezone)
        if offset is None:
            offset = offsets_by_zone[user.timezone] = (local_today(user.timezone, now) - utc_day).days
        current = week_m.get(user.id, no_runs)[offset + 1] if -1 <= offset <= 1 else 0.0
        cap = current * (1 + user.weekly_increase_pct / 100.0) if current else None
        latest = last_checkin.get(user.id)
        last = latest[offset + 1] if latest and -1 <= offset <= 1 else None
        states.append(_state(user, last, planned.get(user.id, _NO_KEYS), cap_m=cap))
    return outbox.write(plan(states, now, planner_settings()))


def tick(now: datetime | None = None, signer: VapidSigner | None = None, *,
         on_batch: Callable[[], None] | None = None) -> dict[str, int]:
    """One planning + delivery pass (``strideguard reminders tick`` and the worker's job).

    ``on_batch`` runs after each delivered batch (the worker's heartbeat).
    """
    now = now or utcnow()
    planned = plan_scheduled(now)
    summary = {"planned": planned}
    summary.update(deliver(now, signer, on_batch=on_batch))
    return summary
