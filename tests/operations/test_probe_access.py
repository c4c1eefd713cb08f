"""``/metrics`` and ``/readyz`` answer local clients only unless a token is set (issue 25,
item 10); ``/healthz`` stays open for any load balancer."""

from __future__ import annotations

import pytest

from tests.security.backends import SQLITE_ONLY

LOCAL, REMOTE = "127.0.0.1", "192.0.2.50"
OPERATOR_PATHS = ["/metrics", "/readyz"]


def get(app, path: str, peer: str, **headers: str):
    return app.test_client().get(path, headers=headers, environ_base={"REMOTE_ADDR": peer})


@SQLITE_ONLY
@pytest.mark.parametrize("path", OPERATOR_PATHS)
def test_operator_endpoints_refuse_remote_clients_by_default(app, path) -> None:
    assert get(app, path, LOCAL).status_code in (200, 503)  # 503: no worker heartbeat yet
    refused = get(app, path, REMOTE)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "operators_only"
    assert "STRIDEGUARD_METRICS_TOKEN" in refused.get_json()["error"]["message"]
    assert b"strideguard_" not in refused.data and b"checks" not in refused.data


@SQLITE_ONLY
@pytest.mark.parametrize("path", OPERATOR_PATHS)
def test_a_request_through_the_local_proxy_is_not_local(app, path) -> None:
    # nginx on the same host connects from 127.0.0.1: the public behind it must not get in,
    # whether it forwarded a public address or a forged loopback one.
    assert get(app, path, LOCAL, **{"X-Forwarded-For": "203.0.113.7"}).status_code == 403
    assert get(app, path, LOCAL, **{"X-Forwarded-For": "127.0.0.1"}).status_code == 403
    assert get(app, path, LOCAL, **{"X-Real-IP": "127.0.0.1"}).status_code == 403


@SQLITE_ONLY
def test_healthz_stays_open(app) -> None:
    assert get(app, "/healthz", REMOTE).status_code == 200
    assert get(app, "/healthz", LOCAL, **{"X-Forwarded-For": "203.0.113.7"}).status_code == 200


@SQLITE_ONLY
@pytest.mark.parametrize("app", [{"PROBE_ALLOW_IPS": ["10.0.0.0/8"]}], indirect=True)
@pytest.mark.parametrize("path", OPERATOR_PATHS)
def test_a_scraper_network_can_be_allowed(app, path) -> None:
    assert get(app, path, "10.1.2.3").status_code in (200, 503)
    assert get(app, path, LOCAL).status_code == 403  # the list replaces loopback


@SQLITE_ONLY
@pytest.mark.parametrize("app", [{"METRICS_TOKEN": "s3cret-token"}], indirect=True)
@pytest.mark.parametrize("path", OPERATOR_PATHS)
def test_with_a_token_anyone_holding_it_may_ask_and_nobody_else(app, path) -> None:
    assert get(app, path, REMOTE, Authorization="Bearer s3cret-token").status_code in (200, 503)
    assert get(app, path, LOCAL, **{"X-Forwarded-For": "203.0.113.7",
                                    "Authorization": "Bearer s3cret-token"}).status_code in (200, 503)
    for peer in (LOCAL, REMOTE):
        assert get(app, path, peer).status_code == 401
        assert get(app, path, peer, Authorization="Bearer wrong").status_code == 401
