"""Which real errors are an outage (503) and which are a bug (still a 500): SQLite locked
past its busy timeout and full are outages; a missing table or a broken statement is not."""

from __future__ import annotations

import errno
import sqlite3

import pytest
from limits.errors import StorageError
from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from strideguard.operations.outages import classify


def error_of(url: str, sql: str, setup=None) -> SQLAlchemyError:
    engine = create_engine(url, connect_args={"timeout": 0.1} if url.startswith("sqlite") else {})
    try:
        with engine.begin() as conn:
            if setup:
                setup(conn)
            conn.execute(text(sql))
    except SQLAlchemyError as exc:
        return exc
    finally:
        engine.dispose()
    raise AssertionError(f"{sql} did not fail")


def test_sqlite_locked_past_the_busy_timeout_is_unavailable(tmp_path):
    path = tmp_path / "locked.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        found = classify(error_of(f"sqlite:///{path}", "INSERT INTO t VALUES (1)"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert found is not None and found.code == "unavailable" and found.store == "database"


def test_sqlite_full_is_insufficient_storage(tmp_path):
    path = tmp_path / "full.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")

    def cap(conn):
        conn.execute(text("PRAGMA max_page_count = 1"))

    found = classify(error_of(f"sqlite:///{path}", "INSERT INTO t SELECT zeroblob(100000)", cap))
    assert found is not None and found.code == "insufficient_storage" and found.retry_after_s > 0


@pytest.mark.parametrize("sql", ["SELECT * FROM no_such_table", "SELEC 1"])
def test_a_bad_statement_is_not_an_outage(tmp_path, sql):
    assert classify(error_of(f"sqlite:///{tmp_path / 'x.sqlite3'}", sql)) is None


def test_postgres_refusing_connections_is_unavailable_and_a_bad_table_is_not():
    from tests.support.postgres import ADMIN_URL
    from tests.security.live import free_port
    from strideguard.config import database_uri

    down = database_uri(f"postgresql://postgres@127.0.0.1:{free_port()}/nothing")
    found = classify(error_of(down, "SELECT 1"))
    assert found is not None and found.code == "unavailable"
    assert classify(error_of(database_uri(ADMIN_URL), "SELECT * FROM no_such_table")) is None


def test_os_errors():
    assert classify(OSError(errno.ENOSPC, "No space left on device")).code == "insufficient_storage"
    assert classify(OSError(errno.EACCES, "Permission denied")) is None
    assert classify(StorageError(ConnectionError("refused"))).store == "rate-limit store"
    assert classify(ValueError("a bug")) is None
