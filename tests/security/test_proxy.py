"""The client's address behind a reverse proxy (issue 25, item 2) and the throttle on
password confirmations (item 6).

``X-Forwarded-For`` counts only from the proxies the server trusts (``FORWARDED_ALLOW_IPS``,
loopback by default, the list gunicorn gets too); a direct client is keyed on its socket
address whatever it sends.
"""

from __future__ import annotations

import pytest
import requests

from strideguard.cli import gunicorn_argv
from tests.conftest import Runner
from tests.security.backends import SQLITE_ONLY
from tests.security.live import serving
from tests.security.test_limits import operator_env

PROXY = "127.0.0.1"  # trusted by default
STRANGER = "192.0.2.50"  # a client on the internet, talking to the app directly
THROTTLED = {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "10 per minute"}


@pytest.fixture
def limited(app):
    from strideguard.extensions import limiter

    with app.app_context():
        limiter.reset()
    yield app
    with app.app_context():
        limiter.reset()


def login(app, body: dict, peer: str, forwarded: str | None = None):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return app.test_client().post("/api/v1/auth/login", json=body, headers=headers,
                                  environ_base={"REMOTE_ADDR": peer})


WRONG = {"email": "nobody-here@example.org", "password": "wrong-password-1"}


@SQLITE_ONLY  # the throttle's key does not depend on the database
@pytest.mark.parametrize("app", [THROTTLED], indirect=True)
def test_ten_wrong_logins_through_the_proxy_lock_out_that_client_only(limited) -> None:
    runner = Runner(limited)
    attacker = [login(limited, WRONG, PROXY, "203.0.113.7").status_code for _ in range(11)]
    assert attacker == [401] * 10 + [429]
    # Every other client behind the same proxy still signs in.
    good = {"email": runner.email, "password": runner.password}
    assert login(limited, good, PROXY, "198.51.100.9").status_code == 200
    # A chain the proxy appended to: the address the proxy saw (the last entry) counts.
    assert login(limited, WRONG, PROXY, "203.0.113.7, 198.51.100.20").status_code == 401


@SQLITE_ONLY
@pytest.mark.parametrize("app", [THROTTLED], indirect=True)
def test_a_direct_client_cannot_spoof_its_address(limited) -> None:
    statuses = [login(limited, WRONG, STRANGER, f"203.0.113.{i}").status_code for i in range(11)]
    assert statuses == [401] * 10 + [429]  # keyed on its socket address, not the forged header
    assert login(limited, WRONG, "192.0.2.51").status_code == 401  # another direct client is fine


@SQLITE_ONLY
@pytest.mark.parametrize("app", [{**THROTTLED, "FORWARDED_ALLOW_IPS": ["10.1.0.0/16"]}], indirect=True)
def test_only_the_configured_proxies_are_trusted(limited) -> None:
    # Loopback is no longer a proxy: its header is ignored.
    assert [login(limited, WRONG, PROXY, f"203.0.113.{i}").status_code for i in range(11)] == [401] * 10 + [429]
    # A proxy inside the configured network is believed.
    assert login(limited, WRONG, "10.1.2.3", "203.0.113.99").status_code == 401


def test_a_malformed_proxy_list_is_refused_at_start(monkeypatch) -> None:
    from strideguard.config import build_config

    monkeypatch.setenv("STRIDEGUARD_FORWARDED_ALLOW_IPS", "127.0.0.1,proxy.example.org")
    with pytest.raises(ValueError, match="FORWARDED_ALLOW_IPS.*proxy.example.org"):
        build_config({"INSTANCE_PATH": "/tmp/sg-proxy-config"})


def test_gunicorn_gets_the_same_trusted_proxies() -> None:
    argv = gunicorn_argv("127.0.0.1", 8000, 2, "10.0.0.5,10.1.0.0/16")
    assert argv[argv.index("--forwarded-allow-ips") + 1] == "10.0.0.5,10.1.0.0/16"


@pytest.mark.process
def test_a_served_app_behind_a_proxy_throttles_per_client(tmp_path) -> None:
    """The issue's reproduction against a real ``strideguard serve``: ten wrong logins for a
    made-up email through the proxy, then another runner signs in with the right password."""
    env = operator_env(tmp_path, f"sqlite:///{tmp_path / 'proxy.sqlite3'}")
    with serving(env, tmp_path / "server.log", workers=2) as server:
        def via_proxy(body: dict, client: str) -> requests.Response:
            return requests.post(server.url + "/api/v1/auth/login", json=body, timeout=10,
                                 headers={"X-Forwarded-For": client, "Connection": "close"})

        registered = requests.post(server.url + "/api/v1/auth/register", timeout=10,
                                   headers={"X-Forwarded-For": "198.51.100.9"},
                                   json={"email": "runner@example.org", "password": "knee-safe-42x"})
        assert registered.status_code == 201, registered.text
        statuses = [via_proxy(WRONG, "203.0.113.7").status_code for _ in range(11)]
        assert statuses == [401] * 10 + [429], statuses
        good = via_proxy({"email": "runner@example.org", "password": "knee-safe-42x"}, "198.51.100.9")
        assert good.status_code == 200, good.text
    # gunicorn's access log names the client, not the proxy.
    assert '203.0.113.7 "POST /api/v1/auth/login" 429' in server.log()


# -- password confirmations (item 6) ----------------------------------------------------------


def _confirm(runner: Runner, route: str, password: str, peer: str):
    if route == "change":
        return runner.client.post("/api/v1/auth/password", headers={"X-CSRF-Token": runner.csrf},
                                  json={"current_password": password, "new_password": "another-knee-42"},
                                  environ_base={"REMOTE_ADDR": peer})
    return runner.client.delete("/api/v1/me", headers={"X-CSRF-Token": runner.csrf},
                                json={"password": password}, environ_base={"REMOTE_ADDR": peer})


@pytest.mark.parametrize("app", [THROTTLED], indirect=True)
@pytest.mark.parametrize("route", ["change", "erase"])
def test_wrong_passwords_at_change_and_erasure_are_throttled(limited, route) -> None:
    runner = Runner(limited)
    statuses = [_confirm(runner, route, f"guess-number-{i}", STRANGER).status_code for i in range(11)]
    assert statuses == [422] * 10 + [429], statuses
    blocked = _confirm(runner, route, runner.password, STRANGER)
    assert blocked.status_code == 429  # even the right password waits: no oracle
    assert blocked.get_json()["error"]["code"] == "rate_limited"
    assert int(blocked.headers["Retry-After"]) > 0
    # The account's own allowance is used up too: a stolen session from another address waits.
    assert _confirm(runner, route, runner.password, "192.0.2.77").status_code == 429
    # Another runner at another address is not affected.
    other = Runner(limited)
    assert _confirm(other, "change", other.password, "192.0.2.78").status_code == 204


@SQLITE_ONLY
@pytest.mark.parametrize("app", [THROTTLED], indirect=True)
def test_change_and_erasure_share_one_allowance(limited) -> None:
    runner = Runner(limited)
    changes = [_confirm(runner, "change", f"guess-{i}-wrong", STRANGER).status_code for i in range(6)]
    erasures = [_confirm(runner, "erase", f"guess-{i}-wrong", STRANGER).status_code for i in range(5)]
    assert changes + erasures == [422] * 10 + [429]


@SQLITE_ONLY
@pytest.mark.parametrize("app", [THROTTLED], indirect=True)
def test_right_passwords_do_not_use_up_the_allowance(limited) -> None:
    runner = Runner(limited)
    passwords = [runner.password, "another-knee-42"] * 6
    for current, new in zip(passwords, passwords[1:] + passwords[:1]):
        response = runner.client.post("/api/v1/auth/password", headers={"X-CSRF-Token": runner.csrf},
                                      json={"current_password": current, "new_password": new})
        assert response.status_code == 204, response.get_json()
