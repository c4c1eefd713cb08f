"""Prometheus metrics, scraped from real processes: ``strideguard serve`` with several gunicorn
workers, a reminder worker on its own port, and ``strideguard run`` (web + worker, one
scrape). Plugin failures are counted in-process (a faulty plugin registered on the host)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from strideguard import create_app
from strideguard.extensions import db
from strideguard.guidance.hookspecs import hookimpl
from strideguard.guidance.service import EXTENSION_KEY
from strideguard.operations import metrics
from strideguard.push.service import ensure_vapid_key
from strideguard.reminders.models import Reminder
from strideguard.timeutil import local_today, utcnow
from tests.conftest import Runner, app_config
from tests.security.live import REPO, free_port, serving, server_env
from tests.support.pushservice import LocalPushService, push_service  # noqa: F401  (fixture)


def scrape(url: str, **kwargs) -> dict[tuple[str, tuple], float]:
    """Every sample of a Prometheus text page: {(name, sorted labels): value}."""
    response = requests.get(url, timeout=10, **kwargs)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def wait_until(check, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {check}")


@pytest.mark.process
def test_one_scrape_adds_up_every_gunicorn_worker(tmp_path) -> None:
    env = server_env(tmp_path, f"sqlite:///{tmp_path / 'metrics.sqlite3'}")
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with serving(env, tmp_path / "server.log", workers=3) as server:
        for _ in range(30):  # new connections: the workers share them out
            assert requests.get(server.url + "/api/v1/push/key", timeout=10,
                                headers={"Connection": "close"}).status_code == 200
        runner = requests.Session()
        made = runner.post(server.url + "/api/v1/auth/register", timeout=10,
                           json={"email": "m@example.org", "password": "knee-safe-42x"})
        csrf = made.json()["csrf_token"]
        day = local_today("UTC").isoformat()
        assert runner.put(f"{server.url}/api/v1/checkins/{day}", json={"pain": 5}, timeout=10,
                          headers={"X-CSRF-Token": csrf}).status_code == 201
        answers = [runner.get(f"{server.url}/api/v1/guidance", timeout=10, headers={"Connection": "close"})
                   for _ in range(3)]
        assert [a.status_code for a in answers] == [200] * 3
        assert answers[0].json() == answers[1].json() == answers[2].json()
        first = scrape(server.url + "/metrics")
        second = scrape(server.url + "/metrics", headers={"Connection": "close"})
    folder = metrics.default_multiprocess_dir(str(tmp_path))  # prepared by strideguard serve
    assert not (tmp_path / "metrics").exists()  # never on the data volume
    answered = {p.name for p in folder.glob("counter_*.db")}
    assert len(answered) >= 2, answered  # more than one worker answered, and counted
    for samples in (first, second):  # whichever worker answers the scrape, the same sums
        assert value(samples, "strideguard_http_requests_total",
                     method="GET", endpoint="push.public_key", status="200") == 30
        assert value(samples, "strideguard_http_request_duration_seconds_count",
                     method="GET", endpoint="push.public_key") == 30
        assert value(samples, "strideguard_http_requests_total",
                     method="PUT", endpoint="training.put_checkin", status="201") == 1
        for plugin in ("runners_knee", "it_band", "patellar_tendinopathy", "meniscus_tear", "bursitis"):
            assert value(samples, "strideguard_plugin_call_duration_seconds_count",
                         plugin=plugin, hook="strideguard_assess") >= 1, plugin
        # The first GET /guidance computed (and stored) the answer; the next ones were served.
        computed = value(samples, "strideguard_guidance_answers_total", source="computed")
        stored = value(samples, "strideguard_guidance_answers_total", source="stored")
        assert computed >= 1 and stored >= 1 and computed + stored == 3, (computed, stored)
        assert value(samples, "strideguard_database_up") == 1
        # The pain-5 check-in queued nothing (no subscription): an empty outbox.
        assert value(samples, "strideguard_outbox_depth", status="pending") == 0
        assert value(samples, "strideguard_outbox_due") == 0


class Raises:
    @hookimpl
    def strideguard_assess(self, snapshot):
        raise RuntimeError("plugin bug")


class Invalid:
    @hookimpl
    def strideguard_assess(self, snapshot):
        return "not a list"


def test_plugin_failures_and_outbox_gauges(tmp_path, app) -> None:
    from strideguard.operations.metrics import PLUGIN_FAILURES

    host = app.extensions[EXTENSION_KEY]
    host.register(Raises(), "faulty_raises")
    host.register(Invalid(), "faulty_invalid")
    before = {r: PLUGIN_FAILURES.labels(p, "strideguard_assess", r)._value.get()
              for p, r in (("faulty_raises", "raised"), ("faulty_invalid", "invalid"))}
    runner = Runner(app)
    assert runner.put(f"/api/v1/checkins/{local_today('UTC').isoformat()}", json={"pain": 2}).status_code == 201
    now = utcnow()
    with app.app_context():
        user_id = db.session.execute(db.select(db.text("id")).select_from(db.text("users"))).scalar()
        for i, (status, due) in enumerate([("pending", now - timedelta(minutes=10)), ("pending", now - timedelta(minutes=1)),
                                           ("pending", now + timedelta(hours=2)), ("sending", now), ("sent", now)]):
            db.session.add(Reminder(user_id=user_id, kind="checkin_due", local_date=now.date() - timedelta(days=i),
                                    due_at=due, status=status, attempts=0, context={}))
        db.session.commit()
    text = app.test_client().get("/metrics").get_data(as_text=True)
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    assert value(samples, "strideguard_plugin_failures_total", plugin="faulty_raises",
                 hook="strideguard_assess", reason="raised") == before["raised"] + 1
    assert value(samples, "strideguard_plugin_failures_total", plugin="faulty_invalid",
                 hook="strideguard_assess", reason="invalid") == before["invalid"] + 1
    assert value(samples, "strideguard_outbox_depth", status="pending") == 3
    assert value(samples, "strideguard_outbox_depth", status="sending") == 1
    assert value(samples, "strideguard_outbox_due") == 2
    assert 590 <= value(samples, "strideguard_outbox_oldest_due_age_seconds") <= 700


@pytest.mark.parametrize("app", [{"METRICS_TOKEN": "s3cret-token"}], indirect=True)
def test_a_metrics_token_is_required_when_set(app) -> None:
    client = app.test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200


@pytest.mark.parametrize("app", [{"METRICS_ENABLED": False}], indirect=True)
def test_metrics_can_be_turned_off(app) -> None:
    assert app.test_client().get("/metrics").status_code == 404


# -- the reminder worker's pushes ---------------------------------------------------------


@pytest.fixture
def subscribed(tmp_path: Path, push_service: LocalPushService):
    """A migrated SQLite database with one subscribed runner whose pain-6 check-in raised an
    alert; the env for CLI processes on it."""
    from flask_migrate import upgrade

    url = f"sqlite:///{tmp_path / 'pushes.sqlite3'}"
    app = create_app(app_config(tmp_path, url, PUSH_ALLOWED_HOSTS=[push_service.host_port]))
    with app.app_context():
        upgrade()
        ensure_vapid_key(app)
    runner = Runner(app)
    sub = push_service.subscriber()
    assert runner.post("/api/v1/push/subscriptions", json=sub.as_json()).status_code == 201
    assert runner.put(f"/api/v1/checkins/{local_today('UTC').isoformat()}", json={"pain": 6}).status_code == 201
    with app.app_context():
        db.engine.dispose()
    env = server_env(tmp_path, url, STRIDEGUARD_PUSH_ALLOWED_HOSTS=push_service.host_port,
                     STRIDEGUARD_WORKER_INTERVAL_S="1", STRIDEGUARD_LOG_LEVEL="INFO")
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)


@pytest.mark.process
def test_a_worker_on_its_own_serves_its_push_counts(subscribed, push_service) -> None:
    port = free_port()
    env = {**subscribed, "STRIDEGUARD_WORKER_METRICS_PORT": str(port)}
    worker = subprocess.Popen([sys.executable, "-m", "strideguard.cli", "worker"], env=env, cwd=REPO,
                              stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        push_service.wait_for(1, timeout=60)
        url = f"http://127.0.0.1:{port}/metrics"
        samples = wait_until(lambda: (s := _try_scrape(url)) and
                             value(s, "strideguard_pushes_total", outcome="sent") == 1 and s)
        assert value(samples, "strideguard_reminders_delivered_total", status="sent") == 1
        assert value(samples, "strideguard_reminder_tick_duration_seconds_count") >= 1
        assert value(samples, "strideguard_reminder_tick_failures_total") == 0
        assert value(samples, "strideguard_worker_heartbeat_age_seconds") < 5
        assert value(samples, "strideguard_outbox_due") == 0
    finally:
        stop(worker)
    assert worker.returncode == 0


def _try_get(url: str):
    try:
        return requests.get(url, timeout=10)
    except requests.RequestException:
        return None


def _try_scrape(url: str):
    try:
        return scrape(url)
    except requests.RequestException:
        return None


@pytest.mark.process
def test_strideguard_run_shows_web_and_worker_in_one_scrape(subscribed, push_service, tmp_path) -> None:
    port = free_port()
    run = subprocess.Popen([sys.executable, "-m", "strideguard.cli", "run", "--port", str(port)],
                           env=subscribed, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        push_service.wait_for(1, timeout=60)
        ready = wait_until(lambda: (r := _try_get(f"http://127.0.0.1:{port}/readyz")) and r.status_code == 200 and r)
        assert ready.json()["checks"]["worker"]["ok"] is True
        url = f"http://127.0.0.1:{port}/metrics"
        samples = wait_until(lambda: (s := _try_scrape(url)) and
                             value(s, "strideguard_pushes_total", outcome="sent") == 1 and s)
        # The worker's counters and the web's, in one page.
        assert value(samples, "strideguard_reminders_delivered_total", status="sent") == 1
        assert value(samples, "strideguard_reminder_tick_duration_seconds_count") >= 1
        assert value(samples, "strideguard_http_requests_total", method="GET", endpoint="health.readyz",
                     status="200") >= 1
    finally:
        stop(run)
    assert run.returncode == 0
