"""The therapist's side of the exercise programme in a real browser, driven by label and role:
a therapist builds a three-exercise programme at desktop size (library search and condition
filter, dose, load, schedule, pain ceiling, a start date dated back), saves version 1, edits
a dose and saves version 2 with its change text; the builder at phone size has no sideways
scrolling; after the runner logs sessions (one with pain above an exercise's ceiling), the
dashboard shows the adherence and the exercise pain, and the patient page draws the exercise
pain on its chart and lists adherence per exercise per week. Screenshots: the builder at
desktop and phone size, the patient chart."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from .conftest import PASSWORD, ConsoleLog, api_json, new_email, screenshot
from .test_clinic_flow import sign_up_therapist

pytestmark = pytest.mark.browser

PT = "Patellar tendinopathy (jumper's knee)"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def desktop(browser: Any, live_server: Any, console: ConsoleLog) -> Iterator[Any]:
    """The therapist's clinic computer."""
    ctx = browser.new_context(viewport=DESKTOP, base_url=live_server.base_url)
    page = ctx.new_page()
    console.watch(page)
    yield page
    ctx.close()
    assert console.errors == [], "errors in the browser console:\n" + "\n".join(console.errors)


class RunnerApi:
    """A runner using the API directly (their phone is not under test here)."""

    def __init__(self, base_url: str, name: str) -> None:
        self.base = base_url + "/api/v1"
        self.http = requests.Session()
        response = self.http.post(f"{self.base}/auth/register", json={
            "email": new_email(), "password": PASSWORD, "timezone": "UTC", "display_name": name}, timeout=30)
        assert response.status_code == 201, response.text
        self.id = response.json()["user"]["id"]
        self.http.headers["X-CSRF-Token"] = response.json()["csrf_token"]

    def invitation_code(self) -> str:
        response = self.http.post(f"{self.base}/me/invitations", timeout=30)
        assert response.status_code == 201, response.text
        return response.json()["code"]

    def put(self, path: str, body: dict) -> None:
        response = self.http.put(f"{self.base}{path}", json=body, timeout=30)
        assert response.status_code in (200, 201), response.text

    def log(self, day: str, *entries: tuple[str, int]) -> dict:
        body = {"date": day, "entries": [{"exercise": ex, "sets": [{"reps": 10}, {"reps": 10}], "pain": pain}
                                         for ex, pain in entries]}
        response = self.http.put(f"{self.base}/exercise-sessions/{uuid.uuid4()}", json=body, timeout=30)
        assert response.status_code == 201, response.text
        return response.json()


def today(offset: int = 0) -> str:
    return (datetime.now(timezone.utc).date() + timedelta(days=offset)).isoformat()


def no_sideways_scroll(page: Any) -> None:
    wide = page.evaluate("""() => [...document.querySelectorAll('main *')]
        .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
        .slice(0, 8).map((el) => `${el.tagName}.${el.className} ${el.getAttribute("name")} ${(el.textContent || "").slice(0, 40)} ${Math.round(el.getBoundingClientRect().right)}`)""")
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"), wide


def add_exercise(builder: Any, search: str, name: str, condition: str | None = None) -> Any:
    builder.get_by_label("Condition").select_option(label=condition or "All conditions")
    builder.get_by_label("Search exercises").fill(search)
    builder.get_by_role("button", name=f"Add {name}", exact=True).click()
    item = builder.get_by_role("group", name=name, exact=True)
    expect(item).to_be_visible()
    return item


def test_a_therapist_builds_edits_and_follows_a_programme(desktop: Any, live_server: Any) -> None:
    page = desktop
    runner = RunnerApi(live_server.base_url, "Robin Rehab")
    sign_up_therapist(page, "Dr Lee")
    code = runner.invitation_code()
    page.goto(f"/#clinic/accept/{code}")
    form = page.get_by_role("form", name="Add a patient")
    expect(form.get_by_label("Invitation code from your patient")).to_have_value(code)
    form.get_by_role("button", name="Add patient").click()
    expect(page.get_by_role("heading", name="Robin Rehab", level=1)).to_be_visible()

    # -- An exercise of the therapist's own: added (it joins the library), then retired; an
    # unsaved item in the builder, with a dose typed, stays through both.
    card = page.get_by_role("region", name="Exercise programme")
    expect(card).to_contain_text("No programme yet.", timeout=20000)  # loads after the page
    builder = card.get_by_role("form", name="Programme builder")
    # The search matches what an exercise trains and its conditions, not only its name.
    builder.get_by_label("Search exercises").fill("glutes")
    expect(builder.get_by_role("button", name="Add Clamshell")).to_be_visible()  # trains hips, glutes
    builder.get_by_label("Search exercises").fill("jumper")
    expect(builder.get_by_role("button", name="Add Wall sit")).to_be_visible()  # patellar tendinopathy
    expect(builder.get_by_role("button", name="Add Clamshell")).to_have_count(0)
    unsaved = add_exercise(builder, "squat", "Mini squat")
    unsaved.get_by_label("Repetitions").fill("8")
    card.get_by_text("Your own exercises (0)").click()
    own = card.get_by_role("form", name="Add your own exercise")
    own.get_by_label("Name").fill("Reverse Nordic")
    own.get_by_label("Instructions").fill("Kneel tall, lean back slowly as far as you control, come up.")
    own.get_by_label("Trains").select_option(label="quadriceps")
    own.get_by_label("Sets").fill("3")
    own.get_by_label("Repetitions").fill("6")
    own.get_by_role("button", name="Add exercise").click()
    expect(page.get_by_role("status").filter(has_text="Exercise added: Reverse Nordic.")).to_be_visible()
    expect(card.get_by_text("Your own exercises (1)")).to_be_visible()
    expect(unsaved.get_by_label("Repetitions")).to_have_value("8")  # the typed dose is still there
    [mine] = [e for e in api_json(page, "/exercises")["body"] if e["source"] == "therapist"]
    assert (mine["name"], mine["dose"], mine["sets"], mine["reps"], mine["trains"]) == ("Reverse Nordic", "reps", 3, 6, ["quadriceps"])
    card.get_by_role("form", name="Programme builder").get_by_label("Search exercises").fill("nordic")
    expect(card.get_by_role("button", name="Add Reverse Nordic")).to_be_visible()
    card.get_by_role("button", name="Retire Reverse Nordic").click()  # the list stays open after adding
    expect(page.get_by_role("status").filter(has_text="Reverse Nordic retired.")).to_be_visible()
    expect(card.get_by_text("Your own exercises (0)")).to_be_visible()
    expect(unsaved.get_by_label("Repetitions")).to_have_value("8")
    unsaved.get_by_role("button", name="Remove Mini squat").click()
    [mine] = [e for e in api_json(page, "/exercises")["body"] if e["source"] == "therapist"]
    assert mine["retired"] is True
    card.get_by_role("form", name="Programme builder").get_by_label("Search exercises").fill("nordic")
    expect(card.get_by_role("button", name="Add Reverse Nordic")).to_have_count(0)

    # -- Build three exercises at desktop size: library search, condition filter, doses.
    builder = card.get_by_role("form", name="Programme builder")
    expect(builder.get_by_label("Search exercises")).to_be_visible()
    bridge = add_exercise(builder, "bridge", "Glute bridge")
    bridge.get_by_label("Sets").fill("3")
    bridge.get_by_label("Repetitions").fill("12")
    bridge.get_by_label("Days a week").fill("3")
    pain_ceiling = bridge.get_by_label("Pain ceiling")
    expect(pain_ceiling.locator("option:checked")).to_have_text("Patient’s pain limit (3/10)")  # the default, shown
    # The condition filter: a wall sit is used for patellar tendinopathy, a clamshell is not.
    builder.get_by_label("Condition").select_option(label=PT)
    builder.get_by_label("Search exercises").fill("clamshell")
    expect(builder.get_by_role("button", name="Add Clamshell")).to_have_count(0)
    wall = add_exercise(builder, "wall", "Wall sit", PT)
    wall.get_by_label("Hold (seconds)").fill("45")
    wall.get_by_label("Holds per set").fill("5")
    wall.get_by_label("Days a week").fill("7")
    wall.get_by_label("Pain ceiling").select_option(label="5/10")
    wall.get_by_label("Note").fill("Stay higher if the tendon aches.")
    clam = add_exercise(builder, "clam", "Clamshell")
    clam.get_by_label("Load", exact=True).select_option(label="Band")
    clam.get_by_label("Weight (kg) or band").fill("red")
    clam.get_by_label("Side").select_option(label="Each side")
    for day in ("Mon", "Wed", "Fri"):  # chosen weekdays instead of days a week
        clam.get_by_label(day, exact=True).check()
    builder.get_by_label("Start date").fill(today(-6))  # prescribed on paper six days ago
    builder.get_by_label("Minimum adherence for the return (%)").fill("60")
    builder.get_by_label("Programme note").fill("Easy runs only until the tendon settles.")
    no_sideways_scroll(page)
    card.screenshot(path=str(screenshot_path("programme-builder-desktop")))
    builder.get_by_role("button", name="Save programme").click()
    expect(page.get_by_role("status").filter(has_text="Programme saved: version 1.")).to_be_visible()

    saved = api_json(page, f"/clinic/patients/{runner.id}/programme")
    assert saved["status"] == 200
    prog = saved["body"]["programme"]
    assert prog["version"] == 1 and prog["starts_on"] == today(-6) and prog["min_adherence_pct"] == 60
    assert prog["note"] == "Easy runs only until the tendon settles."
    by = {i["exercise"]: i for i in prog["items"]}
    assert [i["exercise"] for i in prog["items"]] == ["core.glute_bridge", "core.wall_sit", "core.clamshell"]
    assert (by["core.glute_bridge"]["sets"], by["core.glute_bridge"]["reps"], by["core.glute_bridge"]["per_week"],
            by["core.glute_bridge"]["pain_ceiling"], by["core.glute_bridge"]["ceiling"]) == (3, 12, 3, None, 3)
    assert (by["core.wall_sit"]["reps"], by["core.wall_sit"]["seconds"], by["core.wall_sit"]["per_week"],
            by["core.wall_sit"]["pain_ceiling"], by["core.wall_sit"]["note"]) == (5, 45, 7, 5, "Stay higher if the tendon aches.")
    assert (by["core.clamshell"]["load"], by["core.clamshell"]["band"], by["core.clamshell"]["side"],
            by["core.clamshell"]["weekdays"], by["core.clamshell"]["per_week"]) == ("band", "red", "each", [1, 3, 5], None)

    # -- Edit one dose: version 2, with what changed in words (in the API and on the page).
    card = page.get_by_role("region", name="Exercise programme")
    expect(card.get_by_role("heading", name="Exercise programme, version 1")).to_be_visible()
    assert not re.search(r"\bnull\b|\bundefined\b", card.inner_text())
    bridge = card.get_by_role("group", name="Glute bridge", exact=True)
    expect(bridge.get_by_label("Repetitions")).to_have_value("12")  # the builder opens on the current version
    bridge.get_by_label("Repetitions").fill("15")
    note = card.get_by_label("Programme note")
    expect(note).to_have_value("Easy runs only until the tendon settles.")
    note.fill("Easy runs only; hills when the tendon settles.")
    card.get_by_role("button", name="Save programme").click()
    expect(page.get_by_role("status").filter(has_text="Programme saved: version 2.")).to_be_visible()
    second = api_json(page, f"/clinic/patients/{runner.id}/programme")["body"]
    assert second["programme"]["version"] == 2 and len(second["programme"]["items"]) == 3
    assert second["programme"]["note"] == "Easy runs only; hills when the tendon settles."
    [change] = second["programme"]["changes"]
    assert change["kind"] == "changed" and "3 × 12 → 3 × 15" in change["text"], change
    card = page.get_by_role("region", name="Exercise programme")
    card.get_by_text("Version history (2)").click()
    expect(card.get_by_role("listitem").filter(has_text=change["text"]).first).to_be_visible()
    expect(card.get_by_role("listitem").filter(has_text="Version 1").first).to_contain_text("Dr Lee")

    # -- Phone size: the builder stacks, nothing scrolls sideways, and it still works.
    page.set_viewport_size(PHONE)
    page.reload()
    card = page.get_by_role("region", name="Exercise programme")
    builder = card.get_by_role("form", name="Programme builder")
    expect(builder.get_by_role("group", name="Wall sit", exact=True)).to_be_visible()
    no_sideways_scroll(page)
    assert not re.search(r"\bnull\b|\bundefined\b", card.inner_text())
    calf = add_exercise(builder, "calf", "Calf raise")
    no_sideways_scroll(page)
    for control in (calf.get_by_label("Sets"), calf.get_by_label("Pain ceiling"), builder.get_by_role("button", name="Save programme")):
        box = control.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    card.screenshot(path=str(screenshot_path("programme-builder-phone")))
    calf.get_by_role("button", name="Remove Calf raise").click()
    expect(builder.get_by_role("group", name="Calf raise", exact=True)).to_have_count(0)

    # -- The runner logs sessions through the API; a wall sit at 6/10 is above its ceiling 5.
    runner.log(today(-5), ("core.glute_bridge", 1), ("core.wall_sit", 2))
    logged = runner.log(today(-2), ("core.wall_sit", 6))
    assert logged["session"]["entries"][0]["above_ceiling"] is True
    runner.log(today(-1), ("core.glute_bridge", 1))

    # -- The dashboard: adherence over 7 and 28 days and the exercise pain above its ceiling.
    page.set_viewport_size(DESKTOP)
    page.goto("/#clinic")
    row = page.locator(f"[data-patient-id='{runner.id}']")
    # 7 days: bridge 3, clamshell 3 (Mon, Wed, Fri), wall sit 7 prescribed; 2 + 0 + 2 done.
    expect(row).to_contain_text("Exercises: 31% (4/13) in 7 days, 31% (4/13) in 28 days")
    expect(row).to_contain_text("Exercise pain above its ceiling: Wall sit 6/10 (ceiling 5)")
    expect(row.get_by_role("listitem").filter(has_text="Exercise pain 6/10 in Wall sit, ceiling 5")).to_be_visible()
    dashboard = api_json(page, "/clinic/patients")["body"]
    [mine] = [r for r in dashboard if r["patient"]["id"] == runner.id]
    assert mine["rehab"]["last_7_days"]["pct"] == 31 and mine["urgency"]["level"] == 2

    # -- Load and the care plan on the same chart: runs, then a check-in at 6/10 starts a rest.
    for offset, metres in ((-40, 5000), (-33, 6000), (-26, 6500), (-19, 7000), (-12, 7000)):
        runner.put(f"/runs/{uuid.uuid4()}", {"date": today(offset), "distance_m": metres, "duration_s": metres * 0.36})
    runner.put(f"/checkins/{today(-4)}", {"pain": 6})

    # -- The patient page: exercise pain on the chart (its own series, a legend, in words)
    # over the weekly distance and the plan's states, and adherence per exercise per week.
    page.reload()
    row = page.locator(f"[data-patient-id='{runner.id}']")
    row.get_by_role("link", name="Robin Rehab").click()
    chart = page.get_by_role("img", name=re.compile("Bars: weekly distance"))
    expect(chart).to_be_visible()
    expect(chart.locator("rect.ex-dot")).to_have_count(3)  # days with an exercise pain
    expect(chart.locator("rect.ex-dot.over")).to_have_count(1)
    figure = page.get_by_role("figure", name="Weekly distance and daily pain")
    for key in ("Weekly distance", "Daily pain", "Exercise pain (dark: above ceiling)", "Plan: rest", "return"):
        expect(figure.locator("figcaption")).to_contain_text(key)  # the legend
    expect(chart.locator("rect.bar")).to_have_count(12)
    expect(chart.locator("rect.band-rest")).to_have_count(1)
    figure.get_by_text("The chart in words").click()
    expect(figure).to_contain_text(f"Care plan: rest {day_words(page, today(-4))}")
    pains = figure.get_by_role("list", name="Exercise pain")
    expect(pains.get_by_role("listitem")).to_have_count(4)  # every exercise with a pain, in words
    expect(pains.get_by_role("listitem").filter(has_text="Wall sit 6/10, above its ceiling 5/10")).to_have_count(1)
    expect(pains.get_by_role("listitem").filter(has_text="Wall sit 2/10, within its ceiling 5/10")).to_have_count(1)
    weeks = page.get_by_role("table", name="Exercise adherence per week")
    expect(weeks.get_by_role("columnheader")).to_have_text(["Week of", "Glute bridge", "Wall sit", "Clamshell", "All"])
    cells = weeks.locator("tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.children].map(c => c.textContent))")
    done = lambda col: sum(int(r[col].split("/")[0]) for r in cells if r[col] != "–")  # noqa: E731
    assert (done(1), done(2), done(3)) == (2, 2, 0)  # two bridges, two wall sits, no clamshell
    assert done(4) == 4  # every week's "All" adds up to the four logged
    region = page.get_by_role("region", name="Exercises", exact=True)
    expect(region).to_contain_text("Adherence: 31% over 7 days, 31% over 28; minimum for the return 60%.")
    page.get_by_role("figure", name="Weekly distance and daily pain").screenshot(path=str(screenshot_path("patient-chart-exercise-pain")))
    no_sideways_scroll(page)
    assert not re.search(r"\bnull\b|\bundefined\b", page.locator("main").inner_text())
    screenshot(page, "patient-page-rehab-desktop")


def day_words(page: Any, iso: str) -> str:
    """A date as the app writes it (its own formatDay)."""
    return page.evaluate("async (iso) => (await import('/js/state.js')).formatDay(iso)", iso)


def screenshot_path(name: str) -> Any:
    from .conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"


def test_a_refused_dose_names_its_exercise_and_a_save_keeps_the_focus(desktop: Any, live_server: Any,
                                                                     console: ConsoleLog) -> None:
    """Found by trying it: a refused dose read "0 : sets : Must be greater than or equal to 1"
    with no field marked, and after a save the rebuilt card dropped the focus to the page."""
    console.allow(r"status of 422")  # the refused save, on purpose
    page = desktop
    runner = RunnerApi(live_server.base_url, "Sam Sets")
    sign_up_therapist(page, "Dr Ode")
    page.goto(f"/#clinic/accept/{runner.invitation_code()}")
    page.get_by_role("form", name="Add a patient").get_by_role("button", name="Add patient").click()
    card = page.get_by_role("region", name="Exercise programme")
    expect(card).to_contain_text("No programme yet.", timeout=20000)
    builder = card.get_by_role("form", name="Programme builder")
    item = add_exercise(builder, "squat", "Mini squat")
    item.get_by_label("Sets").fill("0")
    builder.get_by_role("button", name="Save programme").click()
    expect(builder.locator(".error")).to_contain_text("Mini squat: Sets:")
    expect(item.get_by_label("Sets")).to_have_attribute("aria-invalid", "true")
    expect(item.get_by_label("Sets")).to_be_focused()

    item.get_by_label("Sets").fill("2")
    builder.get_by_role("button", name="Save programme").click()
    expect(page.get_by_text("Programme saved: version 1.")).to_be_visible()
    fresh = page.get_by_role("region", name="Exercise programme")
    expect(fresh.get_by_role("heading", name="Exercise programme")).to_be_focused()
