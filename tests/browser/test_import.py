"""Import a Strava-style export through the PWA: pick the zip, watch the progress bar reach
100%, read the per-file results, and find the imported runs (with their source) in history."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.imports.support import fixture, strava_export

from .conftest import api_json, api_put, screenshot, sign_up

pytestmark = pytest.mark.browser


def test_import_a_strava_export_and_see_the_runs_in_history(page: Any, tmp_path) -> None:
    export = tmp_path / "export_20260101.zip"
    export.write_bytes(strava_export())
    sign_up(page)
    page.get_by_role("navigation", name="Screens").get_by_role("link", name="History").click()
    page.get_by_role("link", name="Import runs from a watch or Strava").click()
    expect(page.get_by_role("heading", name="Import runs")).to_be_visible()

    page.get_by_label("Activity file or zip").set_input_files(str(export))
    expect(page.get_by_text("Chosen: export_20260101.zip")).to_be_visible()
    # Record every value the progress bar shows while the import runs.
    page.evaluate("""() => { window.__progress = []; new MutationObserver(() => {
        const bar = document.querySelector('progress'); if (bar) window.__progress.push(bar.value);
      }).observe(document.getElementById('main'), {subtree: true, childList: true, attributes: true}); }""")
    page.get_by_role("button", name="Import").click()

    bar = page.get_by_role("progressbar", name="Import progress")
    expect(bar).to_have_attribute("aria-valuenow", "100", timeout=60_000)
    result = page.get_by_role("region", name="Import result")
    expect(result.locator(".import-summary")).to_have_text("5 added, 0 already there, 3 skipped, 0 could not be read.")
    expect(result.get_by_role("region", name="Skipped")).to_contain_text("Not a run (cycling): only runs are imported.")
    seen = page.evaluate("window.__progress")
    assert seen and seen[-1] == 100 and seen == sorted(seen)
    screenshot(page, "20-import-result")

    stored = api_json(page, "/imports")["body"]
    assert [(i["status"], i["created"]) for i in stored] == [("done", 5)]

    # The fenix2 run of 15 Aug 2015: "See in history" opens the weeks around it.
    line = result.get_by_role("region", name="Added").locator("li", has_text="Aug 15 2015")
    line.get_by_role("button", name="See in history").click()
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    entry = page.locator(".entries li", has_text=re.compile(r"9\.0 km in 0:47:\d\d · 5:14 /km"))
    expect(entry).to_be_visible()
    expect(entry.locator(".source")).to_have_text("from FIT · Garmin fenix2")
    screenshot(page, "21-history-imported-run")

    # Importing the same export again adds nothing.
    page.goto("/#import")
    page.get_by_label("Activity file or zip").set_input_files(str(export))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("region", name="Import result").locator(".import-summary")).to_have_text(
        "0 added, 5 already there, 3 skipped, 0 could not be read.", timeout=60_000)


def test_a_ride_without_a_sport_waits_for_the_runners_answer(page: Any, tmp_path) -> None:
    """A road ride GPX that names no sport shows under "Needs your answer"; "Skip" removes it
    (nothing is added); the same file again, answered "This was a run", is added."""
    ride = tmp_path / "ride.gpx"
    ride.write_bytes(fixture("mapmyride-road-ride-no-type.gpx"))
    sign_up(page)
    page.goto("/#import")
    expect(page.get_by_role("heading", name="Import runs")).to_be_visible()
    page.get_by_label("Activity file or zip").set_input_files(str(ride))
    page.get_by_role("button", name="Import").click()

    result = page.get_by_role("region", name="Import result")
    held = result.get_by_role("region", name="Needs your answer")
    expect(held).to_contain_text("Was it a run?", timeout=60_000)
    expect(result.locator(".import-summary")).to_have_text(
        "0 added, 0 already there, 0 skipped, 0 could not be read. 1 needs your answer.")
    question = held.get_by_role("group", name="Was ride.gpx a run?")
    expect(question.get_by_role("button", name="This was a run")).to_be_visible()
    screenshot(page, "22-import-needs-answer")
    question.get_by_role("button", name="Skip").click()

    expect(result.get_by_role("region", name="Needs your answer")).to_have_count(0)
    expect(page.get_by_role("region", name="Import result").get_by_role("region", name="Skipped")).to_contain_text(
        "Skipped: you said it was not a run.")
    expect(page.get_by_role("region", name="Import result").locator(".import-summary")).to_have_text(
        "0 added, 0 already there, 1 skipped, 0 could not be read.")
    [stored] = api_json(page, "/imports")["body"]
    assert (stored["held"], stored["skipped"], stored["created"]) == (0, 1, 0)
    assert api_json(page, "/export")["body"]["runs"] == []

    # Again, and this time it was a run, answered later: after a reload, from "Earlier imports".
    page.get_by_label("Activity file or zip").set_input_files(str(ride))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("region", name="Import result").get_by_role("region", name="Needs your answer")).to_be_visible(
        timeout=60_000)
    page.reload()
    expect(page.get_by_role("heading", name="Import runs")).to_be_visible()
    page.get_by_role("button", name="Answer 1 file").click()
    again = page.get_by_role("region", name="Import result").get_by_role("region", name="Needs your answer")
    expect(again).to_contain_text("Was it a run?")
    again.get_by_role("button", name="This was a run").click()
    added = page.get_by_role("region", name="Import result").get_by_role("region", name="Added")
    expect(added).to_contain_text("ride.gpx")
    expect(page.get_by_role("region", name="Needs your answer")).to_have_count(0)
    expect(page.get_by_role("button", name="Answer 1 file")).to_have_count(0)
    runs = api_json(page, "/export")["body"]["runs"]
    assert [(r["date"], r["source"]) for r in runs] == [("2022-11-12", "gpx")]
    screenshot(page, "23-import-answered-run")


def test_a_second_run_of_the_day_taken_for_a_duplicate_is_added_on_one_tap(page: Any, tmp_path) -> None:
    """A watch file of the day's second run looks like the run typed that morning: it shows as
    already saved, with "It was another run: add it"; one tap adds it."""
    watch = tmp_path / "evening.fit"
    watch.write_bytes(fixture("garmin-fr110-run.fit"))
    sign_up(page)
    put = api_put(page, "/runs/0b6f6c2e-3c1d-4a51-9a7e-2f8d5f0c9b11",
                  {"date": "2013-02-06", "distance_m": 4900, "duration_s": 2600})
    assert put["status"] == 201
    page.goto("/#import")
    page.get_by_label("Activity file or zip").set_input_files(str(watch))
    page.get_by_role("button", name="Import").click()
    result = page.get_by_role("region", name="Import result")
    question = result.get_by_role("group", name="Was evening.fit another run?")
    expect(question).to_be_visible(timeout=60_000)
    question.get_by_role("button", name="It was another run: add it").click()
    expect(result.get_by_role("region", name="Added")).to_contain_text("evening.fit")
    expect(result.get_by_role("group", name="Was evening.fit another run?")).to_have_count(0)
    runs = api_json(page, "/export")["body"]["runs"]
    assert sorted(r["source"] for r in runs) == ["fit", "manual"]
