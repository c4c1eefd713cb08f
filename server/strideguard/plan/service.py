"""The care plan's database side: step it forward, replay it after an edit, read it back.

The state machine itself is pure (``plan.machine``); this module only loads a day's inputs,
stores each stepped day and the events, and serialises concurrent writers of one runner.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, case, delete, func, insert, null, select, union_all, update

from strideguard.accounts.limits import runner_settings
from strideguard.accounts.models import User
from strideguard.extensions import core_rows, db, ids_match
from strideguard.day.reason import Reason
from strideguard.day.values import CheckinSnap, Pain, RunnerSettings, RunSnap
from strideguard.plan.machine import DayInput, PlanDay, PlanEvent, PlanState, replay
from strideguard.plan.models import PlanAssessment, PlanDayRow, PlanEventRow
from strideguard.timeutil import local_today
from strideguard.training.models import Checkin, Run

#: How far back the plan looks: it is stepped from at most this many days before today, so
#: an edit of a very old date (or a date typed wrong by centuries) never replays years.
HORIZON_DAYS = 400

_STATE_FIELDS = tuple(f.name for f in dataclasses.fields(PlanState) if f.name not in ("cause", "day"))


# --- rows <-> values ------------------------------------------------------------------


def _row_values(user_id: int, day: PlanDay) -> dict[str, Any]:
    s = day.state
    values = {name: getattr(s, name) for name in _STATE_FIELDS}
    values.update(
        user_id=user_id,
        date=day.date,
        cause_metric=s.cause.metric if s.cause else None,
        cause_value=s.cause.value if s.cause else None,
        cause_threshold=s.cause.threshold if s.cause else None,
        cap_m=day.cap_m,
        week_cap_m=day.week_cap_m,
        distance_pct=day.distance_pct,
        speed_pct=day.speed_pct,
        verdict=day.verdict,
        pains=[[p.field, p.value] for p in day.pains],
        notes=list(day.notes),
        clean_weeks=[[monday.isoformat(), metres] for monday, metres in s.clean_weeks],
    )
    return values


def _weeks(raw: Any) -> tuple[tuple[date, float], ...]:
    """``clean_weeks`` as stored (JSON ``[[iso, metres], ...]``) → the state's tuple."""
    if not raw:
        return ()
    if isinstance(raw, tuple):
        return raw
    return tuple((date.fromisoformat(monday) if isinstance(monday, str) else monday, float(metres))
                 for monday, metres in raw)


def _state_values(v: Mapping[str, Any]) -> dict[str, Any]:
    values = {name: v[name] for name in _STATE_FIELDS}
    values["clean_weeks"] = _weeks(values["clean_weeks"])
    return values


def _event_values(user_id: int, event: PlanEvent) -> dict[str, Any]:
    return {
        "user_id": user_id, "date": event.day, "from_state": event.from_state,
        "to_state": event.to_state, "kind": event.kind, "metric": event.reason.metric,
        "value": event.reason.value, "threshold": event.reason.threshold,
        "detail": dict(event.detail),
    }


def _values(row: Any) -> dict[str, Any]:
    """A plan_days row (ORM object or Core row) as a dict of its columns."""
    if hasattr(row, "_asdict"):
        return row._asdict()
    return {c.name: getattr(row, c.name) for c in PlanDayRow.__table__.columns}


def _state_of(row: Any) -> PlanState:
    v = _values(row)
    cause = Reason(v["cause_metric"], v["cause_value"], v["cause_threshold"]) if v["cause_metric"] else None
    return PlanState(**_state_values(v), cause=cause, day=v["date"])


def _day_of(row: Any, events: Sequence[PlanEvent] = ()) -> PlanDay:
    v = _values(row)
    cause = Reason(v["cause_metric"], v["cause_value"], v["cause_threshold"]) if v["cause_metric"] else None
    state = PlanState(**_state_values(v), cause=cause, day=v["date"])
    return PlanDay(
        date=v["date"], state=state, cap_m=v["cap_m"], week_cap_m=v["week_cap_m"],
        distance_pct=v["distance_pct"], speed_pct=v["speed_pct"], verdict=v["verdict"],
        pains=tuple(Pain(f, p) for f, p in (v.get("pains") or ())),
        events=tuple(events), notes=tuple(v.get("notes") or ()),
    )


def _event_of(row: Any) -> PlanEvent:
    return PlanEvent(row.date, row.from_state, row.to_state, row.kind,
                     Reason(row.metric, row.value, row.threshold), dict(row.detail or {}))


# --- inputs ----------------------------------------------------------------------------

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


class _Statements:
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
        self.before = (
            select(PlanDayRow).where(PlanDayRow.user_id == uid, PlanDayRow.date < bindparam("day"))
            .order_by(PlanDayRow.date.desc()).limit(1)
        )
        self.on = select(PlanDayRow).where(PlanDayRow.user_id == uid, PlanDayRow.date == bindparam("day"))
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
        self.events_on = select(PlanEventRow).where(
            PlanEventRow.user_id == uid, PlanEventRow.date == bindparam("day")
        ).order_by(PlanEventRow.id)
        # The replay's store: Core statements on the session's connection (nothing holds plan
        # rows as ORM objects to keep in step), not the ORM's bulk DML paths.
        self.drop_days = delete(PlanDayRow.__table__).where(
            PlanDayRow.user_id == uid, PlanDayRow.date >= first)
        self.drop_events = delete(PlanEventRow.__table__).where(
            PlanEventRow.user_id == uid, PlanEventRow.date >= first)
        self.add_days = insert(PlanDayRow.__table__)
        self.add_events = insert(PlanEventRow.__table__)


_Q: _Statements | None = None


def _q() -> _Statements:
    global _Q
    if _Q is None:
        _Q = _Statements()
    return _Q


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
    runs = tuple(run_snap(row) for row in core_rows(
        _q().runs, {"uid": user_id, "first": runs_from, "last": last}))
    return Recorded(checkins_from, runs_from, last, checkins, runs)


def _inputs(user_id: int, first: date, last: date) -> list[DayInput]:
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
    later = db.session.execute(_q().later, {"uid": user.id, "day": today}).scalar()
    return min(later, today + timedelta(days=AHEAD_DAYS)) if later is not None else today


def _assessed(user_id: int, inputs: list[DayInput], first: date, last: date) -> list[DayInput]:
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


def lock_runner(user_id: int) -> None:
    """Serialise writers of one runner's plan until the transaction ends.

    PostgreSQL: ``SELECT … FOR UPDATE`` on the runner's row. SQLite: a no-op UPDATE, which
    makes this connection the database's writer now (later writers wait on busy_timeout),
    so the reads that follow see every earlier commit.
    """
    if db.engine.dialect.name == "postgresql":
        db.session.execute(select(User.id).where(User.id == user_id).with_for_update())
    elif not db.session.connection().connection.dbapi_connection.in_transaction:
        # pysqlite begins a transaction at the first write: once one is open, this
        # connection already holds the write lock (the caller wrote the change first).
        db.session.execute(update(User).where(User.id == user_id).values(id=User.id))


def lock_runners(user_ids: Sequence[int]) -> None:
    """``lock_runner`` for many runners at once (the nightly step): PostgreSQL locks their
    rows in id order (so two lockers never deadlock); SQLite's write lock covers them all."""
    if not user_ids:
        return
    if db.engine.dialect.name == "postgresql":
        db.session.execute(select(User.id).where(ids_match(User.id, list(user_ids)))
                           .order_by(User.id).with_for_update())
    else:
        lock_runner(user_ids[0])


# --- stepping and replaying --------------------------------------------------------------


def refresh(user: User, since: date | None, today: date,
            settings: RunnerSettings | None = None, known: Recorded | None = None) -> list[PlanDay]:
    """Recompute the plan from ``since`` (the earliest date whose data changed; ``None``:
    only days not stepped yet) through ``today``; store the days and their events.

    Returns the recomputed days, oldest first (the last one is ``today``'s). Does not
    commit: the caller commits it together with the change that caused it. ``known``: rows
    already read (used when they reach back far enough).
    """
    settings = settings or runner_settings(user)
    lock_runner(user.id)
    q = _q()
    horizon = today - timedelta(days=HORIZON_DAYS)
    start = max(min(since, today), horizon) if since is not None else today + timedelta(days=1)
    prev = db.session.execute(q.before, {"uid": user.id, "day": start}).scalar_one_or_none()
    if prev is not None and since is None and prev.date >= today:
        return []  # already stepped through today
    if prev is not None:
        state, first = _state_of(prev), prev.date + timedelta(days=1)
    else:
        state = PlanState()
        earliest = [d for d in db.session.execute(q.first_data, {"uid": user.id}).one() if d is not None]
        first = max(min([*earliest, start if since is not None else today]), horizon)
    if first > today:
        return []
    if known is not None and known.covers(first) and known.last == today:
        inputs = known.inputs(first)
    else:
        inputs = _inputs(user.id, first, today)
    days = replay(state, inputs, today, settings, first=first)
    if state.hold or any(d.state.hold for d in days):  # rare: only then read the assessments
        days = replay(state, _assessed(user.id, inputs, first, today), today, settings, first=first)
    _store(user.id, first, days)
    return days


def _store(user_id: int, first: date, days: Sequence[PlanDay]) -> None:
    """Replace the stored days and events from ``first`` on with ``days`` (same transaction)."""
    q, conn = _q(), db.session.connection()
    where = {"uid": user_id, "first": first}
    conn.execute(q.drop_days, where)
    conn.execute(q.drop_events, where)
    if days:
        conn.execute(q.add_days, [_row_values(user_id, d) for d in days])
    events = [_event_values(user_id, e) for d in days for e in d.events]
    if events:
        conn.execute(q.add_events, events)


def day_for(user: User, day: date, today: date) -> PlanDay:
    """The plan on ``day``: stored, stepped up to it (and stored) when it is a new day up to
    ``today``, or replayed in memory for a date before the plan's first day."""
    q = _q()
    row = db.session.execute(q.on, {"uid": user.id, "day": day}).scalar_one_or_none()
    if row is not None:
        events = [_event_of(e) for e in db.session.execute(q.events_on, {"uid": user.id, "day": day}).scalars()]
        return _day_of(row, events)
    if day <= today:
        stepped = refresh(user, None, today)
        found = [d for d in stepped if d.date == day]
        if found:
            db.session.commit()
            return found[0]
    # Before the plan's first day: a fresh replay (at most HORIZON_DAYS long), not stored.
    if day > today:
        raise ValueError("the plan of a future date is not known")
    settings = runner_settings(user)
    earliest = [d for d in db.session.execute(q.first_data, {"uid": user.id}).one() if d is not None]
    first = max(min([*earliest, day]), day - timedelta(days=HORIZON_DAYS))
    return replay(PlanState(), _inputs(user.id, first, day), day, settings, first=first)[-1]


def history(user: User, limit: int = 200) -> list[PlanEvent]:
    """The runner's plan events, newest last (at most ``limit``, the most recent)."""
    rows = db.session.execute(
        select(PlanEventRow).where(PlanEventRow.user_id == user.id)
        .order_by(PlanEventRow.date.desc(), PlanEventRow.id.desc()).limit(limit)
    ).scalars()
    return [_event_of(r) for r in reversed(list(rows))]


def _view_column(column: Any) -> Any:
    """A ``plan_days`` column as a view reads it. The cause's JSON values are stored as JSON
    ``null`` when there is no cause (most days): read as SQL NULL then, which the driver
    hands back without decoding — 50,000 ``json.loads`` fewer in a 25,000-runner sweep."""
    if column.name in ("cause_value", "cause_threshold"):
        return case((PlanDayRow.cause_metric.is_(None), null()), else_=column).label(column.name)
    return column


#: The plan_days columns a view over many runners reads (not the day's pains and notes), in
#: table order — which is :class:`PlanState`'s field order, so a state is built by position.
VIEW_COLUMNS = tuple(_view_column(c) for c in PlanDayRow.__table__.columns
                     if c.name not in ("id", "pains", "notes", "created_at"))


_VIEW_AT = {c.name: i for i, c in enumerate(VIEW_COLUMNS)}
_V_USER, _V_DATE, _V_METRIC, _V_VALUE, _V_THRESHOLD, _V_CAP, _V_WEEK_CAP, _V_DIST, _V_SPEED, _V_VERDICT = (
    _VIEW_AT[n] for n in ("user_id", "date", "cause_metric", "cause_value", "cause_threshold", "cap_m",
                          "week_cap_m", "distance_pct", "speed_pct", "verdict"))
_STATE_ORDER = tuple(f.name for f in dataclasses.fields(PlanState))
_BEFORE_CAUSE = _STATE_ORDER[:_STATE_ORDER.index("cause")]
_AFTER_CAUSE = _STATE_ORDER[_STATE_ORDER.index("cause") + 1:_STATE_ORDER.index("day")]
if _STATE_ORDER[-1] != "day" or set(_BEFORE_CAUSE + _AFTER_CAUSE) != set(_STATE_FIELDS):
    raise RuntimeError("view_day builds PlanState by position: its fields changed shape")
_state_head = operator.itemgetter(*(_VIEW_AT[n] for n in _BEFORE_CAUSE))
_state_tail = operator.itemgetter(*(_VIEW_AT[n] for n in _AFTER_CAUSE))


def view_day(v: Sequence[Any]) -> PlanDay:
    """A stored day from a ``VIEW_COLUMNS`` row's values, by position: the reminder sweep
    reads tens of thousands, and a per-row dict of every column cost it a second."""
    cause = Reason(v[_V_METRIC], v[_V_VALUE], v[_V_THRESHOLD]) if v[_V_METRIC] else None
    state = PlanState(*_state_head(v), cause, *_state_tail(v), v[_V_DATE])
    if state.clean_weeks:
        object.__setattr__(state, "clean_weeks", _weeks(state.clean_weeks))
    return PlanDay(date=v[_V_DATE], state=state, cap_m=v[_V_CAP], week_cap_m=v[_V_WEEK_CAP],
                   distance_pct=v[_V_DIST], speed_pct=v[_V_SPEED], verdict=v[_V_VERDICT])


def view_day_or_none(v: Sequence[Any]) -> PlanDay | None:
    """``view_day`` of an outer-joined row; ``None`` where no day was stored."""
    return view_day(v) if v[_V_USER] is not None else None


def on_day(user_id: Any, day: Any) -> Any:
    """The join condition of a runner's stored plan day on ``day`` (a column or expression,
    such as the runner's local today by zone): outer-join ``PlanDayRow`` on it and read
    ``VIEW_COLUMNS``; ``view_day`` builds the day (absent: the user_id column is NULL)."""
    return and_(PlanDayRow.user_id == user_id, PlanDayRow.date == day)


def _members(column: Any, among: Any) -> Any:
    """``column`` is one of ``among``: a list of ids, or a SQL selectable of ids."""
    if isinstance(among, (list, tuple)):
        return ids_match(column, list(among))
    return column.in_(among)


def latest_days(user_ids: Iterable[int] | Any, through: date) -> dict[int, PlanDay]:
    """The latest stored plan day of each runner dated on or before ``through`` (no writes;
    runners without one are absent). ``user_ids``: ids, or a SQL selectable of ids."""
    among = user_ids if not isinstance(user_ids, (list, tuple, set, frozenset)) else list(user_ids)
    if isinstance(among, list) and not among:
        return {}
    latest = (
        select(PlanDayRow.user_id, func.max(PlanDayRow.date).label("date"))
        .where(_members(PlanDayRow.user_id, among), PlanDayRow.date <= through)
        .group_by(PlanDayRow.user_id).subquery()
    )
    rows = core_rows(
        select(*VIEW_COLUMNS).join(latest, and_(PlanDayRow.user_id == latest.c.user_id,
                                                 PlanDayRow.date == latest.c.date))
    )
    return {v[_V_USER]: view_day(v) for v in map(tuple, rows)}


def plan_on(user_ids: Iterable[int], today_of: dict[int, date],
            settings: dict[int, RunnerSettings], among: Any = None,
            known: Mapping[int, PlanDay] | None = None) -> dict[int, PlanDay]:
    """Each runner's plan on their own local today (``today_of``), for views over many
    runners (the reminder sweep, a therapist's dashboard): the stored day (written by the
    runner's last write or by the nightly step, ``plan.advance``), or else the latest
    stored day before it stepped on in memory (nothing new was recorded since). No writes.

    ``among``: a SQL selectable of the same ids, to read the rows without sending the ids.
    ``known``: the stored days at their today already read by the caller (the sweep joins
    them to its candidates, ``on_day``); then only the others are looked up.
    """
    ids = [uid for uid in user_ids if uid in today_of]
    if not ids:
        return {}
    source = among if among is not None else ids
    todays = sorted({today_of[u] for u in ids})  # one date per zone offset: two or three
    if known is not None:
        out = {uid: known[uid] for uid in ids if uid in known}
    else:
        out = {}
        for v in map(tuple, core_rows(select(*VIEW_COLUMNS).where(
                _members(PlanDayRow.user_id, source), PlanDayRow.date.in_(todays)))):
            if today_of.get(v[_V_USER]) == v[_V_DATE]:
                out[v[_V_USER]] = view_day(v)
    if len(out) == len(ids):
        return out
    # Not stepped today (the nightly step has not run): the day before, stepped in memory.
    earlier: dict[int, Sequence[Any]] = {}
    for v in map(tuple, core_rows(select(*VIEW_COLUMNS).where(
            _members(PlanDayRow.user_id, source),
            PlanDayRow.date.between(todays[0] - timedelta(days=1), todays[-1] - timedelta(days=1))))):
        uid = v[_V_USER]
        if uid in today_of and uid not in out and v[_V_DATE] < today_of[uid] and (
                uid not in earlier or earlier[uid][_V_DATE] < v[_V_DATE]):
            earlier[uid] = v
    for uid, v in earlier.items():
        out[uid] = replay(view_day(v).state, (), today_of[uid], settings[uid])[-1]
    behind: dict[date, list[int]] = {}
    for uid in ids:
        if uid not in out:
            behind.setdefault(today_of[uid], []).append(uid)
    for today, missing in behind.items():  # longer ago (or never: no plan yet)
        for start in range(0, len(missing), 10_000):  # SQLite binds at most 32,766 values
            for uid, day in latest_days(missing[start:start + 10_000], today - timedelta(days=1)).items():
                out[uid] = replay(day.state, (), today, settings[uid])[-1]
    return out
