"""Every summary counts every pain: a run's pain 5 after a check-in of 3 shows as 5 in the
patient page's 12-week table and chart data, the dashboard's sparkline and urgency, and the
printed summaries (the runner's and the therapist's) — on both databases. All of them come
from ``guidance.snapshot.worst_pain_of_day``."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from strideguard.guidance.snapshot import CheckinSnap, Pain, RunSnap, worst_pain_of_day, worst_pains_by_day
from strideguard.timeutil import local_today
from tests.conftest import Runner, Therapist, invite
from tests.support.envelope import assert_error


def day(offset: int = 0) -> str:
    return (local_today("UTC") + timedelta(days=offset)).isoformat()


@pytest.fixture
def flare(app):
    """Yesterday: a check-in of 3 in the morning, then a run that hurt 5 afterwards."""
    runner = Runner(app, display_name="Flare")
    therapist = Therapist(app)
    assert therapist.accept(invite(runner)["code"]).status_code == 200
    assert runner.put(f"/api/v1/checkins/{day(-1)}", json={"pain": 3}).status_code == 201
    body = {"date": day(-1), "distance_m": 6000, "duration_s": 2100, "pain_during": 2, "pain_after": 5}
    assert runner.put(f"/api/v1/runs/{uuid.uuid4()}", json=body).status_code == 201
    # Another day with the check-in only: stays at its own pain.
    assert runner.put(f"/api/v1/checkins/{day(-3)}", json={"pain": 2}).status_code == 201
    return runner, therapist


def page_of(flare) -> dict:
    runner, therapist = flare
    response = therapist.get(f"/api/v1/clinic/patients/{runner.user['id']}")
    assert response.status_code == 200
    return response.get_json()


def test_the_patient_pages_table_counts_the_runs_pain(flare):
    summary = page_of(flare)["summary"]
    # The 12-week table's "Worst pain" and "Avg pain" are taken from these days.
    assert {d["date"]: d["pain"] for d in summary["days"]} == {day(-3): 2, day(-1): 5}
    assert summary["worst_pain"] == 5


def test_the_patient_pages_chart_data_counts_the_runs_pain(flare):
    [point] = [d for d in page_of(flare)["summary"]["days"] if d["date"] == day(-1)]
    assert point == {"date": day(-1), "pain": 5, "source": "pain_after"}


def test_the_dashboard_sparkline_counts_the_runs_pain(flare):
    _runner, therapist = flare
    [row] = therapist.get("/api/v1/clinic/patients").get_json()
    assert row["pain_trend"] == [{"date": day(-3), "pain": 2}, {"date": day(-1), "pain": 5}]
    assert row["last_checkin"] == {"date": day(-1), "pain": 3}  # the check-in itself is unchanged


def test_the_dashboard_urgency_counts_the_runs_pain(flare):
    _runner, therapist = flare
    [row] = therapist.get("/api/v1/clinic/patients").get_json()
    [pain] = [r for r in row["urgency"]["reasons"] if r["kind"] == "pain_above_limit"]
    assert pain == {"kind": "pain_above_limit", "metric": "pain_after", "value": 5, "threshold": 3, "date": day(-1)}


def test_the_printed_summaries_count_the_runs_pain(flare):
    runner, _therapist = flare
    mine = runner.get("/api/v1/me/summary")
    assert mine.status_code == 200
    body = mine.get_json()
    assert (body["worst_pain"], body["days_above_limit"], body["checkins"], body["runs"]) == (5, 1, 2, 1)
    assert body["from"] == day(-27) and body["to"] == day()
    # The therapist's one-page print shows the same figures for the 12 weeks.
    summary = page_of(flare)["summary"]
    assert (summary["worst_pain"], summary["days_above_limit"], summary["pain_threshold"]) == (5, 1, 3)


def test_the_runners_summary_range_and_its_errors(flare, app):
    runner, therapist = flare
    only = runner.get(f"/api/v1/me/summary?from={day(-3)}&to={day(-2)}").get_json()
    assert (only["worst_pain"], only["days_above_limit"], only["days"]) == (2, 0, [
        {"date": day(-3), "pain": 2, "source": "pain"}])
    assert_error(runner.get(f"/api/v1/me/summary?from={day()}&to={day(-1)}"), 422)
    assert_error(runner.get("/api/v1/me/summary?from=yesterday"), 422)
    assert_error(therapist.get("/api/v1/me/summary"), 403)
    empty = Runner(app).get("/api/v1/me/summary").get_json()
    assert (empty["worst_pain"], empty["days_above_limit"], empty["days"], empty["red_flags"]) == (None, 0, [], [])


def test_red_flags_are_listed_in_the_summary(app):
    runner = Runner(app)
    runner.put(f"/api/v1/checkins/{day(-2)}", json={"pain": 2, "swelling": True})
    runner.put(f"/api/v1/checkins/{day(-1)}", json={"pain": 0, "fever": True})  # fever alone: its own flag
    # The one table's ids: a fever with no knee pain or swelling is `fever_alone`, not `fever`.
    assert runner.get("/api/v1/me/summary").get_json()["red_flags"] == [
        {"date": day(-2), "flags": ["swelling"]}, {"date": day(-1), "flags": ["fever_alone"]}]


def test_worst_pain_of_day_is_one_pure_rule():
    today = date(2026, 5, 4)
    checkin = CheckinSnap(date=today, pain=3)
    runs = [RunSnap("a", today, 5000, 1800, pain_during=2, pain_after=5), RunSnap("b", today, 3000, 900)]
    assert worst_pain_of_day(checkin, runs) == Pain("pain_after", 5)
    assert worst_pain_of_day(CheckinSnap(date=today, pain=4), [RunSnap("c", today, 1, 1, pain_during=4)]) == Pain("pain", 4)
    assert worst_pain_of_day(None, [RunSnap("d", today, 1, 1)]) is None
    assert worst_pain_of_day(None, []) is None
    by_day = worst_pains_by_day([checkin, CheckinSnap(date=today - timedelta(days=1), pain=0)],
                                runs + [RunSnap("e", today + timedelta(days=1), 1, 1, pain_during=1)])
    assert list(by_day.items()) == [(today - timedelta(days=1), Pain("pain", 0)), (today, Pain("pain_after", 5)),
                                    (today + timedelta(days=1), Pain("pain_during", 1))]
