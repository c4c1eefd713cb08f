"""Throwaway databases for the benchmarks: a migrated SQLite file or PostgreSQL database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from tests.support import postgres

# The one helper for throwaway PostgreSQL databases (tests/support/postgres.py), under the
# names the benchmark modules use.
POSTGRES_ADMIN_URL = postgres.ADMIN_URL
postgres_url = postgres.url_for
postgres_exists = postgres.exists
create_postgres = postgres.create_database
drop_postgres = postgres.drop_database


def new_database_name(prefix: str = "sg_bench") -> str:
    return postgres.new_name(prefix)


def make_app(instance: Path, database_url: str | None = None, **extra: Any) -> Flask:
    """A production-configured app (rate limits off) on ``database_url`` (default: SQLite in
    the instance folder, WAL + synchronous=FULL as ``create_app`` sets it)."""
    from strideguard import create_app

    overrides: dict[str, Any] = {"INSTANCE_PATH": str(instance), "RATELIMIT_ENABLED": False,
                                 "LOG_LEVEL": "WARNING", **extra}
    if database_url:
        overrides["DATABASE_URL"] = database_url
    return create_app(overrides)


def migrate(app: Flask) -> None:
    """Run the migrations, then drop the pooled connections."""
    from flask_migrate import upgrade

    from strideguard.extensions import db

    with app.app_context():
        upgrade()
        db.engine.dispose()


def sqlite_path(app: Flask) -> str:
    """The file behind an app's SQLite URL."""
    uri: str = app.config["SQLALCHEMY_DATABASE_URI"]
    return uri.removeprefix("sqlite:///")
