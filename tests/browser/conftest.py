"""Fixtures for real-browser tests: a real StrideGuard server process on 127.0.0.1, the
local push service, Debian's Chromium driven by Playwright, and a phone-sized context.

Every page opened through the ``page`` fixture records console errors and uncaught page
errors; a test that produced any fails in teardown.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
SCREENSHOTS = REPO / "test-output" / "screenshots"
PHONE = "Pixel 7"
PASSWORD = "knee-friendly-2026"


def free_port() -> int:
    """A TCP port that is free right now on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    """A running ``strideguard run`` process and how to reach it."""

    base_url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log_path: Path

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run ``strideguard <args>`` against this server's instance (same database and keys)."""
        return subprocess.run(
            [sys.executable, "-m", "strideguard.cli", *args],
            env=self.env, cwd=REPO, capture_output=True, text=True, timeout=timeout, check=True,
        )

    def stop(self) -> None:
        """Stop the server (SIGTERM to its PID; the CLI stops its own children)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_server(instance: Path, extra_env: dict[str, str] | None = None) -> LiveServer:
    """Start ``strideguard run --no-worker`` on a free port and wait until it answers."""
    port = free_port()
    env = dict(os.environ)
    env.update({
        "PYTHONPATH": os.pathsep.join([str(REPO / "server"), str(REPO / "plugins"), env.get("PYTHONPATH", "")]),
        "STRIDEGUARD_INSTANCE_PATH": str(instance),
        "STRIDEGUARD_RATELIMIT_ENABLED": "0",
        "STRIDEGUARD_LOG_LEVEL": "WARNING",
        # As every served test: the cheapest argon2 parameters (production's RFC 9106 profile
        # costs ~0.15 s of CPU per sign-up and sign-in, and every test signs up its runners).
        "STRIDEGUARD_ARGON2_PROFILE": "CHEAPEST",
    })
    env.update(extra_env or {})
    log_path = instance / "server.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "strideguard.cli", "run", "--host", "127.0.0.1", "--port", str(port),
         "--no-worker", "--workers", "4"],
        env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
    )
    server = LiveServer(f"http://127.0.0.1:{port}", env, proc, log_path)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{log_path.read_text()[-4000:]}")
            try:
                if requests.get(server.base_url + "/manifest.webmanifest", timeout=5).status_code == 200:
                    return server
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"server did not start:\n{log_path.read_text()[-4000:]}")
    except BaseException:
        server.stop()  # never leave a server process behind
        raise


@pytest.fixture(scope="package")
def push_service() -> Iterator[Any]:
    """The local push service (tests/support/pushservice.py) for the whole session."""
    from tests.support.pushservice import LocalPushService

    with LocalPushService() as service:
        yield service


@pytest.fixture(scope="package")
def live_server(tmp_path_factory: pytest.TempPathFactory, push_service: Any) -> Iterator[LiveServer]:
    """One real server for the session; every test signs up its own runner."""
    instance = tmp_path_factory.mktemp("instance")
    server = start_server(instance, {"STRIDEGUARD_PUSH_ALLOWED_HOSTS": push_service.host_port})
    yield server
    server.stop()


# Package scope: Playwright's sync API keeps an event loop running in the main thread while
# it is open, so it must be closed before tests that call asyncio.run() (tests/push).
@pytest.fixture(scope="package")
def playwright_api() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(playwright_api: Any) -> Iterator[Any]:
    browser = playwright_api.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Any, playwright_api: Any, live_server: LiveServer) -> Iterator[Any]:
    """A fresh phone-sized browser profile allowed to show notifications."""
    ctx = browser.new_context(**playwright_api.devices[PHONE], base_url=live_server.base_url)
    ctx.grant_permissions(["notifications"], origin=live_server.base_url)
    yield ctx
    ctx.close()


@dataclass
class ConsoleLog:
    """Console errors and uncaught exceptions seen in a page."""

    errors: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def allow(self, pattern: str) -> None:
        """Ignore console errors matching ``pattern`` (for a test that provokes them)."""
        self.allowed.append(re.compile(pattern))

    def _console(self, msg: Any) -> None:
        if msg.type == "error" and not any(p.search(msg.text) for p in self.allowed):
            self.errors.append(f"console: {msg.text}")

    def watch(self, page: Any) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))


@pytest.fixture
def console() -> ConsoleLog:
    return ConsoleLog()


@pytest.fixture
def page(context: Any, console: ConsoleLog) -> Iterator[Any]:
    """A page in the phone context; fails the test in teardown if the console showed errors."""
    pg = context.new_page()
    console.watch(pg)
    yield pg
    assert console.errors == [], "errors in the browser console:\n" + "\n".join(console.errors)


def new_email() -> str:
    return f"runner-{uuid.uuid4().hex[:10]}@example.org"


def sign_up(page: Any, email: str | None = None) -> str:
    """Create an account through the sign-up form, as a person would. Returns the email."""
    email = email or new_email()
    page.goto("/")
    form = page.get_by_role("form", name="Create an account")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Create account").click()
    page.get_by_role("heading", name="Check-in", exact=False).wait_for()
    return email


def wait_for_service_worker(page: Any) -> None:
    """Wait until the service worker is active and controls the page."""
    page.evaluate("navigator.serviceWorker.ready")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15000)


def api_json(page: Any, path: str) -> Any:
    """GET an API path with the page's own session (what the server really stored)."""
    return page.evaluate(
        """async (path) => {
            const res = await fetch('/api/v1' + path, {credentials: 'same-origin'});
            return {status: res.status, body: await res.json()};
        }""",
        path,
    )


def api_put(page: Any, path: str, body: dict) -> dict:
    """PUT with the page's own session and CSRF token (what the app itself sends)."""
    return page.evaluate(
        """async ([path, body]) => {
            const me = await (await fetch('/api/v1/me', {credentials: 'same-origin'})).json();
            const res = await fetch('/api/v1' + path, {
                method: 'PUT', credentials: 'same-origin',
                headers: {'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token},
                body: JSON.stringify(body)});
            return {status: res.status, body: await res.json()};
        }""",
        [path, body],
    )


def screenshot(page: Any, name: str) -> Path:
    """Save a phone-size screenshot under test-output/screenshots/ (git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def fresh_instance(tmp_path: Path) -> Path:
    """A throwaway instance folder for a test that needs its own server."""
    path = tmp_path / "instance"
    path.mkdir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


def choose_pain(page: Any, value: int) -> None:
    """Tap a number on the check-in's 0-10 pain scale (by its accessible name)."""
    names = {0: "0, none", 3: "3, mild", 5: "5, moderate", 10: "10, worst"}
    scale = page.get_by_role("group", name="Worst knee pain in the last 24 hours")
    scale.get_by_role("radio", name=names.get(value, str(value)), exact=True).check()
