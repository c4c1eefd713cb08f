"""Throwaway databases for the benchmarks: a migrated SQLite file or PostgreSQL database."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import psycopg
from flask import Flask

POSTGRES_ADMIN_URL = os.environ.get("STRIDEGUARD_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def postgres_url(name: str) -> str:
    """The URL of database ``name`` on the admin URL's server."""
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def new_database_name(prefix: str = "sg_bench") -> str:
    return f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"


def postgres_exists(name: str) -> bool:
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def create_postgres(name: str) -> str:
    """CREATE DATABASE ``name``; returns its URL."""
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return postgres_url(name)


def drop_postgres(name: str) -> None:
    """Drop ``name`` after ending its connections (no error if it is gone)."""
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


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
