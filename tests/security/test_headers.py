"""Security headers: a strict CSP on the shell, the usual hardening headers on every response,
HSTS only over HTTPS, ``no-store`` on API answers, and no CORS at all."""

from __future__ import annotations

import pytest

from strideguard.security import API_CSP
from strideguard.web import CONTENT_SECURITY_POLICY
from tests.conftest import Runner
from tests.security.backends import SQLITE_ONLY

pytestmark = SQLITE_ONLY  # headers are set above the database layer

DAY = "2026-11-02"


def directives(policy: str) -> dict[str, list[str]]:
    """A CSP header as {directive: [sources]}."""
    out: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            out[words[0].lower()] = words[1:]
    return out


@pytest.fixture
def world(app):
    runner = Runner(app)
    runner.put(f"/api/v1/checkins/{DAY}", json={"pain": 2, "note": "stairs hurt"})
    return runner


def responses(app, runner: Runner, https: bool = False):
    """One response of every kind: shell, assets, API success, API errors, anonymous."""
    base = {"base_url": "https://localhost" if https else "http://localhost"}
    anonymous = app.test_client()
    origin = {"Origin": "https://evil.example"}
    return {
        "shell": anonymous.get("/", headers=origin, **base),
        "deep link": anonymous.get("/checkin", **base),
        "service worker": anonymous.get("/sw.js", **base),
        "manifest": anonymous.get("/manifest.webmanifest", **base),
        "script": anonymous.get("/js/app.js", **base),
        "missing asset": anonymous.get("/nope.png", **base),
        "openapi": anonymous.get("/api/v1/openapi.json", headers=origin, **base),
        "anonymous 401": anonymous.get("/api/v1/me", headers=origin, **base),
        "unknown api 404": anonymous.get("/api/v1/nothing-here", **base),
        "preflight": anonymous.open(
            "/api/v1/checkins", method="OPTIONS", **base,
            headers={**origin, "Access-Control-Request-Method": "PUT",
                     "Access-Control-Request-Headers": "x-csrf-token"},
        ),
        "me": runner.client.get("/api/v1/me", headers=origin, **base),
        "checkin": runner.client.get(f"/api/v1/checkins/{DAY}", headers=origin, **base),
        "checkins": runner.client.get("/api/v1/checkins", **base),
        "export": runner.client.get("/api/v1/export", **base),
        "guidance": runner.client.get("/api/v1/guidance", **base),
        "put checkin": runner.client.put(f"/api/v1/checkins/{DAY}", json={"pain": 3}, **base,
                                          headers={"X-CSRF-Token": runner.csrf, **origin}),
        "validation 422": runner.client.put(f"/api/v1/checkins/{DAY}", json={"pain": 11}, **base,
                                             headers={"X-CSRF-Token": runner.csrf}),
        "csrf 403": runner.client.put(f"/api/v1/checkins/{DAY}", json={"pain": 3}, **base),
        "malformed 400": runner.client.put(f"/api/v1/checkins/{DAY}", data="{", **base,
                                            headers={"X-CSRF-Token": runner.csrf, "Content-Type": "application/json"}),
    }


def test_the_shell_has_a_strict_content_security_policy(app) -> None:
    response = app.test_client().get("/")
    assert response.status_code == 200
    policy = directives(response.headers["Content-Security-Policy"])
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in policy.get("style-src", [])
    assert not any("*" in source for sources in policy.values() for source in sources)
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_the_shell_has_no_inline_script_the_policy_would_block(app) -> None:
    html = app.test_client().get("/").get_data(as_text=True).lower()
    for tag in html.split("<script")[1:]:
        assert "src=" in tag.split(">")[0], "inline <script> in the shell"
    assert " onload=" not in html and " onclick=" not in html and "javascript:" not in html


def test_every_api_answer_forbids_loading_and_framing(app, world) -> None:
    policy = directives(API_CSP)
    assert policy["default-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    for name, response in responses(app, world).items():
        if not name.startswith(("shell", "deep link", "service worker", "manifest", "script", "missing")):
            assert response.headers["Content-Security-Policy"] == API_CSP, name


@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
def test_hardening_headers_on_every_response(app, world, https) -> None:
    for name, response in responses(app, world, https=https).items():
        headers = response.headers
        assert headers["X-Content-Type-Options"] == "nosniff", name
        assert headers["Referrer-Policy"] in {"same-origin", "no-referrer", "strict-origin"}, name
        permissions = headers["Permissions-Policy"]
        for feature in ("camera=()", "microphone=()", "geolocation=()"):
            assert feature in permissions, name
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], name
        hsts = headers.get("Strict-Transport-Security")
        if https:
            assert hsts is not None, name
            assert int(hsts.split("max-age=")[1].split(";")[0]) >= 31536000, name
        else:
            assert hsts is None, name  # HSTS over plain HTTP is meaningless and can lock out


def test_no_cors_for_any_origin(app, world) -> None:
    for name, response in responses(app, world).items():
        cors = [k for k in response.headers.keys() if k.lower().startswith("access-control-allow")]
        assert cors == [], f"{name}: {cors}"
    preflight = responses(app, world)["preflight"]
    assert preflight.status_code in (200, 204, 401, 404, 405)


def test_api_answers_are_never_stored(app, world) -> None:
    answers = responses(app, world)
    assert "stairs hurt" in answers["checkin"].get_data(as_text=True)  # personal data indeed
    for name, response in answers.items():
        if name in {"openapi", "anonymous 401", "unknown api 404", "preflight"} or name.startswith(
            ("me", "checkin", "export", "guidance", "put", "validation", "csrf", "malformed")
        ):
            assert "no-store" in response.headers.get("Cache-Control", ""), name


def test_the_shell_may_be_cached_but_is_revalidated(app) -> None:
    response = app.test_client().get("/")
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Content-Type"].startswith("text/html")
