"""The runner's side of the exercise programme (issue 23) in headless Chromium at phone size,
driven by label and role: Today's "Exercises: 3 today" card, the session screen (sets ticked,
pain during, saved by client UUID), offline through the outbox (exactly once, also across a
reload), a red flag pausing the exercises, the general starter sets of a runner without a
therapist, the caution for pain above a ceiling, what changed between versions, and the
check-in's question about the knee after yesterday's exercises. The therapist's side is set
up through the API with a real account linked by the runner's invitation code."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from .conftest import PASSWORD, api_json, choose_pain, new_email, screenshot, sign_up, wait_for_service_worker

pytestmark = pytest.mark.browser

OUTBOX = "import('/js/outbox.js').then((m) => m.list())"
THREE = [
    {"exercise": "core.glute_bridge", "sets": 3, "reps": 12, "per_week": 7},
    {"exercise": "core.split_squat", "sets": 2, "reps": 8, "load": "kg", "load_kg": 8, "per_week": 7},
    {"exercise": "core.wall_sit", "per_week": 7, "pain_ceiling": 5},
]


def page_api(page: Any, method: str, path: str, body: Any = None) -> dict:
    """A request through the app's own API module (its session and CSRF token)."""
    return page.evaluate(
        """async ([method, path, body]) => {
            const {api} = await import('/js/api.js');
            const state = await import('/js/state.js');
            await state.loadMe();
            return await api(method, path, body === null ? undefined : body);
        }""",
        [method, path, body],
    )


class Therapist:
    """A real therapist account on the live server, linked to the runner in ``page`` through
    the runner's invitation code; prescribes through the clinic API."""

    def __init__(self, base_url: str, page: Any) -> None:
        self.base = base_url + "/api/v1"
        self.http = requests.Session()
        res = self.http.post(f"{self.base}/auth/register", timeout=30, json={
            "email": new_email(), "password": PASSWORD, "timezone": "UTC", "role": "therapist",
            "display_name": "Dr Ada Lind"})
        assert res.status_code == 201, res.text
        self.http.headers["X-CSRF-Token"] = res.json()["csrf_token"]
        code = page_api(page, "POST", "/me/invitations")["code"]
        accepted = self.http.post(f"{self.base}/clinic/invitations/accept", json={"code": code}, timeout=30)
        assert accepted.status_code == 200, accepted.text
        self.patient = accepted.json()["patient"]["id"]

    def prescribe(self, items: list[dict], **extra: Any) -> dict:
        res = self.http.put(f"{self.base}/clinic/patients/{self.patient}/programme",
                            json={"items": items, **extra}, timeout=30)
        assert res.status_code == 200, res.text
        return res.json()


def runner_today(page: Any) -> date:
    return date.fromisoformat(api_json(page, "/me/programme/today")["body"]["date"])


def sessions(page: Any) -> list[dict]:
    found = api_json(page, "/exercise-sessions")
    assert found["status"] == 200, found
    return found["body"]


def exercise(page: Any, name: str) -> Any:
    return page.get_by_role("group", name=name, exact=True)


def pain(block: Any, name: str, value: int) -> None:
    words = {0: "0, none", 3: "3, mild", 5: "5, moderate", 10: "10, worst"}
    block.get_by_role("group", name=f"Pain during {name}").get_by_role(
        "radio", name=words.get(value, str(value)), exact=True).check()


def do_session(page: Any) -> None:
    """Do today's three exercises: every set ticked (one with fewer reps), pain entered."""
    bridge = exercise(page, "Glute bridge")
    expect(bridge).to_contain_text("3 × 12 · every day")
    bridge.get_by_text("How to do it").click()
    expect(bridge.get_by_text("Squeeze your buttocks")).to_be_visible()
    for n in (1, 2):
        bridge.get_by_label(f"Set {n} done").check()
    bridge.get_by_label("Set 3 reps").fill("10")  # fewer this time: ticks the set too
    expect(bridge.get_by_label("Set 3 done")).to_be_checked()
    pain(bridge, "Glute bridge", 1)
    split = exercise(page, "Split squat")
    expect(split.get_by_label("Set 1 kg")).to_have_value("8")
    split.get_by_label("Set 1 done").check()
    split.get_by_label("Set 2 kg").fill("10")
    pain(split, "Split squat", 2)
    wall = exercise(page, "Wall sit")
    expect(wall.get_by_label("Set 1 s")).to_have_value("30")
    wall.get_by_label("Set 1 done").check()
    pain(wall, "Wall sit", 3)


def assert_stored_once(page: Any) -> None:
    found = sessions(page)
    assert len(found) == 1, found
    entries = {e["exercise"]: e for e in found[0]["entries"]}
    assert set(entries) == {"core.glute_bridge", "core.split_squat", "core.wall_sit"}
    assert [s["reps"] for s in entries["core.glute_bridge"]["sets"]] == [12, 12, 10]
    assert [(s["reps"], s["load_kg"]) for s in entries["core.split_squat"]["sets"]] == [(8, 8.0), (8, 10.0)]
    assert [(s["reps"], s["seconds"]) for s in entries["core.wall_sit"]["sets"]] == [(3, 30)]
    assert [entries[k]["pain"] for k in ("core.glute_bridge", "core.split_squat", "core.wall_sit")] == [1, 2, 3]


def test_prescribed_session_is_ticked_and_saved(page: Any, live_server: Any) -> None:
    sign_up(page)
    Therapist(live_server.base_url, page).prescribe(THREE)
    page.reload()
    card = page.get_by_role("region", name="Your exercises today")
    expect(card.get_by_role("heading", name="Exercises: 3 today")).to_be_visible()
    expect(card).to_contain_text("From your therapist")
    expect(card).to_contain_text("Glute bridge · Split squat · Wall sit")
    screenshot(page, "70-exercises-today-card")
    page.set_viewport_size({"width": 1280, "height": 900})  # a desktop: the two cards side by side
    screenshot(page, "70b-exercises-today-card-desktop")
    page.set_viewport_size({"width": 412, "height": 915})

    card.get_by_role("link", name="Start exercises").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Exercises · "))).to_be_visible()
    do_session(page)
    screenshot(page, "71-exercises-session")
    page.get_by_role("button", name="Save exercises").click()
    expect(page.get_by_text("Saved. Change anything and save again.")).to_be_visible()
    assert_stored_once(page)

    # An edit reuses the day's UUID: still one session, now with the change.
    first = sessions(page)[0]["uuid"]
    pain(exercise(page, "Glute bridge"), "Glute bridge", 2)
    with page.expect_response(lambda r: "/exercise-sessions/" in r.url and r.request.method == "PUT") as sent:
        page.get_by_role("button", name="Save exercises").click()
    assert sent.value.status == 200  # replaced, not created
    found = sessions(page)
    assert [s["uuid"] for s in found] == [first]
    assert found[0]["entries"][0]["pain"] == 2

    page.get_by_role("link", name="Back to Today").click()
    card = page.get_by_role("region", name="Your exercises today")
    expect(card.get_by_role("heading", name="Exercises: all done today")).to_be_visible()
    expect(card).to_contain_text("✓ Glute bridge")
    # Reopened, the session shows what was saved.
    card.get_by_role("link", name="See today’s session").click()
    expect(exercise(page, "Glute bridge").get_by_label("Set 3 reps")).to_have_value("10")
    expect(exercise(page, "Glute bridge").get_by_label("Set 3 done")).to_be_checked()


def go_offline_and_do_session(page: Any, context: Any, base_url: str) -> None:
    sign_up(page)
    Therapist(base_url, page).prescribe(THREE)
    page.reload()
    wait_for_service_worker(page)
    card = page.get_by_role("region", name="Your exercises today")
    expect(card.get_by_role("heading", name="Exercises: 3 today")).to_be_visible()
    context.set_offline(True)  # the app was loaded, then the network dropped
    card.get_by_role("link", name="Start exercises").click()
    do_session(page)
    page.get_by_role("button", name="Save exercises").click()
    expect(page.get_by_text("Saved on this phone, waiting to send.")).to_be_visible()
    status = page.locator("#outbox-status")
    expect(status).to_contain_text("1 waiting to send")
    expect(status).to_contain_text("Exercises on")


def test_offline_session_waits_then_reaches_the_server_once(page: Any, context: Any, live_server: Any) -> None:
    go_offline_and_do_session(page, context, live_server.base_url)
    queued = page.evaluate(OUTBOX)
    assert [(i["method"], i["key"].split(":")[0]) for i in queued] == [("PUT", "exercise")]
    screenshot(page, "72-exercises-offline-waiting")

    context.set_offline(False)  # the `online` event replays the outbox
    expect(page.locator("#outbox-status")).to_be_hidden(timeout=15000)
    expect(page.get_by_text("Sent. Your session is saved.")).to_be_visible()
    assert page.evaluate(OUTBOX) == []
    assert_stored_once(page)

    # The same request replayed again (an answer lost on the way): still one session.
    page.evaluate(
        """async (items) => {
            const outbox = await import('/js/outbox.js');
            for (const item of items) await outbox.enqueue(item);
            await (await import('/js/sync.js')).replay();
        }""",
        queued,
    )
    assert page.evaluate(OUTBOX) == []
    assert_stored_once(page)


def test_offline_session_survives_a_reload_and_is_sent_once(page: Any, context: Any, live_server: Any) -> None:
    go_offline_and_do_session(page, context, live_server.base_url)
    page.reload()  # still offline: the shell from the service worker, the session from the outbox
    expect(page.get_by_role("heading", name=re.compile(r"^Exercises · "))).to_be_visible()
    expect(page.get_by_text("Saved on this phone, waiting to send. Change anything and save again.")).to_be_visible()
    expect(exercise(page, "Glute bridge").get_by_label("Set 3 reps")).to_have_value("10")
    expect(exercise(page, "Split squat").get_by_label("Set 2 kg")).to_have_value("10")
    expect(page.locator("#outbox-status")).to_contain_text("1 waiting to send")

    context.set_offline(False)
    expect(page.locator("#outbox-status")).to_be_hidden(timeout=15000)
    expect(page.get_by_text("Sent. Your session is saved.")).to_be_visible()
    assert page.evaluate(OUTBOX) == []
    assert_stored_once(page)


def test_a_red_flag_pauses_the_exercises(page: Any, live_server: Any) -> None:
    sign_up(page)
    Therapist(live_server.base_url, page).prescribe(THREE)
    page.reload()
    card = page.get_by_role("region", name="Your exercises today")
    expect(card.get_by_role("heading", name="Exercises: 3 today")).to_be_visible()

    choose_pain(page, 2)
    page.get_by_label("Knee locks or gives way").check()
    page.get_by_role("button", name="Save check-in").click()
    expect(page.get_by_role("region", name="Guidance for today")).to_be_visible()
    card = page.get_by_role("region", name="Your exercises today")
    expect(card.get_by_role("heading", name="Pause your exercises and see your therapist")).to_be_visible()
    expect(card).to_contain_text("stop the exercises for now")
    expect(card.get_by_role("link", name="Contact your therapist")).to_be_visible()
    expect(card.get_by_role("link", name="Start exercises")).to_have_count(0)
    screenshot(page, "73-exercises-paused")

    page.goto("/#exercises")
    paused = page.get_by_role("region", name="Exercises paused")
    expect(paused.get_by_role("heading", name="Pause your exercises and see your therapist")).to_be_visible()
    expect(page.get_by_role("button", name="Save exercises")).to_have_count(0)


def test_without_a_therapist_the_starter_exercises_are_labelled_general(page: Any) -> None:
    sign_up(page)
    card = page.get_by_role("region", name="Your exercises today")
    expect(card.get_by_text("General starter exercises", exact=True)).to_be_visible()
    expect(card.get_by_role("heading", name=re.compile(r"^Exercises: \d+ today$"))).to_be_visible()
    expect(card).to_contain_text("not a prescription. Have a physical therapist tailor them to you.")
    expect(card).not_to_contain_text("From your therapist")
    screenshot(page, "74-exercises-general-card")

    card.get_by_role("link", name="Why these exercises?").click()
    expect(page.get_by_role("heading", name="My exercise programme")).to_be_visible()
    sets = page.get_by_role("region", name=re.compile("^General starter set: "))
    expect(sets.first).to_be_visible()
    expect(sets.first).to_contain_text("General, not prescribed")
    expect(page.get_by_text("Ask a physical therapist", exact=False).first).to_be_visible()
    sets.first.get_by_text("Why these?").click()
    expect(sets.first.locator(".why li").first).to_be_visible()
    expect(page.get_by_text("From your therapist")).to_have_count(0)

    page.goto("/#exercises")
    expect(page.get_by_text("General starter exercises, not a prescription.")).to_be_visible()


def test_pain_above_the_ceiling_shows_the_caution_with_its_numbers(page: Any, live_server: Any) -> None:
    sign_up(page)
    Therapist(live_server.base_url, page).prescribe(THREE)
    page.goto("/#exercises")
    wall = exercise(page, "Wall sit")
    expect(wall).to_contain_text("Stop and ease off if the pain goes above 5/10.")
    wall.get_by_label("Set 1 done").check()
    pain(wall, "Wall sit", 6)
    page.get_by_role("button", name="Save exercises").click()
    caution = page.locator(".ex-cautions li")
    expect(caution).to_have_count(1)
    expect(caution).to_contain_text("Ease off Wall sit: pain 6/10, ceiling 5/10")
    expect(caution).to_contain_text("Pain 6/10 during Wall sit is above its ceiling of 5/10")
    screenshot(page, "75-exercises-caution")
    found = sessions(page)
    assert [(e["exercise"], e["pain"], e["ceiling"], e["above_ceiling"]) for e in found[0]["entries"]] == [
        ("core.wall_sit", 6, 5, True)]

    page.get_by_role("link", name="Back to Today").click()
    card = page.get_by_role("region", name="Your exercises today")
    expect(card).to_contain_text("Ease off Wall sit: pain 6/10, ceiling 5/10")


def test_my_programme_shows_what_changed(page: Any, live_server: Any) -> None:
    sign_up(page)
    therapist = Therapist(live_server.base_url, page)
    therapist.prescribe(THREE)
    therapist.prescribe([{**THREE[0], "reps": 15}, THREE[2], {"exercise": "core.calf_raise", "per_week": 3}])
    page.goto("/#programme")
    mine = page.get_by_role("region", name="Your programme")
    expect(mine.get_by_role("heading", name="Version 2 from Dr Ada Lind")).to_be_visible()
    expect(mine.get_by_role("heading", name="What changed in version 2")).to_be_visible()
    expect(mine).to_contain_text("3 × 12 → 3 × 15")
    expect(mine).to_contain_text("Removed Split squat.")
    expect(mine).to_contain_text("Added Calf raise")
    expect(mine).to_contain_text("Pain ceiling 5/10")
    page.get_by_text("All versions (2)").click()
    expect(page.get_by_text(re.compile(r"^Version 1 · Dr Ada Lind"))).to_be_visible()
    screenshot(page, "76-exercises-programme")


def test_the_check_in_asks_about_the_knee_after_yesterdays_exercises(page: Any, live_server: Any) -> None:
    sign_up(page)
    day = runner_today(page)
    yesterday = (day - timedelta(days=1)).isoformat()
    Therapist(live_server.base_url, page).prescribe(THREE, starts_on=yesterday)
    page_api(page, "PUT", f"/exercise-sessions/{uuid.uuid4()}",
             {"date": yesterday, "entries": [{"exercise": "core.glute_bridge", "sets": [{"reps": 12}], "pain": 1}]})
    page.reload()
    question = page.get_by_role("group", name="How is your knee after yesterday's exercises?")
    if not question.is_visible():
        page.get_by_text(re.compile("More questions about your knee")).click()
    expect(question.get_by_role("radio")).to_have_count(3)
    for word in ("Better", "Same", "Worse"):
        expect(question.get_by_role("radio", name=word)).to_be_attached()
    question.get_by_text("Worse", exact=True).click()
    choose_pain(page, 1)
    page.get_by_role("button", name="Save check-in").click()
    expect(page.get_by_role("region", name="Guidance for today")).to_be_visible()
    stored = api_json(page, f"/checkins?from={day}&to={day}")["body"]
    assert stored[0]["answers"]["core.knee_after_exercise"] == "worse"
