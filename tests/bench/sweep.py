"""Reminder sweep: one planning pass (``plan_scheduled``) over 100k subscribed runners."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import psycopg
from flask import Flask
from sqlalchemy import delete, func, select

from tests.bench import databases, seed


def sweep_now(today: date) -> datetime:
    """The Sunday on or before ``today`` at 20:05 UTC: check-in and weekly reminders are due."""
    sunday = today - timedelta(days=(today.weekday() - 6) % 7)
    return datetime(sunday.year, sunday.month, sunday.day, 20, 5, tzinfo=timezone.utc)


@dataclass
class SweepDb:
    """A seeded database and the app on it."""

    backend: str
    app: Flask
    cleanup_name: str | None  # a PostgreSQL database to drop at the end
    load_s: float
    shape: seed.Shape | None


def _seeded(app: Flask, runners: int, as_of: date) -> bool:
    from strideguard.accounts.models import User
    from strideguard.extensions import db
    from strideguard.training.models import Checkin

    with app.app_context():
        try:
            users = db.session.execute(select(func.count(User.id))).scalar()
            last = db.session.execute(select(func.max(Checkin.date))).scalar()
        except Exception:
            return False
        finally:
            db.session.remove()
            db.engine.dispose()
    return users == runners and last == as_of


def prepare_sqlite(workdir: Path, runners: int, as_of: date, reuse: bool) -> SweepDb:
    """A migrated SQLite file with ``runners`` runners loaded by executemany."""
    instance = workdir / f"sweep-sqlite-{runners}"
    instance.mkdir(parents=True, exist_ok=True)
    app = databases.make_app(instance)
    if reuse and _seeded(app, runners, as_of):
        databases.migrate(app)  # seeded by older code: its schema up to this code's head
        return SweepDb("SQLite", app, None, 0.0, None)
    Path(databases.sqlite_path(app)).unlink(missing_ok=True)
    databases.migrate(app)
    started = time.perf_counter()
    shape = seed.load_sqlite(databases.sqlite_path(app), runners, seed.templates(as_of), datetime.now(timezone.utc))
    return SweepDb("SQLite", app, None, time.perf_counter() - started, shape)


def prepare_postgres(workdir: Path, runners: int, as_of: date, reuse: bool) -> SweepDb:
    """A throwaway PostgreSQL database with ``runners`` runners loaded with COPY."""
    name = f"sg_bench_sweep_{runners}" if reuse else databases.new_database_name("sg_bench_sweep")
    instance = workdir / "sweep-postgres"
    instance.mkdir(parents=True, exist_ok=True)
    if reuse and databases.postgres_exists(name):
        app = databases.make_app(instance, databases.postgres_url(name))
        if _seeded(app, runners, as_of):
            databases.migrate(app)  # seeded by older code: its schema up to this code's head
            return SweepDb("PostgreSQL", app, None, 0.0, None)
        databases.drop_postgres(name)
    url = databases.create_postgres(name)
    app = databases.make_app(instance, url)
    databases.migrate(app)
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        shape = seed.load_postgres(conn, runners, seed.templates(as_of), datetime.now(timezone.utc))
    return SweepDb("PostgreSQL", app, None if reuse else name, time.perf_counter() - started, shape)


def one_pass(app: Flask, now: datetime) -> tuple[float, int]:
    """Empty the outbox (untimed), then time one ``plan_scheduled(now)``: (seconds, rows)."""
    from strideguard.extensions import db
    from strideguard.reminders.models import Reminder
    from strideguard.reminders.service import plan_scheduled

    with app.app_context():
        db.session.execute(delete(Reminder))
        db.session.commit()
        db.session.remove()
        started = time.perf_counter()
        written = plan_scheduled(now)
        elapsed = time.perf_counter() - started
        db.session.remove()
    return elapsed, written


def nightly_step(app: Flask, now: datetime) -> tuple[float, int]:
    """Time the worker's nightly step (``plan.advance``) for every runner: (seconds, days)."""
    from strideguard.extensions import db
    from strideguard.plan.advance import advance

    with app.app_context():
        started = time.perf_counter()
        stored = advance(now)
        elapsed = time.perf_counter() - started
        db.session.remove()
    return elapsed, stored


def unstep(app: Flask, now: datetime) -> None:
    """Drop the plan days the nightly step stored (the seed's latest is the day before
    ``now``'s date), so a reused database starts every run as seeded."""
    from strideguard.extensions import db
    from strideguard.plan.models import PlanDayRow, PlanEventRow

    with app.app_context():
        for table in (PlanDayRow, PlanEventRow):
            db.session.execute(delete(table).where(table.date >= now.date()))
        db.session.commit()
        db.session.remove()


def close(sdb: SweepDb) -> None:
    """Dispose the pool and drop a throwaway PostgreSQL database."""
    from strideguard.extensions import db

    with sdb.app.app_context():
        db.session.remove()
        db.engine.dispose()
    if sdb.cleanup_name:
        databases.drop_postgres(sdb.cleanup_name)
