"""Crash safety: 300 offline writes (150 check-ins by date, 150 runs by UUID) replayed the way
the PWA outbox does it, while the real server (gunicorn, 2 workers) is SIGKILLed — master and
workers at once — three times and restarted. The client retries each write until it gets a 2xx.
At the end every acknowledged write is stored exactly once with its content, and replaying
part of the outbox again changes nothing (SQLite and a throwaway PostgreSQL database)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
import requests
from sqlalchemy import create_engine, text

from strideguard.config import database_uri
from strideguard.timeutil import local_today
from tests.support.postgres import throwaway_database
from tests.security.live import LiveServer, migrate, server_env

pytestmark = pytest.mark.process  # a served app, killed

CHECKINS = 150
RUNS = 150
#: Kill the server when this many writes have been acknowledged (mid-traffic, no warning).
KILL_AT = (55, 130, 210)
#: Two outbox lanes in parallel (two tabs / a tab and the service worker), one per worker.
LANES = 2
RETRY_PAUSE_S = 0.05
GIVE_UP_S = 60.0


@dataclass(frozen=True)
class Write:
    """One outbox entry: a PUT the client repeats until it is acknowledged."""

    path: str
    body: dict


@dataclass
class Outcome:
    acknowledged: list[Write] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    connection_errors: int = 0
    retries: int = 0
    kills: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, status: int | None) -> None:
        """One answer (``None``: the connection failed) and, unless 2xx, one retry."""
        with self.lock:
            if status is None:
                self.connection_errors += 1
            else:
                self.statuses[status] = self.statuses.get(status, 0) + 1
            if status is None or status >= 300:
                self.retries += 1


def outbox(today: date) -> list[Write]:
    """250 check-ins (one per past day) and 250 runs (client UUIDs), interleaved."""
    writes: list[Write] = []
    for i in range(max(CHECKINS, RUNS)):
        if i < CHECKINS:
            day = (today - timedelta(days=i)).isoformat()
            writes.append(Write(f"/api/v1/checkins/{day}", {"pain": i % 11, "note": f"outbox {i}"}))
        if i < RUNS:
            run_id = str(uuid.UUID(int=0xC0FFEE0000 + i))
            writes.append(Write(f"/api/v1/runs/{run_id}", {
                "date": (today - timedelta(days=i % 90)).isoformat(),
                "distance_m": 1000 + i, "duration_s": 600 + i,
            }))
    return writes


def send_until_acknowledged(http: requests.Session, server: LiveServer, csrf: str,
                            write: Write, outcome: Outcome) -> int:
    """PUT ``write`` until a 2xx comes back (connection errors and 5xx are retried)."""
    deadline = time.monotonic() + GIVE_UP_S
    while True:
        try:
            response = http.put(server.url + write.path, json=write.body, timeout=10,
                                headers={"X-CSRF-Token": csrf})
            outcome.count(response.status_code)
            if 200 <= response.status_code < 300:
                return response.status_code
            assert response.status_code >= 500, (write.path, response.status_code, response.text[:300])
        except requests.RequestException:
            outcome.count(None)
        assert time.monotonic() < deadline, f"{write.path} never acknowledged"
        time.sleep(RETRY_PAUSE_S)


@pytest.fixture(params=["sqlite", "postgres"])
def database(request, tmp_path) -> Iterator[str]:
    """A fresh database of the backend (a throwaway PostgreSQL database, dropped after)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'crash.sqlite3'}"
        return
    with throwaway_database("sg_crash") as url:
        yield url


def killer(server: LiveServer, outcome: Outcome, done: threading.Event) -> None:
    """SIGKILL the whole server each time the acknowledged count passes a mark, then restart."""
    for mark in KILL_AT:
        while len(outcome.acknowledged) < mark and not done.is_set():
            time.sleep(0.005)
        if done.is_set():
            return
        server.crash()
        outcome.kills += 1
        time.sleep(0.3)  # the client meets a dead port for a moment
        server.start()


def stored_rows(url: str, user_email: str) -> tuple[dict[str, list], dict[str, list]]:
    """Check-ins by date and runs by UUID, straight from the database (every row)."""
    engine = create_engine(database_uri(url))
    try:
        with engine.connect() as conn:
            user_id = conn.execute(text("SELECT id FROM users WHERE email = :e"), {"e": user_email}).scalar_one()
            checkins: dict[str, list] = {}
            for day, pain, note in conn.execute(
                text("SELECT date, pain, note FROM checkins WHERE user_id = :u"), {"u": user_id}
            ):
                checkins.setdefault(str(day), []).append((pain, note))
            runs: dict[str, list] = {}
            for run_id, distance in conn.execute(
                text("SELECT uuid, distance_m FROM runs WHERE user_id = :u"), {"u": user_id}
            ):
                runs.setdefault(str(run_id), []).append(distance)
    finally:
        engine.dispose()
    return checkins, runs


def test_acknowledged_writes_survive_sigkill_exactly_once(database, tmp_path) -> None:
    env = server_env(tmp_path, database, STRIDEGUARD_LOG_LEVEL="WARNING")
    migrate(env)
    server = LiveServer(env, tmp_path / "server.log", workers=2)
    server.start()
    outcome = Outcome()
    done = threading.Event()
    email = "outbox@example.org"
    started = time.monotonic()
    try:
        http = requests.Session()
        signup = http.post(server.url + "/api/v1/auth/register", timeout=10,
                           json={"email": email, "password": "knee-safe-42x"})
        assert signup.status_code == 201
        csrf = signup.json()["csrf_token"]
        writes = outbox(local_today("UTC"))
        assert len(writes) == CHECKINS + RUNS

        def lane(index: int) -> None:
            session = requests.Session()
            session.cookies.update(http.cookies)
            for write in writes[index::LANES]:
                send_until_acknowledged(session, server, csrf, write, outcome)
                outcome.acknowledged.append(write)

        thread = threading.Thread(target=killer, args=(server, outcome, done), daemon=True)
        thread.start()
        with ThreadPoolExecutor(max_workers=LANES) as pool:
            list(pool.map(lane, range(LANES)))
        done.set()
        thread.join(timeout=60)
        assert not thread.is_alive()

        # The outbox lost its bookkeeping and sends every 5th write again: all 200, no new rows.
        for write in writes[::5]:
            assert send_until_acknowledged(http, server, csrf, write, outcome) == 200
        elapsed = time.monotonic() - started
    finally:
        done.set()
        server.stop()

    checkins, runs = stored_rows(database, email)
    expected_days = {w.path.rsplit("/", 1)[1]: w.body for w in outcome.acknowledged if "/checkins/" in w.path}
    expected_runs = {w.path.rsplit("/", 1)[1]: w.body for w in outcome.acknowledged if "/runs/" in w.path}
    lost = [d for d in expected_days if d not in checkins] + [r for r in expected_runs if r not in runs]
    duplicated = [d for d, rows in checkins.items() if len(rows) > 1] + [r for r, rows in runs.items() if len(rows) > 1]
    print(f"\ncrash[{database.split(':')[0]}]: {len(outcome.acknowledged)} acknowledged, "
          f"{outcome.kills} SIGKILLs, {server.starts} starts, {outcome.retries} retries, "
          f"{outcome.connection_errors} connection errors, statuses {outcome.statuses}, "
          f"lost {len(lost)}, duplicated {len(duplicated)}, {elapsed:.1f} s")
    assert outcome.kills == len(KILL_AT) >= 3
    assert server.starts == len(KILL_AT) + 1
    assert len(outcome.acknowledged) == CHECKINS + RUNS
    assert lost == [] and duplicated == []
    assert len(checkins) == CHECKINS and len(runs) == RUNS
    for day, body in expected_days.items():
        assert checkins[day] == [(body["pain"], body["note"])]
    for run_id, body in expected_runs.items():
        assert runs[run_id] == [body["distance_m"]]
    assert outcome.connection_errors > 0  # the kills did hit the client mid-traffic
