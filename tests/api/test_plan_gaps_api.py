"""The two gaps a tester found over HTTP, replayed through the API with relative dates.

1. A phase-3 session, then 21 days without entries, then a check-in: the session is not
   confirmed by a check-in weeks later (``session_unconfirmed`` two days after it), the return
   restarts at phase 1 after ``BREAK_DAYS`` without a run (``return_restarted``), and the cards
   of those days say so.
2. Weeks of 6 + 7 + 7 km, then 7, 7 and a 10 km run with pain 5 after it: ``GET /load`` shows
   +20.0% and the plan's history has the ``over_cap`` beside the ``rest_started``; the rest
   card's reasons carry the week against its cap.
"""

from __future__ import annotations

from datetime import timedelta

from strideguard.plan.machine import BREAK_DAYS
from tests.api.test_care_plan_fit import card, checkin, monday_weeks_ago, run, utc_today
from tests.conftest import Runner


def test_a_break_in_the_middle_of_the_return_is_not_ignored(runner: Runner) -> None:
    start = utc_today() - timedelta(days=70)
    day = lambda n: start + timedelta(days=n)  # noqa: E731
    checkin(runner, day(0), 6)                       # a 3-day rest
    for n in (1, 2):
        checkin(runner, day(n), 1, morning_pain=1)
    g = checkin(runner, day(3), 1, morning_pain=1)   # the rest ends: phase 1
    assert g["plan"]["state"] == "return"
    for n in (3, 5, 7, 9):                           # four confirmed sessions: phase 3
        run(runner, day(n), 1500 if n < 7 else 2400, pain_during=0, pain_after=0)
        checkin(runner, day(n + 1), 1, morning_pain=1)
    checkin(runner, day(11), 2)
    g = run(runner, day(11), 2400, pain_after=2)
    assert (g["plan"]["return"]["phase"], g["plan"]["return"]["sessions_done"]) == (3, 0)
    g = checkin(runner, day(32), 2)                  # 21 days later

    assert g["plan"]["state"] == "return"
    assert (g["plan"]["return"]["phase"], g["plan"]["return"]["sessions_done"]) == (1, 0)
    history = runner.get("/api/v1/plan").get_json()["history"]
    lapse = [h for h in history if h["kind"] == "session_unconfirmed"]
    assert [(h["at"], h["reason"]["value"], h["detail"]["session"]) for h in lapse] == [
        (day(13).isoformat(), day(12).isoformat(), day(11).isoformat())]
    restart = [h for h in history if h["kind"] == "return_restarted"]
    assert [(h["at"], h["reason"]) for h in restart] == [(day(11 + BREAK_DAYS).isoformat(), {
        "metric": "days_since_previous_run", "value": BREAK_DAYS, "threshold": BREAK_DAYS})]
    assert not [h for h in history if h["at"] > day(11 + BREAK_DAYS).isoformat()]

    # The cards of those days.
    asked = runner.get(f"/api/v1/guidance?date={day(12)}").get_json()
    assert card(asked, "core.return_session")["title"] == "Check in today: yesterday's session counts only then"
    lapsed = card(runner.get(f"/api/v1/guidance?date={day(13)}").get_json(), "core.return_session")
    assert lapsed["title"] == "Your last session did not count: no check-in the day after"
    silent = card(runner.get(f"/api/v1/guidance?date={day(20)}").get_json(), "core.return_session")
    assert silent["title"].startswith("Today: ")
    assert "did not count: there was no check-in the day after it" in silent["message"]
    restarted = card(runner.get(f"/api/v1/guidance?date={day(11 + BREAK_DAYS)}").get_json(), "core.return_session")
    assert restarted["title"] == f"Back to phase 1: {BREAK_DAYS} days without a run"
    assert {"metric": "days_since_previous_run", "value": BREAK_DAYS, "threshold": BREAK_DAYS} in restarted["reasons"]
    plan = runner.get(f"/api/v1/plan?date={day(11 + BREAK_DAYS)}").get_json()
    assert plan["since"] == day(11 + BREAK_DAYS).isoformat() and plan["cause"]["metric"] == "days_since_previous_run"


def test_the_weekly_jump_is_kept_when_the_same_runs_pain_starts_a_rest(runner: Runner) -> None:
    first = monday_weeks_ago(5)
    for w in range(4):
        for offset, km in zip((0, 2, 5), (6, 7, 7)):
            run(runner, first + timedelta(days=7 * w + offset), km * 1000)
    jump = monday_weeks_ago(1)
    run(runner, jump, 7000)
    run(runner, jump + timedelta(days=2), 7000)
    sunday = jump + timedelta(days=6)
    g = run(runner, sunday, 10000, pain_after=5)

    assert g["plan"]["state"] == "rest"
    load = runner.get(f"/api/v1/load?date={sunday}").get_json()
    assert load["change"]["distance_pct"] == 20.0
    that_day = [h for h in runner.get("/api/v1/plan").get_json()["history"] if h["at"] == sunday.isoformat()]
    assert [h["kind"] for h in that_day] == ["over_cap", "rest_started"]
    assert that_day[0]["reason"] == {"metric": "distance_pct", "value": 20.0, "threshold": 10.0}
    assert that_day[0]["detail"] == {"week_m": 24000, "baseline_m": 20000, "cap_m": 22000, "ramp": False}
    rest = card(g, "core.rest_day")
    assert {"metric": "week_distance_m", "value": 24000, "threshold": 22000} in rest["reasons"]
    assert {"metric": "distance_pct", "value": 20.0, "threshold": 10.0} in rest["reasons"]
    assert "This week's 24.0 km is also over its cap of 22.0 km" in rest["message"]
