"""Guidance for one runner and day: build the snapshot from the database, run the engine.

This is the DB side of guidance; the rules and the plugin host stay pure.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import bindparam, func, select

from strideguard.accounts.limits import runner_settings
from strideguard.accounts.models import User
from strideguard.extensions import db
from strideguard.guidance.engine import assess_day
from strideguard.guidance.host import PluginHost, create_host
from strideguard.guidance.snapshot import (
    CheckinSnap,
    DaySnapshot,
    RunSnap,
    ShoeSnap,
)
from strideguard.load import RunPoint, compute_load, window_start
from strideguard.training.models import Checkin, Run, Shoe

EXTENSION_KEY = "strideguard.plugins"
#: The check-in answer with which a runner says they are coming back from a break.
BREAK_ANSWER = "core.back_from_break"
CORE_QUESTIONS = [
    {
        "id": BREAK_ANSWER,
        "prompt": "Are you coming back after a break (illness, pregnancy, injury)?",
        "type": "boolean",
        "options": [],
        "condition": None,
    }
]


def init_plugins(app: Flask) -> None:
    """Create this app's plugin host from its configuration and load the entry points."""
    cfg = app.config
    app.extensions[EXTENSION_KEY] = create_host(
        allowlist=cfg.get("PLUGINS_ALLOW"),
        blocklist=cfg.get("PLUGINS_BLOCK") or (),
        budget_s=cfg["PLUGIN_BUDGET_S"],
        max_failures=cfg["PLUGIN_MAX_FAILURES"],
        trace=cfg["PLUGINS_TRACE"],
    )


def host() -> PluginHost:
    return current_app.extensions[EXTENSION_KEY]


def known_condition_ids() -> set[str]:
    return {c["id"] for c in host().conditions()}


_CHECKIN_COLUMNS = (
    Checkin.date, Checkin.pain, Checkin.morning_pain, Checkin.location, Checkin.side,
    Checkin.swelling, Checkin.fever, Checkin.locking_or_giving_way, Checkin.hard_to_straighten,
    Checkin.answers,
)


def _checkin_snap(row: Any) -> CheckinSnap:
    return CheckinSnap(
        date=row.date, pain=row.pain, morning_pain=row.morning_pain, location=row.location,
        side=row.side, swelling=row.swelling, fever=row.fever,
        locking_or_giving_way=row.locking_or_giving_way, hard_to_straighten=row.hard_to_straighten,
        answers=dict(row.answers or {}),
    )


class _Statements:
    """The snapshot's queries, built once with bound parameters (building a ``select`` per
    request costs more than running it on SQLite)."""

    def __init__(self) -> None:
        uid, first, as_of = bindparam("uid"), bindparam("first"), bindparam("as_of")
        self.runs = (
            select(
                Run.uuid, Run.date, Run.distance_m, Run.duration_s, Run.pain_during,
                Run.pain_after, Run.pain_onset_m, Run.surface, Run.shoe_id,
            )
            .where(Run.user_id == uid, Run.date.between(first, as_of))
            .order_by(Run.date, Run.created_at)
        )
        self.last_before = select(func.max(Run.date)).where(Run.user_id == uid, Run.date < first)
        self.checkins = select(*_CHECKIN_COLUMNS).where(
            Checkin.user_id == uid, Checkin.date.between(bindparam("yesterday"), as_of)
        )
        # Shoes with their distance in one query (was two: shoes, then an aggregate).
        self.shoes = (
            select(
                Shoe.id, Shoe.name, Shoe.limit_m, Shoe.retired,
                func.coalesce(func.sum(Run.distance_m), 0.0),
            )
            .outerjoin(Run, (Run.shoe_id == Shoe.id) & (Run.user_id == uid))
            .where(Shoe.user_id == uid)
            .group_by(Shoe.id, Shoe.name, Shoe.limit_m, Shoe.retired)
            .order_by(Shoe.retired, Shoe.id)
        )


_STATEMENTS: _Statements | None = None


def _statements() -> _Statements:
    global _STATEMENTS
    if _STATEMENTS is None:
        _STATEMENTS = _Statements()
    return _STATEMENTS


def build_snapshot(user: User, as_of: date) -> DaySnapshot:
    """Everything the rules need for ``as_of``, in three small queries (four after a break)."""
    q = _statements()
    execute = db.session.execute
    settings = runner_settings(user)
    first = window_start(as_of)
    run_rows = execute(q.runs, {"uid": user.id, "first": first, "as_of": as_of}).all()
    load = compute_load(
        [RunPoint(r.date, r.distance_m, r.duration_s) for r in run_rows],
        as_of,
        settings.weekly_increase_pct,
    )
    snap_from = as_of - timedelta(days=60)
    runs = tuple(
        RunSnap(
            id=r.uuid, date=r.date, distance_m=r.distance_m, duration_s=r.duration_s,
            pain_during=r.pain_during, pain_after=r.pain_after, pain_onset_m=r.pain_onset_m,
            surface=r.surface, shoe_id=r.shoe_id,
        )
        for r in run_rows
        if r.date >= snap_from
    )
    last_before = None
    if not any(r.date < as_of for r in runs):
        # Runs between window_start and snap_from are already in run_rows.
        older = [r.date for r in run_rows if r.date < snap_from]
        last_before = max(older) if older else execute(
            q.last_before, {"uid": user.id, "first": first}
        ).scalar()

    yesterday_date = as_of - timedelta(days=1)
    checkins = {
        row.date: row
        for row in execute(q.checkins, {"uid": user.id, "yesterday": yesterday_date, "as_of": as_of})
    }
    today = checkins.get(as_of)
    yesterday = checkins.get(yesterday_date)
    shoes = tuple(
        ShoeSnap(id=sid, name=name, limit_m=limit_m, distance_m=float(distance), retired=retired)
        for sid, name, limit_m, retired, distance in execute(q.shoes, {"uid": user.id})
    )
    return DaySnapshot(
        as_of=as_of,
        settings=settings,
        checkin=_checkin_snap(today) if today else None,
        previous_checkin=_checkin_snap(yesterday) if yesterday else None,
        runs=runs,
        shoes=shoes,
        load=load,
        last_run_before=last_before,
        break_flagged=bool(today and (today.answers or {}).get(BREAK_ANSWER) is True),
    )


def guidance_for(user: User, as_of: date) -> dict[str, Any]:
    """The guidance document of DESIGN §3 for the runner's local date ``as_of``."""
    return assess_day(build_snapshot(user, as_of), host()).to_dict()


def checkin_questions(user: User) -> list[dict[str, Any]]:
    """Core questions plus those of the runner's conditions (all conditions when none chosen)."""
    chosen = list(user.conditions or []) or sorted(known_condition_ids())
    return CORE_QUESTIONS + host().checkin_questions(chosen)
