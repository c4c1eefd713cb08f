"""Throwaway PostgreSQL databases for tests and benchmarks: the one place that creates them.

    with throwaway_database("sg_mig") as url:   # CREATE DATABASE, yield its URL, DROP after
        ...

The server is ``STRIDEGUARD_TEST_POSTGRES_URL`` (the machine's trust-auth PostgreSQL by
default); every database gets a unique name from ``prefix``, the pid and a random suffix, so
parallel runs and xdist workers never collide.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

ADMIN_URL = os.environ.get("STRIDEGUARD_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def url_for(name: str) -> str:
    """The URL of database ``name`` on the admin URL's server."""
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def new_name(prefix: str = "sg_test") -> str:
    """A database name nobody else uses: ``<prefix>_<pid>_<random>``."""
    return f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"


def exists(name: str) -> bool:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def create_database(name: str) -> str:
    """CREATE DATABASE ``name``; returns its URL."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return url_for(name)


def drop_database(name: str) -> None:
    """Drop ``name`` after ending its connections (no error if it is gone)."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


@contextmanager
def throwaway_database(prefix: str = "sg_test") -> Iterator[str]:
    """A new, empty database for the ``with`` block (its URL), dropped afterwards."""
    name = new_name(prefix)
    url = create_database(name)
    try:
        yield url
    finally:
        drop_database(name)
