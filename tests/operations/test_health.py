"""/healthz and /readyz: in-process on both databases, and against real processes (a served
app and a reminder worker that is started, then stopped)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import requests

from strideguard import create_app
from strideguard.extensions import db
from strideguard.operations import heartbeat
from strideguard.timeutil import utcnow
from tests.conftest import app_config
from tests.security.live import REPO, serving, server_env

pytestmark = pytest.mark.database  # its behaviour depends on the database: make test-fast runs its PostgreSQL variant too


def test_healthz_answers_without_touching_the_database(tmp_path) -> None:
    # A database that does not exist: the process is still up.
    app = create_app(app_config(tmp_path, "postgresql://postgres@127.0.0.1:5432/sg_no_such_database"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_needs_a_fresh_worker_heartbeat(app) -> None:
    client = app.test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["migrations"]["ok"] is True
    assert body["checks"]["migrations"]["current"] == body["checks"]["migrations"]["head"]
    assert body["checks"]["worker"] == {"ok": False, "error": "no reminder worker has reported"}

    with app.app_context():
        heartbeat.beat(60, utcnow(), now=utcnow() - timedelta(seconds=170), worker="w1:1")
    fresh = client.get("/readyz")
    assert fresh.status_code == 200, fresh.get_json()
    assert fresh.get_json()["status"] == "ok"
    worker = fresh.get_json()["checks"]["worker"]
    assert worker["ok"] and worker["interval_s"] == 60 and worker["max_age_s"] == 180
    assert 169 <= worker["last_beat_s"] <= 175

    with app.app_context():  # the same worker, silent for more than 3 ticks
        heartbeat.beat(60, utcnow(), now=utcnow() - timedelta(seconds=181), worker="w1:1")
    stale = client.get("/readyz")
    assert stale.status_code == 503
    assert stale.get_json()["checks"]["worker"]["ok"] is False
    with app.app_context():  # another worker is fine: the freshest beat counts
        heartbeat.beat(5, utcnow(), worker="w2:2")
    assert client.get("/readyz").status_code == 200


def test_old_heartbeats_are_forgotten(app) -> None:
    from sqlalchemy import func, select

    from strideguard.operations.models import WorkerHeartbeat

    with app.app_context():
        heartbeat.beat(60, utcnow(), now=utcnow() - timedelta(days=2), worker="gone:1")
        heartbeat.beat(60, utcnow(), worker="here:2")
        assert db.session.execute(select(func.count()).select_from(WorkerHeartbeat)).scalar() == 1


def test_readyz_reports_an_unmigrated_database(tmp_path) -> None:
    app = create_app(app_config(tmp_path, f"sqlite:///{tmp_path / 'empty.sqlite3'}"))
    body = app.test_client().get("/readyz")
    assert body.status_code == 503
    checks = body.get_json()["checks"]
    assert checks["database"]["ok"] is True
    assert checks["migrations"]["ok"] is False and checks["migrations"]["current"] == []
    assert checks["worker"]["ok"] is False


def test_readyz_reports_an_unreachable_database_without_details(tmp_path) -> None:
    app = create_app(app_config(tmp_path, "postgresql://postgres@127.0.0.1:5432/sg_no_such_database"))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["database"] == {"ok": False, "error": "OperationalError"}
    assert "sg_no_such_database" not in response.get_data(as_text=True)


def test_probes_are_not_part_of_the_api_document(client) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert not {"/healthz", "/readyz", "/metrics"} & set(paths)


def wait_for_status(url: str, status: int, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = requests.get(url, timeout=5)
        if last.status_code == status:
            return last.json()
        time.sleep(0.2)
    raise AssertionError(f"{url} stayed {last.status_code if last else None}: {last.text if last else ''}")


@pytest.mark.process
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_served_app_is_ready_while_its_worker_runs_and_not_after(tmp_path, backend, request) -> None:
    url = f"sqlite:///{tmp_path / 'ready.sqlite3'}" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    env = server_env(tmp_path, url, STRIDEGUARD_WORKER_INTERVAL_S="1", STRIDEGUARD_LOG_LEVEL="INFO")
    with serving(env, tmp_path / "server.log") as server:
        assert requests.get(server.url + "/healthz", timeout=5).status_code == 200
        if backend == "postgres":  # the session database is shared: forget other tests' workers
            with create_app(app_config(tmp_path, url)).app_context():
                db.session.execute(db.text("DELETE FROM worker_heartbeats"))
                db.session.commit()
                db.engine.dispose()
        body = wait_for_status(server.url + "/readyz", 503)
        assert body["checks"]["worker"]["ok"] is False
        worker = subprocess.Popen([sys.executable, "-m", "strideguard.cli", "worker"], env=env, cwd=REPO,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        try:
            body = wait_for_status(server.url + "/readyz", 200)
            assert body["checks"]["worker"]["interval_s"] == 1
            time.sleep(2.5)  # several ticks later it is still fresh: it keeps beating
            assert requests.get(server.url + "/readyz", timeout=5).status_code == 200
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)
        assert worker.returncode == 0
        started = time.monotonic()
        body = wait_for_status(server.url + "/readyz", 503, timeout=30)
        assert body["checks"]["worker"]["ok"] is False
        assert time.monotonic() - started < 10  # 3 ticks of 1 s, plus the probe's own pace
