"""The exercise programme on the therapist's dashboard and patient page, on both databases:
adherence over 7 and 28 days, exercise pain above its ceiling (with the numbers) in the row
and — the last three days — in the urgency reasons; the patient page's adherence per
exercise per calendar week and exercise pains by date; batched reads for many patients."""

from __future__ import annotations

import re
import uuid
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import event

from strideguard.extensions import db
from strideguard.rehab import adherence
from strideguard.timeutil import local_today
from tests.conftest import Therapist, invite, Runner

pytestmark = pytest.mark.database  # its behaviour depends on the database: make test-fast runs its PostgreSQL variant too

API = "/api/v1"


def today() -> date:
    return local_today("UTC")


def day(offset: int = 0) -> str:
    return (today() + timedelta(days=offset)).isoformat()


def patient(app, therapist: Therapist, name: str) -> Runner:
    runner = Runner(app, display_name=name)
    assert therapist.accept(invite(runner)["code"]).status_code == 200
    return runner


def prescribe(therapist: Therapist, runner: Runner, starts: int = -13, **extra) -> dict:
    body = {"starts_on": day(starts), "items": [
        {"exercise": "core.glute_bridge", "sets": 3, "reps": 12, "per_week": 3},
        {"exercise": "core.wall_sit", "per_week": 7, "pain_ceiling": 5},
    ], **extra}
    response = therapist.put(f"{API}/clinic/patients/{runner.user['id']}/programme", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def log(runner: Runner, offset: int, *entries: tuple[str, int | None]) -> None:
    body = {"date": day(offset), "entries": [{"exercise": ex, "sets": [{"reps": 10}, {"reps": 10}], "pain": pain}
                                             for ex, pain in entries]}
    response = runner.put(f"{API}/exercise-sessions/{uuid.uuid4()}", json=body)
    assert response.status_code == 201, response.get_json()


def row_of(therapist: Therapist, runner: Runner) -> dict:
    rows = therapist.get(f"{API}/clinic/patients").get_json()
    [row] = [r for r in rows if r["patient"]["id"] == runner.user["id"]]
    return row


def test_a_patient_without_a_programme_has_no_rehab(app):
    therapist = Therapist(app)
    runner = patient(app, therapist, "Plain")
    runner.put(f"{API}/checkins/{day()}", json={"pain": 1})
    assert row_of(therapist, runner)["rehab"] is None


def test_the_row_has_adherence_over_7_and_28_days_and_the_exceedances(app):
    therapist = Therapist(app)
    runner = patient(app, therapist, "Rehab")
    prescribe(therapist, runner)
    log(runner, -5, ("core.wall_sit", 7))  # above its ceiling of 5, but not in the last 3 days
    log(runner, -3, ("core.wall_sit", 2))
    log(runner, -1, ("core.glute_bridge", 2), ("core.wall_sit", 6))  # 6 > 5: above the ceiling
    row = row_of(therapist, runner)
    rehab = row["rehab"]
    assert rehab["version"] == 1 and rehab["items"] == 2 and rehab["min_adherence_pct"] is None
    # 7 days: bridge 3 prescribed, 1 done; wall sit 7 prescribed, 3 done -> 4/10.
    assert rehab["last_7_days"] == {"from": day(-6), "to": day(), "done": 4, "prescribed": 10, "pct": 40}
    # 28 days, counted from the start 13 days back: bridge 6, wall sit 14 -> 4/20.
    assert rehab["last_28_days"] == {"from": day(-13), "to": day(), "done": 4, "prescribed": 20, "pct": 20}
    assert rehab["exceedances"] == [
        {"date": day(-1), "exercise": "core.wall_sit", "name": "Wall sit", "pain": 6, "ceiling": 5},
        {"date": day(-5), "exercise": "core.wall_sit", "name": "Wall sit", "pain": 7, "ceiling": 5},
    ]
    # In the urgency: only the last 3 days, with the numbers; below a red flag, with pain.
    [reason] = [r for r in row["urgency"]["reasons"] if r["kind"] == "exercise_pain"]
    assert reason == {"kind": "exercise_pain", "metric": "exercise_pain", "value": 6, "threshold": 5,
                      "date": day(-1), "exercise": "core.wall_sit", "name": "Wall sit", "count": 1}
    assert row["urgency"]["level"] == 2
    # The alert the second exceedance sent, on the patient page, with the numbers that fired it
    # (it listed "reasons": [] and no figures).
    page = therapist.get(f"{API}/clinic/patients/{runner.user['id']}").get_json()
    [alert] = [a for a in page["alerts"] if a["kind"] == "patient_rehab"]
    assert alert["reasons"] == ["exercise_pain"] and alert["local_date"] == day(-1)
    assert [(e["name"], e["pain"], e["ceiling"], e["date"]) for e in alert["exceedances"]] == [
        ("Wall sit", 7, 5, day(-5)), ("Wall sit", 6, 5, day(-1))]


def test_exercise_pain_at_its_ceiling_or_older_than_three_days_is_not_urgent(app):
    therapist = Therapist(app)
    runner = patient(app, therapist, "Within")
    prescribe(therapist, runner)
    log(runner, 0, ("core.wall_sit", 5))  # 5 against a ceiling of 5: within
    log(runner, -3, ("core.wall_sit", 9))  # above, but four calendar days ago counting today
    row = row_of(therapist, runner)
    assert [e["pain"] for e in row["rehab"]["exceedances"]] == [9]
    assert row["urgency"] == {"level": 0, "reasons": []}


def test_a_red_flag_stays_above_exercise_pain(app):
    therapist = Therapist(app)
    sore = patient(app, therapist, "Sore")
    flagged = patient(app, therapist, "Flagged")
    for runner in (sore, flagged):
        prescribe(therapist, runner)
        log(runner, 0, ("core.wall_sit", 8))
    flagged.put(f"{API}/checkins/{day()}", json={"pain": 2, "swelling": True})
    rows = therapist.get(f"{API}/clinic/patients").get_json()
    assert [r["patient"]["name"] for r in rows] == ["Flagged", "Sore"]
    assert [r["urgency"]["level"] for r in rows] == [4, 2]


def test_the_patient_page_has_adherence_per_exercise_per_week_and_exercise_pains(app):
    therapist = Therapist(app)
    runner = patient(app, therapist, "Weeks")
    prescribe(therapist, runner)
    log(runner, -8, ("core.glute_bridge", 1))
    log(runner, -1, ("core.glute_bridge", 2), ("core.wall_sit", 6))
    log(runner, 0, ("core.wall_sit", None))  # no pain given: not a pain
    page = therapist.get(f"{API}/clinic/patients/{runner.user['id']}").get_json()
    assert page["rehab"]["last_7_days"]["done"] >= 2
    weeks = page["rehab_weeks"]
    start = today() - timedelta(days=13)
    mondays = sorted({adherence.week_monday(start + timedelta(days=n)) for n in range(14)})
    assert [w["from"] for w in weeks] == [max(m, start).isoformat() for m in mondays]
    assert weeks[-1]["to"] == day()
    for week in weeks:
        by = {e["exercise"]: e for e in week["exercises"]}
        assert set(by) == {"core.glute_bridge", "core.wall_sit"}
        assert by["core.wall_sit"]["name"] == "Wall sit"
        assert week["done"] == sum(e["done"] for e in week["exercises"])
    # The bridge (3 days a week) was done on days -8 and -1. A week counts the days done up to
    # the whole days it prescribes: 3/7 a day, so a week cut to its first two days (today a
    # Tuesday) prescribes none and counts none.
    bridge_days = {date.fromisoformat(day(-8)), date.fromisoformat(day(-1))}
    expected = []
    for week in weeks:
        first, last = date.fromisoformat(week["from"]), date.fromisoformat(week["to"])
        prescribed = ((last - first).days + 1) * 3 // 7
        bridge = {e["exercise"]: e for e in week["exercises"]}["core.glute_bridge"]
        assert bridge["prescribed"] == prescribed, week
        expected.append(min(prescribed, sum(first <= d <= last for d in bridge_days)))
    assert [{e["exercise"]: e for e in w["exercises"]}["core.glute_bridge"]["done"] for w in weeks] == expected
    assert sum(expected) >= 1  # the full week before this one holds day -8
    assert page["exercise_pains"] == [
        {"date": day(-8), "pain": 1, "ceiling": 3, "above": False, "exercises": [
            {"date": day(-8), "exercise": "core.glute_bridge", "name": "Glute bridge", "pain": 1, "ceiling": 3}]},
        {"date": day(-1), "pain": 6, "ceiling": 5, "above": True, "exercises": [
            {"date": day(-1), "exercise": "core.glute_bridge", "name": "Glute bridge", "pain": 2, "ceiling": 3},
            {"date": day(-1), "exercise": "core.wall_sit", "name": "Wall sit", "pain": 6, "ceiling": 5}]},
    ]


def test_a_patient_page_without_a_programme_has_empty_rehab_lists(app):
    therapist = Therapist(app)
    runner = patient(app, therapist, "None")
    page = therapist.get(f"{API}/clinic/patients/{runner.user['id']}").get_json()
    assert page["rehab"] is None and page["rehab_weeks"] == [] and page["exercise_pains"] == []


REHAB_TABLES = re.compile(r"\b(programmes|programme_items|exercise_entries|exercise_sessions)\b")


@contextmanager
def rehab_statements(app):
    """Count the SQL statements that read the rehab tables."""
    seen: list[str] = []

    def listen(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT") and REHAB_TABLES.search(statement):
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def test_the_dashboard_reads_the_programmes_in_batches(app):
    therapist = Therapist(app)
    counts = {}
    patients = []
    for size in (3, 50):
        while len(patients) < size:
            runner = patient(app, therapist, f"P{len(patients):02d}")
            prescribe(therapist, runner)
            log(runner, -1, ("core.wall_sit", 6 if len(patients) % 2 else 2))
            patients.append(runner)
        with rehab_statements(app) as seen:
            rows = therapist.get(f"{API}/clinic/patients").get_json()
        assert len(rows) == size and all(r["rehab"]["last_7_days"]["done"] == 1 for r in rows)
        counts[size] = len(seen)
    # versions, items and logged exercises: three reads whatever the number of patients.
    assert counts[3] == counts[50] == 3, counts


def test_the_patient_page_has_the_plans_rest_and_return_as_spans(app):
    therapist = Therapist(app)
    runner = patient(app, therapist, "Spans")
    runner.put(f"{API}/checkins/{day(-6)}", json={"pain": 6})  # above the limit: a rest starts
    page = therapist.get(f"{API}/clinic/patients/{runner.user['id']}").get_json()
    spans = page["plan_spans"]
    assert spans and spans[0]["state"] == "rest" and spans[0]["from"] == day(-6)
    assert spans[-1]["to"] == day()
    for before, after in zip(spans, spans[1:]):  # back to back, never overlapping
        assert before["to"] < after["from"]
    history = {(e["at"], e["to"]) for e in page["plan"]["history"] if e["to"] != e["from"]}
    assert (day(-6), "rest") in history


def _event(offset: int, frm: str, to: str):
    from strideguard.day.reason import Reason
    from strideguard.plan.machine import PlanEvent

    return PlanEvent(date(2026, 3, 1) + timedelta(days=offset), frm, to, "x", Reason("pain", 6, 3))


def test_plan_spans_from_transitions():
    from strideguard.clinic.dashboard import plan_spans

    first, today_ = date(2026, 3, 1), date(2026, 3, 31)
    d = lambda n: first + timedelta(days=n)  # noqa: E731
    assert plan_spans([], "normal", first, today_) == []
    assert plan_spans([], "rest", first, today_) == [{"state": "rest", "from": first, "to": today_}]
    events = [_event(3, "normal", "rest"), _event(6, "rest", "return"), _event(6, "return", "return"),
              _event(20, "return", "normal")]
    assert plan_spans(events, "normal", first, today_) == [
        {"state": "rest", "from": d(3), "to": d(5)}, {"state": "return", "from": d(6), "to": d(19)}]
    # A rest that began before the chart's first day is cut at it; one still going runs to today.
    assert plan_spans([_event(-10, "normal", "rest")], "rest", first, today_) == [
        {"state": "rest", "from": first, "to": today_}]
