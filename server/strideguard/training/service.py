"""Training use cases: check-ins, runs, shoes and the load query.

Every query is scoped by ``user_id``: another runner's rows are simply not found (404).
"""

from __future__ import annotations

import functools
import uuid as uuid_lib
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from strideguard.accounts.limits import runner_settings
from strideguard.accounts.models import User
from strideguard.errors import Invalid, NotFound
from strideguard.extensions import db
from strideguard.guidance.engine import Guidance
from strideguard.afterwrite import after_write, begin_write, retrying
from strideguard.guidance.service import guidance_for
from strideguard.load import RunPoint, compute_load, window_start
from strideguard.owned import own_row
from strideguard.plan import service as plan_service
from strideguard.plan.machine import next_week_cap
from strideguard.timeutil import utcnow, zone
from strideguard.training.models import Checkin, DeletedRun, Run, Shoe

MAX_RANGE_DAYS = 400
DEFAULT_RANGE_DAYS = 90


def parse_day(value: str, field: str = "date") -> date:
    """An ISO calendar date from the URL, or 422 naming the field."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(fields={field: ["Use a date like 2026-05-31."]}) from None


def parse_uuid(value: str) -> str:
    """A canonical lower-case UUID string, or 422."""
    try:
        return str(uuid_lib.UUID(value))
    except ValueError:
        raise Invalid(fields={"uuid": ["Use a UUID, e.g. 0b6f6c2e-3c1d-4a51-9a7e-2f8d5f0c9b11."]}) from None


def today_for(user: User, now: datetime | None = None) -> date:
    """The runner's today (``plan.service.runner_today``: their local date, or a later date
    they already recorded something on before a move west)."""
    return plan_service.runner_today(user, now)


#: The earliest date a check-in, run or read may name (older dates are typing mistakes).
EARLIEST_DAY = date(2000, 1, 1)
#: The latest date a range may name (a bound for date arithmetic, far from year 9999).
LATEST_DAY = date(2100, 12, 31)


def _not_future(user: User, day: date, field: str = "date", today: date | None = None) -> None:
    if day > (today or today_for(user)):
        raise Invalid(fields={field: ["This date is in the future in your time zone."]})
    if day < EARLIEST_DAY:
        raise Invalid(fields={field: [f"Use a date from {EARLIEST_DAY.isoformat()} on."]})


def asked_day(user: User, day: date | None) -> date:
    """The local date a read asks about: ``day`` or today; a future date is 422 (the plan
    and the guidance of a day not lived yet are not known)."""
    if day is None:
        return today_for(user)
    _not_future(user, day)
    return day


def date_range(user: User, first: date | None, last: date | None) -> tuple[date, date]:
    """Resolve ``from``/``to`` (defaults: the last 90 days) and bound the span."""
    for name, day in (("from", first), ("to", last)):
        if day is not None and not EARLIEST_DAY <= day <= LATEST_DAY:
            raise Invalid(fields={name: [f"Use a date from {EARLIEST_DAY} to {LATEST_DAY}."]})
    last = last or today_for(user)
    first = first or last - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if first > last:
        raise Invalid(fields={"from": ["Must not be after 'to'."]})
    if (last - first).days >= MAX_RANGE_DAYS:
        raise Invalid(fields={"from": [f"Ask for at most {MAX_RANGE_DAYS} days at a time."]})
    return first, last


class _Upsert:
    """One model's statements for :func:`_upsert`, built once per key and field names: Core
    with ``RETURNING`` (a PUT runs them inside the runner's lock, where the ORM's flush of
    one row cost twice its UPDATE)."""

    def __init__(self, model: type, key: tuple[str, ...], fields: tuple[str, ...]) -> None:
        table = model.__table__
        self.read = select(table).where(*(table.c[name] == bindparam(name) for name in key))
        self.add = insert(table).returning(*table.c)
        # "row_id": a bound parameter named like a column is reserved for the SET clause.
        self.replace = update(table).where(table.c.id == bindparam("row_id")).values(
            {name: bindparam(name) for name in (*fields, "updated_at")}).returning(*table.c)


@functools.cache
def _statements(model: type, key: tuple[str, ...], fields: tuple[str, ...]) -> _Upsert:
    return _Upsert(model, key, fields)


#: "Not looked up yet" (``None`` means looked up and not found).
_UNREAD: Any = object()


def read_by_key(model: type, key: dict[str, Any]) -> Any:
    """The row of ``model`` identified by ``key`` (a Core row of every column), or ``None``."""
    return db.session.connection().execute(_statements(model, tuple(key), ()).read, key).one_or_none()


def _upsert(model: type, key: dict[str, Any], fields: dict[str, Any], existing: Any = _UNREAD) -> tuple[Any, bool]:
    """Create the row identified by ``key`` or replace its ``fields`` (not committed: the
    caller commits it with the care plan it changes). ``existing``: the row by ``key`` (or
    ``None``) when the caller already read it in this transaction (:func:`read_by_key`).

    Returns (row, created): a Core row of every column. Replays are idempotent: a concurrent
    replay that inserts the same key first makes our insert fail its unique constraint, and
    we update that row instead; a replay of the same body is not an edit (``updated_at``
    stays: the therapist sees edits).
    """
    q = _statements(model, tuple(key), tuple(fields))
    conn = db.session.connection()
    if existing is _UNREAD:
        existing = conn.execute(q.read, key).one_or_none()
    if existing is None:
        now = utcnow()
        try:
            with db.session.begin_nested():
                return conn.execute(q.add, {**key, **fields, "created_at": now, "updated_at": now}).one(), True
        except IntegrityError:
            existing = conn.execute(q.read, key).one()
    if any(existing._mapping[name] != value for name, value in fields.items()):
        return conn.execute(q.replace, {**fields, "row_id": existing.id, "updated_at": utcnow()}).one(), False
    return existing, False


def _settle(user: User, changed: date, today: date | None = None) -> Guidance:
    """After a write dated ``changed``: the one after-write path, then one commit. ``today``:
    the runner's today read under their lock before the write, when the write cannot have
    moved it (see ``record_checkin``)."""
    guidance = after_write(user, changed, today=today).changed
    db.session.commit()
    return guidance


# --- check-ins -------------------------------------------------------------------------


def get_checkin(user: User, day: date) -> Checkin:
    found = db.session.execute(
        select(Checkin).where(Checkin.user_id == user.id, Checkin.date == day)
    ).scalar_one_or_none()
    if found is None:
        raise NotFound("No check-in for that date.")
    return found


@retrying
def record_checkin(user: User, day: date, data: dict[str, Any]) -> tuple[Any, bool, Guidance]:
    """Save the check-in of a local date, bring the care plan up to date and return the
    day's guidance — one transaction. Returns (check-in, created, guidance)."""
    begin_write(user)
    # The runner's today, read once: a check-in dated on or before it cannot move it (the
    # latest date recorded past the local date stays the latest), so after_write reuses it.
    today = today_for(user)
    checkin, created = put_checkin(user, day, data, today)
    return checkin, created, _settle(user, day, today)


def put_checkin(user: User, day: date, data: dict[str, Any], today: date | None = None) -> tuple[Any, bool]:
    """Create or replace the check-in of a local date (not committed). Returns (check-in, created):
    a Core row."""
    _not_future(user, day, today=today)
    fields = {
        "pain": data["pain"],
        "morning_pain": data.get("morning_pain"),
        "location": data.get("location"),
        "side": data.get("side"),
        "swelling": data.get("swelling", False),
        "fever": data.get("fever", False),
        "locking_or_giving_way": data.get("locking_or_giving_way", False),
        "hard_to_straighten": data.get("hard_to_straighten", False),
        "note": data.get("note"),
        "answers": data.get("answers") or {},
    }
    return _upsert(Checkin, {"user_id": user.id, "date": day}, fields)


def list_checkins(user: User, first: date, last: date) -> list[Checkin]:
    return list(
        db.session.execute(
            select(Checkin)
            .where(Checkin.user_id == user.id, Checkin.date.between(first, last))
            .order_by(Checkin.date)
        ).scalars()
    )


@retrying
def delete_checkin(user: User, day: date) -> None:
    begin_write(user)
    db.session.delete(get_checkin(user, day))
    db.session.flush()
    _settle(user, day)


# --- runs ------------------------------------------------------------------------------


def get_run(user: User, run_uuid: str) -> Run:
    found = db.session.execute(
        select(Run).where(Run.user_id == user.id, Run.uuid == run_uuid)
    ).scalar_one_or_none()
    if found is None:
        raise NotFound("No such run.")
    return found


def _check_shoe(user: User, shoe_id: int | None) -> None:
    if shoe_id is None:
        return
    owned = db.session.execute(
        select(Shoe.id).where(Shoe.id == shoe_id, Shoe.user_id == user.id)
    ).first()
    if owned is None:
        raise Invalid(fields={"shoe_id": ["Unknown shoe."]})


@retrying
def record_run(user: User, run_uuid: str, data: dict[str, Any]) -> tuple[Any, bool, Guidance]:
    """Save a run, bring the care plan up to date (from the earlier of its old and new date)
    and return the guidance of the run's date — one transaction."""
    begin_write(user)
    today = today_for(user)
    existing = read_by_key(Run, {"user_id": user.id, "uuid": run_uuid})
    old = existing.date if existing is not None else None
    run, created = put_run(user, run_uuid, data, today, existing)
    changed = min(run.date, old) if old is not None else run.date
    # A run added or replaced on its own date cannot move the runner's today; one moved off
    # a date past the local date can (after_write reads it again).
    written = after_write(user, changed, today=today if old in (None, run.date) else None)
    guidance = written.changed if changed == run.date else guidance_for(user, run.date)
    db.session.commit()
    return run, created, guidance


def put_run(user: User, run_uuid: str, data: dict[str, Any], today: date | None = None,
            existing: Any = _UNREAD, extras: dict[str, Any] | None = None) -> tuple[Any, bool]:
    """Create or replace a run by its client UUID (not committed). Returns (run, created): a
    Core row. ``today``: the runner's today when already read; ``existing``: the run by its
    UUID (or ``None``) when already read in this transaction (:func:`read_by_key`);
    ``extras``: columns the runner does not type (an import's source, device, climb, start)."""
    _not_future(user, data["date"], today=today)
    _check_shoe(user, data.get("shoe_id"))
    if data.get("pain_onset_m") is not None and data["pain_onset_m"] > data["distance_m"]:
        raise Invalid(fields={"pain_onset_m": ["Pain cannot start after the end of the run."]})
    fields = {name: data.get(name) for name in (
        "date", "distance_m", "duration_s", "pain_during", "pain_after",
        "pain_onset_m", "surface", "shoe_id", "note",
    )}
    key = {"user_id": user.id, "uuid": run_uuid}
    if extras is None or "started_at" not in extras:
        if existing is _UNREAD:
            existing = read_by_key(Run, key)
        if _start_elsewhere(existing, data["date"], user.timezone):
            # Moved to another date: the watch's start time no longer belongs to the run.
            extras = {**(extras or {}), "started_at": None}
    return _upsert(Run, key, {**fields, **(extras or {})}, existing)


def _start_elsewhere(run: Any, day: date, tz_name: str) -> bool:
    """An imported run's recorded start falls on another local date than ``day``."""
    started = getattr(run, "started_at", None)
    return started is not None and started.astimezone(zone(tz_name)).date() != day


def list_runs(user: User, first: date, last: date) -> list[Run]:
    return list(
        db.session.execute(
            select(Run)
            .where(Run.user_id == user.id, Run.date.between(first, last))
            .order_by(Run.date, Run.created_at)
        ).scalars()
    )


@retrying
def delete_run(user: User, run_uuid: str) -> None:
    begin_write(user)
    run = get_run(user, run_uuid)
    day = run.date
    if run.import_id is not None or run.source != "manual":
        # Imported: the same file imported again asks before it brings the run back.
        db.session.merge(DeletedRun(user_id=user.id, uuid=run.uuid, date=day, deleted_at=utcnow(),
                                    distance_m=run.distance_m, started_at=run.started_at))
    db.session.delete(run)
    db.session.flush()
    _settle(user, day)


# --- shoes -----------------------------------------------------------------------------


def _shoe_distances(user: User, shoe_id: int | None = None) -> dict[int, float]:
    stmt = (
        select(Run.shoe_id, func.coalesce(func.sum(Run.distance_m), 0.0))
        .where(Run.user_id == user.id, Run.shoe_id.is_not(None))
        .group_by(Run.shoe_id)
    )
    if shoe_id is not None:
        stmt = stmt.where(Run.shoe_id == shoe_id)
    return {sid: float(total) for sid, total in db.session.execute(stmt)}


def shoe_out(shoe: Shoe, distance_m: float) -> dict[str, Any]:
    return {
        "id": shoe.id, "name": shoe.name, "limit_m": shoe.limit_m, "retired": shoe.retired,
        "distance_m": distance_m, "created_at": shoe.created_at,
    }


def list_shoes(user: User) -> list[dict[str, Any]]:
    """The runner's shoes, each with its distance so far (one aggregate query)."""
    shoes = db.session.execute(
        select(Shoe).where(Shoe.user_id == user.id).order_by(Shoe.retired, Shoe.id)
    ).scalars()
    totals = _shoe_distances(user)
    return [shoe_out(s, totals.get(s.id, 0.0)) for s in shoes]


def get_shoe(user: User, shoe_id: int) -> Shoe:
    return own_row(Shoe, user.id, shoe_id, "shoe")


def create_shoe(user: User, data: dict[str, Any]) -> dict[str, Any]:
    shoe = Shoe(user_id=user.id, name=data["name"], limit_m=data["limit_m"], retired=data["retired"])
    db.session.add(shoe)
    db.session.commit()
    return shoe_out(shoe, 0.0)


def patch_shoe(user: User, shoe_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    shoe = get_shoe(user, shoe_id)
    for name, value in changes.items():
        setattr(shoe, name, value)
    db.session.commit()
    return shoe_out(shoe, _shoe_distances(user, shoe.id).get(shoe.id, 0.0))


def delete_shoe(user: User, shoe_id: int) -> None:
    shoe = get_shoe(user, shoe_id)
    db.session.execute(delete(Shoe).where(Shoe.id == shoe.id))
    db.session.commit()


# --- load ------------------------------------------------------------------------------


def run_points(user: User, as_of: date) -> list[RunPoint]:
    """Only the runs the load maths needs (about 13 weeks), only the three columns."""
    rows = db.session.execute(
        select(Run.date, Run.distance_m, Run.duration_s).where(
            Run.user_id == user.id, Run.date.between(window_start(as_of), as_of)
        )
    )
    return [RunPoint(d, dist, dur) for d, dist, dur in rows]


def baseline_out(s: Any) -> dict[str, Any] | None:
    """The baseline as the API shows it: its mean and the clean weeks it is the mean of."""
    if not s.baseline_m:
        return None
    return {"week_start": s.baseline_week, "distance_m": round(s.baseline_m),
            "weeks": [{"week_start": monday, "distance_m": round(m)} for monday, m in s.clean_weeks]}


def load_for(user: User, as_of: date) -> dict[str, Any]:
    """The ``GET /load`` body: this calendar week and the one before, the care plan's
    baseline, change and caps, the detectors' figures and the 12 chart weeks."""
    summary = compute_load(run_points(user, as_of), as_of)
    plan = plan_service.day_for(user, as_of, today_for(user))
    settings = runner_settings(user)
    s = plan.state
    return {
        "as_of": summary.as_of,
        "week_start": summary.week_start,
        "current": summary.current,
        "previous": summary.previous,
        "change": {"distance_pct": plan.distance_pct, "speed_pct": plan.speed_pct},
        "baseline": baseline_out(s),
        "plan_state": plan.name,
        "cap_m": plan.week_cap_m,
        "next_week_cap_m": next_week_cap(plan, settings),
        "weekly_increase_pct": settings.weekly_increase_pct,
        "speed_increase_pct": settings.speed_increase_pct,
        "longest_run_30d_m": summary.longest_run_30d_m,
        "two_week_change_pct": summary.two_week_change_pct,
        "acwr": summary.acwr,
        "weeks": summary.weeks,
    }
