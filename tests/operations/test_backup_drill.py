"""Restore drill with real processes, on SQLite and PostgreSQL.

A real ``strideguard serve`` (gunicorn, 2 workers) takes writes from two runners (one lane of
check-ins, one of runs); ``strideguard backup`` runs in its own process in the middle of the
load. The archive is restored with ``strideguard restore`` into a fresh instance folder and a
fresh database, and a new server is started on it. Then: every write acknowledged before the
backup began is there with its content, nothing sent after the backup finished is, the old
session cookie (a server-side row) and its CSRF token still work, and the VAPID public key
is the one the old server handed out.
"""

from __future__ import annotations

import shutil
import sqlite3
import stat
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import requests

from strideguard.timeutil import local_today
from tests.security.live import REPO, LiveServer, cli
from tests.security.live import server_env
from tests.support.postgres import throwaway_database

pytestmark = pytest.mark.process  # served apps and the CLI

#: Writes each lane sends at most (the lane stops early once the backup is done + a margin).
MAX_WRITES = 300
AFTER_BACKUP = 15  # writes each lane sends after the backup finished


@dataclass
class Sent:
    path: str
    body: dict
    started: float
    acknowledged: float | None = None
    status: int | str | None = None


def checkin_writes(today: date) -> Iterator[tuple[str, dict]]:
    for i in range(MAX_WRITES):
        yield f"/api/v1/checkins/{(today - timedelta(days=i)).isoformat()}", {"pain": i % 11, "note": f"drill {i}"}


def run_writes(today: date) -> Iterator[tuple[str, dict]]:
    for i in range(MAX_WRITES):
        yield f"/api/v1/runs/{uuid.UUID(int=0xD1A11 + i)}", {
            "date": (today - timedelta(days=i % 60)).isoformat(), "distance_m": 2000 + i, "duration_s": 900 + i}


def sign_up(url: str, email: str) -> tuple[requests.Session, str]:
    http = requests.Session()
    response = http.post(url + "/api/v1/auth/register", json={"email": email, "password": "knee-safe-42x"}, timeout=30)
    assert response.status_code == 201, response.text
    return http, response.json()["csrf_token"]


def lane(url: str, http: requests.Session, csrf: str, writes, log: list[Sent], backup_done: threading.Event) -> None:
    after = 0
    for path, body in writes:
        sent = Sent(path, body, time.monotonic())
        try:
            response = http.put(url + path, json=body, headers={"X-CSRF-Token": csrf}, timeout=60)
        except requests.RequestException as exc:  # recorded: the test names it, the lane goes on
            sent.status = f"{type(exc).__name__}: {exc}"
        else:
            sent.status = response.status_code if response.status_code < 500 else \
                f"{response.status_code}: {response.text[:300]}"
            if 200 <= response.status_code < 300:
                sent.acknowledged = time.monotonic()
        log.append(sent)
        if backup_done.is_set():
            after += 1
            if after >= AFTER_BACKUP:
                return


def naive_copy_missing(copy, acknowledged: list[Sent]) -> int | None:
    """How many acknowledged writes a copy of the live SQLite file (without its -wal) lacks:
    reported, not asserted (it depends on when SQLite last checkpointed)."""
    if not copy.exists():
        return None
    with sqlite3.connect(copy) as conn:
        try:
            days = {str(d) for (d,) in conn.execute("SELECT date FROM checkins")}
            runs = {u for (u,) in conn.execute("SELECT uuid FROM runs")}
        except sqlite3.DatabaseError:
            return len(acknowledged)  # torn or unreadable: everything is lost
    conn.close()
    return sum(1 for s in acknowledged if s.path.rsplit("/", 1)[1] not in (days if "/checkins/" in s.path else runs))


@pytest.fixture(params=["sqlite", "postgres"])
def two_databases(request, tmp_path) -> Iterator[tuple[str, str]]:
    """The live database and the fresh one the backup is restored into."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'live' / 'strideguard.sqlite3'}", \
            f"sqlite:///{tmp_path / 'restored' / 'strideguard.sqlite3'}"
        return
    with throwaway_database("sg_drill_live") as live, throwaway_database("sg_drill_restored") as restored:
        yield live, restored


def test_backup_under_load_restores_every_acknowledged_write(two_databases, tmp_path) -> None:
    live_db, restored_db = two_databases
    live_env = server_env(tmp_path / "live", live_db, STRIDEGUARD_LOG_LEVEL="WARNING")
    restored_env = server_env(tmp_path / "restored", restored_db, STRIDEGUARD_LOG_LEVEL="WARNING")
    (tmp_path / "live").mkdir()
    cli(live_env, "prepare")  # migrate and create the VAPID key
    today = local_today("UTC")
    archive = tmp_path / "drill.tar.gz"
    logs: dict[str, list[Sent]] = {"checkins": [], "runs": []}
    backup_done = threading.Event()

    server = LiveServer(live_env, tmp_path / "live.log", workers=2)
    server.start()
    try:
        old_key = requests.get(server.url + "/api/v1/push/key", timeout=10).json()["public_key"]
        ana, ana_csrf = sign_up(server.url, "ana@example.org")
        ben, ben_csrf = sign_up(server.url, "ben@example.org")
        lanes = [
            threading.Thread(target=lane, args=(server.url, ana, ana_csrf, checkin_writes(today),
                                                logs["checkins"], backup_done)),
            threading.Thread(target=lane, args=(server.url, ben, ben_csrf, run_writes(today),
                                                logs["runs"], backup_done)),
        ]
        for thread in lanes:
            thread.start()
        while min(len(logs["checkins"]), len(logs["runs"])) < 30:  # the load is running
            time.sleep(0.02)
        if live_db.startswith("sqlite"):  # what an operator without this command would do
            shutil.copyfile(live_db.removeprefix("sqlite:///"), tmp_path / "naive-copy.sqlite3")
        backup_began = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "strideguard.cli", "backup", "--output", str(archive)],
                              env=live_env, cwd=REPO, capture_output=True, text=True, timeout=120)
        backup_ended = time.monotonic()
        backup_done.set()
        assert done.returncode == 0, done.stderr[-2000:]
        for thread in lanes:
            thread.join(timeout=120)
            assert not thread.is_alive()
    finally:
        backup_done.set()
        server.stop()

    sent = logs["checkins"] + logs["runs"]
    before = [s for s in sent if s.acknowledged is not None and s.acknowledged < backup_began]
    during = [s for s in sent if s.started < backup_ended and (s.acknowledged or backup_ended) >= backup_began]
    after = [s for s in sent if s.started > backup_ended]
    assert [s.status for s in sent if s.acknowledged is None] == []  # the backup made no write fail
    assert len(before) >= 60 and len(after) >= 2 * AFTER_BACKUP - 2
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600

    (tmp_path / "restored").mkdir()
    restored = cli(restored_env, "restore", str(archive))
    assert "restored the" in restored.stdout
    server = LiveServer(restored_env, tmp_path / "restored.log", workers=2)
    server.start()
    try:
        missing, present_after = [], []
        for write in before + after:
            stored = ana if "/checkins/" in write.path else ben
            response = stored.get(server.url + write.path, timeout=30)  # the old cookies
            if write in before:
                if response.status_code != 200 or any(response.json()[k] != v for k, v in write.body.items()):
                    missing.append((write.path, response.status_code))
            elif response.status_code != 404:
                present_after.append(write.path)
        me = ana.get(server.url + "/api/v1/me", timeout=30)
        new_write = ana.put(server.url + f"/api/v1/checkins/{(today - timedelta(days=MAX_WRITES + 1)).isoformat()}",
                            json={"pain": 2}, headers={"X-CSRF-Token": ana_csrf}, timeout=30)
        new_key = requests.get(server.url + "/api/v1/push/key", timeout=10).json()["public_key"]
    finally:
        server.stop()
    naive = naive_copy_missing(tmp_path / "naive-copy.sqlite3", before)
    print(f"\ndrill[{live_db.split(':')[0]}]: {len(sent)} writes, {len(before)} acknowledged before the backup, "
          f"{len(during)} during it ({backup_ended - backup_began:.2f} s), {len(after)} after; "
          f"missing {len(missing)}, present-though-later {len(present_after)}"
          + (f"; a plain copy of the live file taken just before misses {naive} of {len(before)}" if naive is not None else ""))
    assert missing == []
    assert present_after == []
    assert me.status_code == 200 and me.json()["email"] == "ana@example.org"
    assert new_write.status_code == 201, new_write.text
    assert new_key == old_key
