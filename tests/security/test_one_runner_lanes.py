"""One runner writing from several lanes at once (two phones, an import beside them) against
a real ``strideguard serve`` on PostgreSQL and SQLite: no deadlock, no 5xx, and the stored
plan equals a replay from scratch. The client never retries: every answer counts.

Before the lock order (issue 25: each write inserted its row — a share lock on the runner's
``users`` row through the foreign key, then the guidance trigger's update — before the plan
took ``FOR UPDATE``), two lanes gave 13 × 500 of 120 and four lanes 118.
"""

from __future__ import annotations

import os
import random
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone

import pytest
import requests
from sqlalchemy import create_engine, text

from strideguard.config import database_uri
from tests.security.live import LiveServer, serving, server_env
from tests.support.postgres import throwaway_database

# A served app; the lane counts of a backend share its servers (one xdist worker builds them).
pytestmark = [pytest.mark.process, pytest.mark.xdist_group("lanes")]

#: Writes per lane (``make fuzz`` sends more: SG_LANES_WRITES).
WRITES_PER_LANE = int(os.environ.get("SG_LANES_WRITES", "24"))


def _gpx(start: datetime, metres: float, seconds: float) -> bytes:
    points = []
    for i in range(41):
        t = start + timedelta(seconds=seconds * i / 40)
        points.append(f'<trkpt lat="{52 + metres * i / 40 / 111195:.7f}" lon="13.0">'
                      f'<time>{t.strftime("%Y-%m-%dT%H:%M:%SZ")}</time></trkpt>')
    return ('<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">'
            "<trk><type>running</type><trkseg>" + "".join(points) + "</trkseg></trk></gpx>").encode()


def _plan_rows(url: str, email: str) -> list[tuple]:
    engine = create_engine(database_uri(url))
    try:
        with engine.connect() as conn:
            uid = conn.execute(text("SELECT id FROM users WHERE email = :e"), {"e": email}).scalar_one()
            return [tuple(r) for r in conn.execute(text(
                "SELECT date, state, since, rest_days, phase, phase_sessions, cap_m, week_cap_m, verdict, "
                "week_m, baseline_m FROM plan_days WHERE user_id = :u ORDER BY date"), {"u": uid})]
    finally:
        engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def served(request, tmp_path_factory) -> Iterator[tuple[str, LiveServer, LiveServer]]:
    """Per backend, a fresh database and two servers for every lane count (each test is its
    own runner): the writers' server (2 workers) and a second server process that replays a
    runner's plan from scratch (no state carried over in a process's memory)."""
    tmp = tmp_path_factory.mktemp(f"lanes-{request.param}")
    with ExitStack() as stack:
        if request.param == "sqlite":
            database = f"sqlite:///{tmp / 'lanes.sqlite3'}"
        else:
            database = stack.enter_context(throwaway_database("sg_lanes"))
        env = server_env(tmp, database, STRIDEGUARD_LOG_LEVEL="WARNING")
        writers = stack.enter_context(serving(env, tmp / "server.log", workers=2))
        replayer = LiveServer(env, tmp / "server2.log", workers=1)
        replayer.start()
        stack.callback(replayer.stop)
        yield database, writers, replayer


@pytest.mark.parametrize("lanes", [1, 2, 4, 8])
def test_one_runners_parallel_writes_never_deadlock(served, lanes: int) -> None:
    database, server, replayer = served
    email = f"lanes{lanes}@example.org"
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    today = datetime.now(timezone.utc).date()
    # The writers' server (shared by the lane counts: the runner is this test's own).
    http = requests.Session()
    signup = http.post(server.url + "/api/v1/auth/register", timeout=30,
                       json={"email": email, "password": "knee-safe-42x"})
    assert signup.status_code == 201, signup.text
    csrf = signup.json()["csrf_token"]

    def writes(lane: int) -> list[tuple[str, str, dict | None]]:
        rnd = random.Random(lane)
        out: list[tuple[str, str, dict | None]] = []
        run_ids: list[tuple[str, date]] = []
        for n in range(WRITES_PER_LANE):
            day = today - timedelta(days=rnd.randrange(0, 30))
            kind = n % 4
            if kind == 0:
                out.append(("PUT", f"/api/v1/checkins/{day}", {"pain": rnd.choice([0, 1, 2, 5])}))
            elif kind in (1, 2) or not run_ids:
                run_id = str(uuid.UUID(int=rnd.getrandbits(128)))
                run_ids.append((run_id, day))
                out.append(("PUT", f"/api/v1/runs/{run_id}",
                            {"date": day.isoformat(), "distance_m": rnd.choice([4000, 6000, 9000]),
                             "duration_s": 2000}))
            else:  # an edit of one of this lane's runs: a new distance
                run_id, run_day = rnd.choice(run_ids)
                out.append(("PUT", f"/api/v1/runs/{run_id}",
                            {"date": run_day.isoformat(), "distance_m": 5000, "duration_s": 1800}))
        return out

    def lane(index: int) -> None:
        session = requests.Session()
        session.cookies.update(http.cookies)
        for method, path, body in writes(index):
            answer = session.request(method, server.url + path, json=body, timeout=120,
                                     headers={"X-CSRF-Token": csrf})
            with lock:
                statuses[answer.status_code] += 1

    def importer() -> None:
        session = requests.Session()
        session.cookies.update(http.cookies)
        for n in range(3):
            start = datetime.combine(today - timedelta(days=3 + n), datetime.min.time(),
                                     tzinfo=timezone.utc) + timedelta(hours=6)
            answer = session.post(server.url + "/api/v1/imports", timeout=120,
                                  headers={"X-CSRF-Token": csrf},
                                  files={"file": (f"run{n}.gpx", _gpx(start, 7000, 2520))})
            with lock:
                statuses[answer.status_code] += 1

    with ThreadPoolExecutor(max_workers=lanes + 1) as pool:
        futures = [pool.submit(lane, i) for i in range(lanes)] + [pool.submit(importer)]
        for future in futures:
            future.result()
    # Wait for the imports to finish (they run in the server's background).
    for _ in range(240):
        found = http.get(server.url + "/api/v1/imports", timeout=30).json()
        items = found if isinstance(found, list) else found.get("imports", [])
        if items and all(i["status"] in ("done", "failed") for i in items):
            break
        threading.Event().wait(0.5)
    log = server.log()

    # A last write replays the plan from the first day: what a replay from scratch stores.
    stored = _plan_rows(database, email)
    print(f"\nlanes[{database.split(':')[0]}, {lanes}]: {dict(statuses)}")
    assert not [s for s in statuses if s >= 500], (dict(statuses), log[-3000:])
    assert "deadlock" not in log.lower()
    assert sum(statuses.values()) == lanes * WRITES_PER_LANE + 3

    # The plan equals a replay from scratch: the stored days, replayed again in one go.
    engine = create_engine(database_uri(database))
    try:
        with engine.begin() as conn:
            uid = conn.execute(text("SELECT id FROM users WHERE email = :e"), {"e": email}).scalar_one()
            conn.execute(text("DELETE FROM plan_events WHERE user_id = :u"), {"u": uid})
            conn.execute(text("DELETE FROM plan_days WHERE user_id = :u"), {"u": uid})
    finally:
        engine.dispose()
    # A second server process replays the runner's plan from scratch.
    again = requests.Session()
    login = again.post(replayer.url + "/api/v1/auth/login", timeout=30,
                       json={"email": email, "password": "knee-safe-42x"})
    assert login.status_code == 200
    assert again.get(replayer.url + "/api/v1/plan", timeout=60).status_code == 200  # replays from scratch
    assert _plan_rows(database, email) == stored
