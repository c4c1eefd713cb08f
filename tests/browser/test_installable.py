"""Installability, service-worker control and the shell opening with no server at all."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import (
    CHROMIUM, CHROMIUM_ARGS, ConsoleLog, LiveServer, choose_pain, sign_up, start_server,
    wait_for_service_worker,
)

pytestmark = pytest.mark.browser


def test_chromium_reports_no_installability_errors(playwright_api: Any, live_server: LiveServer, tmp_path: Path) -> None:
    # A persistent profile: in an incognito-like context Chromium always says "in-incognito".
    ctx = playwright_api.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS,
        viewport={"width": 412, "height": 839}, is_mobile=True, has_touch=True, device_scale_factor=2.625,
    )
    try:
        page = ctx.new_page()
        page.goto(live_server.base_url + "/")
        page.get_by_role("heading", name="Welcome to StrideGuard").wait_for()
        wait_for_service_worker(page)
        cdp = ctx.new_cdp_session(page)
        result = cdp.send("Page.getInstallabilityErrors")
        assert result["installabilityErrors"] == []
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["errors"] == []
        assert manifest["url"] == live_server.base_url + "/manifest.webmanifest"
    finally:
        ctx.close()


def test_service_worker_controls_the_page(page: Any, context: Any, live_server: LiveServer) -> None:
    page.goto("/")
    wait_for_service_worker(page)
    script = page.evaluate("navigator.serviceWorker.controller.scriptURL")
    assert script == live_server.base_url + "/sw.js"
    scope = page.evaluate("navigator.serviceWorker.ready.then((r) => r.scope)")
    assert scope == live_server.base_url + "/"
    assert any(w.url == script for w in context.service_workers)
    # The shell is cached under a versioned name, and the API never is.
    caches = page.evaluate("""async () => {
        const names = await caches.keys();
        const out = {};
        for (const n of names) out[n] = (await (await caches.open(n)).keys()).map((r) => new URL(r.url).pathname);
        return out;
    }""")
    assert list(caches) and all(re.fullmatch(r"strideguard-shell-v\d+", name) for name in caches)
    paths = next(iter(caches.values()))
    assert {"/", "/index.html", "/js/app.js", "/css/app.css", "/manifest.webmanifest"} <= set(paths)
    assert not [p for p in paths if p.startswith("/api/")]


def test_shell_opens_and_checks_in_with_the_server_gone(browser: Any, playwright_api: Any, fresh_instance: Path, push_service: Any) -> None:
    server = start_server(fresh_instance, {"STRIDEGUARD_PUSH_ALLOWED_HOSTS": push_service.host_port})
    ctx = browser.new_context(**playwright_api.devices["Pixel 7"], base_url=server.base_url)
    console = ConsoleLog()
    # With the server stopped, every request the app tries fails to connect: expected here
    # (refused; or reset, when the request met a connection the stopping server still held).
    console.allow(r"ERR_CONNECTION_REFUSED|ERR_CONNECTION_RESET|Failed to update a ServiceWorker|An unknown error occurred when fetching the script")
    try:
        page = ctx.new_page()
        console.watch(page)
        sign_up(page)
        wait_for_service_worker(page)
        server.stop()  # not a simulated offline mode: nothing answers on that port any more

        page.reload()
        expect(page.get_by_role("heading", name=re.compile("^Check-in"))).to_be_visible()
        choose_pain(page, 4)
        page.get_by_role("button", name="Save check-in").click()
        expect(page.locator("#outbox-status")).to_contain_text("1 waiting to send")

        page.goto(server.base_url + "/#history")  # a navigation, answered by the cached shell
        expect(page.get_by_role("heading", name="History")).to_be_visible()
        expect(page.get_by_role("alert")).to_contain_text("offline")
        assert console.errors == []
    finally:
        ctx.close()
        server.stop()
