"""The dashboard: patients by urgency with the numbers behind it, the badge, mute, and the
patient page (12 weeks, plan history with reasons, limits, alerts)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from strideguard.timeutil import local_today
from tests.conftest import Runner, Therapist, invite
from tests.support.envelope import assert_error



def day(offset: int = 0) -> str:
    return (local_today("UTC") + timedelta(days=offset)).isoformat()


def patient(app, therapist: Therapist, name: str) -> Runner:
    runner = Runner(app, display_name=name)
    assert therapist.accept(invite(runner)["code"]).status_code == 200
    return runner


def run(runner: Runner, date: str, metres: float, seconds: float = 3000, **extra) -> dict:
    body = {"date": date, "distance_m": metres, "duration_s": seconds, **extra}
    response = runner.put(f"/api/v1/runs/{uuid.uuid4()}", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def names(therapist: Therapist) -> list[str]:
    return [row["patient"]["name"] for row in therapist.get("/api/v1/clinic/patients").get_json()]


def test_patients_are_ordered_by_urgency_with_the_reasons(app):
    therapist = Therapist(app)
    calm = patient(app, therapist, "Calm")
    jump = patient(app, therapist, "Jump")
    rest = patient(app, therapist, "Rest")
    flag = patient(app, therapist, "Flag")
    calm.put(f"/api/v1/checkins/{day()}", json={"pain": 1})
    # Last calendar week a clean 10 km (the baseline), this week 20 km: +100 % on it.
    monday = local_today("UTC") - timedelta(days=local_today("UTC").weekday())
    run(jump, (monday - timedelta(days=7)).isoformat(), 10_000)
    run(jump, day(), 20_000, 6000)  # same pace: only the distance jumped
    jump.put(f"/api/v1/checkins/{day()}", json={"pain": 2})
    rest.put(f"/api/v1/checkins/{day()}", json={"pain": 6})
    flag.put(f"/api/v1/checkins/{day()}", json={"pain": 2, "locking_or_giving_way": True})

    rows = therapist.get("/api/v1/clinic/patients").get_json()
    assert [r["patient"]["name"] for r in rows] == ["Flag", "Rest", "Jump", "Calm"]
    by_name = {r["patient"]["name"]: r for r in rows}
    assert [r["urgency"]["level"] for r in rows] == [4, 3, 1, 0]
    assert by_name["Flag"]["urgency"]["reasons"][0] == {
        "kind": "red_flag", "metric": "locking_or_giving_way", "value": True, "threshold": None, "date": day()}
    rest_reasons = {r["kind"]: r for r in by_name["Rest"]["urgency"]["reasons"]}
    assert rest_reasons["pain_above_limit"] == {"kind": "pain_above_limit", "metric": "pain", "value": 6,
                                                "threshold": 3, "date": day()}
    assert by_name["Rest"]["plan"]["state"] == "rest" and by_name["Rest"]["plan"]["of_days"] == 3
    [jumped] = by_name["Jump"]["urgency"]["reasons"]
    assert (jumped["kind"], jumped["metric"], jumped["value"], jumped["threshold"]) == ("weekly_jump", "distance_pct", 100.0, 10.0)
    assert by_name["Jump"]["week"]["distance_m"] == 20_000
    assert (by_name["Jump"]["week"]["cap_m"], by_name["Jump"]["week"]["distance_pct"]) == (11_000, 100.0)
    # In a rest the plan decides: no weekly cap to read as permission, no change against it.
    assert (by_name["Rest"]["week"]["cap_m"], by_name["Rest"]["week"]["distance_pct"]) == (None, None)
    assert by_name["Calm"]["urgency"] == {"level": 0, "reasons": []}
    assert by_name["Calm"]["last_checkin"] == {"date": day(), "pain": 1}
    assert by_name["Calm"]["plan"]["state"] == "normal"


def test_a_patient_moves_to_the_top_when_pain_rises(app):
    therapist = Therapist(app)
    first = patient(app, therapist, "Anna")
    second = patient(app, therapist, "Ben")
    first.put(f"/api/v1/checkins/{day()}", json={"pain": 1})
    second.put(f"/api/v1/checkins/{day()}", json={"pain": 2})
    assert names(therapist) == ["Ben", "Anna"]  # same level: the higher recent pain first
    first.put(f"/api/v1/checkins/{day()}", json={"pain": 7})
    assert names(therapist)[0] == "Anna"


def test_the_pain_trend_covers_28_days_and_old_red_flags_fade(app):
    therapist = Therapist(app)
    runner = patient(app, therapist, "Trend")
    for offset, pain in ((-30, 3), (-27, 2), (-5, 3), (-1, 1)):
        runner.put(f"/api/v1/checkins/{day(offset)}", json={"pain": pain, "swelling": offset == -5})
    [row] = therapist.get("/api/v1/clinic/patients").get_json()
    assert row["pain_trend"] == [{"date": day(-27), "pain": 2}, {"date": day(-5), "pain": 3}, {"date": day(-1), "pain": 1}]
    assert all(r["kind"] != "red_flag" for r in row["urgency"]["reasons"])  # swelling 5 days ago


def test_alerts_make_a_badge_until_the_therapist_opens_them(app):
    therapist = Therapist(app)
    runner = patient(app, therapist, "Badge")
    runner.put(f"/api/v1/checkins/{day()}", json={"pain": 6, "swelling": True})
    [row] = therapist.get("/api/v1/clinic/patients").get_json()
    assert row["alerts_unseen"] == 1  # urgent + limit: ONE alert (the other folded into it)
    page = therapist.get(f"/api/v1/clinic/patients/{runner.user['id']}").get_json()
    [alert] = page["alerts"]
    assert alert["kind"] == "patient_urgent" and alert["flags"] == ["swelling"]
    assert therapist.post(f"/api/v1/clinic/patients/{runner.user['id']}/alerts/seen").status_code == 204
    assert therapist.get("/api/v1/clinic/patients").get_json()[0]["alerts_unseen"] == 0


def test_muting_keeps_the_patient_on_the_dashboard(app):
    therapist = Therapist(app)
    runner = patient(app, therapist, "Muted")
    assert therapist.patch(f"/api/v1/clinic/patients/{runner.user['id']}", json={"muted": True}).status_code == 204
    runner.put(f"/api/v1/checkins/{day()}", json={"pain": 8})
    [row] = therapist.get("/api/v1/clinic/patients").get_json()
    assert row["muted"] is True and row["alerts_unseen"] == 1 and row["urgency"]["level"] == 3
    [alert] = therapist.get(f"/api/v1/clinic/patients/{runner.user['id']}").get_json()["alerts"]
    assert alert["status"] == "skipped"  # no push goes out (tests/clinic/test_alert_push.py)
    assert_error(therapist.patch(f"/api/v1/clinic/patients/{runner.user['id']}", json={}), 422, field="muted")


def test_the_patient_page_has_twelve_weeks_the_plan_history_and_the_guidance(app):
    therapist = Therapist(app)
    runner = patient(app, therapist, "Page")
    run(runner, day(-20), 6000, pain_after=2)
    runner.put(f"/api/v1/checkins/{day(-1)}", json={"pain": 7, "note": "stairs hurt"})
    runner.put(f"/api/v1/checkins/{day()}", json={"pain": 4})
    page = therapist.get(f"/api/v1/clinic/patients/{runner.user['id']}").get_json()
    assert len(page["load"]["weeks"]) == 12
    assert [c["date"] for c in page["checkins"]] == [day(-1), day()]
    assert page["checkins"][0]["note"] == "stairs hurt"
    assert [r["date"] for r in page["runs"]] == [day(-20)]
    history = page["plan"]["history"]
    [started] = [e for e in history if e["kind"] == "rest_started"]
    assert started["at"] == day(-1) and started["reason"] == {"metric": "pain", "value": 7, "threshold": 3}
    assert page["plan"]["state"] == "rest"
    assert page["guidance"]["status"] == "stop"
    assert page["limits"]["in_force"]["pain_threshold"] == 3 and page["limits"]["mine"]["pain_threshold"] is None
    assert page["timezone"] == "UTC"


def test_a_therapist_with_no_patients_sees_an_empty_list(app):
    assert Therapist(app).get("/api/v1/clinic/patients").get_json() == []
