"""A six-week story through the API, on SQLite and PostgreSQL: normal → a jump → pain 6 →
rest 3 days (pain 2 on day 2 is still rest) → the six return phases → normal again, the cap
ramping from the return's volume towards the baseline. Every day's verdict and card text is asserted, and no day shows
an advice that says run under a stop.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from strideguard.guidance.advice import RUN_ACTIONS
from strideguard.plan.phases import PHASES
from tests.conftest import Runner

pytestmark = pytest.mark.database  # its behaviour depends on the database: make test-fast runs its PostgreSQL variant too

PLAN_CARDS = ("core.rest_day", "core.return_session", "core.all_clear", "core.distance_jump")


def monday_weeks_ago(weeks: int) -> date:
    today = date.today()
    return today - timedelta(days=today.weekday(), weeks=weeks)


class Story:
    def __init__(self, runner: Runner, first: date) -> None:
        self.runner, self.first = runner, first
        self.seen: dict[int, dict] = {}

    def day(self, n: int) -> date:
        return self.first + timedelta(days=n)

    def checkin(self, n: int, pain: int = 0, **kw) -> dict:
        response = self.runner.put(f"/api/v1/checkins/{self.day(n)}", json={"pain": pain, "morning_pain": 0, **kw})
        assert response.status_code in (200, 201), response.get_json()
        return self._keep(n, response.get_json()["guidance"])

    def run(self, n: int, metres: float, pain: int = 0) -> dict:
        response = self.runner.put(
            f"/api/v1/runs/{uuid.uuid4()}",
            json={"date": self.day(n).isoformat(), "distance_m": metres, "duration_s": round(metres * 0.36),
                  "pain_during": pain, "pain_after": pain},
        )
        assert response.status_code in (200, 201), response.get_json()
        return self._keep(n, response.get_json()["guidance"])

    def _keep(self, n: int, guidance: dict) -> dict:
        assert guidance["as_of"] == self.day(n).isoformat()
        assert guidance["plan"]["today"]["verdict"] == guidance["status"]
        if guidance["status"] == "stop":
            assert not [a for a in guidance["advice"] if a["action"] in RUN_ACTIONS], guidance
        self.seen[n] = guidance
        return guidance


def card(guidance: dict) -> dict:
    """The plan's card of the day (rest day, return session, weekly cap or all clear)."""
    found = [a for a in guidance["advice"] if a["id"] in PLAN_CARDS]
    assert found, guidance
    return found[0]


@pytest.mark.parametrize("units", ["km"])
def test_six_weeks_from_a_jump_through_rest_and_the_return_to_a_baseline_cap(runner: Runner, units: str) -> None:
    story = Story(runner, monday_weeks_ago(9))

    # Weeks 0-2: 12, 13 and 13 km, three runs each, pain-free. Week 0 is the first one: the
    # starting cap (15 km); then the last clean week + 10 %. (4.4 km after 4.0 km is a
    # single run exactly 10.0 % longer: the evidence detector stays quiet too.)
    weeks = {0: (4000, 4000, 4000), 1: (4400, 4300, 4300), 2: (4400, 4300, 4300)}
    caps = {0: "15.0", 1: "13.2", 2: "14.3"}
    for week, runs in weeks.items():
        total = 0
        for offset in range(7):
            n = 7 * week + offset
            g = story.checkin(n, 0)
            if offset in (0, 2, 5):
                metres = runs[(0, 2, 5).index(offset)]
                total += metres
                g = story.run(n, metres)
            assert g["status"] == "ok", (n, g)
            assert card(g)["title"] == f"Keep running: {total / 1000:.1f} of {caps[week]} km this week", n

    # Week 3: five runs of 4.4 km = 22 km against a 14.3 km cap -> caution from the fourth.
    total = 0
    for offset in range(7):
        n = 21 + offset
        g = story.checkin(n, 0)
        if offset in (0, 1, 2, 4, 5):
            total += 4400
            g = story.run(n, 4400)
        if total <= 14300:
            assert g["status"] == "ok", n
        else:
            assert g["status"] == "caution", n
            jump = card(g)
            assert jump["id"] == "core.distance_jump"
            assert jump["title"].startswith("Over this week's cap: ") and jump["title"].endswith(" of 14.3 km")
            pct = {r["metric"]: r["value"] for r in jump["reasons"]}["distance_pct"]
            assert pct == {17600: 35.4, 22000: 69.2}[total]

    # Day 28 (Monday): pain 6 -> rest, 3 days. Pain 2 on day 2 and day 3 is still rest.
    g = story.checkin(28, 6)
    assert g["status"] == "stop"
    assert card(g)["title"] == "Rest day 1 of 3: no running"
    # One verdict card (the rest card carries the pain), and the therapist to book.
    assert {a["id"] for a in g["advice"]} >= {"core.rest_day", "core.pain_contact_pt"}
    assert "core.pain_threshold" not in {a["id"] for a in g["advice"]}
    for n, title in ((29, "Rest day 2 of 3: no running"), (30, "Rest day 3 of 3: no running")):
        g = story.checkin(n, 2)
        assert g["status"] == "stop" and card(g)["title"] == title, n
        assert g["plan"]["state"] == "rest"

    # Day 31: the days are over and two check-ins in a row were within the session ceiling (2/10).
    g = story.checkin(31, 1)
    assert g["status"] == "caution" and g["plan"]["state"] == "return"
    assert card(g)["title"] == "Today: Walk 2 min · run 3 min for 1.6 km, easy"

    # Sessions every other day, each at its phase's distance, checked the next morning.
    n, phase_at = 32, {}
    for session in range(12):
        phase = PHASES[session // 2]
        g = story.checkin(n, 0)
        assert g["plan"]["today"]["session"]["phase"] == phase.number, n
        assert card(g)["title"] == "Today: " + g["plan"]["today"]["session"]["text"], n
        g = story.run(n, phase.distance_m)
        assert card(g)["title"] == "Session logged: check in tomorrow morning", n
        assert g["status"] == "caution"
        g = story.checkin(n + 1, 0)
        phase_at[n + 1] = g["plan"]
        n += 2
        if session < 11:
            assert card(g)["title"] == "Rest day between sessions", n - 1
            assert g["plan"]["state"] == "return"
    assert [phase_at[d]["return"]["phase"] for d in sorted(phase_at)[:-1]] == [1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]

    # The twelfth session is confirmed on day 55: back to normal. The cap ramps from the
    # return's volume (not straight back to 13 km + 10 %, and never from the 22 km week).
    assert n == 56
    done = story.seen[55]
    assert done["plan"]["state"] == "normal" and done["status"] == "ok", done["advice"]
    ramp = done["plan"]["week"]["ramp_m"]
    assert ramp is not None and ramp < 13000
    assert done["plan"]["week"]["baseline"]["distance_m"] == 13000
    for day in (56, 58):
        g = story.checkin(day, 0)
        g = story.run(day, 3500)
        assert g["status"] == "ok", g
    cap = story.seen[58]["plan"]["week"]["cap_m"]
    assert cap < 14300
    assert card(story.seen[58])["title"] == f"Keep running: 7.0 of {cap / 1000:.1f} km this week"

    # The plan's history, as a therapist reads it.
    plan = runner.get(f"/api/v1/plan?date={story.day(58)}").get_json()
    kinds = [(h["from"], h["to"], h["kind"]) for h in plan["history"]]
    assert kinds[0] == ("normal", "normal", "over_cap")
    assert kinds[1] == ("normal", "rest", "rest_started")
    assert kinds[2] == ("rest", "return", "return_started")
    assert kinds[-1] == ("return", "normal", "return_completed")
    assert [k for k in kinds if k[2] == "phase_up"] == [("return", "return", "phase_up")] * 5
    started = plan["history"][1]
    assert started["at"] == story.day(28).isoformat()
    assert started["reason"] == {"metric": "pain", "value": 6, "threshold": 3}

    # Every day had one verdict, and none under a stop said run (checked in Story._keep).
    assert len(story.seen) == 58


def test_a_past_edit_replays_the_plan(runner: Runner) -> None:
    story = Story(runner, date.today() - timedelta(days=6))
    for n in range(6):
        story.checkin(n, 0)
    assert runner.get("/api/v1/plan").get_json()["state"] == "normal"
    # Four days ago the knee hurt more than the runner first said: the plan replays.
    story.checkin(2, 7)
    plan = runner.get("/api/v1/plan").get_json()
    assert [(h["at"], h["kind"]) for h in plan["history"]][0] == (story.day(2).isoformat(), "rest_started")
    assert plan["state"] in ("rest", "return")
    # Deleting that check-in replays it away again.
    assert runner.delete(f"/api/v1/checkins/{story.day(2)}").status_code == 204
    assert runner.get("/api/v1/plan").get_json()["history"] == []


def test_edits_after_and_before_a_plan_event_keep_the_history_a_replay_from_scratch_has(runner: Runner) -> None:
    """The replay deletes stored events from its first day only when some are stored there
    (``plan.service.refresh``): an edit after the rest began keeps its event, an edit before
    it replays the event away or back, exactly as replaying everything would."""
    story = Story(runner, date.today() - timedelta(days=6))
    for n in range(6):
        story.checkin(n, 0)
    story.checkin(2, 7)
    started = [(h["at"], h["kind"]) for h in runner.get("/api/v1/plan").get_json()["history"]]
    assert started[0] == (story.day(2).isoformat(), "rest_started")
    story.checkin(5, 1)  # after the event: it stays, once
    assert [(h["at"], h["kind"]) for h in runner.get("/api/v1/plan").get_json()["history"]] == started
    story.checkin(1, 0)  # before it: replayed, the same history
    assert [(h["at"], h["kind"]) for h in runner.get("/api/v1/plan").get_json()["history"]] == started
    story.checkin(2, 0)  # the day itself, now painless: the event is gone
    assert runner.get("/api/v1/plan").get_json()["history"] == []


def test_another_runners_plan_is_their_own(runner: Runner, other: Runner) -> None:
    Story(runner, date.today()).checkin(0, 8)
    assert runner.get("/api/v1/plan").get_json()["state"] == "rest"
    theirs = other.get("/api/v1/plan").get_json()
    assert theirs["state"] == "normal" and theirs["history"] == []


def test_the_plan_needs_a_session(client) -> None:
    response = client.get("/api/v1/plan")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "not_signed_in"


@pytest.mark.parametrize("query", ["date=2025-02-30", "date=soon"])
def test_a_bad_date_is_422(runner: Runner, query: str) -> None:
    response = runner.get(f"/api/v1/plan?{query}")
    assert response.status_code == 422
    assert "date" in response.get_json()["error"]["fields"]


@pytest.mark.parametrize("path", ["/api/v1/plan", "/api/v1/guidance", "/api/v1/load"])
def test_a_future_date_is_422_on_every_read(runner: Runner, path: str) -> None:
    tomorrow = date.today() + timedelta(days=2)
    response = runner.get(f"{path}?date={tomorrow}")
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"date": ["This date is in the future in your time zone."]}


def test_an_edit_centuries_back_replays_at_most_the_plan_horizon(runner: Runner, app) -> None:
    from strideguard.extensions import db
    from strideguard.plan.models import PlanDayRow
    from strideguard.plan.service import HORIZON_DAYS

    for old in ("0001-01-01", "1999-12-31"):
        response = runner.put(f"/api/v1/checkins/{old}", json={"pain": 9})
        assert response.status_code == 422 and "date" in response.get_json()["error"]["fields"]
        assert runner.get(f"/api/v1/plan?date={old}").status_code == 422
    assert runner.put("/api/v1/checkins/2000-01-01", json={"pain": 9}).status_code == 201
    assert runner.put(f"/api/v1/checkins/{date.today()}", json={"pain": 1}).status_code == 201
    with app.app_context():
        assert db.session.query(PlanDayRow).count() <= HORIZON_DAYS + 1
    assert runner.get("/api/v1/plan?date=2000-01-02").status_code == 200
