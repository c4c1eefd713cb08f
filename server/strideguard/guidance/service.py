"""Guidance for one runner and day: build the snapshot from the database, run the engine.

This is the DB side of guidance; the rules and the plugin host stay pure.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import func, select

from strideguard.accounts.models import User
from strideguard.extensions import db
from strideguard.guidance.engine import assess_day
from strideguard.guidance.host import PluginHost, create_host
from strideguard.guidance.snapshot import (
    CheckinSnap,
    DaySnapshot,
    RunnerSettings,
    RunSnap,
    ShoeSnap,
)
from strideguard.load import RunPoint, compute_load, window_start
from strideguard.training.models import Checkin, Run
from strideguard.training.service import list_shoes

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


def _checkin_snap(row: Checkin) -> CheckinSnap:
    return CheckinSnap(
        date=row.date, pain=row.pain, morning_pain=row.morning_pain, location=row.location,
        side=row.side, swelling=row.swelling, fever=row.fever,
        locking_or_giving_way=row.locking_or_giving_way, hard_to_straighten=row.hard_to_straighten,
        answers=dict(row.answers or {}),
    )


def build_snapshot(user: User, as_of: date) -> DaySnapshot:
    """Everything the rules need for ``as_of``, in four small queries (five after a break)."""
    first = window_start(as_of)
    run_rows = db.session.execute(
        select(
            Run.uuid, Run.date, Run.distance_m, Run.duration_s, Run.pain_during, Run.pain_after,
            Run.pain_onset_m, Run.surface, Run.shoe_id,
        )
        .where(Run.user_id == user.id, Run.date.between(first, as_of))
        .order_by(Run.date, Run.created_at)
    ).all()
    load = compute_load(
        (RunPoint(r.date, r.distance_m, r.duration_s) for r in run_rows),
        as_of,
        user.weekly_increase_pct,
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
        last_before = db.session.execute(
            select(func.max(Run.date)).where(Run.user_id == user.id, Run.date < snap_from)
        ).scalar()

    checkins = {
        row.date: row
        for row in db.session.execute(
            select(Checkin).where(
                Checkin.user_id == user.id, Checkin.date.in_([as_of, as_of - timedelta(days=1)])
            )
        ).scalars()
    }
    today = checkins.get(as_of)
    yesterday = checkins.get(as_of - timedelta(days=1))
    shoes = tuple(
        ShoeSnap(id=s["id"], name=s["name"], limit_m=s["limit_m"], distance_m=s["distance_m"],
                 retired=s["retired"])
        for s in list_shoes(user)
    )
    return DaySnapshot(
        as_of=as_of,
        settings=RunnerSettings(
            pain_threshold=user.pain_threshold,
            weekly_increase_pct=user.weekly_increase_pct,
            conditions=tuple(user.conditions or ()),
            units=user.units,
        ),
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
