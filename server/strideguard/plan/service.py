"""The care plan's database side: step it forward, replay it after an edit, read it back.

The state machine itself is pure (``plan.machine``); the rows and values are mapped in
``plan.rows``; what the plan is made from is read by ``plan.records``. This module serialises
writers of one runner (``lock_runner``), replays and stores the days, and reads them back —
for one runner, or for views over many (the reminder sweep, a therapist's dashboard).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, exists, func, insert, select, update

from strideguard.accounts.limits import runner_settings
from strideguard.accounts.models import User
from strideguard.day.values import RunnerSettings
from strideguard.extensions import core_rows, db, ids_match
from strideguard.operations import writelock
from strideguard.plan.machine import PlanDay, PlanEvent, PlanState, replay
from strideguard.plan.models import PlanDayRow, PlanEventRow
from strideguard.rehab.store import with_rehab
from strideguard.plan.records import (  # noqa: F401  (Recorded, recorded, runner_today: re-exported)
    Recorded,
    first_data,
    inputs,
    recorded,
    runner_today,
    with_assessments,
)
from strideguard.plan.rows import (  # noqa: F401  (re-exported)
    VIEW_COLUMNS,
    _V_DATE,
    _V_USER,
    _day_of,
    _event_of,
    _event_values,
    _row_values,
    _state_of,
    on_day,
    view_day,
    view_day_or_none,
)

#: How far back the plan looks: it is stepped from at most this many days before today, so
#: an edit of a very old date (or a date typed wrong by centuries) never replays years.
HORIZON_DAYS = 400


class _Statements:
    """Built once with bound parameters (building a ``select`` costs more than running it)."""

    def __init__(self) -> None:
        uid, first = bindparam("uid"), bindparam("first")
        # A Core row of every column (the replay only needs its values, not an ORM object),
        # and whether any plan event is dated after it: the replay's store only deletes the
        # events from the day after it when there are some (most writes change no state).
        self.before = (
            select(PlanDayRow.__table__, exists().where(
                PlanEventRow.user_id == PlanDayRow.user_id, PlanEventRow.date > PlanDayRow.date,
            ).label("events_after"))
            .where(PlanDayRow.user_id == uid, PlanDayRow.date < bindparam("day"))
            .order_by(PlanDayRow.date.desc()).limit(1)
        )
        self.on = select(PlanDayRow).where(PlanDayRow.user_id == uid, PlanDayRow.date == bindparam("day"))
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
        # A long replay's store (``_store_changes``): what is stored from ``first`` on, and
        # the deletes of the days that changed.
        self.days_from = select(PlanDayRow.__table__).where(
            PlanDayRow.user_id == uid, PlanDayRow.date >= first)
        self.events_from = select(PlanEventRow.__table__).where(
            PlanEventRow.user_id == uid, PlanEventRow.date >= first).order_by(PlanEventRow.date, PlanEventRow.id)
        dates = bindparam("dates", expanding=True)
        self.drop_days_on = delete(PlanDayRow.__table__).where(
            PlanDayRow.user_id == uid, PlanDayRow.date.in_(dates))
        self.drop_events_on = delete(PlanEventRow.__table__).where(
            PlanEventRow.user_id == uid, PlanEventRow.date.in_(dates))
        # The runner's lock (``lock_runner``): Core statements on the session's connection,
        # the same SQL the ORM sent, without its per-call statement building and (for the
        # UPDATE) its identity-map synchronisation.
        users = User.__table__
        self.lock_row = select(users.c.id).where(users.c.id == uid).with_for_update()
        self.lock_db = update(users).where(users.c.id == uid).values(id=users.c.id)


_Q: _Statements | None = None


def _q() -> _Statements:
    global _Q
    if _Q is None:
        _Q = _Statements()
    return _Q


#: ``session.info`` key: (the root transaction, the runners it locked) on PostgreSQL.
_LOCKED = "strideguard.locked_runners"


def lock_runner(user_id: int) -> None:
    """Serialise writers of one runner's plan until the transaction ends.

    PostgreSQL: ``SELECT … FOR UPDATE`` on the runner's row, once per transaction (a write
    asks at its start, in the after-write path and in the plan's refresh: the later asks cost
    no round trip). SQLite: a no-op UPDATE, which makes this connection the database's writer
    now (later writers queue at the database's gate, ``operations.writergate``), so the reads
    that follow see every earlier commit.
    """
    session = db.session()
    if db.engine.dialect.name == "postgresql":
        held = session.info.get(_LOCKED)
        if held is not None and held[0] is session.get_transaction() and user_id in held[1]:
            return
        started = time.perf_counter()
        session.connection().execute(_q().lock_row, {"uid": user_id})
        writelock.took(session, started)
        if session.in_nested_transaction():
            return  # a savepoint rolled back would release it: not remembered
        root = session.get_transaction()
        if held is None or held[0] is not root:
            held = session.info[_LOCKED] = (root, set())
        held[1].add(user_id)
    else:
        conn = session.connection()
        if conn.connection.dbapi_connection.in_transaction:
            # pysqlite begins a transaction at the first write: once one is open, this
            # connection already holds the write lock (the caller wrote the change first).
            return
        started = time.perf_counter()
        conn.execute(_q().lock_db, {"uid": user_id})
        writelock.took(session, started)


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
    prev = core_rows(q.before, {"uid": user.id, "day": start}).one_or_none()
    if prev is not None and since is None and prev.date >= today:
        return []  # already stepped through today
    if prev is not None:
        state, first = _state_of(prev), prev.date + timedelta(days=1)
    else:
        state = PlanState()
        first = max(min([*first_data(user.id), start if since is not None else today]), horizon)
    if first > today:
        return []
    if known is not None and known.covers(first) and known.last == today:
        found = known.inputs(first)
    else:
        found = inputs(user.id, first, today)
    found = with_rehab(user.id, found, first, today)
    days = replay(state, found, today, settings, first=first)
    if state.hold or any(d.state.hold for d in days):  # rare: only then read the assessments
        days = replay(state, with_assessments(user.id, found, first, today), today, settings, first=first)
    # Events from ``first`` on: ``first`` is the day after ``prev`` (its row said whether any
    # event is dated after it), or no day is stored before it (then they are deleted).
    _store(user.id, first, days, events_stored=prev is None or bool(prev.events_after))
    return days


#: A replay of at least this many days (an edit of an older entry, an import, a limit the
#: therapist changed) writes only the days whose row or events differ from the stored ones:
#: an edit four weeks back mostly changes that one day. A shorter replay (today's check-in)
#: replaces its days outright: reading them first would cost more than it saves.
DIFF_FROM_DAYS = 8


def _store(user_id: int, first: date, days: Sequence[PlanDay], events_stored: bool = True) -> None:
    """Replace the stored days and events from ``first`` on with ``days`` (same transaction).
    ``events_stored=False``: the caller knows no event is stored from ``first`` on (under the
    runner's lock), so there are none to delete."""
    if len(days) >= DIFF_FROM_DAYS:
        _store_changes(user_id, first, days, events_stored)
        return
    q, conn = _q(), db.session.connection()
    where = {"uid": user_id, "first": first}
    conn.execute(q.drop_days, where)
    if events_stored:
        conn.execute(q.drop_events, where)
    if days:
        conn.execute(q.add_days, [_row_values(user_id, d) for d in days])
    events = [_event_values(user_id, e) for d in days for e in d.events]
    if events:
        conn.execute(q.add_events, events)


def _store_changes(user_id: int, first: date, days: Sequence[PlanDay], events_stored: bool) -> None:
    """``_store`` for a long replay: compare each replayed day (its row and its events) with
    the stored one and rewrite only the days that differ, and delete stored days from
    ``first`` on that the replay no longer has (a date after a new, earlier today). The
    result is what ``_store`` would leave, less the rewriting of days that did not change."""
    q, conn = _q(), db.session.connection()
    where = {"uid": user_id, "first": first}
    stored = {row["date"]: row for row in conn.execute(q.days_from, where).mappings()}
    stored_events: dict[date, list[dict[str, Any]]] = {}
    if events_stored:
        for row in conn.execute(q.events_from, where).mappings():
            stored_events.setdefault(row["date"], []).append(row)
    replayed = {d.date for d in days}
    rows, events = [], []
    changed = (set(stored) | set(stored_events)) - replayed  # stored, but no longer replayed
    for day in days:
        values = _row_values(user_id, day)
        day_events = [_event_values(user_id, e) for e in day.events]
        old, old_events = stored.get(day.date), stored_events.get(day.date, [])
        if (old is None or any(old[k] != v for k, v in values.items())
                or len(old_events) != len(day_events)
                or any(old_e[k] != v for old_e, new_e in zip(old_events, day_events) for k, v in new_e.items())):
            changed.add(day.date)
            rows.append(values)
            events.extend(day_events)
    if not changed:
        return
    on = {"uid": user_id, "dates": sorted(changed)}
    conn.execute(q.drop_days_on, on)
    if stored_events:
        conn.execute(q.drop_events_on, on)
    if rows:
        conn.execute(q.add_days, rows)
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
    first = max(min([*first_data(user.id), day]), day - timedelta(days=HORIZON_DAYS))
    found = with_rehab(user.id, inputs(user.id, first, day), first, day)
    return replay(PlanState(), found, day, settings, first=first)[-1]


def history(user: User, limit: int = 200) -> list[PlanEvent]:
    """The runner's plan events, newest last (at most ``limit``, the most recent)."""
    rows = db.session.execute(
        select(PlanEventRow).where(PlanEventRow.user_id == user.id)
        .order_by(PlanEventRow.date.desc(), PlanEventRow.id.desc()).limit(limit)
    ).scalars()
    return [_event_of(r) for r in reversed(list(rows))]


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
