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
from strideguard.extensions import core_rows
from strideguard.guidance.builder import day_snapshot
from strideguard.guidance.engine import Guidance, assess_day
from strideguard.guidance.host import PluginHost, create_host
from strideguard.guidance.snapshot import DaySnapshot, ShoeSnap
from strideguard.guidance.validation import AnswerKind, answer_kind
from strideguard.load import window_start
from strideguard.plan import service as plan_service
from strideguard.day.redflags import ASSESSED_ANSWER
from strideguard.plan.machine import BREAK_ANSWER, EXERCISE_ANSWER, EXERCISE_OPTIONS, PlanDay
from strideguard.training.models import Run, Shoe

EXTENSION_KEY = "strideguard.plugins"
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
        inline_after=cfg["PLUGINS_INLINE_AFTER"],
        trace=cfg["PLUGINS_TRACE"],
    )


def host() -> PluginHost:
    return current_app.extensions[EXTENSION_KEY]


def known_condition_ids() -> set[str]:
    return {c["id"] for c in host().conditions()}


def plugin_answer_kinds() -> dict[str, AnswerKind]:
    """What the answer to each question the active plugins ask must be, by question id: the
    questions of every known condition (a runner may answer one listed for the conditions
    they chose, or for all when they chose none), so a check-in's answers can be checked
    against their types before a plugin reads them."""
    asked = host().checkin_questions(sorted(known_condition_ids()))
    return {q["id"]: answer_kind(q["type"], q["options"]) for q in asked}


class _Statements:
    """The snapshot's queries, built once with bound parameters (building a ``select`` per
    request costs more than running it on SQLite)."""

    def __init__(self) -> None:
        uid = bindparam("uid")
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


def build_snapshot(user: User, as_of: date, plan: PlanDay,
                   known: plan_service.Recorded | None = None) -> DaySnapshot:
    """Read what the rules need for ``as_of`` (or take it from ``known``) and assemble the
    snapshot with :func:`guidance.builder.day_snapshot` — the one place snapshots are built."""
    yesterday = as_of - timedelta(days=1)
    if known is None or known.last != as_of or not (
        known.checkins_from <= yesterday and known.runs_from <= window_start(as_of)
    ):
        known = plan_service.recorded(user.id, yesterday, window_start(as_of), as_of)
    q = _statements()
    shoes = [
        ShoeSnap(id=sid, name=name, limit_m=limit_m, distance_m=float(distance), retired=retired)
        for sid, name, limit_m, retired, distance in core_rows(q.shoes, {"uid": user.id})
    ]
    first = window_start(as_of)
    return day_snapshot(
        as_of, checkin=known.checkins.get(as_of), previous_checkin=known.checkins.get(yesterday),
        runs=[r for r in known.runs if r.date >= first], shoes=shoes,
        settings=runner_settings(user), plan=plan,
    )


def guidance_for(user: User, as_of: date, today: date | None = None) -> Guidance:
    """The guidance of the runner's local date ``as_of``, with the day's care plan."""
    today = today or plan_service.runner_today(user)
    return assess_day(build_snapshot(user, as_of, plan_service.day_for(user, as_of, today)), host())


#: Asked while the plan waits for an assessment of the knee (``day.redflags``: a knee that
#: locked, gave way or would not straighten).
ASSESSED_QUESTION = {
    "id": ASSESSED_ANSWER,
    "prompt": "Has a physical therapist or doctor checked your knee since it locked, gave way or would not straighten?",
    "type": "boolean",
    "options": [],
    "condition": None,
}


#: Asked the day after an exercise session: a worse knee counts like a worse morning after a
#: return session (``plan.machine``).
EXERCISE_QUESTION = {
    "id": EXERCISE_ANSWER,
    "prompt": "How is your knee after yesterday's exercises?",
    "type": "choice",
    "options": list(EXERCISE_OPTIONS),
    "condition": None,
}


def checkin_questions(user: User) -> list[dict[str, Any]]:
    """Core questions plus those of the runner's conditions (all conditions when none chosen);
    the assessment question while the care plan holds a rest for it; the knee after
    yesterday's exercises when a session was logged yesterday."""
    from strideguard.rehab.store import session_dates

    chosen = list(user.conditions or []) or sorted(known_condition_ids())
    today = plan_service.runner_today(user)
    runner = user.role == "runner"
    held = runner and plan_service.day_for(user, today, today).state.hold
    yesterday = today - timedelta(days=1)
    exercised = runner and yesterday in session_dates(user.id, yesterday, yesterday)
    return (CORE_QUESTIONS + ([ASSESSED_QUESTION] if held else []) + ([EXERCISE_QUESTION] if exercised else [])
            + host().checkin_questions(chosen))
