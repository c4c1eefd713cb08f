"""How the Flask blueprint serves client/: content types, caching, the service-worker
scope, the app-shell fallback, and nothing outside client/ or under /api."""

from __future__ import annotations

import pytest
import requests

from .conftest import LiveServer

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("path", "content_type", "cache_control"),
    [
        ("/", "text/html; charset=utf-8", "no-cache"),
        ("/index.html", "text/html; charset=utf-8", "no-cache"),
        ("/sw.js", "text/javascript; charset=utf-8", "no-cache"),
        ("/js/app.js", "text/javascript; charset=utf-8", "no-cache"),
        ("/css/app.css", "text/css; charset=utf-8", "no-cache"),
        ("/manifest.webmanifest", "application/manifest+json", "no-cache"),
        ("/icons/icon-192.png", "image/png", "public, max-age=604800"),
        ("/icons/icon-maskable-512.png", "image/png", "public, max-age=604800"),
    ],
)
def test_content_type_and_cache_policy(live_server: LiveServer, path: str, content_type: str, cache_control: str) -> None:
    res = requests.get(live_server.base_url + path, timeout=10)
    assert res.status_code == 200
    assert res.headers["Content-Type"] == content_type
    assert res.headers["Cache-Control"] == cache_control
    assert res.headers["X-Content-Type-Options"] == "nosniff"


def test_service_worker_headers(live_server: LiveServer) -> None:
    res = requests.get(live_server.base_url + "/sw.js", timeout=10)
    assert res.headers["Service-Worker-Allowed"] == "/"


def test_shell_has_a_strict_content_security_policy(live_server: LiveServer) -> None:
    csp = requests.get(live_server.base_url + "/", timeout=10).headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp


def test_shell_revalidates_with_an_etag(live_server: LiveServer) -> None:
    first = requests.get(live_server.base_url + "/", timeout=10)
    again = requests.get(live_server.base_url + "/", headers={"If-None-Match": first.headers["ETag"]}, timeout=10)
    assert again.status_code == 304


@pytest.mark.parametrize("path", ["/checkin", "/history/week"])
def test_app_paths_fall_back_to_the_shell(live_server: LiveServer, path: str) -> None:
    res = requests.get(live_server.base_url + path, timeout=10)
    assert res.status_code == 200
    assert '<script type="module" src="/js/app.js"></script>' in res.text


@pytest.mark.parametrize(
    "path",
    [
        "/missing.js",
        "/icons/make_icons.py",
        "/../pyproject.toml",
        "/%2e%2e/pyproject.toml",
        "/js/..%2f..%2fpyproject.toml",
        "/..%2fserver/strideguard/web.py",
        "/.git/config",
    ],
)
def test_nothing_else_is_served(live_server: LiveServer, path: str) -> None:
    # A raw request line: requests would normalise the dots away.
    with requests.Session() as session:
        req = requests.Request("GET", live_server.base_url + path).prepare()
        req.url = live_server.base_url + path
        res = session.send(req, timeout=10)
    assert res.status_code == 404
    assert "[project]" not in res.text and "Blueprint" not in res.text


def test_api_paths_are_never_the_shell(live_server: LiveServer) -> None:
    res = requests.get(live_server.base_url + "/api/v1/no-such-thing", timeout=10)
    assert res.status_code in (401, 404)
    assert res.headers["Content-Type"].startswith("application/json")
    assert "error" in res.json()


def test_service_worker_may_fetch_its_own_origin(live_server: LiveServer) -> None:
    # A worker runs under the CSP of its own script: it must allow fetching the shell.
    csp = requests.get(live_server.base_url + "/sw.js", timeout=10).headers["Content-Security-Policy"]
    assert "connect-src 'self'" in csp and "default-src 'none'" not in csp
