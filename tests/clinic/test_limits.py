"""Therapist-set limits: they reach guidance and the care plan through runner_settings, the
runner sees them locked, every change is audited, and a revoke gives the runner's own back."""

from __future__ import annotations

from datetime import timedelta

import pytest

from strideguard.accounts.limits import runner_settings, runner_settings_many
from strideguard.accounts.models import User
from strideguard.extensions import db
from strideguard.timeutil import local_today
from tests.conftest import Runner, Therapist, invite, linked
from tests.support.envelope import assert_error


def limits_url(runner: Runner) -> str:
    return f"/api/v1/clinic/patients/{runner.user['id']}/limits"


def today() -> str:
    return local_today("UTC").isoformat()


class TestPainLimitOfFive:
    """A tendon patient on a pain-monitoring model: the therapist allows up to 5/10."""

    def test_pain_5_is_no_stop_and_pain_6_stops_and_starts_a_rest(self, app):
        runner, therapist = linked(app)
        assert therapist.put(limits_url(runner), json={"pain_threshold": 5}).status_code == 200

        five = runner.put(f"/api/v1/checkins/{today()}", json={"pain": 5}).get_json()["guidance"]
        assert five["status"] != "stop"
        assert "core.pain_threshold" not in {a["id"] for a in five["advice"]}
        assert five["plan"]["state"] == "normal"

        six = runner.put(f"/api/v1/checkins/{today()}", json={"pain": 6}).get_json()["guidance"]
        assert six["status"] == "stop"
        [advice] = [a for a in six["advice"] if a["id"] == "core.rest_day"]  # the verdict card
        assert {"metric": "pain", "value": 6, "threshold": 5} in advice["reasons"]
        assert six["plan"]["state"] == "rest"
        assert six["plan"]["cause"] == {"metric": "pain", "value": 6, "threshold": 5}

    def test_without_the_therapist_the_clinic_default_of_3_applies(self, app, runner):
        four = runner.put(f"/api/v1/checkins/{today()}", json={"pain": 4}).get_json()["guidance"]
        assert four["status"] == "stop"
        assert four["plan"]["cause"]["threshold"] == 3

    def test_run_pain_uses_the_same_limit(self, app):
        runner, therapist = linked(app)
        therapist.put(limits_url(runner), json={"pain_threshold": 5})
        body = {"date": today(), "distance_m": 4000, "duration_s": 1500, "pain_during": 5, "pain_after": 5}
        run = runner.put("/api/v1/runs/0b6f6c2e-3c1d-4a51-9a7e-2f8d5f0c9b11", json=body).get_json()
        assert run["guidance"]["status"] != "stop"


def test_weekly_and_speed_limits_reach_the_load_and_the_plan(app):
    runner, therapist = linked(app)
    therapist.put(limits_url(runner), json={"weekly_increase_pct": 5, "speed_increase_pct": 3.5})
    load = runner.get("/api/v1/load").get_json()
    assert (load["weekly_increase_pct"], load["speed_increase_pct"]) == (5.0, 3.5)
    with app.app_context():
        user = db.session.get(User, runner.user["id"])
        settings = runner_settings(user)
        assert (settings.weekly_increase_pct, settings.speed_increase_pct) == (5.0, 3.5)
        assert settings.locked == ("weekly_increase_pct", "speed_increase_pct")
        assert runner_settings_many([user]) == {user.id: settings}  # the sweep sees the same


def test_the_runner_sees_the_limits_locked_and_who_set_them(app):
    runner, therapist = linked(app, display_name="Dana Reyes, PT")
    response = therapist.put(limits_url(runner), json={
        "pain_threshold": 5, "conditions": ["patellar_tendinopathy"],
        "instruction": "Pain up to 5/10 during the run is fine if it settles by morning.",
    })
    assert response.status_code == 200
    me = runner.get("/api/v1/me").get_json()
    assert me["pain_threshold"] == 5 and me["conditions"] == ["patellar_tendinopathy"]
    assert me["locked"] == ["pain_threshold", "conditions", "instruction"]
    who = f"Dana Reyes, PT ({therapist.email})"
    assert me["limits_set_by"] == {"pain_threshold": [who], "conditions": [who], "instruction": [who]}
    assert me["therapist_instruction"].startswith("Pain up to 5/10")
    assert me["weekly_increase_pct"] == 10.0 and "weekly_increase_pct" not in me["locked"]


def test_a_locked_limit_cannot_be_changed_by_the_runner(app):
    runner, therapist = linked(app)
    runner.patch("/api/v1/me", json={"pain_threshold": 2})
    therapist.put(limits_url(runner), json={"pain_threshold": 5})
    assert_error(runner.patch("/api/v1/me", json={"pain_threshold": 7}), 422, field="pain_threshold")
    # The settings form sends every field: the value in force, unchanged, is accepted and
    # does not overwrite the runner's own (2), which returns when access ends.
    ok = runner.patch("/api/v1/me", json={"pain_threshold": 5, "weekly_increase_pct": 8})
    assert ok.status_code == 200 and ok.get_json()["weekly_increase_pct"] == 8
    assert runner.delete(f"/api/v1/me/therapists/{therapist.user['id']}").status_code == 204
    me = runner.get("/api/v1/me").get_json()
    assert (me["pain_threshold"], me["locked"]) == (2, [])


def test_clearing_a_limit_unlocks_it(app):
    runner, therapist = linked(app)
    therapist.put(limits_url(runner), json={"pain_threshold": 5})
    therapist.put(limits_url(runner), json={})  # every field left out: none set
    me = runner.get("/api/v1/me").get_json()
    assert (me["pain_threshold"], me["locked"]) == (3, [])
    assert runner.patch("/api/v1/me", json={"pain_threshold": 2}).status_code == 200  # theirs again
    assert runner.patch("/api/v1/me", json={"pain_threshold": 4}).status_code == 422  # within the clinic's line


def test_two_therapists_the_stricter_number_wins(app, runner):
    _, first = linked(app, runner, display_name="First")
    _, second = linked(app, runner, display_name="Second")
    first.put(limits_url(runner), json={"pain_threshold": 5, "weekly_increase_pct": 8,
                                        "conditions": ["it_band"], "instruction": "first"})
    second.put(limits_url(runner), json={"pain_threshold": 4, "weekly_increase_pct": 12,
                                         "conditions": ["runners_knee"], "instruction": "second"})
    me = runner.get("/api/v1/me").get_json()
    assert (me["pain_threshold"], me["weekly_increase_pct"]) == (4, 8)
    assert sorted(me["conditions"]) == ["it_band", "runners_knee"]
    assert me["therapist_instruction"] == "second"  # the latest change
    assert me["limits_set_by"]["pain_threshold"] == [f"Second ({second.email})"]
    page = first.get(f"/api/v1/clinic/patients/{runner.user['id']}").get_json()
    assert page["limits"]["mine"]["pain_threshold"] == 5
    assert page["limits"]["in_force"]["pain_threshold"] == 4
    assert "pain_threshold" not in page["limits"]["set_by_me"] and "weekly_increase_pct" in page["limits"]["set_by_me"]
    # The page never names the other therapist.
    assert "Second" not in first.get(f"/api/v1/clinic/patients/{runner.user['id']}").get_data(as_text=True)


def test_every_change_is_audited_with_who_when_old_and_new(app):
    runner, therapist = linked(app)
    first = therapist.put(limits_url(runner), json={"pain_threshold": 5}).get_json()
    assert first["changed"] == {"pain_threshold": {"old": None, "new": 5}}
    therapist.put(limits_url(runner), json={"pain_threshold": 4, "weekly_increase_pct": 7.5})
    same = therapist.put(limits_url(runner), json={"pain_threshold": 4, "weekly_increase_pct": 7.5}).get_json()
    assert same["changed"] == {}
    log = [e for e in runner.get("/api/v1/me/access-log").get_json() if e["action"] == "changed_limits"]
    assert [e["detail"]["changes"] for e in log] == [
        {"pain_threshold": {"old": 5, "new": 4}, "weekly_increase_pct": {"old": None, "new": 7.5}},
        {"pain_threshold": {"old": None, "new": 5}},
    ]
    assert {e["therapist_id"] for e in log} == {therapist.user["id"]}
    assert all(e["at"] for e in log)
    page = therapist.get(f"/api/v1/clinic/patients/{runner.user['id']}").get_json()
    assert [h["changes"] for h in page["limit_history"] if h["action"] == "changed_limits"] == [
        e["detail"]["changes"] for e in log]


def test_revoking_removes_the_limits_and_logs_it(app):
    runner, therapist = linked(app)
    therapist.put(limits_url(runner), json={"pain_threshold": 5})
    runner.delete(f"/api/v1/me/therapists/{therapist.user['id']}")
    [latest, *_] = runner.get("/api/v1/me/access-log").get_json()
    assert latest["action"] == "access_revoked"
    assert latest["detail"] == {"changes": {"pain_threshold": {"old": 5, "new": None}}}
    four = runner.put(f"/api/v1/checkins/{today()}", json={"pain": 4}).get_json()["guidance"]
    assert four["status"] == "stop"  # 3/10 again


@pytest.mark.parametrize("body,field", [
    ({"pain_threshold": 10}, "pain_threshold"),
    ({"pain_threshold": -1}, "pain_threshold"),
    ({"pain_threshold": "5"}, None),
    ({"weekly_increase_pct": 101}, "weekly_increase_pct"),
    ({"speed_increase_pct": 7.25}, "speed_increase_pct"),
    ({"conditions": ["not_a_condition"]}, "conditions"),
    ({"conditions": ["it_band", "it_band"]}, "conditions"),
    ({"instruction": "x" * 281}, "instruction"),
    ({"instruction": "bad\x07bell"}, "instruction"),
    ({"colour": "red"}, "colour"),
])
def test_bad_limits_are_refused_and_change_nothing(app, body, field):
    runner, therapist = linked(app)
    therapist.put(limits_url(runner), json={"pain_threshold": 5})
    response = therapist.put(limits_url(runner), json=body)
    if body == {"pain_threshold": "5"}:  # a numeric string is read as the number
        assert response.status_code == 200
        return
    assert_error(response, 422, field=field)
    assert runner.get("/api/v1/me").get_json()["pain_threshold"] == 5


def test_a_therapist_cannot_set_limits_for_someone_who_did_not_invite_them(app, runner):
    stranger = Therapist(app)
    assert_error(stranger.put(limits_url(runner), json={"pain_threshold": 9}), 404)
    assert runner.get("/api/v1/me").get_json()["pain_threshold"] == 3


def test_limits_change_the_plan_from_the_next_check_in(app):
    """Past plan days keep what they were computed with; the next write replays from its date."""
    runner, therapist = linked(app)
    yesterday = (local_today("UTC") - timedelta(days=1)).isoformat()
    assert runner.put(f"/api/v1/checkins/{yesterday}", json={"pain": 4}).get_json()["guidance"]["plan"]["state"] == "rest"
    therapist.put(limits_url(runner), json={"pain_threshold": 5})
    replayed = runner.put(f"/api/v1/checkins/{yesterday}", json={"pain": 4}).get_json()["guidance"]
    assert replayed["plan"]["state"] == "normal" and replayed["status"] != "stop"


def test_limits_for_thousands_of_runners_at_once_read_only_the_links(app):
    """The sweep reads every candidate's therapist limits in one query. With statistics taken
    while no runner had a therapist yet (as the benchmark's seeding does), SQLite once chose
    to scan every account and probe the links once per id: 6 s for 4,688 ids among 20,000
    runners instead of 4 ms. The query must start from the links, whatever the count."""
    from sqlalchemy import insert, select, text

    from strideguard.clinic.limits import many_statement, therapist_limits_many

    with app.app_context():
        db.session.execute(insert(User), [
            {"email": f"bulk{i}@strideguard.invalid", "password_hash": "x"} for i in range(20_000)
        ])
        db.session.commit()
        if db.engine.dialect.name == "sqlite":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
    runner, therapist = linked(app, display_name="Dana Reyes, PT")
    therapist.put(limits_url(runner), json={"pain_threshold": 5})
    with app.app_context():
        ids = list(db.session.execute(select(User.id).order_by(User.id)).scalars())
        assert runner.user["id"] in ids and len(ids) > 20_000
        found = therapist_limits_many(ids)
        assert list(found) == [runner.user["id"]]
        [limits] = found[runner.user["id"]]
        assert (limits.pain_threshold, limits.therapist) == (5, f"Dana Reyes, PT ({therapist.user['email']})")
        if db.engine.dialect.name == "sqlite":
            raw = db.session.connection().connection.dbapi_connection
            for count in (1_000, 4_688, len(ids)):
                compiled = many_statement(ids[:count]).compile(db.engine, compile_kwargs={"render_postcompile": True})
                params = compiled.construct_params()
                plan = raw.execute("EXPLAIN QUERY PLAN " + str(compiled),
                                   [params[name] for name in compiled.positiontup]).fetchall()
                details = [row[3] for row in plan]
                assert not any(d.startswith("SCAN users") for d in details), (count, details)
