"""Limits: body size (413), sign-in/sign-up throttling (429, shared across gunicorn workers
through the database by default or Redis), the password policy, and bounded list queries."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
import redis
import requests

from strideguard.accounts.passwords import COMMON_PASSWORDS
from tests.conftest import Runner
from strideguard.cli import default_workers
from tests.security.backends import SQLITE_ONLY
from tests.security.live import REPO, LiveServer, serving, server_env
from tests.support.postgres import throwaway_database

LIMIT = 64 * 1024
DAY = "2026-11-02"
REDIS_URL = "redis://127.0.0.1:6379/13"  # a db of its own, flushed before and after


# -- body size ------------------------------------------------------------------------------


def body_of(size: int) -> bytes:
    """A JSON check-in body of exactly ``size`` bytes (padded in the note)."""
    empty = json.dumps({"pain": 2, "note": ""}).encode()
    return json.dumps({"pain": 2, "note": "x" * (size - len(empty))}).encode()


@SQLITE_ONLY  # limits are checked before any SQL runs
@pytest.mark.parametrize(
    "size,status",
    [
        (1_000, 201),  # a normal check-in
        (LIMIT, 422),  # at the limit the size is fine; the 60 KB note is not (max 1000 chars)
        (LIMIT + 1, 413),
        (LIMIT * 4, 413),
        (5 * 1024 * 1024, 413),
    ],
)
def test_request_bodies_over_64_kb_are_refused(app, runner, size, status) -> None:
    body = body_of(size)
    assert len(body) == size
    response = runner.client.put(
        f"/api/v1/checkins/{DAY}", data=body,
        headers={"X-CSRF-Token": runner.csrf, "Content-Type": "application/json"},
    )
    assert response.status_code == status, response.get_data(as_text=True)[:200]
    if status == 413:
        assert response.get_json()["error"]["code"] == "body_too_large"
    assert response.is_json


@SQLITE_ONLY  # limits are checked before any SQL runs
def test_oversized_body_is_refused_before_sign_in_is_even_checked(app) -> None:
    response = app.test_client().post(
        "/api/v1/auth/login", data=b"{" + b" " * (LIMIT + 10) + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "body_too_large"


# -- throttling in one process --------------------------------------------------------------

THROTTLED = {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "4 per minute",
             "REGISTER_RATE_LIMIT": "3 per minute"}


@pytest.fixture
def limited(app):
    from strideguard.extensions import limiter

    with app.app_context():
        limiter.reset()
    yield app
    with app.app_context():
        limiter.reset()


@SQLITE_ONLY  # limits are checked before any SQL runs
@pytest.mark.parametrize("app", [THROTTLED], indirect=True)
def test_failed_logins_are_throttled_with_the_envelope(limited) -> None:
    app = limited
    runner = Runner(app)
    client = app.test_client()
    wrong = {"email": runner.email, "password": "wrong-password-1"}
    statuses = [client.post("/api/v1/auth/login", json=wrong).status_code for _ in range(6)]
    assert statuses == [401, 401, 401, 401, 429, 429]
    blocked = client.post("/api/v1/auth/login", json={"email": runner.email, "password": runner.password})
    assert blocked.status_code == 429  # even the right password waits: no oracle for guessing
    body = blocked.get_json()
    assert body["error"]["code"] == "rate_limited" and body["error"]["message"]
    assert int(blocked.headers["Retry-After"]) > 0


@SQLITE_ONLY  # limits are checked before any SQL runs
@pytest.mark.parametrize("app", [THROTTLED], indirect=True)
def test_successful_logins_do_not_use_up_the_allowance(limited) -> None:
    runner = Runner(limited)
    client = limited.test_client()
    good = {"email": runner.email, "password": runner.password}
    assert [client.post("/api/v1/auth/login", json=good).status_code for _ in range(8)] == [200] * 8


@SQLITE_ONLY  # limits are checked before any SQL runs
@pytest.mark.parametrize("app", [THROTTLED], indirect=True)
def test_sign_ups_are_throttled(limited) -> None:
    client = limited.test_client()
    statuses = [
        client.post("/api/v1/auth/register", json={"email": f"r{i}@example.org", "password": "knee-safe-42x"}).status_code
        for i in range(5)
    ]
    assert statuses == [201, 201, 201, 429, 429]


# -- throttling shared by gunicorn workers (Redis) -------------------------------------------

SHARED_LIMIT = 7
WORKERS = 3
BURST = 4  # concurrent attempts in the burst phase


@pytest.fixture
def redis_db():
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()


@pytest.mark.process
def test_login_throttle_is_shared_by_all_gunicorn_workers(tmp_path, redis_db) -> None:
    env = server_env(
        tmp_path, f"sqlite:///{tmp_path / 'limits.sqlite3'}",
        STRIDEGUARD_RATELIMIT_ENABLED="true",
        STRIDEGUARD_RATELIMIT_STORAGE_URL=REDIS_URL,
        STRIDEGUARD_LOGIN_RATE_LIMIT=f"{SHARED_LIMIT} per minute",
        STRIDEGUARD_REGISTER_RATE_LIMIT="100 per minute",
        STRIDEGUARD_LOG_LEVEL="INFO",
    )
    wrong = {"email": "shared@example.org", "password": "wrong-password-1"}
    with serving(env, tmp_path / "server.log", workers=WORKERS) as server:
        signup = requests.post(server.url + "/api/v1/auth/register",
                               json={"email": "shared@example.org", "password": "knee-safe-42x"}, timeout=10)
        assert signup.status_code == 201

        def attempt(_: int = 0) -> int:
            # A new connection each time, so any of the workers may take it.
            return requests.post(server.url + "/api/v1/auth/login", json=wrong, timeout=10,
                                 headers={"Connection": "close"}).status_code

        # One attempt after the other until refused: exactly the configured limit gets through.
        statuses = []
        while 429 not in statuses and len(statuses) < SHARED_LIMIT * WORKERS + 5:
            statuses.append(attempt())
        assert statuses == [401] * SHARED_LIMIT + [429], statuses
        right = requests.post(server.url + "/api/v1/auth/login", timeout=10,
                              json={"email": "shared@example.org", "password": "knee-safe-42x"})
        assert right.status_code == 429 and right.json()["error"]["code"] == "rate_limited"
        assert redis_db.dbsize() > 0  # the counters live in Redis, not in a worker

        # Several at once (sync workers take one request each, so every worker serves some).
        # Failed attempts are counted after the answer (successes are free), so a burst can
        # overshoot by at most the requests in flight — never the limit once per worker.
        redis_db.flushdb()
        with ThreadPoolExecutor(max_workers=BURST) as pool:
            burst = list(pool.map(attempt, range(SHARED_LIMIT * WORKERS + 3)))
        allowed = burst.count(401)
        assert SHARED_LIMIT <= allowed <= SHARED_LIMIT + BURST - 1, burst
        assert allowed < SHARED_LIMIT * WORKERS
        assert burst.count(429) == len(burst) - allowed
    assert server.log().count("Booting worker with pid") == WORKERS, server.log()[-1500:]


# -- the default server: `strideguard serve` as a new operator starts it ----------------------


@pytest.fixture(params=["sqlite", "postgres"])
def operator_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'operator.sqlite3'}"
        return
    with throwaway_database("sg_limits") as url:
        yield url


def operator_env(tmp_path, url: str, **extra: str) -> dict[str, str]:
    """Throttling on with every default: no storage URL, the default limits."""
    env = server_env(tmp_path, url, **{"STRIDEGUARD_RATELIMIT_ENABLED": "true", "STRIDEGUARD_LOG_LEVEL": "INFO", **extra})
    for name in ("STRIDEGUARD_RATELIMIT_STORAGE_URL", "STRIDEGUARD_LOGIN_RATE_LIMIT", "PROMETHEUS_MULTIPROC_DIR"):
        if name not in extra:
            env.pop(name, None)
    return env


@pytest.mark.process
def test_the_default_server_throttles_failed_logins_across_all_its_workers(tmp_path, operator_database) -> None:
    env = operator_env(tmp_path, operator_database)
    wrong = {"email": "operator@example.org", "password": "wrong-password-1"}

    def attempt(_: int = 0) -> int:  # a new connection each time: any worker may take it
        return requests.post(server.url + "/api/v1/auth/login", json=wrong, timeout=10,
                             headers={"Connection": "close"}).status_code

    with serving(env, tmp_path / "server.log", workers=None) as server:
        # The reproduction: 15 wrong passwords in a row. The default allows 10 a minute.
        statuses = [attempt() for _ in range(15)]
        assert statuses == [401] * 10 + [429] * 5, statuses
        refused = requests.post(server.url + "/api/v1/auth/login", json=wrong, timeout=10)
        assert refused.json()["error"]["code"] == "rate_limited"
        assert int(refused.headers["Retry-After"]) > 0
    workers = default_workers()
    assert workers > 1  # the point of the test: several processes
    assert server.log().count("Booting worker with pid") == workers, server.log()[-1500:]


@pytest.mark.process
def test_a_burst_at_the_default_server_gets_the_allowance_once_not_once_per_worker(tmp_path) -> None:
    env = operator_env(tmp_path, f"sqlite:///{tmp_path / 'burst.sqlite3'}")
    wrong = {"email": "burst@example.org", "password": "wrong-password-1"}
    with serving(env, tmp_path / "server.log", workers=None) as server:
        def attempt(_: int) -> int:
            return requests.post(server.url + "/api/v1/auth/login", json=wrong, timeout=20,
                                 headers={"Connection": "close"}).status_code

        with ThreadPoolExecutor(max_workers=BURST) as pool:
            burst = list(pool.map(attempt, range(40)))
    allowed = burst.count(401)
    # Failed attempts are counted after the answer: a burst overshoots by at most those in flight.
    assert 10 <= allowed <= 10 + BURST - 1, burst
    assert burst.count(429) == len(burst) - allowed


def strideguard(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "strideguard.cli", *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.process
@pytest.mark.parametrize("command", [["serve"], ["run", "--no-worker"]])
def test_per_process_counters_are_refused_with_several_workers(tmp_path, command) -> None:
    env = operator_env(tmp_path, f"sqlite:///{tmp_path / 'mem.sqlite3'}",
                       STRIDEGUARD_RATELIMIT_STORAGE_URL="memory://")
    done = strideguard(env, *command, "--workers", "3", "--port", "1")
    assert done.returncode == 2, done.stderr
    assert "memory:// keeps rate-limit counters in each process" in done.stderr
    assert "3 web workers" in done.stderr and "redis://" in done.stderr


@pytest.mark.process
def test_per_process_counters_are_fine_for_one_worker_and_when_throttling_is_off(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'one.sqlite3'}"
    one = operator_env(tmp_path, url, STRIDEGUARD_RATELIMIT_STORAGE_URL="memory://",
                       STRIDEGUARD_LOGIN_RATE_LIMIT="2 per minute")
    with serving(one, tmp_path / "one.log", workers=1) as server:
        wrong = {"email": "one@example.org", "password": "wrong-password-1"}
        statuses = [requests.post(server.url + "/api/v1/auth/login", json=wrong, timeout=10).status_code
                    for _ in range(3)]
        assert statuses == [401, 401, 429]
    off = operator_env(tmp_path, url, STRIDEGUARD_RATELIMIT_STORAGE_URL="memory://",
                       STRIDEGUARD_RATELIMIT_ENABLED="false")
    server = LiveServer(off, tmp_path / "off.log", workers=3)
    server.start()
    server.stop()


# -- password policy ------------------------------------------------------------------------


@SQLITE_ONLY  # limits are checked before any SQL runs
@pytest.mark.parametrize(
    "password,status",
    [
        ("short-1", 422),
        ("nine-char", 422),  # 9 characters
        ("ten-chars!", 201),  # exactly 10
        ("1234567890", 422),
        ("password123", 422),
        ("PassWord123", 422),  # case does not make a common password safe
        ("qwertyuiop", 422),
        ("aaaaaaaaaaaa", 422),  # one or two different characters
        ("abababababab", 422),
        ("x" * 257, 422),
        ("knee-safe-42x", 201),
        ("correct horse battery staple", 201),
    ],
)
def test_password_policy_at_sign_up(app, password, status) -> None:
    response = app.test_client().post(
        "/api/v1/auth/register", json={"email": "policy@example.org", "password": password}
    )
    assert response.status_code == status, response.get_json()
    if status == 422:
        assert "password" in response.get_json()["error"]["fields"]


def test_every_listed_common_password_is_refused() -> None:
    from strideguard.accounts.passwords import policy_problem

    assert len(COMMON_PASSWORDS) >= 20
    assert all(policy_problem(p) for p in COMMON_PASSWORDS)
    assert all(policy_problem(p.upper()) for p in COMMON_PASSWORDS)


@SQLITE_ONLY  # limits are checked before any SQL runs
def test_the_email_itself_is_not_a_password(app) -> None:
    response = app.test_client().post(
        "/api/v1/auth/register", json={"email": "sameasmail@example.org", "password": "sameasmail@example.org"}
    )
    assert response.status_code == 422


@SQLITE_ONLY  # limits are checked before any SQL runs
def test_password_change_applies_the_policy(app, runner) -> None:
    for weak in ("short", "1234567890", "password123"):
        response = runner.post("/api/v1/auth/password",
                               json={"current_password": runner.password, "new_password": weak})
        assert response.status_code == 422
        assert "new_password" in response.get_json()["error"]["fields"]


# -- bounded list queries -------------------------------------------------------------------

END = date(2026, 11, 1)


@SQLITE_ONLY  # limits are checked before any SQL runs
@pytest.mark.parametrize("path", ["/api/v1/checkins", "/api/v1/runs"])
@pytest.mark.parametrize(
    "days,status",
    [(1, 200), (90, 200), (400, 200), (401, 422), (5000, 422)],
)
def test_list_queries_cover_at_most_400_days(app, runner, path, days, status) -> None:
    start = END - timedelta(days=days - 1)
    response = runner.get(f"{path}?from={start.isoformat()}&to={END.isoformat()}")
    assert response.status_code == status, response.get_json()
    if status == 422:
        assert "from" in response.get_json()["error"]["fields"]


@SQLITE_ONLY  # limits are checked before any SQL runs
@pytest.mark.parametrize("path", ["/api/v1/checkins", "/api/v1/runs"])
def test_list_queries_refuse_reversed_and_malformed_ranges(app, runner, path) -> None:
    assert runner.get(f"{path}?from=2026-11-02&to=2026-11-01").status_code == 422
    assert runner.get(f"{path}?from=yesterday").status_code == 422
    assert runner.get(f"{path}?from=0001-01-01&to=9999-12-31").status_code == 422
