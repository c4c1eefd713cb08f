"""The container deployment without a container engine (this machine has none): the command
lines ``docker-compose.yml`` and the ``Dockerfile`` run — the release step, the web server
(the image's CMD), the worker and both health checks — run here as real processes with the
compose file's own environment, pointed at the real PostgreSQL and Redis of this machine
instead of the ``postgres`` and ``redis`` services."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
import requests
import yaml

from tests.security.live import free_port
from tests.support.postgres import throwaway_database

REPO = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
DOCKERFILE = (REPO / "Dockerfile").read_text()
REDIS_DB = 12
BIN = Path(sys.executable).parent


def instruction(name: str) -> list[str]:
    """The exec-form argv of a Dockerfile instruction (CMD, or HEALTHCHECK's CMD)."""
    line = next(l for l in DOCKERFILE.replace("\\\n", " ").splitlines() if l.startswith(name + " "))
    return json.loads(line[line.index("["):])


def interpolate(value: str) -> str:
    """Compose's ``${NAME:-default}`` (nothing is set in the test's environment)."""
    return re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: os.environ.get(m.group(1), m.group(2)), value)


def service_env(name: str, database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    """The service's environment, with the compose hosts mapped onto this machine."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIDEGUARD_", "PROMETHEUS_"))}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"  # `strideguard` and `python` of the venv
    for key, value in COMPOSE["services"][name]["environment"].items():
        env[key] = interpolate(str(value))
    assert env["STRIDEGUARD_DATABASE_URL"].endswith("@postgres:5432/strideguard")
    env["STRIDEGUARD_DATABASE_URL"] = database_url
    assert env["STRIDEGUARD_RATELIMIT_STORAGE_URL"] == "redis://redis:6379/0"
    env["STRIDEGUARD_RATELIMIT_STORAGE_URL"] = f"redis://127.0.0.1:6379/{REDIS_DB}"
    assert env["STRIDEGUARD_INSTANCE_PATH"] == "/data"
    env["STRIDEGUARD_INSTANCE_PATH"] = str(instance)
    env["STRIDEGUARD_COOKIE_SECURE"] = "false"  # plain HTTP on 127.0.0.1 (TLS is the proxy's)
    env.update(extra)
    return env


def with_port(argv: list[str], port: int) -> list[str]:
    return [a.replace("8000", str(port)).replace("9465", str(port)) for a in argv]


def wait_ok(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> requests.Response:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"{proc.args} exited with {proc.returncode}"
        try:
            last = requests.get(url, timeout=5)
            if last.status_code == 200:
                return last
        except requests.RequestException:
            pass
        time.sleep(0.25)
    raise AssertionError(f"{url}: {last.status_code if last else 'no answer'} {last.text if last else ''}")


def test_the_compose_file_builds_every_app_service_from_the_one_image() -> None:
    services = COMPOSE["services"]
    assert set(services) == {"postgres", "redis", "migrate", "web", "worker"}
    for name in ("migrate", "web", "worker"):
        assert services[name]["build"] == "." and services[name]["image"] == "strideguard:latest"
        assert "instance:/data" in services[name]["volumes"]
    assert "command" not in services["web"]  # the image's CMD
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["worker"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    # The image is the pyproject's package and nothing else: no test extras.
    assert "COPY pyproject.toml" in DOCKERFILE and "RUN pip install -e . " in DOCKERFILE
    assert "[test]" not in DOCKERFILE
    assert instruction("CMD")[:2] == ["strideguard", "serve"]


def test_compose_publishes_the_web_port_to_this_host_only() -> None:
    web = COMPOSE["services"]["web"]
    assert web["ports"] == ["127.0.0.1:8000:8000"]  # the TLS proxy on the host connects there
    assert "STRIDEGUARD_FORWARDED_ALLOW_IPS" in web["environment"]  # and is trusted as a proxy
    assert web["environment"]["STRIDEGUARD_DATABASE_URL"].startswith("postgresql://")  # the anchor's env kept


@pytest.fixture
def redis_db():
    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    client.flushdb()
    yield client
    client.flushdb()


@pytest.mark.process
def test_the_containers_command_lines_run_the_whole_stack(tmp_path, redis_db) -> None:
    instance = tmp_path / "data"  # the shared volume
    web_port, metrics_port = free_port(), free_port()
    with throwaway_database("sg_compose") as url:
        # migrate: the release step, once.
        migrate = COMPOSE["services"]["migrate"]["command"]
        done = subprocess.run(migrate, env=service_env("migrate", url, instance), cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        assert (instance / "vapid_private.pem").is_file() and (instance / "secret_key").is_file()

        worker_env = service_env("worker", url, instance)
        assert worker_env["STRIDEGUARD_WORKER_METRICS_PORT"] == "9465"
        worker_env.update(STRIDEGUARD_WORKER_METRICS_PORT=str(metrics_port), STRIDEGUARD_WORKER_INTERVAL_S="2")
        web = subprocess.Popen(with_port(instruction("CMD"), web_port), env=service_env("web", url, instance),
                               cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        worker = subprocess.Popen(COMPOSE["services"]["worker"]["command"], env=worker_env, cwd=tmp_path,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            base = f"http://127.0.0.1:{web_port}"
            ready = wait_ok(base + "/readyz", web).json()
            assert ready["status"] == "ok" and ready["checks"]["worker"]["interval_s"] == 2
            # The image's HEALTHCHECK and the worker's compose healthcheck, as written.
            health = subprocess.run(with_port(instruction("HEALTHCHECK"), web_port),
                                    env={"PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}, timeout=30)
            assert health.returncode == 0
            worker_check = COMPOSE["services"]["worker"]["healthcheck"]["test"][1:]
            wait_ok(f"http://127.0.0.1:{metrics_port}/metrics", worker)
            assert subprocess.run(with_port(worker_check, metrics_port), timeout=30,
                                  env={"PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}).returncode == 0

            # Sign-in throttling shared through Redis (the compose setting), every web worker.
            wrong = {"email": "compose@example.org", "password": "wrong-password-1"}
            statuses = [requests.post(base + "/api/v1/auth/login", json=wrong, timeout=10,
                                      headers={"Connection": "close"}).status_code for _ in range(12)]
            assert statuses == [401] * 10 + [429] * 2
            assert redis_db.dbsize() > 0

            # A runner, and the public key the worker signs with (one shared VAPID key).
            assert requests.post(base + "/api/v1/auth/register", timeout=10,
                                 json={"email": "c@example.org", "password": "knee-safe-42x"}).status_code == 201
            key = requests.get(base + "/api/v1/push/key", timeout=10).json()["public_key"]
            assert len(key) > 80
            scraped = requests.get(base + "/metrics", timeout=10).text
            assert 'strideguard_http_requests_total{endpoint="auth.register",method="POST",status="201"} 1.0' in scraped
            assert "strideguard_reminder_tick_duration_seconds_count" in requests.get(
                f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
        finally:
            for proc in (worker, web):
                proc.send_signal(signal.SIGTERM)
            outputs = [proc.communicate(timeout=30)[1] for proc in (worker, web)]
        assert worker.returncode == 0 and web.returncode == 0, [o[-1500:] for o in outputs]
        assert "Traceback" not in outputs[0] + outputs[1]
