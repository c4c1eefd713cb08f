"""Reminder passes: plan (scheduled kinds and guidance alerts), then deliver the outbox
(``reminders/delivery.py``)."""

from __future__ import annotations

import logging
import operator
from collections import namedtuple
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from flask import current_app
from sqlalchemy import and_, bindparam, case, func, or_, outerjoin, select

from strideguard import gcpause
from strideguard.accounts.limits import runner_settings, runner_settings_many
from strideguard.accounts.models import User
from strideguard.extensions import core_rows, db, ids_match
from strideguard.push.models import PushSubscription
from strideguard.reminders import outbox
from strideguard.reminders.models import Reminder
from strideguard.reminders.planner import (
    ALERT_KINDS,
    DEFAULT_WEEKLY_TIME,
    Alert,
    DueWindow,
    PlanBrief,
    PlannedReminder,
    PlannerSettings,
    QuietHours,
    RunnerState,
    alerts_for,
    brief,
    due_windows,
)
from strideguard.reminders.planner import plan as plan_reminders
from strideguard.plan import advance as plan_advance
from strideguard.plan import service as plan_service
from strideguard.plan.models import PlanDayRow
from strideguard.timeutil import local_today, utcnow
from strideguard.training.models import Checkin

if TYPE_CHECKING:
    from strideguard.guidance.engine import Guidance
    from strideguard.push.sender import VapidSigner

log = logging.getLogger(__name__)

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


_NO_KEYS: tuple[set, set] = (set(), set())
_NONE: frozenset = frozenset()


def _chunks(items: list, size: int | None = None):
    size = size or (len(items) or 1 if db.engine.dialect.name == "postgresql" else 10_000)
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _planned_keys(user_ids: list[int] | Any, since: date) -> dict[int, tuple[set, set]]:
    """(planned, skipped) outbox keys since ``since`` per runner; absent runners have none.
    ``user_ids``: a list, or a SQL selectable of ids."""
    keys: dict[int, tuple[set, set]] = {}
    if isinstance(user_ids, list):
        matches = [ids_match(Reminder.user_id, chunk) for chunk in _chunks(user_ids)]
    else:
        matches = [Reminder.user_id.in_(user_ids)]
    for match in matches:
        rows = core_rows(
            select(Reminder.user_id, Reminder.kind, Reminder.local_date, Reminder.status).where(
                match, Reminder.local_date >= since
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
    User.notification_detail, User.units, User.weekly_increase_pct, User.pain_threshold,
    User.conditions,
)


def _state(user: Any, last_checkin: date | None, planned: tuple[set, set],
           alerts: tuple[Alert, ...] = (), plan: PlanBrief | None = None) -> RunnerState:
    return RunnerState(
        user_id=user.id,
        timezone=user.timezone,
        reminder_time=user.reminder_time,
        quiet_hours=_quiet(user),
        notification_detail=user.notification_detail,
        last_checkin_date=last_checkin,
        alerts=alerts,
        next_week_cap_m=plan.next_week_cap_m if plan is not None else None,
        units=user.units,
        plan=plan,
        planned=frozenset(planned[0]) if planned[0] else _NONE,
        skipped=frozenset(planned[1]) if planned[1] else _NONE,
    )


#: Built once: constructing the select per check-in cost more than running it.
_A_SUBSCRIPTION = select(PushSubscription.id).where(PushSubscription.user_id == bindparam("uid")).limit(1)


def has_subscription(user: User) -> bool:
    return core_rows(_A_SUBSCRIPTION, {"uid": user.id}).first() is not None


def queue_alerts(user: User, guidance: Guidance, now: datetime | None = None) -> int:
    """Plan the alerts of today's guidance for the next tick (only for subscribed runners)."""
    now = now or utcnow()
    day = guidance.as_of
    # Cheapest checks first: most check-ins raise no alert and need no query at all. The
    # runner's today may be a day past their local date (reported before a move west).
    if day < local_today(user.timezone, now):
        return 0
    alerts = alerts_for(guidance)
    # An alert planned by an earlier write of today whose cause is gone is taken back (one
    # indexed read when there is none: most writes).
    outbox.withdraw([user.id], user.id, day, ALERT_KINDS, {a.kind for a in alerts})
    if not alerts or not has_subscription(user):
        return 0
    since = day - timedelta(days=1)
    # The latest check-in up to today: one dated "tomorrow" in another zone does not count.
    last = db.session.execute(
        select(func.max(Checkin.date)).where(Checkin.user_id == user.id, Checkin.date <= day)
    ).scalar()
    plan = brief(guidance.plan, runner_settings(user)) if guidance.plan is not None else None
    state = _state(user, last, _planned_keys([user.id], since).get(user.id, _NO_KEYS), alerts, plan)
    return outbox.write(plan_reminders([state], now, planner_settings()))


def _due_clause(windows: list[DueWindow]) -> Any:
    """SQL: the runners whose reminder time (or the end of their quiet hours) lies in their
    zone's window — plain column predicates, so one scan of ``users`` answers it."""
    clauses = []
    for w in windows:
        in_window = or_(User.reminder_time.between(w.start, w.end), User.quiet_end.between(w.start, w.end))
        if w.weekly and w.start <= DEFAULT_WEEKLY_TIME <= w.end:
            in_window = or_(in_window, User.reminder_time.is_(None))
        clauses.append(and_(User.timezone == w.zone, in_window))
    return or_(*clauses)


_by_id = operator.itemgetter(0)
#: Runners planned per chunk of the outbox's stream.
_PLAN_CHUNK = 2_000
#: A candidate's ``_PLAN_COLUMNS`` (a Core row's attribute access costs ~0.7 µs, a named
#: tuple's a tenth of that: the pass reads a dozen of them per runner).
_Candidate = namedtuple("_Candidate", [c.key for c in _PLAN_COLUMNS])


@gcpause.paused()
def plan_scheduled(now: datetime) -> int:
    """Plan ``checkin_due`` and ``weekly_plan`` for the subscribed runners who can have one
    due now. The planner's window is evaluated once per time zone (``due_windows``) and the
    runners in it are selected in SQL — about a quarter of them at a busy tick — in ONE
    query with each one's latest check-in and stored plan day at their local today (the
    zone's date, as a SQL ``CASE``); those whose reminders are already in the outbox (or
    who checked in) are dropped; the pure planner then decides exactly, as before."""
    subscribed = and_(
        select(PushSubscription.id).where(PushSubscription.user_id == User.id).exists(),
        User.role == "runner",  # therapists subscribe for their patients' alerts only
    )
    # Every runner's zone (a zone whose runners have no subscription only adds a clause that
    # matches nobody): the subscription test here cost 60% of this query.
    zones = list(db.session.execute(select(User.timezone).where(User.role == "runner").distinct()).scalars())
    if not zones:
        return 0
    settings = planner_settings()
    windows = {w.zone: w for w in due_windows(zones, now, settings)}
    due = and_(subscribed, _due_clause(list(windows.values())))
    due_ids = select(User.id).where(due)  # the candidates, as SQL: no id lists shipped
    today = case({zone: w.today for zone, w in windows.items()}, value=User.timezone)
    # The latest check-in up to their today (one dated "tomorrow" in another zone does not count).
    last_checkin = (select(func.max(Checkin.date)).where(Checkin.user_id == User.id, Checkin.date <= today)
                    .correlate(User).scalar_subquery())
    rows = sorted(map(tuple, core_rows(  # sorted here, not in SQL: sorting the wide joined rows spilled to disk
        select(*_PLAN_COLUMNS, last_checkin, *plan_service.VIEW_COLUMNS)
        .select_from(outerjoin(User, PlanDayRow, plan_service.on_day(User.id, today)))
        .where(due)
    )), key=_by_id)
    if not rows:
        return 0
    since = min(w.today for w in windows.values()) - timedelta(days=1)
    planned = _planned_keys(due_ids, since)
    n = len(_PLAN_COLUMNS)
    open_users, lasts, known = [], {}, {}
    for v in rows:
        uid, w, last = v[0], windows[v[1]], v[n]
        keys = planned.get(uid, _NO_KEYS)[0]
        checkin_open = v[2] is not None and last != w.today and ("checkin_due", w.today) not in keys
        weekly_open = w.weekly and ("weekly_plan", w.today) not in keys
        if checkin_open or weekly_open:
            open_users.append(_Candidate._make(v[:n]))
            lasts[uid] = last
            day = plan_service.view_day_or_none(v[n + 1:])
            if day is not None:
                known[uid] = day
    # The same local date per zone as the query's CASE (the zone's window).
    today_of = {u.id: windows[u.timezone].today for u in open_users}
    limits = runner_settings_many(open_users)
    days = plan_service.plan_on(today_of, today_of, limits, due_ids, known)

    def planned_rows() -> Iterator[PlannedReminder]:
        # Planned in chunks as the outbox takes them: on PostgreSQL the server stores one
        # chunk while the next is planned (``outbox.write`` streams a COPY).
        for start in range(0, len(open_users), _PLAN_CHUNK):
            states = []
            for u in open_users[start:start + _PLAN_CHUNK]:
                day = days.get(u.id)
                plan = brief(day, limits[u.id]) if day is not None else None
                states.append(_state(u, lasts[u.id], planned.get(u.id, _NO_KEYS), plan=plan))
            yield from plan_reminders(states, now, settings)

    return outbox.write(planned_rows())


def tick(now: datetime | None = None, signer: VapidSigner | None = None, *,
         on_batch: Callable[[], None] | None = None) -> dict[str, int]:
    """One pass (``strideguard reminders tick`` and the worker's job): store today's care
    plan of the runners whose local day has begun (``plan.advance``), plan, then deliver.

    ``on_batch`` runs after each delivered batch (the worker's heartbeat).
    """
    # Delivery (pywebpush, aiohttp) is imported by the processes that deliver, not by every
    # web worker that queues a reminder: ~0.3 s less CPU per web process start.
    from strideguard.reminders.delivery import deliver

    now = now or utcnow()
    # Runners past their local midnight get today's plan stored first, so the sweep reads it.
    advanced = plan_advance.advance(now, limit=plan_advance.PER_TICK)
    planned = plan_scheduled(now)
    summary = {"planned": planned}
    if advanced:
        summary["advanced"] = advanced
    summary.update(deliver(now, signer, on_batch=on_batch))
    return summary
