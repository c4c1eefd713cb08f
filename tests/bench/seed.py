"""Synthetic runners with 90 days of history, and bulk loaders for SQLite and PostgreSQL.

Histories come from a small set of seeded templates (``templates``): runner ``uid`` gets
template ``uid % len(templates)`` with its own user id, so 100k runners cost a few
seconds of Python. Run UUIDs repeat across runners, which the schema allows (unique per
runner). Loading: PostgreSQL with ``COPY`` (text format), SQLite with ``executemany``.
"""

from __future__ import annotations

import json
import random
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

HISTORY_DAYS = 90
CHECKIN_COLUMNS = (
    "user_id", "date", "pain", "morning_pain", "location", "side", "swelling", "fever",
    "locking_or_giving_way", "hard_to_straighten", "note", "answers", "created_at", "updated_at",
)
RUN_COLUMNS = (
    "user_id", "uuid", "date", "distance_m", "duration_s", "pain_during", "pain_after",
    "pain_onset_m", "surface", "shoe_id", "note", "created_at", "updated_at",
)
USER_COLUMNS = (
    "id", "email", "password_hash", "timezone", "units", "reminder_time", "quiet_start",
    "quiet_end", "pain_threshold", "weekly_increase_pct", "conditions", "therapist",
    "notification_detail", "created_at", "password_changed_at",
)
SUB_COLUMNS = ("user_id", "endpoint", "p256dh", "auth", "created_at")
TIMEZONES = (
    "UTC", "Europe/Berlin", "Europe/London", "America/New_York", "America/Los_Angeles",
    "Asia/Tokyo", "Australia/Sydney", "America/Sao_Paulo",
)
REMINDER_TIMES = (time(7, 0), time(12, 0), time(18, 30), time(20, 0), time(21, 0))
SURFACES = ("road", "trail", "track", "treadmill", "grass", None)
LOCATIONS = ("around_kneecap", "outside", "inside_below_joint", None, None, None)
#: A syntactically valid argon2 hash nobody can sign in with (bulk runners never log in).
DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$YmVuY2hiZW5jaGJlbmNo$" + "A" * 43
#: A P-256 public point and auth secret shaped like a browser's (never used to encrypt).
DUMMY_P256DH = "B" + "A" * 86
DUMMY_AUTH = "A" * 22


@dataclass(frozen=True, slots=True)
class History:
    """One template: check-in and run rows WITHOUT the leading ``user_id`` column, and the
    care plan's stored day for yesterday (``plan``: plan_days columns without ``user_id``,
    JSON columns already encoded) — what a runner who last opened the app yesterday has."""

    checkins: tuple[tuple[Any, ...], ...]
    runs: tuple[tuple[Any, ...], ...]
    plan: tuple[Any, ...] = ()


#: plan_days columns the bulk load writes (the first is user_id).
PLAN_JSON = ("cause_value", "cause_threshold", "pains", "notes")


def plan_columns() -> tuple[str, ...]:
    from strideguard.plan.models import PlanDayRow

    return tuple(c.name for c in PlanDayRow.__table__.columns if c.name != "id")


def plan_tail(hist_checkins, hist_runs, as_of: date) -> tuple[Any, ...]:
    """The plan day of ``as_of - 1`` replayed from a template (the pure state machine)."""
    from strideguard.guidance.snapshot import CheckinSnap, RunnerSettings, RunSnap
    from strideguard.plan.machine import PlanState, inputs_from, replay
    from strideguard.plan.rows import _row_values

    yesterday = as_of - timedelta(days=1)
    checkins = [CheckinSnap(date=r[0], pain=r[1], morning_pain=r[2], location=r[3]) for r in hist_checkins
                if r[0] <= yesterday]
    runs = [RunSnap(id=r[0], date=r[1], distance_m=r[2], duration_s=r[3], pain_during=r[4], pain_after=r[5])
            for r in hist_runs if r[1] <= yesterday]
    days = replay(PlanState(), inputs_from(checkins, runs), yesterday, RunnerSettings())
    values = _row_values(0, days[-1])
    values["created_at"] = datetime.combine(yesterday, time(22, 0), tzinfo=timezone.utc)
    out = []
    for name in plan_columns()[1:]:
        value = values[name]
        out.append(json.dumps(value) if name in PLAN_JSON and value is not None else value)
    return tuple(out)


def history(as_of: date, seed: int, *, days: int = HISTORY_DAYS, include_today: bool = True,
            checkin_rate: float = 0.75, run_rate: float = 0.5) -> History:
    """A plausible history of ``days`` (90) days ending at ``as_of``: ~3-4 runs a week, most
    days checked in (``checkin_rate``, ``run_rate``: the share of days with one).

    Values are Python objects (dates, datetimes, floats, bools); ``answers`` is a dict.
    """
    rng = random.Random(seed)
    checkins: list[tuple[Any, ...]] = []
    runs: list[tuple[Any, ...]] = []
    base_km = rng.uniform(4.0, 9.0)
    pace = rng.uniform(300.0, 390.0)  # seconds per km
    start = 0 if include_today else 1
    for back in range(days - 1 + start, start - 1, -1):
        day = as_of - timedelta(days=back)
        stamp = datetime.combine(day, time(7, 30), tzinfo=timezone.utc)
        if rng.random() < checkin_rate:
            pain = rng.choice((0, 0, 1, 1, 2, 2, 3))
            checkins.append((
                day, pain, rng.choice((None, pain)), rng.choice(LOCATIONS), None,
                False, False, False, False, None, {}, stamp, stamp,
            ))
        if rng.random() < run_rate:
            km = max(1.0, rng.gauss(base_km, 1.5))
            runs.append((
                str(uuid.UUID(int=rng.getrandbits(128), version=4)), day, round(km * 1000, 1),
                round(km * pace * rng.uniform(0.95, 1.05), 1), rng.choice((None, 0, 1, 2)),
                rng.choice((None, 0, 1, 2)), None, rng.choice(SURFACES), None, None,
                stamp + timedelta(hours=10), stamp + timedelta(hours=10),
            ))
    return History(tuple(checkins), tuple(runs), plan_tail(checkins, runs, as_of))


def templates(as_of: date, count: int = 64) -> list[History]:
    """``count`` different histories ending at ``as_of`` (deterministic)."""
    return [history(as_of, seed) for seed in range(count)]


def user_row(uid: int, created: datetime) -> tuple[Any, ...]:
    """A bulk runner (all columns of ``USER_COLUMNS``); a fifth of them have quiet hours."""
    quiet = (time(22, 0), time(7, 0)) if uid % 5 == 0 else (None, None)
    return (
        uid, f"bench{uid}@strideguard.invalid", DUMMY_HASH, TIMEZONES[uid % len(TIMEZONES)], "km",
        REMINDER_TIMES[uid % len(REMINDER_TIMES)], quiet[0], quiet[1], 3, 10.0, [], None,
        "discreet", created, created,
    )


def sub_row(uid: int, created: datetime, endpoint: str | None = None) -> tuple[Any, ...]:
    """A push subscription of runner ``uid`` (``SUB_COLUMNS``)."""
    return (uid, endpoint or f"https://fcm.googleapis.com/fcm/send/bench-{uid}", DUMMY_P256DH, DUMMY_AUTH, created)


@dataclass(frozen=True, slots=True)
class Shape:
    """How many rows a bulk load wrote."""

    users: int
    checkins: int
    runs: int
    subscriptions: int


def shape_of(runners: int, tmpl: Sequence[History]) -> Shape:
    """The row counts ``runners`` runners over ``tmpl`` produce (without loading them)."""
    n = len(tmpl)
    checkins = sum(len(tmpl[uid % n].checkins) for uid in range(1, runners + 1))
    runs = sum(len(tmpl[uid % n].runs) for uid in range(1, runners + 1))
    return Shape(runners, checkins, runs, runners)


# --- value formatting ------------------------------------------------------------------


def sqlite_value(value: Any) -> Any:
    """A Python value as SQLAlchemy stores it in SQLite (dates and times as ISO text)."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M:%S.%f")
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, Decimal):
        return str(value)
    return value


def copy_value(value: Any) -> str:
    """A Python value in PostgreSQL ``COPY`` text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        value = json.dumps(value)
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def copy_tail(row: Sequence[Any]) -> str:
    """The COPY line of a row, without its leading user id column and tab."""
    return "\t".join(copy_value(v) for v in row) + "\n"


# --- bulk loading ----------------------------------------------------------------------


def _chunks(runners: int, size: int) -> Iterator[range]:
    for first in range(1, runners + 1, size):
        yield range(first, min(first + size, runners + 1))


def load_postgres(conn: Any, runners: int, tmpl: Sequence[History], created: datetime,
                  chunk: int = 5000) -> Shape:
    """COPY ``runners`` runners (ids 1..N), their histories and one subscription each."""
    n = len(tmpl)
    ck_tails = [[copy_tail(r) for r in t.checkins] for t in tmpl]
    run_tails = [[copy_tail(r) for r in t.runs] for t in tmpl]
    with conn.cursor() as cur:
        # A bulk load of rows that are consistent by construction: skip the per-row FK
        # triggers for this session (superuser; the usual pg_restore technique).
        cur.execute("SET session_replication_role = replica")
        with cur.copy(f"COPY users ({', '.join(USER_COLUMNS)}) FROM STDIN") as cp:
            for ids in _chunks(runners, chunk):
                cp.write("".join(copy_tail(user_row(uid, created)) for uid in ids))
        with cur.copy(f"COPY push_subscriptions ({', '.join(SUB_COLUMNS)}) FROM STDIN") as cp:
            for ids in _chunks(runners, chunk):
                cp.write("".join(copy_tail(sub_row(uid, created)) for uid in ids))
        plan_tails = [[copy_tail(t.plan)] for t in tmpl]
        for table, columns, tails in (("checkins", CHECKIN_COLUMNS, ck_tails), ("runs", RUN_COLUMNS, run_tails),
                                      ("plan_days", plan_columns(), plan_tails)):
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
                for ids in _chunks(runners, chunk):
                    cp.write("".join(f"{uid}\t{line}" for uid in ids for line in tails[uid % n]))
        cur.execute("SET session_replication_role = DEFAULT")
        cur.execute("SELECT setval(pg_get_serial_sequence('users', 'id'), %s)", (runners,))
    conn.commit()
    # What autovacuum would soon do on a live server: statistics, and the visibility map
    # that lets the (user_id, date) indexes answer without visiting the heap.
    autocommit, conn.autocommit = conn.autocommit, True
    try:
        for table in ("users", "checkins", "runs", "push_subscriptions", "plan_days"):
            conn.execute(f"VACUUM ANALYZE {table}")
    finally:
        conn.autocommit = autocommit
    return shape_of(runners, tmpl)


def load_sqlite(path: str, runners: int, tmpl: Sequence[History], created: datetime,
                chunk: int = 5000) -> Shape:
    """executemany the same data into a migrated SQLite file (fast pragmas for the load only)."""
    n = len(tmpl)
    ck = [[tuple(sqlite_value(v) for v in r) for r in t.checkins] for t in tmpl]
    rn = [[tuple(sqlite_value(v) for v in r) for r in t.runs] for t in tmpl]
    pl = [tuple(sqlite_value(v) for v in t.plan) for t in tmpl]
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        # What PostgreSQL's replica role does for its load: no triggers while rows consistent by
        # construction go in. The guidance-rev triggers (migration 0007) would run one UPDATE
        # of users per row (200 s instead of 70 s here); a fresh load has no stored guidance.
        triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
        for name, _ in triggers:
            conn.execute(f'DROP TRIGGER "{name}"')

        def insert(table: str, columns: Sequence[str], rows: Any) -> None:
            marks = ", ".join("?" for _ in columns)
            conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

        for ids in _chunks(runners, chunk):
            insert("users", USER_COLUMNS, (tuple(sqlite_value(v) for v in user_row(uid, created)) for uid in ids))
            insert("push_subscriptions", SUB_COLUMNS,
                   (tuple(sqlite_value(v) for v in sub_row(uid, created)) for uid in ids))
            insert("checkins", CHECKIN_COLUMNS, ((uid, *row) for uid in ids for row in ck[uid % n]))
            insert("runs", RUN_COLUMNS, ((uid, *row) for uid in ids for row in rn[uid % n]))
            insert("plan_days", plan_columns(), ((uid, *pl[uid % n]) for uid in ids))
            conn.commit()
        for _, sql in triggers:
            conn.execute(sql)
        conn.execute("ANALYZE")
        conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return shape_of(runners, tmpl)


def long_history(as_of: date, seed: int = 11) -> History:
    """Ten years: a check-in every day (3,650) and a run on about 55% of days (~2,000)."""
    return history(as_of, seed, days=3650, include_today=False, checkin_rate=1.0, run_rate=0.55)


def insert_history(engine: Any, user_id: int, hist: History, shoe: str | None = None) -> None:
    """Write one runner's history through SQLAlchemy Core (the HTTP benchmark's runner);
    with ``shoe``, a pair of shoes of that name that every run was run in."""
    from sqlalchemy import insert

    from strideguard.training.models import Checkin, Run, Shoe

    with engine.begin() as conn:
        shoe_id = None
        if shoe:
            shoe_id = conn.execute(insert(Shoe).values(user_id=user_id, name=shoe, limit_m=800_000.0,
                                                       retired=False).returning(Shoe.id)).scalar_one()
        conn.execute(insert(Checkin), [dict(zip(CHECKIN_COLUMNS, (user_id, *r))) for r in hist.checkins])
        conn.execute(insert(Run), [{**dict(zip(RUN_COLUMNS, (user_id, *r))), "shoe_id": shoe_id} for r in hist.runs])
