"""Reading a runner's programme versions and logged exercises as the pure values of
``rehab.adherence`` (Core rows, bound parameters built once), and joining them to the care
plan's inputs."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any

from sqlalchemy import bindparam, exists, literal, null, select, union_all

from strideguard.day import redflags
from strideguard.extensions import core_rows, db, ids_match
from strideguard.plan.machine import DayInput
from strideguard.rehab.adherence import ItemPlan, Logged, Rehab, VersionPlan
from strideguard.rehab.models import ExerciseEntry, ExerciseSession, Programme, ProgrammeItem


class _Reads:
    def __init__(self) -> None:
        uid, first, last = bindparam("uid"), bindparam("first"), bindparam("last")
        self.versions = select(
            Programme.id, Programme.version, Programme.starts_on, Programme.effective_from,
            Programme.min_adherence_pct,
        ).where(Programme.user_id == uid).order_by(Programme.version)
        self.items = select(
            ProgrammeItem.programme_id, ProgrammeItem.exercise, ProgrammeItem.name,
            ProgrammeItem.per_week, ProgrammeItem.weekdays, ProgrammeItem.pain_ceiling,
        ).where(ProgrammeItem.user_id == uid).order_by(ProgrammeItem.programme_id, ProgrammeItem.position)
        self.logged = select(
            ExerciseEntry.date, ExerciseEntry.exercise, ExerciseEntry.sets, ExerciseEntry.pain,
            ExerciseEntry.ceiling,
        ).where(ExerciseEntry.user_id == uid, ExerciseEntry.date.between(first, last)).order_by(
            ExerciseEntry.date, ExerciseEntry.position)
        self.session_dates = select(ExerciseSession.date).where(
            ExerciseSession.user_id == uid, ExerciseSession.date.between(first, last)).distinct()
        # ``with_rehab``'s two reads in one statement: the session dates (marked 0) and one
        # row marked 1 when a programme sets a minimum adherence.
        self.probe = union_all(
            self.session_dates.add_columns(literal(0)),
            select(null(), literal(1)).where(exists().where(
                Programme.user_id == uid, Programme.min_adherence_pct.is_not(None))),
        )


_R: _Reads | None = None


def _q() -> _Reads:
    global _R
    if _R is None:
        _R = _Reads()
    return _R


def _item_plan(row: Any) -> ItemPlan:
    return ItemPlan(row.exercise, row.name, row.per_week, tuple(row.weekdays or ()), row.pain_ceiling)


def _version_plans(rows: Any, items: dict[int, list[ItemPlan]]) -> tuple[VersionPlan, ...]:
    return tuple(VersionPlan(r.version, r.starts_on, r.effective_from, tuple(items.get(r.id, ())),
                             r.min_adherence_pct) for r in rows)


def versions(user_id: int) -> tuple[VersionPlan, ...]:
    """Every programme version of the runner, oldest first (two queries)."""
    rows = core_rows(_q().versions, {"uid": user_id}).all()
    if not rows:
        return ()
    items: dict[int, list[ItemPlan]] = {}
    for row in core_rows(_q().items, {"uid": user_id}):
        items.setdefault(row.programme_id, []).append(_item_plan(row))
    return _version_plans(rows, items)


def versions_many(user_ids: list[int]) -> dict[int, tuple[VersionPlan, ...]]:
    """:func:`versions` of many runners in two queries (the dashboard); a runner who never
    had a programme is left out."""
    if not user_ids:
        return {}
    rows = db.session.execute(select(
        Programme.id, Programme.user_id, Programme.version, Programme.starts_on, Programme.effective_from,
        Programme.min_adherence_pct).where(ids_match(Programme.user_id, user_ids))
        .order_by(Programme.user_id, Programme.version)).all()
    if not rows:
        return {}
    items: dict[int, list[ItemPlan]] = {}
    for row in db.session.execute(select(
            ProgrammeItem.programme_id, ProgrammeItem.exercise, ProgrammeItem.name, ProgrammeItem.per_week,
            ProgrammeItem.weekdays, ProgrammeItem.pain_ceiling)
            .where(ids_match(ProgrammeItem.user_id, sorted({r.user_id for r in rows})))
            .order_by(ProgrammeItem.programme_id, ProgrammeItem.position)):
        items.setdefault(row.programme_id, []).append(_item_plan(row))
    by_user: dict[int, list[Any]] = {}
    for row in rows:
        by_user.setdefault(row.user_id, []).append(row)
    return {uid: _version_plans(found, items) for uid, found in by_user.items()}


def sets_done(sets: Any) -> int:
    """Sets with something done in them (repetitions or seconds above 0)."""
    return sum(1 for s in sets or () if (s.get("reps") or 0) > 0 or (s.get("seconds") or 0) > 0)


def logged(user_id: int, first: date, last: date) -> tuple[Logged, ...]:
    """The runner's logged exercises from ``first`` through ``last``, oldest first."""
    return tuple(Logged(r.date, r.exercise, sets_done(r.sets), r.pain, r.ceiling)
                 for r in core_rows(_q().logged, {"uid": user_id, "first": first, "last": last}))


def logged_many(user_ids: list[int], first: date, last: date
                ) -> tuple[dict[int, tuple[Logged, ...]], dict[tuple[int, str], str]]:
    """:func:`logged` of many runners in one query, and the name each exercise was logged
    under (``(user id, exercise) -> name``, the latest)."""
    found: dict[int, list[Logged]] = {}
    names: dict[tuple[int, str], str] = {}
    if user_ids:
        for r in db.session.execute(select(
                ExerciseEntry.user_id, ExerciseEntry.date, ExerciseEntry.exercise, ExerciseEntry.name,
                ExerciseEntry.sets, ExerciseEntry.pain, ExerciseEntry.ceiling)
                .where(ids_match(ExerciseEntry.user_id, user_ids), ExerciseEntry.date.between(first, last))
                .order_by(ExerciseEntry.user_id, ExerciseEntry.date, ExerciseEntry.position)):
            found.setdefault(r.user_id, []).append(Logged(r.date, r.exercise, sets_done(r.sets), r.pain, r.ceiling))
            names[(r.user_id, r.exercise)] = r.name
    return {uid: tuple(rows) for uid, rows in found.items()}, names


def paused_days_many(user_ids: list[int], first: date, last: date) -> dict[int, set[date]]:
    """Days a red flag paused the exercises (its rest, or a hold for an assessment), per
    runner, from the stored care plan: one query."""
    from strideguard.plan.models import PlanDayRow

    out: dict[int, set[date]] = {}
    if user_ids:
        for r in db.session.execute(select(
                PlanDayRow.user_id, PlanDayRow.date, PlanDayRow.state, PlanDayRow.cause_metric, PlanDayRow.hold)
                .where(ids_match(PlanDayRow.user_id, user_ids), PlanDayRow.date.between(first, last))):
            if r.hold or (r.state == "rest" and r.cause_metric in redflags.BY_ID):
                out.setdefault(r.user_id, set()).add(r.date)
    return out


def session_dates(user_id: int, first: date, last: date) -> set[date]:
    """The dates from ``first`` through ``last`` with an exercise session logged."""
    return set(core_rows(_q().session_dates, {"uid": user_id, "first": first, "last": last}).scalars())


def with_rehab(user_id: int, inputs: list[DayInput], first: date, last: date) -> list[DayInput]:
    """``inputs`` (the care plan's days ``first``..``last``) with what the exercise programme
    adds: whether an exercise session was logged the day before a check-in, and — when a
    programme sets a minimum adherence for the return — the programme and logged exercises.
    A runner who never logged an exercise and has no minimum costs one indexed read."""
    dates: set[date] = set()
    minimum = False
    for day, marker in core_rows(_q().probe, {"uid": user_id, "first": first - timedelta(days=1), "last": last}):
        if marker:
            minimum = True
        else:
            dates.add(day)
    rehab = None
    if minimum:
        rehab = Rehab(versions(user_id), logged(user_id, first - timedelta(days=8), last))
    if not dates and rehab is None:
        return inputs
    return [dataclasses.replace(i, exercised_before=(i.day - timedelta(days=1)) in dates, rehab=rehab)
            if i.checkin is not None else i for i in inputs]
