"""SQLite's writer gate (``operations/writergate.py``): one writer at a time across threads and
processes, the turn handed on the moment it is free (SQLite's busy handler, measured beside
it, finds it up to 100 ms late), a bounded wait that is an outage (503), and no turn left
held by a writer that gave up, died or forked."""

from __future__ import annotations

import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from strideguard.operations import writergate
from strideguard.operations.outages import classify

pytestmark = pytest.mark.process  # writers in other processes

#: A writer in another process: takes the write lock, says so, holds it, commits.
HOLDER = textwrap.dedent("""
    import sys, time
    from sqlalchemy import create_engine, text
    from strideguard.operations import writergate
    path, hold, gated = sys.argv[1], float(sys.argv[2]), sys.argv[3] == "1"
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 15})
    if gated:
        writergate.install(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES ('holder')"))
        print("held", flush=True)
        time.sleep(hold)
        released = time.time()
    print(f"released {released!r}", flush=True)
    sys.stdin.read()  # stays alive (so a waiter never gains from its exit) until told
""")


def database(tmp_path) -> str:
    path = str(tmp_path / "gate.sqlite3")
    setup = create_engine(f"sqlite:///{path}")
    with setup.begin() as conn:
        conn.execute(text("PRAGMA journal_mode=WAL"))
        conn.execute(text("CREATE TABLE t (who TEXT)"))
    setup.dispose()
    return path


def engine_on(path: str, timeout: float = 15, gated: bool = True):
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": timeout})
    if gated:
        writergate.install(engine)
    return engine


def start_holder(path: str, hold: float, gated: bool = True) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, path, str(hold), "1" if gated else "0"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def stop(holder: subprocess.Popen) -> None:
    holder.stdin.close()
    holder.wait(timeout=10)


def rows(path: str) -> list[str]:
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        found = [r[0] for r in conn.execute(text("SELECT who FROM t ORDER BY rowid"))]
    engine.dispose()
    return found


def lateness(path: str, gated: bool, hold: float = 0.235) -> float:
    """How long after another process's commit a writer that waited for it got the lock."""
    holder = start_holder(path, hold, gated)
    engine = engine_on(path, gated=gated)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES ('waiter')"))
            got = time.time()
        released = float(holder.stdout.readline().split()[1])
    finally:
        stop(holder)
        engine.dispose()
    assert got >= released  # it did wait: one writer at a time
    return got - released


def test_a_waiting_writer_gets_the_lock_when_it_is_freed_not_at_the_next_poll(tmp_path):
    path = database(tmp_path)
    # Side by side, three times each: SQLite's busy handler sleeps 1, 2, 5 … 100 ms between
    # tries (its tries after 228 ms of waiting come at 328 ms: the lock freed at ~235 ms is
    # found ~90 ms late); the gate's waiter is woken by the release.
    polled = statistics.median(lateness(path, gated=False) for _ in range(3))
    gated = statistics.median(lateness(path, gated=True) for _ in range(3))
    assert polled > 0.03, f"the busy handler found the lock {polled * 1000:.1f} ms late"
    print(f"lateness: busy handler {polled * 1000:.1f} ms, gate {gated * 1000:.1f} ms")
    assert gated < polled / 3, f"gate {gated * 1000:.1f} ms late, busy handler {polled * 1000:.1f} ms"
    assert rows(path).count("waiter") == 6 and rows(path).count("holder") == 6


def test_threads_and_processes_write_one_at_a_time_and_lose_nothing(tmp_path):
    path = database(tmp_path)
    writer = textwrap.dedent("""
        import sys, threading
        from sqlalchemy import create_engine, text
        from strideguard.operations import writergate
        engine = create_engine(f"sqlite:///{sys.argv[1]}", connect_args={"timeout": 15})
        writergate.install(engine)
        def write(n):
            for i in range(40):
                with engine.begin() as conn:
                    conn.execute(text("INSERT INTO t VALUES (:w)"), {"w": f"{sys.argv[2]}-{n}"})
                    conn.execute(text("UPDATE t SET who = who WHERE rowid = 1"))  # a second write
        threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
        [t.start() for t in threads]
        [t.join() for t in threads]
    """)
    procs = [subprocess.Popen([sys.executable, "-c", writer, path, str(p)]) for p in range(3)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    found = rows(path)
    assert len(found) == 3 * 4 * 40
    assert {found.count(f"{p}-{n}") for p in range(3) for n in range(4)} == {40}


def test_a_writer_that_waits_too_long_gets_an_outage_and_leaves_no_turn_held(tmp_path):
    path = database(tmp_path)
    holder = start_holder(path, hold=1.5)
    impatient = engine_on(path, timeout=0.3)
    patient = engine_on(path, timeout=15)
    try:
        started = time.monotonic()
        with pytest.raises(OperationalError) as raised:
            with impatient.begin() as conn:
                conn.execute(text("INSERT INTO t VALUES ('impatient')"))
        assert 0.25 < time.monotonic() - started < 1.4  # the timeout, not the holder's commit
        outage = classify(raised.value)
        assert outage is not None and outage.code == "unavailable"  # answered 503
        # The keeper still waits in flock for the gave-up writer; the next writer of this
        # process gets the turn once the holder commits, and nobody is left waiting after.
        with patient.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES ('patient')"))
        holder.stdout.readline()
    finally:
        stop(holder)
        impatient.dispose()
        patient.dispose()
    other = subprocess.run([sys.executable, "-c", HOLDER, path, "0", "1"], input="",
                           capture_output=True, text=True, timeout=30)
    assert other.returncode == 0 and other.stdout.startswith("held")  # the turn came back
    assert rows(path) == ["holder", "patient", "holder"]


def test_a_gave_up_writer_with_nobody_after_it_does_not_keep_the_lock(tmp_path):
    path = database(tmp_path)
    holder = start_holder(path, hold=0.6)
    impatient = engine_on(path, timeout=0.2)
    try:
        with pytest.raises(OperationalError):
            with impatient.begin() as conn:
                conn.execute(text("INSERT INTO t VALUES ('impatient')"))
        holder.stdout.readline()  # committed: the keeper's flock now returns, with nobody waiting
        time.sleep(0.2)
        other = subprocess.run([sys.executable, "-c", HOLDER, path, "0", "1"], input="",
                               capture_output=True, text=True, timeout=5)
        assert other.returncode == 0 and other.stdout.startswith("held")
    finally:
        stop(holder)
        impatient.dispose()


def test_a_killed_holder_frees_the_turn(tmp_path):
    path = database(tmp_path)
    holder = start_holder(path, hold=60)
    engine = engine_on(path)
    try:
        threading.Timer(0.3, os.kill, (holder.pid, signal.SIGKILL)).start()
        started = time.monotonic()
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES ('after')"))
        assert time.monotonic() - started < 10
    finally:
        holder.kill()
        holder.wait()
        engine.dispose()
    assert rows(path) == ["after"]  # the killed writer's row was never committed


@pytest.mark.parametrize("threads", [1, 2])
def test_a_forked_process_has_its_own_turn(tmp_path, threads):
    # As gunicorn's workers forked from a master that had opened the gate (--preload): a
    # lock file description shared with the parent would let both hold the turn at once.
    # With two threads writing at once: rebuilt lazily by the first of them, the child's
    # side was half-built while that thread opened the lock file (GIL released), and the
    # next thread took the turn on the parent's description, where it could never give it
    # back (served: 15 s waits and "database is locked" at a worker's first burst).
    path = database(tmp_path)
    gate = writergate.gate_for(path)
    gate.acquire(1)
    gate.release()  # the parent has used it: its description is open
    held, answered = os.pipe(), os.pipe()
    pid = os.fork()
    if pid == 0:  # the child's first holder keeps the turn until the parent has tried
        code = 1
        try:
            child = writergate.gate_for(path)
            real_open = os.open
            os.open = lambda *a, **kw: (time.sleep(0.3), real_open(*a, **kw))[1]  # a slow disk
            first = threading.Lock()

            def writer() -> None:
                child.acquire(5)
                try:
                    if first.acquire(blocking=False):
                        os.write(held[1], b"1")
                        os.read(answered[0], 1)
                finally:
                    child.release()

            workers = [threading.Thread(target=writer) for _ in range(threads)]
            for t in workers:
                t.start()
                time.sleep(0.02)
            for t in workers:
                t.join()
            code = 0
        finally:
            os._exit(code)
    try:
        assert os.read(held[0], 1) == b"1"
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            gate.acquire(0.3)
    finally:
        os.write(answered[1], b"1")
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    gate.acquire(1)  # the child gave it back
    gate.release()


def test_a_write_that_fails_before_its_transaction_gives_the_turn_back(tmp_path):
    path = database(tmp_path)
    engine = engine_on(path, timeout=0.5)
    with pytest.raises(OperationalError):
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO no_such_table VALUES (1)"))
    with engine.begin() as conn:  # the same process's next writer is not kept out
        conn.execute(text("INSERT INTO t VALUES ('next')"))
    engine.dispose()
    assert rows(path) == ["next"]
