"""Exercise sessions logged offline replay exactly once, also when the server is SIGKILLed
mid-replay (SQLite and a throwaway PostgreSQL database).

A runner's PWA outbox holds SESSIONS exercise-session PUTs (client UUIDs, two to four
exercises each, several sets). Two lanes replay them against the real server (gunicorn, 2
workers); the whole server — master and workers — is SIGKILLed three times while PUTs are
in flight. After each kill, before the restart, the database is read directly: every session
there has all its entries, exactly as sent (a session is written all or nothing), and no
entry is without its session. The lanes retry each PUT until a 2xx. Then the client, having
lost its bookkeeping, replays the whole outbox again: every answer is 200 (nothing new), and
every session exists exactly once with its entries intact.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
import requests
from sqlalchemy import create_engine, text

from strideguard.config import database_uri
from strideguard.timeutil import local_today
from tests.security.live import LiveServer, migrate, server_env
from tests.support.postgres import throwaway_database

pytestmark = pytest.mark.process  # a served app, worker processes

SESSIONS = 90
#: Kill the server when this many PUTs have been acknowledged (no warning, PUTs in flight).
KILL_AT = (12, 40, 70)
LANES = 2
RETRY_PAUSE_S = 0.05
GIVE_UP_S = 90.0
PASSWORD = "knee-safe-42x"
#: The programme: every day (any session date after the start is in it).
ITEMS = [
    {"exercise": "core.glute_bridge", "sets": 3, "reps": 12, "per_week": 7},
    {"exercise": "core.clamshell", "load": "band", "band": "red", "per_week": 7},
    {"exercise": "core.wall_sit", "per_week": 7, "pain_ceiling": 5},
    {"exercise": "core.calf_raise", "per_week": 7},
]


@dataclass(frozen=True)
class Put:
    """One outbox entry: the session's UUID and its body."""

    uuid: str
    body: dict


@dataclass
class Outcome:
    acknowledged: list[Put] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    connection_errors: int = 0
    kills: int = 0
    checked_while_down: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, status: int | None) -> None:
        with self.lock:
            if status is None:
                self.connection_errors += 1
            else:
                self.statuses[status] = self.statuses.get(status, 0) + 1


def outbox(today: date) -> list[Put]:
    """SESSIONS sessions over the last 30 days, each with 2-4 exercises of 1-4 sets."""
    puts = []
    for i in range(SESSIONS):
        count = 2 + i % 3
        entries = []
        for n, item in enumerate(ITEMS[(i % 4):] + ITEMS[:(i % 4)]):
            if n == count:
                break
            sets = [({"seconds": 20 + 5 * s + i % 7} if item["exercise"] == "core.wall_sit"
                     else {"reps": 8 + s + i % 5, "load_kg": 2.5 if item["exercise"] == "core.calf_raise" else None})
                    for s in range(1 + (i + n) % 4)]
            entries.append({"exercise": item["exercise"], "sets": sets, "pain": (i + n) % 4})
        puts.append(Put(str(uuid.UUID(int=0x5E5510000 + i)), {
            "date": (today - timedelta(days=i % 30)).isoformat(), "entries": entries, "note": f"outbox {i}",
        }))
    return puts


def expected_entries(put: Put) -> list[tuple]:
    """What the database must hold for ``put``'s entries, in order."""
    return [(e["exercise"], [{"reps": s.get("reps"), "seconds": s.get("seconds"), "load_kg": s.get("load_kg")}
                             for s in e["sets"]], e["pain"]) for e in put.body["entries"]]


def stored(url: str, email: str) -> tuple[dict[str, list], dict[str, list], int]:
    """Straight from the database: sessions by UUID (every row: date, note), entries by
    session UUID (in position order), and entries whose session row is missing."""
    import json

    engine = create_engine(database_uri(url))
    try:
        with engine.connect() as conn:
            uid = conn.execute(text("SELECT id FROM users WHERE email = :e"), {"e": email}).scalar_one()
            sessions: dict[str, list] = {}
            by_id: dict[int, str] = {}
            for sid, key, day, note in conn.execute(text(
                    "SELECT id, uuid, date, note FROM exercise_sessions WHERE user_id = :u"), {"u": uid}):
                sessions.setdefault(key, []).append((str(day), note))
                by_id[sid] = key
            entries: dict[str, list] = {}
            orphans = 0
            for sid, exercise, sets, pain in conn.execute(text(
                    "SELECT session_id, exercise, sets, pain FROM exercise_entries WHERE user_id = :u "
                    "ORDER BY session_id, position"), {"u": uid}):
                if sid not in by_id:
                    orphans += 1
                    continue
                sets = json.loads(sets) if isinstance(sets, str) else sets
                entries.setdefault(by_id[sid], []).append((exercise, sets, pain))
    finally:
        engine.dispose()
    return sessions, entries, orphans


def assert_whole(url: str, email: str, puts: dict[str, Put]) -> int:
    """Every stored session is one row with all its entries as sent (none half-written)."""
    sessions, entries, orphans = stored(url, email)
    assert orphans == 0
    assert set(entries) <= set(sessions)
    for key, rows in sessions.items():
        put = puts[key]
        assert rows == [(put.body["date"], put.body["note"])], key
        assert entries.get(key, []) == expected_entries(put), key
    return len(sessions)


def send_until_acknowledged(http: requests.Session, server: LiveServer, csrf: str, put: Put,
                            outcome: Outcome) -> int:
    deadline = time.monotonic() + GIVE_UP_S
    while True:
        try:
            response = http.put(f"{server.url}/api/v1/exercise-sessions/{put.uuid}", json=put.body, timeout=20,
                                headers={"X-CSRF-Token": csrf})
            outcome.count(response.status_code)
            if 200 <= response.status_code < 300:
                return response.status_code
            assert response.status_code >= 500, (put.uuid, response.status_code, response.text[:300])
        except requests.RequestException:
            outcome.count(None)
        assert time.monotonic() < deadline, f"{put.uuid} never acknowledged"
        time.sleep(RETRY_PAUSE_S)


@pytest.fixture(params=["sqlite", "postgres"])
def database(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sessions.sqlite3'}"
        return
    with throwaway_database("sg_rehab_crash") as url:
        yield url


def signed_up(server: LiveServer, email: str, role: str = "runner") -> tuple[requests.Session, str, dict]:
    http = requests.Session()
    response = http.post(server.url + "/api/v1/auth/register", timeout=10,
                         json={"email": email, "password": PASSWORD, "role": role, "timezone": "UTC"})
    assert response.status_code == 201, response.text
    return http, response.json()["csrf_token"], response.json()["user"]


def prescribed(server: LiveServer, runner: tuple, therapist: tuple, starts_on: date) -> None:
    r_http, r_csrf, r_user = runner
    t_http, t_csrf, _ = therapist
    code = r_http.post(server.url + "/api/v1/me/invitations", headers={"X-CSRF-Token": r_csrf}, timeout=10).json()["code"]
    assert t_http.post(server.url + "/api/v1/clinic/invitations/accept", json={"code": code},
                       headers={"X-CSRF-Token": t_csrf}, timeout=10).status_code == 200
    response = t_http.put(f"{server.url}/api/v1/clinic/patients/{r_user['id']}/programme", timeout=20,
                          json={"items": ITEMS, "starts_on": starts_on.isoformat()}, headers={"X-CSRF-Token": t_csrf})
    assert response.status_code == 200, response.text


def test_offline_sessions_replay_exactly_once_across_sigkills(database, tmp_path) -> None:
    env = server_env(tmp_path, database, STRIDEGUARD_LOG_LEVEL="WARNING")
    migrate(env)
    server = LiveServer(env, tmp_path / "server.log", workers=2)
    server.start()
    outcome = Outcome()
    done = threading.Event()
    email = "rehab-outbox@example.org"
    today = local_today("UTC")
    puts = outbox(today)
    by_uuid = {p.uuid: p for p in puts}
    started = time.monotonic()
    try:
        runner = signed_up(server, email)
        prescribed(server, runner, signed_up(server, "pt@example.org", "therapist"), today - timedelta(days=35))
        http, csrf, _user = runner

        def killer() -> None:
            """SIGKILL the whole server as the acknowledged count passes each mark; while it is
            down, check that no session is half-written; restart it."""
            for mark in KILL_AT:
                while len(outcome.acknowledged) < mark and not done.is_set():
                    time.sleep(0.005)
                if done.is_set():
                    return
                server.crash()
                outcome.kills += 1
                outcome.checked_while_down.append(assert_whole(database, email, by_uuid))
                server.start()

        def lane(index: int) -> None:
            session = requests.Session()
            session.cookies.update(http.cookies)
            for put in puts[index::LANES]:
                send_until_acknowledged(session, server, csrf, put, outcome)
                with outcome.lock:
                    outcome.acknowledged.append(put)

        errors: list[BaseException] = []

        def guarded() -> None:
            try:
                killer()
            except BaseException as exc:  # surfaced below, after the lanes are done
                errors.append(exc)

        thread = threading.Thread(target=guarded, daemon=True)
        thread.start()
        with ThreadPoolExecutor(max_workers=LANES) as pool:
            list(pool.map(lane, range(LANES)))
        done.set()
        thread.join(timeout=120)
        assert not thread.is_alive()
        assert errors == []

        # The outbox lost its bookkeeping: the client replays every session again. Nothing new.
        replayed = [send_until_acknowledged(http, server, csrf, put, outcome) for put in puts]
        assert set(replayed) == {200}
        listed = http.get(f"{server.url}/api/v1/exercise-sessions?from={(today - timedelta(days=29)).isoformat()}"
                          f"&to={today.isoformat()}", timeout=20).json()
        elapsed = time.monotonic() - started
    finally:
        done.set()
        server.stop()

    count = assert_whole(database, email, by_uuid)
    print(f"\nrehab crash[{database.split(':')[0]}]: {len(outcome.acknowledged)} acknowledged, {outcome.kills} "
          f"SIGKILLs, sessions stored while down {outcome.checked_while_down}, {outcome.connection_errors} "
          f"connection errors, statuses {outcome.statuses}, {elapsed:.1f} s")
    assert outcome.kills == len(KILL_AT) and server.starts == len(KILL_AT) + 1
    assert len(outcome.acknowledged) == SESSIONS and len({p.uuid for p in outcome.acknowledged}) == SESSIONS
    assert count == SESSIONS
    assert sorted(s["uuid"] for s in listed) == sorted(by_uuid)
    for session in listed:
        put = by_uuid[session["uuid"]]
        assert [(e["exercise"], e["pain"], len(e["sets"])) for e in session["entries"]] == [
            (e["exercise"], e["pain"], len(e["sets"])) for e in put.body["entries"]]
    assert outcome.connection_errors > 0  # the kills did hit the client mid-replay
