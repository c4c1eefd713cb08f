"""What the care plan is made from, read from the database: a runner's check-ins and runs
(Core rows of the columns the rules need), their today, and the therapists' recorded
assessments of the knee."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, union_all

from strideguard.accounts.models import User
from strideguard.day.values import CheckinSnap, RunSnap
from strideguard.extensions import core_rows, db
from strideguard.plan.machine import DayInput
from strideguard.plan.models import PlanAssessment
from strideguard.timeutil import local_today
from strideguard.training.models import Checkin, Run

CHECKIN_COLUMNS = (
    Checkin.date, Checkin.pain, Checkin.morning_pain, Checkin.location, Checkin.side,
    Checkin.swelling, Checkin.fever, Checkin.locking_or_giving_way, Checkin.hard_to_straighten,
    Checkin.answers,
)
RUN_COLUMNS = (
    Run.uuid, Run.date, Run.distance_m, Run.duration_s, Run.pain_during, Run.pain_after,
    Run.pain_onset_m, Run.surface, Run.shoe_id,
)


def checkin_snap(row: Any) -> CheckinSnap:
    """A check-in row (or a row of ``CHECKIN_COLUMNS``) as the frozen snapshot value."""
    return CheckinSnap(
        date=row.date, pain=row.pain, morning_pain=row.morning_pain, location=row.location,
        side=row.side, swelling=row.swelling, fever=row.fever,
        locking_or_giving_way=row.locking_or_giving_way, hard_to_straighten=row.hard_to_straighten,
        answers=dict(row.answers or {}),
    )


def run_snap(row: Any) -> RunSnap:
    """A run row (or a row of ``RUN_COLUMNS``) as the frozen snapshot value."""
    return RunSnap(
        id=row.uuid, date=row.date, distance_m=row.distance_m, duration_s=row.duration_s,
        pain_during=row.pain_during, pain_after=row.pain_after, pain_onset_m=row.pain_onset_m,
        surface=row.surface, shoe_id=row.shoe_id,
    )


#: ``RUN_COLUMNS`` are ``RunSnap``'s fields in its order (``uuid`` is its ``id``): a row of them
#: is passed positionally (``RunSnap(*row)``), about four times cheaper than by name, and a
#: check-in reads 13 weeks of runs.
if [c.key for c in RUN_COLUMNS] != ["uuid"] + [f.name for f in dataclasses.fields(RunSnap)][1:]:  # pragma: no cover
    raise RuntimeError("RUN_COLUMNS must list RunSnap's fields in its order")


class _Reads:
    """Built once with bound parameters (building a ``select`` costs more than running it)."""

    def __init__(self) -> None:
        uid, first, last = bindparam("uid"), bindparam("first"), bindparam("last")
        self.checkins = select(*CHECKIN_COLUMNS).where(
            Checkin.user_id == uid, Checkin.date.between(first, last)
        )
        self.runs = (
            select(*RUN_COLUMNS)
            .where(Run.user_id == uid, Run.date.between(first, last))
            .order_by(Run.date, Run.created_at)
        )
        self.first_data = select(
            select(func.min(Checkin.date)).where(Checkin.user_id == uid).scalar_subquery(),
            select(func.min(Run.date)).where(Run.user_id == uid).scalar_subquery(),
        )
        # The latest date recorded after the runner's local today (written in a zone further
        # east before a move west): that date is still the runner's today.
        ahead = union_all(
            select(Checkin.date.label("d")).where(Checkin.user_id == uid, Checkin.date > bindparam("day")),
            select(Run.date.label("d")).where(Run.user_id == uid, Run.date > bindparam("day")),
        ).subquery()
        self.later = select(func.max(ahead.c.d))
        self.assessments = select(PlanAssessment.date, PlanAssessment.therapist).where(
            PlanAssessment.user_id == uid, PlanAssessment.date.between(first, last))


_R: _Reads | None = None


def _q() -> _Reads:
    global _R
    if _R is None:
        _R = _Reads()
    return _R


def first_data(user_id: int) -> list[date]:
    """The dates of the runner's first check-in and first run (those that exist)."""
    return [d for d in db.session.execute(_q().first_data, {"uid": user_id}).one() if d is not None]


@dataclasses.dataclass(frozen=True)
class Recorded:
    """A runner's check-ins from ``checkins_from`` and runs from ``runs_from``, through
    ``last``: read once, shared by the plan's replay and the day's snapshot."""

    checkins_from: date
    runs_from: date
    last: date
    checkins: dict[date, CheckinSnap]
    runs: tuple[RunSnap, ...]  # oldest first

    def covers(self, first: date) -> bool:
        return first >= self.checkins_from and first >= self.runs_from

    def inputs(self, first: date) -> list[DayInput]:
        """One :class:`DayInput` per date from ``first`` with something recorded."""
        runs: dict[date, list[RunSnap]] = {}
        for run in self.runs:
            if run.date >= first:
                runs.setdefault(run.date, []).append(run)
        days = {d for d in self.checkins if d >= first} | set(runs)
        return [DayInput(day, self.checkins.get(day), tuple(runs.get(day, ()))) for day in sorted(days)]


def recorded(user_id: int, checkins_from: date, runs_from: date, last: date) -> Recorded:
    """Read a runner's check-ins and runs (two queries, the columns the rules need; Core rows)."""
    checkins = {row.date: checkin_snap(row) for row in core_rows(
        _q().checkins, {"uid": user_id, "first": checkins_from, "last": last})}
    runs = tuple(RunSnap(*row) for row in core_rows(
        _q().runs, {"uid": user_id, "first": runs_from, "last": last}))
    return Recorded(checkins_from, runs_from, last, checkins, runs)


def inputs(user_id: int, first: date, last: date) -> list[DayInput]:
    return recorded(user_id, first, first, last).inputs(first)


#: How far past their local today a runner's today may be: zones span 26 hours (UTC-12 to
#: UTC+14), so a date reported in one zone is at most two days ahead of another's.
AHEAD_DAYS = 2


def runner_today(user: User, now: Any = None) -> date:
    """The runner's today: their local date, or the latest date they recorded a check-in or
    a run on when that is later (reported in a zone further east, before a move west).
    Dates the runner reported stay the dates they reported: the plan and the guidance go on
    from there until the local calendar catches up."""
    today = local_today(user.timezone, now)
    later = core_rows(_q().later, {"uid": user.id, "day": today}).scalar()
    return min(later, today + timedelta(days=AHEAD_DAYS)) if later is not None else today


def with_assessments(user_id: int, inputs: list[DayInput], first: date, last: date) -> list[DayInput]:
    """``inputs`` with the therapists' recorded assessments of the knee in ``first``..``last``."""
    found: dict[date, list[str]] = {}
    for row in core_rows(_q().assessments, {"uid": user_id, "first": first, "last": last}):
        found.setdefault(row.date, []).append(row.therapist)
    if not found:
        return inputs
    by_day = {i.day: i for i in inputs}
    for day, names in found.items():
        item = by_day.get(day) or DayInput(day)
        by_day[day] = DayInput(day, item.checkin, item.runs, tuple(names))
    return [by_day[day] for day in sorted(by_day)]
