"""A full data volume: writes answer a clean 503 (``insufficient_storage``), reads keep
working, no worker dies (no SIGBUS crash loop), and writes work again once space is freed.

The real thing: ``strideguard serve`` (gunicorn, 2 workers, default settings: metrics on)
with its instance folder (SQLite database, import spool, keys) on a 24 MB tmpfs mounted for
the test, which the test then fills. Mounting needs root; where it is refused the test
fails saying so. ``test_sqlite_full_in_process`` is the closest thing that runs anywhere:
SQLite's own ``max_page_count`` makes the database full.
"""

from __future__ import annotations

import errno
import io
import sqlite3
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import event

from strideguard.extensions import db
from strideguard.timeutil import local_today
from tests.security.live import serving, server_env
from tests.support.envelope import assert_error

PASSWORD = "knee-safe-42x"
NOTE = "n" * 1000


@pytest.fixture
def small_volume():
    folder = Path(tempfile.mkdtemp(prefix="sg-small-volume-"))
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m,mode=0700", "tmpfs", str(folder)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        folder.rmdir()
        pytest.fail(f"cannot mount a small file system here (root needed): {done.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)
        folder.rmdir()


def fill(folder: Path) -> Path:
    """Write a file until the file system is full; returns it (delete it to free the space)."""
    filler = folder / "filler"
    block = b"\0" * (64 * 1024)
    with open(filler, "wb", buffering=0) as out:
        try:
            while True:
                out.write(block)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
    with open(folder / "filler-tail", "wb", buffering=0) as out:  # the last partial block
        try:
            while True:
                out.write(b"\0" * 512)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
    return filler


@pytest.mark.process
def test_full_volume_refuses_writes_keeps_reads_and_no_worker_dies(small_volume, tmp_path):
    instance = small_volume / "instance"
    env = server_env(instance, f"sqlite:///{instance / 'strideguard.sqlite3'}", STRIDEGUARD_LOG_LEVEL="INFO")
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # the default location: off the data volume
    log_path = tmp_path / "server.log"
    with serving(env, log_path, workers=2) as server:
        http = requests.Session()
        made = http.post(server.url + "/api/v1/auth/register", json={"email": "full@example.org",
                                                                     "password": PASSWORD}, timeout=10)
        assert made.status_code == 201, made.text
        csrf = {"X-CSRF-Token": made.json()["csrf_token"]}
        today = local_today("UTC")
        for n in range(5):
            day = (today - timedelta(days=n)).isoformat()
            assert http.put(f"{server.url}/api/v1/checkins/{day}", json={"pain": 2, "note": NOTE},
                            headers=csrf, timeout=10).status_code == 201
        assert not (instance / "metrics").exists()

        # The session was last seen 10 minutes ago: this read wants to note it (a write).
        with sqlite3.connect(instance / "strideguard.sqlite3") as conn:
            conn.execute("UPDATE sessions SET last_seen_at = datetime('now', '-10 minutes')")
        fill(small_volume)
        assert http.get(server.url + "/api/v1/me", timeout=10).status_code == 200
        statuses = []
        for n in range(5, 305):
            day = (today - timedelta(days=n)).isoformat()
            response = http.put(f"{server.url}/api/v1/checkins/{day}", json={"pain": 3, "note": NOTE},
                                headers=csrf, timeout=30)
            statuses.append(response.status_code)
            if response.status_code != 201:
                assert response.status_code == 503, response.text[:300]
                assert response.json()["error"]["code"] == "insufficient_storage"
                assert int(response.headers["Retry-After"]) > 0
            if statuses[-10:] == [503] * 10:
                break
        assert statuses[-10:] == [503] * 10, statuses
        upload = http.post(server.url + "/api/v1/imports", headers=csrf, timeout=30,
                           files={"file": ("run.gpx", io.BytesIO(b"<gpx>" + b" " * 200_000 + b"</gpx>"))})
        assert upload.status_code == 503 and upload.json()["error"]["code"] == "insufficient_storage", upload.text

        # Reads keep working, and so do the probes and the metrics.
        listed = http.get(server.url + "/api/v1/checkins", timeout=10)
        assert listed.status_code == 200 and len(listed.json()) >= 5
        for path in ("/api/v1/me", "/api/v1/guidance", "/api/v1/load", "/healthz", "/metrics"):
            assert http.get(server.url + path, timeout=10).status_code == 200, path
        assert server.proc.poll() is None

        # Space again: writes work again, without a restart.
        for name in ("filler", "filler-tail"):
            (small_volume / name).unlink()
        day = (today - timedelta(days=400)).isoformat()
        again = http.put(f"{server.url}/api/v1/checkins/{day}", json={"pain": 1}, headers=csrf, timeout=30)
        assert again.status_code == 201, again.text
        log = server.log()

    boots = log.count("Booting worker")
    print(f"\ndisk full: {statuses.count(201)} writes fitted, then {statuses.count(503)} x 503; "
          f"worker boots {boots}")
    assert boots == 2, "a worker died and was replaced"
    assert "SIGBUS" not in log and "Worker exited" not in log and "Traceback" not in log
    assert log.count("insufficient_storage on ") == statuses.count(503) + 1  # + the upload


@pytest.mark.parametrize("migrated", ["sqlite"], indirect=True)
@pytest.mark.fresh_app  # hooks the engine: the database is full for this app
def test_sqlite_full_in_process(app, runner):
    """SQLite's ``max_page_count`` set to the current size: the database is full."""
    today = local_today("UTC")
    assert runner.put(f"/api/v1/checkins/{today.isoformat()}", json={"pain": 2}).status_code == 201
    with app.app_context():
        engine = db.engine
        # The session's database is shared by every test and emptied by DELETE: its free pages
        # would hold hundreds of check-ins. VACUUM first, so "full" means full.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM")

        @event.listens_for(engine, "connect")
        def _full(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA max_page_count = 1")  # clamps to the current page count
            cursor.close()

        engine.dispose()
    codes = []
    for n in range(1, 400):
        response = runner.put(f"/api/v1/checkins/{(today - timedelta(days=n)).isoformat()}",
                              json={"pain": 3, "note": NOTE})
        codes.append(response.status_code)
        if response.status_code != 201:
            assert_error(response, 503, "insufficient_storage")
            break
    assert codes[-1] == 503, codes
    assert runner.get("/api/v1/checkins").status_code == 200
    assert runner.get(f"/api/v1/checkins/{today.isoformat()}").get_json()["pain"] == 2
