"""The command line as an operator uses it: real ``strideguard`` processes configured only
by ``STRIDEGUARD_*`` variables, pushing to the local push service over HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from strideguard import create_app
from strideguard.extensions import db
from strideguard.push import vapid
from strideguard.push.service import ensure_vapid_key
from strideguard.reminders.models import Reminder
from strideguard.timeutil import local_today
from tests.conftest import Runner, app_config
from tests.support.pushservice import LocalPushService, push_service  # noqa: F401  (fixture)

pytestmark = pytest.mark.process  # the CLI: tick, worker, run, vapid

STRIDEGUARD = str(Path(sys.executable).with_name("strideguard"))
ROOT = Path(__file__).resolve().parents[2]
SLOW = 60.0  # generous: the machine may be busy; every wait below returns as soon as it can


def base_env(instance: Path, **settings: str) -> dict[str, str]:
    """The process environment: nothing from the outside ``STRIDEGUARD_*``, then ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STRIDEGUARD_")}
    env["STRIDEGUARD_INSTANCE_PATH"] = str(instance)
    env.update({f"STRIDEGUARD_{k}": v for k, v in settings.items()})
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children(pid: int) -> list[int]:
    """Direct child processes of ``pid`` (Linux /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.extend(int(p) for p in text)
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except FileNotFoundError:
        return ""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def wait_until(check, timeout: float = SLOW, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {check}")


@pytest.fixture
def stack(tmp_path: Path, push_service: LocalPushService) -> Iterator[dict]:
    """A migrated SQLite database and VAPID key in a fresh instance folder, an in-process
    app on it (to sign runners up through the API), and the env for CLI processes."""
    from flask_migrate import upgrade

    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    app = create_app(app_config(tmp_path, url, PUSH_ALLOWED_HOSTS=[push_service.host_port]))
    with app.app_context():
        upgrade()
        ensure_vapid_key(app)
    env = base_env(tmp_path, DATABASE_URL=url, SECRET_KEY="cli-test",
                   PUSH_ALLOWED_HOSTS=push_service.host_port, LOG_LEVEL="INFO")
    yield {"app": app, "env": env, "service": push_service}
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def subscribed_runner(stack: dict, timezone_name: str = "UTC") -> tuple[Runner, object]:
    runner = Runner(stack["app"], timezone=timezone_name)
    sub = stack["service"].subscriber()
    assert runner.post("/api/v1/push/subscriptions", json=sub.as_json()).status_code == 201
    return runner, sub


def pain_today(runner: Runner, pain: int = 6) -> None:
    """A check-in that raises alerts now (queued for the next tick)."""
    today = local_today("UTC").isoformat()
    assert runner.put(f"/api/v1/checkins/{today}", json={"pain": pain}).status_code == 201


def cli(env: dict, *args: str, timeout: float = SLOW) -> subprocess.CompletedProcess:
    return subprocess.run([STRIDEGUARD, *args], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


class TestRemindersTick:
    def test_tick_prints_a_json_summary_and_delivers(self, stack):
        runner, sub = subscribed_runner(stack)
        pain_today(runner)
        now = datetime.now(timezone.utc).isoformat()
        result = cli(stack["env"], "reminders", "tick", "--now", now)
        assert result.returncode == 0, result.stderr
        summary = json.loads(result.stdout)
        assert summary == {"planned": 0, "sent": 1}
        [delivery] = stack["service"].deliveries_for(sub.id)
        assert json.loads(delivery.plaintext)["kind"] == "contact_pt"

        again = cli(stack["env"], "reminders", "tick", "--now", now)
        assert json.loads(again.stdout) == {"planned": 0}
        assert len(stack["service"].deliveries_for(sub.id)) == 1

    @pytest.mark.parametrize(
        "now",
        ["2026-11-10T20:00:00Z", "2026-11-10T21:00:00+01:00", "2026-11-10T15:00:00-05:00", "2026-11-10T20:00:00"],
    )
    def test_now_with_any_offset_is_the_same_instant(self, stack, now):
        runner, sub = subscribed_runner(stack)  # UTC, reminder at 20:00
        result = cli(stack["env"], "reminders", "tick", "--now", now)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == {"planned": 1, "sent": 1}
        [delivery] = stack["service"].deliveries_for(sub.id)
        assert json.loads(delivery.plaintext)["kind"] == "checkin_due"

    def test_a_bad_now_is_refused(self, stack):
        result = cli(stack["env"], "reminders", "tick", "--now", "yesterday at eight")
        assert result.returncode == 2
        assert "ISO 8601" in result.stderr


class TestWorker:
    def test_worker_delivers_within_seconds_and_stops_cleanly_on_sigterm(self, stack):
        first, first_sub = subscribed_runner(stack)
        pain_today(first)
        env = {**stack["env"], "STRIDEGUARD_WORKER_INTERVAL_S": "1"}
        proc = subprocess.Popen([STRIDEGUARD, "worker"], env=env, cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            stack["service"].wait_for(1, timeout=SLOW)  # the first pass runs at start
            started = time.monotonic()
            second, second_sub = subscribed_runner(stack)
            pain_today(second, pain=7)  # raised while the worker runs: the next tick sends it
            stack["service"].wait_for(2, timeout=SLOW)
            took = time.monotonic() - started
            time.sleep(2.5)  # two or three more ticks: nothing is sent twice
            assert len(stack["service"].deliveries_for(first_sub.id)) == 1
            assert len(stack["service"].deliveries_for(second_sub.id)) == 1
        finally:
            proc.send_signal(signal.SIGTERM)
            output = proc.communicate(timeout=SLOW)[0]
        assert proc.returncode == 0, output
        assert "reminder worker started (every 1s)" in output
        assert "reminder worker stopped" in output
        assert "Traceback" not in output
        print(f"\nworker: second alert delivered {took:.2f} s after it was raised")
        with stack["app"].app_context():
            statuses = db.session.execute(select(Reminder.status).where(Reminder.status != "skipped")).scalars().all()
            assert statuses == ["sent", "sent"]


class TestVapidGenerate:
    def test_refuses_to_replace_the_key_without_force(self, tmp_path):
        env = base_env(tmp_path, SECRET_KEY="x")
        made = cli(env, "vapid", "generate")
        assert made.returncode == 0, made.stderr
        path = vapid.key_path(tmp_path)
        assert f"wrote {path}" in made.stdout
        assert path.stat().st_mode & 0o777 == 0o600
        original = path.read_bytes()

        again = cli(env, "vapid", "generate")
        assert again.returncode == 1
        assert "--force" in again.stderr
        assert path.read_bytes() == original

        forced = cli(env, "vapid", "generate", "--force")
        assert forced.returncode == 0, forced.stderr
        assert path.read_bytes() != original

        public = cli(env, "vapid", "public-key")
        assert public.stdout.strip() == vapid.application_server_key(vapid.load_key_file(path))


def start_run(instance: Path, *args: str) -> tuple[subprocess.Popen, int, Path]:
    port = free_port()
    log = instance.parent / f"run-{port}.log"
    env = base_env(instance, RATELIMIT_ENABLED="false")
    with log.open("w") as out:
        proc = subprocess.Popen([STRIDEGUARD, "run", "--port", str(port), "--workers", "1", *args],
                                env=env, cwd=instance.parent, stdout=out, stderr=subprocess.STDOUT)
    return proc, port, log


def push_key(port: int) -> str | None:
    try:
        response = requests.get(f"http://127.0.0.1:{port}/api/v1/push/key", timeout=10)
    except requests.RequestException:  # not listening (yet, or any more)
        return None
    return response.json()["public_key"] if response.status_code == 200 else None


class TestRun:
    def test_fresh_machine_no_worker(self, tmp_path):
        instance = tmp_path / "fresh-instance"  # does not exist yet
        proc, port, log = start_run(instance, "--no-worker")
        try:
            key = wait_until(lambda: push_key(port) or proc.poll() is not None)
            assert proc.poll() is None, log.read_text()
            assert (instance / "strideguard.sqlite3").is_file()
            assert (instance / "secret_key").is_file()
            assert (instance / "secret_key").stat().st_mode & 0o777 == 0o600
            key_file = vapid.key_path(instance)
            assert key == vapid.application_server_key(vapid.load_key_file(key_file))
            commands = [cmdline(c) for c in children(proc.pid)]
            assert len(commands) == 1 and "gunicorn" in commands[0], commands
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=SLOW)
        assert proc.returncode == 0, log.read_text()
        assert push_key(port) is None  # the web server went down with it

    def test_web_and_worker_start_together_and_stop_together(self, tmp_path):
        instance = tmp_path / "instance"
        proc, port, log = start_run(instance)
        try:
            wait_until(lambda: push_key(port) or proc.poll() is not None)
            assert proc.poll() is None, log.read_text()
            kids = wait_until(lambda: len(children(proc.pid)) == 2 and children(proc.pid))
            commands = sorted(cmdline(pid) for pid in kids)
            assert any("gunicorn" in c for c in commands), commands
            assert any(c.endswith("strideguard.cli worker ") for c in commands), commands
            wait_until(lambda: "reminder worker started" in log.read_text())
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=SLOW)
        assert proc.returncode == 0, log.read_text()
        for pid in kids:
            wait_until(lambda: not alive(pid), timeout=5)
        assert push_key(port) is None
        assert "reminder worker stopped" in log.read_text()
