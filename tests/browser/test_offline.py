"""Offline-first: a check-in and a run made offline wait in the IndexedDB outbox, are sent
when the phone is back online, and are stored exactly once on the server, even when the
same requests are replayed again."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import api_json, choose_pain, screenshot, sign_up, wait_for_service_worker

pytestmark = pytest.mark.browser

OUTBOX = "import('/js/outbox.js').then((m) => m.list())"


def stored(page: Any, path: str, key: str) -> list[dict[str, Any]]:
    result = api_json(page, path)
    assert result["status"] == 200, result
    body = result["body"]
    return body if isinstance(body, list) else body[key]


def test_offline_checkin_and_run_are_stored_exactly_once(page: Any, context: Any) -> None:
    sign_up(page)
    wait_for_service_worker(page)

    context.set_offline(True)
    page.reload()  # the shell comes from the service worker's cache
    expect(page.get_by_role("heading", name=re.compile("^Check-in"))).to_be_visible()
    expect(page.locator("#net-status")).to_have_text("Offline")

    choose_pain(page, 2)
    page.get_by_role("radio", name="Outside of the knee").click()
    page.get_by_role("button", name="Save check-in").click()
    expect(page.get_by_text("Saved on this phone. Advice appears when you are back online.")).to_be_visible()
    expect(page.locator("#outbox-status")).to_contain_text("1 waiting to send")

    page.get_by_role("navigation", name="Screens").get_by_role("link", name="Run").click()
    page.get_by_label("Distance (km)").fill("5")
    page.get_by_label("Time (h:mm:ss)").fill("31")
    page.get_by_label("Pain during (0-10)").select_option("1")
    page.get_by_role("button", name="Save run").click()
    status = page.locator("#outbox-status")
    expect(status).to_contain_text("2 waiting to send")
    expect(status).to_contain_text("Check-in for")
    expect(status).to_contain_text("Run on")
    screenshot(page, "10-offline-outbox")
    queued = page.evaluate(OUTBOX)
    assert sorted(item["method"] for item in queued) == ["PUT", "PUT"]

    context.set_offline(False)  # the `online` event replays the outbox
    expect(status).to_be_hidden(timeout=15000)
    assert page.evaluate(OUTBOX) == []

    checkins = stored(page, "/checkins", "checkins")
    runs = stored(page, "/runs", "runs")
    assert [(c["pain"], c["location"]) for c in checkins] == [(2, "outside")]
    assert [(r["distance_m"], r["duration_s"], r["pain_during"]) for r in runs] == [(5000, 1860, 1)]

    # A replay of the very same requests (say the phone lost the server's answer) must
    # not create a second check-in or run: PUT by date and by client UUID.
    page.evaluate(
        """async (items) => {
            const outbox = await import('/js/outbox.js');
            for (const item of items) await outbox.enqueue(item);
            const sync = await import('/js/sync.js');
            await sync.replay();
        }""",
        queued,
    )
    assert page.evaluate(OUTBOX) == []
    assert len(stored(page, "/checkins", "checkins")) == 1
    assert [r["id"] for r in stored(page, "/runs", "runs")] == [r["id"] for r in runs]


def test_failed_send_waits_and_visibility_change_replays_it(page: Any, console: Any) -> None:
    console.allow(r"net::ERR_FAILED")  # the request aborted below on purpose
    sign_up(page)
    wait_for_service_worker(page)
    # Online, but the request never reaches the server (a flaky connection): the
    # check-in must wait in the outbox rather than be lost.
    page.route("**/api/v1/checkins/*", lambda route: route.abort())
    page.evaluate("""() => navigator.serviceWorker.addEventListener(
        'message', (e) => e.stopImmediatePropagation(), true)""")  # isolate the trigger below
    choose_pain(page, 1)
    page.get_by_role("button", name="Save check-in").click()
    expect(page.locator("#outbox-status")).to_contain_text("1 waiting to send")
    page.unroute("**/api/v1/checkins/*")
    page.wait_for_timeout(300)
    expect(page.locator("#outbox-status")).to_contain_text("1 waiting to send")
    # Coming back to the app (visibilitychange) sends what waits.
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(page.locator("#outbox-status")).to_be_hidden(timeout=15000)
    assert [c["pain"] for c in stored(page, "/checkins", "checkins")] == [1]


def test_sign_out_clears_the_outbox(page: Any, context: Any) -> None:
    sign_up(page)
    wait_for_service_worker(page)
    context.set_offline(True)
    choose_pain(page, 3)
    page.get_by_role("button", name="Save check-in").click()
    expect(page.locator("#outbox-status")).to_contain_text("1 waiting to send")
    page.goto("/#settings")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"#signin$"))
    assert page.evaluate(OUTBOX) == []
    expect(page.locator("#outbox-status")).to_be_hidden()
