"""Imports survive their process: queued imports nobody ran, and imports whose job died
(no heartbeat), are finished by the worker's sweep, resuming after the files already done."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from strideguard.extensions import db
from strideguard.imports import jobs
from strideguard.imports.models import Import, ImportItem
from strideguard.timeutil import utcnow
from tests.imports.support import fixture, strava_export, upload, wait_done
from tests.security.backends import SQLITE_ONLY
from tests.security.live import cli, serving, server_env

pytestmark = pytest.mark.database  # its behaviour depends on the database: make test-fast runs its PostgreSQL variant too

NO_THREADS = {"IMPORT_WORKERS": 0, "IMPORT_SWEEP_S": 0}


def queued(runner, name="export.zip", data=None) -> int:
    response = upload(runner, name, data or strava_export())
    assert response.status_code == 202
    return response.get_json()["import"]["id"]


@pytest.mark.parametrize("app", [NO_THREADS], indirect=True)
def test_without_web_threads_the_sweep_does_the_import(app, runner):
    import_id = queued(runner)
    time.sleep(0.3)
    assert runner.get(f"/api/v1/imports/{import_id}").get_json()["import"]["status"] == "queued"
    result = app.test_cli_runner().invoke(args=["imports", "sweep"])
    assert result.exit_code == 0, result.output
    assert '"imports": 1' in result.output
    body = wait_done(runner, import_id, timeout=5)
    assert (body["status"], body["created"], body["done"]) == ("done", 5, 8)


@pytest.mark.parametrize("app", [NO_THREADS], indirect=True)
def test_a_job_that_died_is_resumed_after_the_files_it_recorded(app, runner):
    import_id = queued(runner)
    with app.app_context():
        row = db.session.get(Import, import_id)
        row.status, row.claimed_by, row.attempts = "running", "dead-host:1:1", 1
        row.heartbeat_at = utcnow() - timedelta(minutes=10)
        db.session.add(ImportItem(import_id=import_id, user_id=row.user_id, position=0, name="activities/1000.fit.gz",
                                  status="failed", reason="recorded by the job that died"))
        db.session.commit()
        assert jobs.pending(utcnow()) == [import_id]
        assert jobs.sweep()["imports"] == 1
        row = db.session.get(Import, import_id)
        assert (row.status, row.attempts, row.done, row.total) == ("done", 2, 8, 8)
        items = db.session.query(ImportItem).filter_by(import_id=import_id, position=0).all()
        assert [i.reason for i in items] == ["recorded by the job that died"]  # not done twice
        assert row.created == 4 and row.failed == 1


@pytest.mark.parametrize("app", [NO_THREADS], indirect=True)
def test_a_live_job_is_never_taken_twice_and_a_poison_import_gives_up(app, runner):
    first, second = queued(runner), queued(runner, "b.fit", fixture("garmin-fr110-run.fit"))
    with app.app_context():
        assert jobs.claim(first, "a") is True
        assert jobs.claim(first, "b") is False  # running, fresh heartbeat
        row = db.session.get(Import, second)
        row.status, row.attempts, row.heartbeat_at = "running", 3, utcnow() - timedelta(hours=1)
        db.session.commit()
        jobs.sweep()
        row = db.session.get(Import, second)
        assert row.status == "failed" and "3 attempts" in row.error
        assert not (Path(app.instance_path) / "imports" / (row.stored_name or "x")).exists()


@pytest.mark.parametrize("app", [NO_THREADS], indirect=True)
def test_the_sweep_removes_uploads_no_import_refers_to(app, runner):
    kept = queued(runner, "k.fit", fixture("garmin-fr110-run.fit"))
    folder = Path(app.instance_path) / "imports"
    stray = folder / "0123456789abcdef0123456789abcdef.upload"
    stray.write_bytes(b"left behind by an erased account")
    os.utime(stray, (time.time() - 7200, time.time() - 7200))
    with app.app_context():
        assert jobs.sweep()["orphans_removed"] == 1
        assert db.session.get(Import, kept).status == "done"
    assert not stray.exists()


@pytest.mark.process
@SQLITE_ONLY
def test_an_import_outlives_a_killed_web_server(app, tmp_path):
    """SIGKILL the server right after the 202; `strideguard imports sweep` (what the worker
    runs) finishes the import from the spooled file and the database."""
    env = server_env(tmp_path / "inst", f"sqlite:///{tmp_path / 'live.sqlite3'}",
                     STRIDEGUARD_IMPORT_WORKERS="0", STRIDEGUARD_IMPORT_SWEEP_S="0")
    (tmp_path / "inst").mkdir()
    with serving(env, tmp_path / "server.log", workers=1) as server:
        session = requests.Session()
        token = session.post(server.url + "/api/v1/auth/register", json={
            "email": "crash@example.org", "password": "knee-safe-42x"}).json()["csrf_token"]
        response = session.post(server.url + "/api/v1/imports", headers={"X-CSRF-Token": token},
                                files={"file": ("export.zip", strava_export(), "application/zip")})
        assert response.status_code == 202, response.text
        import_id = response.json()["import"]["id"]
        server.crash()
        done = cli(env, "imports", "sweep")
        assert '"imports": 1' in done.stdout
        server.start()
        body = session.get(f"{server.url}/api/v1/imports/{import_id}").json()["import"]
        assert (body["status"], body["created"], body["done"], body["total"]) == ("done", 5, 8, 8)
