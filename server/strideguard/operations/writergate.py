"""SQLite's one writer, handed on the moment it is free: a queue in front of each write.

SQLite lets one connection write at a time. A connection that finds the write lock taken
waits in SQLite's busy handler, and that handler polls: it sleeps 1, 2, 5, 10 … 100 ms
between tries. So the lock can sit free for up to 100 ms after its holder commits, and the
writer that has waited longest sleeps longest (served PUT check-ins: p99 9.7× the median on
SQLite, against 2.2× on PostgreSQL, whose waiters are woken).

The gate makes writers queue instead. A thread about to begin a write transaction (its first
``INSERT``, ``UPDATE``, ``DELETE`` or ``REPLACE`` outside one: where pysqlite begins it)
first takes

1. its process's turn, a ``threading.Lock``: a waiting thread is woken when it is released;
2. the database's turn, an exclusive ``flock`` on ``<database>-writer`` beside the file:
   the kernel wakes the one thread of each process that waits for it when it is released,
   and releases it when its holder's process dies.

It gives both back when the transaction ends (commit, rollback or close). SQLite's own lock
is then free when the statement reaches it. A writer outside the gate (the ``sqlite3``
shell, DDL of a migration) is still kept out by SQLite's lock and waited for by
``busy_timeout``, as before.

The wait is bounded by the connection's ``timeout``, like SQLite's own: past it, the
statement fails with SQLite's "database is locked", which the app answers 503. (``flock``
has no timeout, so each process has one keeper thread that waits in ``flock`` for the
thread holding the process's turn, and gives the lock back if that thread stopped waiting.)
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

#: The statements pysqlite begins a transaction before (Python 3.11, legacy transaction control).
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
SQLITE_BUSY = 5


def _begins_write(sql: str) -> bool:
    return sql.lstrip()[:7].upper().startswith(_WRITES)


def locked_error() -> sqlite3.OperationalError:
    """SQLite's own error for a write lock not had within the timeout (an outage: 503)."""
    error = sqlite3.OperationalError("database is locked")
    error.sqlite_errorcode = SQLITE_BUSY  # type: ignore[attr-defined]
    error.sqlite_errorname = "SQLITE_BUSY"  # type: ignore[attr-defined]
    return error


class Gate:
    """One database file's writer turn, within this process and across processes."""

    def __init__(self, lock_path: str) -> None:
        self.lock_path = lock_path
        self._start()

    def _start(self) -> None:
        """(Re)build the process's side: after a fork the child needs its own lock file
        description (``flock`` belongs to it, shared with the parent), lock and keeper."""
        self._turn = threading.Lock()
        self._state = threading.Condition(threading.Lock())
        self._fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self._wanted = False  # the thread holding the turn waits for the keeper
        self._held = False  # this process holds the flock
        self._keeping = False  # the keeper is inside a blocking flock call
        self._keeper: threading.Thread | None = None
        self._pid = os.getpid()  # last: a thread that sees it finds the whole side built

    def _forked(self) -> None:
        """In a forked child: close the parent's description (never unlock it: that would
        unlock the parent's turn) and build the child's own side."""
        try:
            os.close(self._fd)
        except OSError:
            pass
        self._start()

    def acquire(self, timeout: float) -> None:
        """Take the writer's turn, or raise SQLite's "database is locked" after ``timeout`` s."""
        if self._pid != os.getpid():  # a fork that bypassed os.register_at_fork (C code)
            with _GATES_LOCK:
                if self._pid != os.getpid():  # one thread rebuilds; the others use its side
                    self._forked()
        deadline = time.monotonic() + timeout
        if not self._turn.acquire(timeout=max(timeout, 0)):
            raise locked_error()
        try:
            with self._state:
                if not self._keeping:
                    try:
                        fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        self._held = True
                        return
                    except BlockingIOError:
                        pass
                self._wanted = True
                self._wake_keeper()
                got = self._state.wait_for(lambda: self._held, max(deadline - time.monotonic(), 0))
                self._wanted = False
                if got:
                    return
            raise locked_error()
        except BaseException:
            self._turn.release()
            raise

    def release(self) -> None:
        """Give the turn back (the thread that took it, once its transaction ended)."""
        with self._state:
            if self._held:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
                self._held = False
        self._turn.release()

    def _wake_keeper(self) -> None:
        if self._keeper is None or not self._keeper.is_alive():
            self._keeper = threading.Thread(target=self._keep, name="sqlite-writer-gate", daemon=True)
            self._keeper.start()
        self._state.notify_all()

    def _keep(self) -> None:
        """The keeper: waits in ``flock`` (which cannot time out) for the thread holding
        the turn, which waits for it with a timeout. Only it calls ``flock`` while
        ``_keeping``, so the holder never takes the fast path on the same description."""
        while True:
            with self._state:
                self._state.wait_for(lambda: self._wanted and not self._held)
                self._keeping = True
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX)  # until the other process lets go
            finally:
                with self._state:
                    self._keeping = False
                    if self._wanted:
                        self._held = True
                        self._state.notify_all()
                    else:
                        fcntl.flock(self._fd, fcntl.LOCK_UN)  # its waiter gave up


_GATES: dict[str, Gate] = {}
_GATES_LOCK = threading.Lock()


def _after_fork_in_child() -> None:
    """A forked child (gunicorn's workers under ``--preload``) rebuilds every gate's side
    before any of its threads runs. Rebuilt lazily by the first thread to write, the side was
    half-built while that thread opened the lock file, and another thread took the turn on
    the parent's description: both processes held it, and that ``flock`` was never released
    (the other process waited for it until its timeout)."""
    global _GATES_LOCK
    _GATES_LOCK = threading.Lock()  # another thread of the parent may have held it
    for gate in _GATES.values():
        gate._forked()


os.register_at_fork(after_in_child=_after_fork_in_child)


def gate_for(database: str) -> Gate:
    """The process's gate of one database file (every engine on it shares it)."""
    key = os.path.realpath(database)
    with _GATES_LOCK:
        gate = _GATES.get(key)
        if gate is None:
            gate = _GATES[key] = Gate(key + "-writer")
        return gate


class _GatedCursor(sqlite3.Cursor):
    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        return self._through_gate(sqlite3.Cursor.execute, sql, parameters)

    def executemany(self, sql: str, seq: Any, /) -> Any:
        return self._through_gate(sqlite3.Cursor.executemany, sql, seq)

    def _through_gate(self, run: Any, sql: str, args: Any) -> Any:
        """Run a statement; one that begins a write transaction takes the gate first."""
        connection: GatedConnection = self.connection  # type: ignore[assignment]
        if connection.in_transaction or connection.gate_held or not _begins_write(sql):
            return run(self, sql, args)
        connection.take_gate()
        try:
            return run(self, sql, args)
        finally:
            connection.settle()  # failed before its BEGIN: no transaction holds the turn


class GatedConnection(sqlite3.Connection):
    """pysqlite's connection, whose write transactions pass the database's gate."""

    gate: Gate
    gate_timeout: float
    gate_held: bool = False

    def cursor(self, factory: Any = _GatedCursor) -> Any:  # type: ignore[override]
        return super().cursor(factory)

    # pysqlite's shortcuts make a plain cursor, not through cursor(): route them through it.
    def execute(self, sql: str, parameters: Any = (), /) -> Any:  # type: ignore[override]
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, seq: Any, /) -> Any:  # type: ignore[override]
        return self.cursor().executemany(sql, seq)

    def take_gate(self) -> None:
        self.gate.acquire(self.gate_timeout)
        self.gate_held = True

    def settle(self) -> None:
        """Give the turn back once no transaction holds it (after a commit, a rollback, or
        a statement that failed before it began one)."""
        if self.gate_held and not self.in_transaction:
            self._give_back()

    def _give_back(self) -> None:
        self.gate_held = False
        self.gate.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.settle()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.settle()

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self.gate_held:
                self._give_back()

    def __del__(self) -> None:  # dropped without close(): its transaction is gone with it
        if self.gate_held:
            self._give_back()


def install(engine: Engine) -> None:
    """Open ``engine``'s SQLite connections (to a file, not ``:memory:``) through the gate
    of their database; the gate's wait is bounded by the engine's ``timeout`` connect arg."""
    database = engine.url.database
    if engine.url.get_backend_name() != "sqlite" or not database or database == ":memory:" \
            or database.startswith("file:"):
        return
    gate = gate_for(database)

    @event.listens_for(engine, "do_connect")
    def _gated(dialect: Any, _record: Any, args: Any, params: dict[str, Any]) -> GatedConnection:
        connection = dialect.loaded_dbapi.connect(*args, factory=GatedConnection, **params)
        connection.gate = gate
        connection.gate_timeout = float(params.get("timeout", 5.0))
        return connection
