"""The runner's record, editable (issue 22), in Debian's Chromium at phone (390x844) and
desktop (1280x800) size, driven by label and role: edit a run from History and see the
week and the plan change; delete a check-in with undo (undo keeps it, a lapse deletes it
on the server); edit and delete offline, reconnect, and exactly one change per entry
reaches the server; Today shows the saved check-in prefilled; a run typed as 0:52:30
shows its pace. What the server stored is read back through the API each time."""

from __future__ import annotations

import re
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import api_json, choose_pain, sign_up, wait_for_service_worker

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
RUN_ID = "0c9b8a7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"
CLIENT = Path(__file__).resolve().parents[2] / "client" / "js"


def js_constant(file: str, name: str) -> int:
    """A timing constant of the client's code, read from its source."""
    return int(re.search(rf"const {name} = (\d+);", (CLIENT / file).read_text()).group(1))


#: How long a deletion can be undone, and how much longer a held deletion waits when its page
#: is gone. The tests drive the page's clock (Playwright's ``page.clock``) past them.
UNDO_MS = js_constant("entries.js", "UNDO_MS")
HOLD_GRACE_MS = js_constant("sync.js", "HOLD_GRACE_MS")
OUTBOX = """async () => {
    const outbox = await import('/js/outbox.js');
    return (await outbox.list({held: true})).map((i) => ({key: i.key, method: i.method, body: i.body ?? null}));
}"""


@pytest.fixture(params=["phone", "desktop"])
def sized(request: Any, browser: Any, live_server: Any, console: Any) -> Iterator[Any]:
    """A page at phone or desktop size; console errors fail the test."""
    ctx = browser.new_context(**(PHONE if request.param == "phone" else DESKTOP), base_url=live_server.base_url)
    pg = ctx.new_page()
    console.watch(pg)
    pg.size = request.param
    yield pg
    ctx.close()
    assert console.errors == [], "errors in the browser console:\n" + "\n".join(console.errors)


@pytest.fixture
def phone(browser: Any, live_server: Any, console: Any) -> Iterator[tuple[Any, Any]]:
    ctx = browser.new_context(**PHONE, base_url=live_server.base_url)
    pg = ctx.new_page()
    console.watch(pg)
    yield pg, ctx
    ctx.close()
    assert console.errors == [], "errors in the browser console:\n" + "\n".join(console.errors)


def send(page: Any, method: str, path: str, body: dict | None = None) -> dict:
    """An API write with the page's own session and CSRF token."""
    return page.evaluate(
        """async ([method, path, body]) => {
            const me = await (await fetch('/api/v1/me', {credentials: 'same-origin'})).json();
            const res = await fetch('/api/v1' + path, {
                method, credentials: 'same-origin',
                headers: {'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token},
                body: body === null ? undefined : JSON.stringify(body)});
            return {status: res.status, body: res.status === 204 ? null : await res.json()};
        }""",
        [method, path, body],
    )


def today(page: Any) -> date:
    return date.fromisoformat(api_json(page, "/plan")["body"]["today"]["date"])


def day_label(page: Any, day: date) -> str:
    """The app's own "Sun 6 Dec" for a date (the browser's locale decides the order)."""
    return page.evaluate(
        """(iso) => new Date(iso + 'T00:00:00Z').toLocaleDateString(undefined,
            {weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC'})""",
        day.isoformat(),
    )


def open_history(page: Any) -> None:
    page.get_by_role("navigation", name="Screens").get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", name="History", exact=True)).to_be_visible()


def test_edit_a_runs_distance_and_see_the_week_and_the_plan_change(sized: Any) -> None:
    page = sized
    sign_up(page)
    day = today(page)
    # A mistyped 32 km for 8.2 km, 50 minutes (82 km in 50 minutes is refused outright now:
    # faster than anyone runs, 45 km/h).
    assert send(page, "PUT", f"/runs/{RUN_ID}", {"date": day.isoformat(), "distance_m": 32000, "duration_s": 3000})["status"] == 201
    open_history(page)
    week = page.locator("#week-line")
    plan = page.get_by_role("region", name="Your plan")
    expect(week).to_have_text("This week: 32.0 km in 1 run · 1:34 /km")
    expect(plan).to_contain_text("This week: 32.0 km of")
    plan_before = plan.inner_text()
    page.wait_for_timeout(1100)  # a correction comes later than the save (the edited mark)

    edit = page.get_by_role("button", name=f"Edit run of {day_label(page, day)}, 32.0 km")
    edit.click()
    expect(page.get_by_role("heading", name=f"Edit run · {day_label(page, day)}")).to_be_visible()
    # The History tab leads back to the list from the editor (same hash, no navigation).
    page.get_by_role("navigation", name="Screens").get_by_role("link", name="History").click()
    expect(week).to_be_visible()
    edit.click()
    expect(page.get_by_role("heading", name=f"Edit run · {day_label(page, day)}")).to_be_visible()
    form = page.get_by_role("form", name="Edit run")
    expect(form.get_by_label("Distance (km)")).to_have_value("32")
    expect(form.get_by_label("Time (h:mm:ss)")).to_have_value("0:50:00")
    expect(form.get_by_text("Pace: 1:34 /km")).to_be_visible()
    form.get_by_label("Distance (km)").fill("8.2")
    expect(form.get_by_text("Pace: 6:06 /km")).to_be_visible()
    if page.size == "phone":
        page.screenshot(path="/tmp/record-edit-run-phone.png", full_page=True)
    form.get_by_role("button", name="Save changes").click()

    expect(page.get_by_role("heading", name="History", exact=True)).to_be_visible()
    expect(week).to_have_text("This week: 8.2 km in 1 run · 6:06 /km")
    expect(plan).to_contain_text("This week: 8.2 km of")
    assert plan.inner_text() != plan_before
    entry = page.locator("#history-entries li", has_text="8.2 km in 0:50:00")
    expect(entry).to_contain_text("6:06 /km")
    expect(entry).to_contain_text("edited")
    page.get_by_text("Show as a table").click()
    table = page.get_by_role("table", name="Last 12 weeks")
    expect(table.get_by_role("columnheader", name="Pace")).to_be_visible()
    expect(table).to_contain_text("6:06 /km")
    if page.size == "phone":
        page.screenshot(path="/tmp/record-history-phone.png", full_page=True)

    runs = api_json(page, "/runs")["body"]
    assert [(r["id"], r["distance_m"], r["duration_s"], r["edited"]) for r in runs] == [(RUN_ID, 8200, 3000, True)]
    assert api_json(page, "/load")["body"]["current"]["distance_m"] == 8200


def test_delete_a_checkin_with_undo_then_let_it_lapse(sized: Any, console: Any) -> None:
    page = sized
    console.allow(r"404")  # this test's own GET of the deleted check-in, at the end
    page.clock.install()  # the page's own timers: the undo window runs on the test's word
    sign_up(page)
    day = today(page) - timedelta(days=1)
    assert send(page, "PUT", f"/checkins/{day}", {"pain": 2, "swelling": True})["status"] == 201
    open_history(page)
    entries = page.locator("#history-entries")
    expect(entries).to_contain_text("Pain 2/10, swelling")
    delete = page.get_by_role("button", name=f"Delete check-in of {day_label(page, day)}")

    delete.click()
    bar = page.locator("#snackbar")
    expect(bar.get_by_role("status")).to_have_text("Check-in deleted ·")
    expect(page.get_by_text("Nothing logged yet")).to_be_visible()
    assert api_json(page, f"/checkins/{day}")["status"] == 200  # nothing sent in the window
    bar.get_by_role("button", name="Undo").click()
    expect(bar).to_be_hidden()
    expect(entries).to_contain_text("Pain 2/10, swelling")
    page.clock.run_for(UNDO_MS + 1000)  # past the undo window: still nothing sent
    assert api_json(page, f"/checkins/{day}")["body"]["pain"] == 2
    assert page.evaluate(OUTBOX) == []

    delete.click()
    expect(bar.get_by_role("button", name="Undo")).to_be_visible()
    page.clock.run_for(UNDO_MS - 500)
    expect(bar.get_by_role("button", name="Undo")).to_be_visible()  # not before the window ends
    with page.expect_response(lambda r: r.request.method == "DELETE") as deleted:
        page.clock.run_for(600)  # the window lapses: the DELETE is sent
    assert deleted.value.status == 204
    expect(bar).to_be_hidden()
    expect(page.get_by_text("Nothing logged yet")).to_be_visible()
    assert api_json(page, f"/checkins/{day}")["status"] == 404
    assert api_json(page, "/checkins")["body"] == []
    assert page.evaluate(OUTBOX) == []


def test_offline_edits_and_deletions_reach_the_server_exactly_once(phone: tuple[Any, Any], console: Any) -> None:
    page, ctx = phone
    console.allow(r"404")  # the offline-only run's DELETE finds nothing on the server: done
    page.clock.install()
    sign_up(page)
    wait_for_service_worker(page)
    day = today(page)
    yesterday = day - timedelta(days=1)
    assert send(page, "PUT", f"/runs/{RUN_ID}", {"date": day.isoformat(), "distance_m": 8000, "duration_s": 2880})["status"] == 201
    assert send(page, "PUT", f"/checkins/{yesterday}", {"pain": 3})["status"] == 201
    open_history(page)
    page.wait_for_timeout(1100)

    ctx.set_offline(True)
    writes: list[str] = []
    page.on("request", lambda r: writes.append(f"{r.method} {r.url.split('/api/v1')[1]}")
            if "/api/v1/" in r.url and r.method in ("PUT", "DELETE") else None)
    label = day_label(page, day)

    # Edit the run twice offline: the second edit replaces the first in the outbox.
    for old, new in (("8.0", "9"), ("9.0", "9.5")):
        page.get_by_role("button", name=f"Edit run of {label}, {old} km").click()
        page.get_by_label("Distance (km)").fill(new)
        page.get_by_role("button", name="Save changes").click()
        expect(page.get_by_role("heading", name="History", exact=True)).to_be_visible()
        expect(page.locator("#history-entries li", has_text=f"{float(new):.1f} km")).to_contain_text("waiting to send")

    # A run logged offline and deleted before it was ever sent: must never appear.
    page.get_by_role("navigation", name="Screens").get_by_role("link", name="Run").click()
    page.get_by_label("Distance (km)").fill("3")
    page.get_by_label("Time (h:mm:ss)").fill("20:00")
    # The edit's toast is still up (5 s) at the bottom of the phone's screen, where the Save
    # button is: a tap on it reaches what lies beneath (it used to swallow the tap).
    expect(page.locator("#toast")).to_be_visible()
    assert page.locator("#toast").evaluate(
        "(t) => { const r = t.getBoundingClientRect();"
        " return document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) !== t; }")
    page.get_by_role("button", name="Save run").click()
    expect(page.get_by_text("Saved on this phone. Advice appears when you are back online.")).to_be_visible()
    open_history(page)
    page.get_by_role("button", name=f"Delete run of {label}, 3.0 km").click()
    # Its snackbar first (the click queues the DELETE before showing it), then the window lapses.
    expect(page.locator("#snackbar").get_by_role("status")).to_have_text("Run deleted ·")
    page.clock.run_for(UNDO_MS + 100)
    expect(page.locator("#snackbar")).to_be_hidden()

    # Delete yesterday's check-in offline and let the window lapse.
    page.get_by_role("button", name=f"Delete check-in of {day_label(page, yesterday)}").click()
    expect(page.locator("#snackbar").get_by_role("status")).to_have_text("Check-in deleted ·")
    page.clock.run_for(UNDO_MS + 100)
    expect(page.locator("#snackbar")).to_be_hidden()
    queued = sorted((i["method"], i["key"].split(":")[0], (i["body"] or {}).get("distance_m")) for i in page.evaluate(OUTBOX))
    assert queued == [("DELETE", "checkin", None), ("DELETE", "run", None), ("PUT", "run", 9500)]
    assert writes == []
    expect(page.locator("#outbox-status")).to_contain_text("3 waiting to send")

    ctx.set_offline(False)
    expect(page.locator("#outbox-status")).to_be_hidden(timeout=15000)
    assert page.evaluate(OUTBOX) == []
    assert sorted(w.split("/")[1] + " " + w.split(" ")[0] for w in writes) == ["checkins DELETE", "runs DELETE", "runs PUT"]
    assert f"PUT /runs/{RUN_ID}" in writes

    runs = api_json(page, "/runs")["body"]
    assert [(r["id"], r["distance_m"], r["edited"]) for r in runs] == [(RUN_ID, 9500, True)]
    assert api_json(page, "/checkins")["body"] == []
    # A second replay of nothing changes nothing; a reload shows the same.
    page.reload()
    open_history(page)
    expect(page.locator("#history-entries li")).to_have_count(1)
    expect(page.locator("#history-entries")).to_contain_text("9.5 km")


def test_today_shows_the_saved_checkin_prefilled_and_edits_it(phone: tuple[Any, Any]) -> None:
    page, _ = phone
    sign_up(page)
    choose_pain(page, 4)
    page.get_by_role("radio", name="Below the kneecap").click()
    page.get_by_label("Swelling", exact=True).check()
    page.get_by_role("button", name="Save check-in").click()
    expect(page.get_by_role("region", name="Guidance for today")).to_be_visible()

    page.get_by_role("navigation", name="Screens").get_by_role("link", name="Run").click()
    page.get_by_role("navigation", name="Screens").get_by_role("link", name="Today").click()
    expect(page.get_by_text("You checked in today: pain 4/10.")).to_be_visible()
    scale = page.get_by_role("group", name="Worst knee pain in the last 24 hours")
    expect(scale.get_by_role("radio", name="4", exact=True)).to_be_checked()
    expect(page.get_by_label("Swelling", exact=True)).to_be_checked()
    expect(page.get_by_role("radio", name="Below the kneecap")).to_have_attribute("aria-checked", "true")
    page.screenshot(path="/tmp/record-today-prefilled-phone.png", full_page=True)

    page.reload()  # also after a reload
    expect(scale.get_by_role("radio", name="4", exact=True)).to_be_checked()
    choose_pain(page, 2)
    page.get_by_label("Swelling", exact=True).uncheck()
    page.get_by_role("button", name="Save check-in").click()
    expect(page.get_by_text("Pain 2/10 saved for")).to_be_visible()
    [stored] = api_json(page, "/checkins")["body"]
    assert (stored["pain"], stored["swelling"], stored["location"]) == (2, False, "below_kneecap")


def test_a_run_typed_as_h_mm_ss_shows_its_pace_and_pace_fills_the_time(sized: Any) -> None:
    page = sized
    sign_up(page)
    page.get_by_role("navigation", name="Screens").get_by_role("link", name="Run").click()
    page.get_by_label("Distance (km)").fill("10")
    page.get_by_label("Time (h:mm:ss)").fill("0:52:30")
    expect(page.get_by_text("Pace: 5:15 /km")).to_be_visible()
    page.get_by_role("button", name="Save run").click()
    expect(page.get_by_role("region", name="Guidance for today")).to_be_visible()
    [run] = api_json(page, "/runs")["body"]
    assert (run["distance_m"], run["duration_s"]) == (10000, 3150)

    # A runner who knows the pace: 8 km at 5:30 fills in 0:44:00; a new distance refills it.
    page.get_by_label("Distance (km)").fill("8")
    page.get_by_label("Pace (min/km, optional)").fill("5:30")
    expect(page.get_by_label("Time (h:mm:ss)")).to_have_value("0:44:00")
    page.get_by_label("Distance (km)").fill("6")
    expect(page.get_by_label("Time (h:mm:ss)")).to_have_value("0:33:00")
    page.get_by_label("Time (h:mm:ss)").fill("1:75")
    page.get_by_role("button", name="Save run").click()
    expect(page.get_by_role("alert").filter(has_text="for example 0:52:30")).to_be_visible()
    assert len(api_json(page, "/runs")["body"]) == 1

    open_history(page)
    expect(page.locator("#history-entries")).to_contain_text("10.0 km in 0:52:30 · 5:15 /km")
    expect(page.locator("#week-line")).to_have_text("This week: 10.0 km in 1 run · 5:15 /km")
    page.get_by_text("Show as a table").click()
    headers = page.get_by_role("table", name="Last 12 weeks").get_by_role("columnheader")
    expect(headers).to_have_text(["Week of", "Distance", "Runs", "Pace", "Avg pain", "Worst pain"])
    # Headers never break inside a word: the line boxes of each word (a Range over it)
    # are one rectangle, i.e. the word sits on one line.
    cut = page.evaluate("""() => [...document.querySelectorAll('table.data th')].flatMap((th) => {
        const text = th.firstChild;
        const words = [];
        for (const m of text.textContent.matchAll(/\\S+/g)) {
            const range = document.createRange();
            range.setStart(text, m.index);
            range.setEnd(text, m.index + m[0].length);
            const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
            if (lines.size > 1) words.push(m[0]);
        }
        return words;
    })""")
    assert cut == []


def test_a_deletion_whose_page_was_reloaded_in_the_window_is_still_sent_once(phone: tuple[Any, Any]) -> None:
    page, _ = phone
    page.clock.install()
    sign_up(page)
    day = today(page)
    assert send(page, "PUT", f"/runs/{RUN_ID}", {"date": day.isoformat(), "distance_m": 5000, "duration_s": 1800})["status"] == 201
    open_history(page)
    page.get_by_role("button", name=f"Delete run of {day_label(page, day)}, 5.0 km").click()
    expect(page.locator("#snackbar").get_by_role("status")).to_have_text("Run deleted ·")
    page.reload()  # the snackbar and its timer are gone; the held DELETE is not
    expect(page.get_by_role("heading", name="History", exact=True)).to_be_visible()
    expect(page.get_by_text("Nothing logged yet")).to_be_visible()  # still hidden: it waits
    assert [r["id"] for r in api_json(page, "/runs")["body"]] == [RUN_ID]
    page.clock.run_for(UNDO_MS)  # the window is over, the hold is not (its grace)
    assert [r["id"] for r in api_json(page, "/runs")["body"]] == [RUN_ID]
    # The hold ends (window + grace) and the app sends the DELETE by itself, once.
    page.clock.run_for(HOLD_GRACE_MS + 100)
    deadline = time.monotonic() + 20
    while (api_json(page, "/runs")["body"] or page.evaluate(OUTBOX)) and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert api_json(page, "/runs")["body"] == []
    assert page.evaluate(OUTBOX) == []
