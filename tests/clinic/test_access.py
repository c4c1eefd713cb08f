"""Consent and its record: who has access, revocation on the next request, the access log
the runner reads, roles that stay what they were, export and erasure of clinic data."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from strideguard.accounts.models import User
from strideguard.clinic.models import AccessLogEntry, CareInvitation, CareLink
from strideguard.extensions import db
from strideguard.reminders.models import Reminder
from strideguard.timeutil import local_today
from tests.conftest import Runner, Therapist, invite, linked
from tests.support.envelope import assert_error

pytestmark = pytest.mark.database  # its behaviour depends on the database: make test-fast runs its PostgreSQL variant too


def patient_urls(runner: Runner) -> list[tuple[str, str, dict | None]]:
    base = f"/api/v1/clinic/patients/{runner.user['id']}"
    return [("GET", base, None), ("GET", f"{base}/fhir", None), ("PATCH", base, {"muted": True}),
            ("POST", f"{base}/alerts/seen", None), ("PUT", f"{base}/limits", {"pain_threshold": 6})]


def call(actor: Runner, method: str, url: str, body: dict | None):
    return actor.get(url) if method == "GET" else getattr(actor, method.lower())(url, json=body)


def test_revoking_takes_effect_on_the_very_next_request(app):
    runner, therapist = linked(app)
    for method, url, body in patient_urls(runner):
        assert call(therapist, method, url, body).status_code in (200, 204), url
    assert runner.delete(f"/api/v1/me/therapists/{therapist.user['id']}").status_code == 204
    for method, url, body in patient_urls(runner):
        assert_error(call(therapist, method, url, body), 404, "not_found")
    assert therapist.get("/api/v1/clinic/patients").get_json() == []
    assert runner.get("/api/v1/me/therapists").get_json() == []
    assert_error(runner.delete(f"/api/v1/me/therapists/{therapist.user['id']}"), 404)


def test_a_therapist_of_one_runner_sees_nothing_of_another(app):
    runner, therapist = linked(app)
    other = Runner(app)
    other.put(f"/api/v1/checkins/{local_today('UTC').isoformat()}", json={"pain": 2, "note": "private"})
    for method, url, body in patient_urls(other):
        assert_error(call(therapist, method, url, body), 404, "not_found")
    assert [p["patient"]["id"] for p in therapist.get("/api/v1/clinic/patients").get_json()] == [runner.user["id"]]
    assert_error(therapist.get("/api/v1/clinic/patients/99999999999"), 404)


def test_every_access_is_in_the_runners_access_log(app):
    runner, therapist = linked(app, display_name="Dana Reyes")
    pid = runner.user["id"]
    therapist.get("/api/v1/clinic/patients")
    therapist.get(f"/api/v1/clinic/patients/{pid}")
    therapist.get(f"/api/v1/clinic/patients/{pid}/fhir")
    therapist.put(f"/api/v1/clinic/patients/{pid}/limits", json={"pain_threshold": 5})
    # The rehab half's reads too (the exercise sessions were read without a trace).
    therapist.get(f"/api/v1/clinic/patients/{pid}/programme")
    therapist.get(f"/api/v1/clinic/patients/{pid}/adherence")
    assert therapist.get(f"/api/v1/clinic/patients/{pid}/exercise-sessions").status_code == 200
    log = runner.get("/api/v1/me/access-log").get_json()
    assert [e["action"] for e in log[:3]] == ["viewed_exercise_sessions", "viewed_adherence", "viewed_programme"]
    assert log[0]["detail"]["to"] == local_today("UTC").isoformat()
    log = log[3:]
    assert [e["action"] for e in log] == [
        "changed_limits", "exported_fhir", "viewed_patient", "viewed_dashboard", "access_granted"]
    assert {e["therapist"] for e in log} == {f"Dana Reyes ({therapist.email})"}
    assert log[1]["detail"]["to"] == local_today("UTC").isoformat()
    # Paging: newest first, ``before`` an id.
    page = runner.get(f"/api/v1/me/access-log?limit=2&before={log[1]['id']}").get_json()
    assert [e["id"] for e in page] == [log[2]["id"], log[3]["id"]]
    assert_error(runner.get("/api/v1/me/access-log?limit=0"), 422, field="limit")
    assert Runner(app).get("/api/v1/me/access-log").get_json() == []


def test_roles_are_explicit_and_fixed(app):
    runner, therapist = Runner(app), Therapist(app)
    assert runner.user["role"] == "runner" and therapist.user["role"] == "therapist"
    assert_error(runner.patch("/api/v1/me", json={"role": "therapist"}), 422, field="role")
    assert runner.get("/api/v1/me").get_json()["role"] == "runner"
    # A therapist account keeps its own account features but records no running.
    assert therapist.patch("/api/v1/me", json={"display_name": "Dana Reyes, PT"}).status_code == 200
    assert therapist.get("/api/v1/conditions").status_code == 200
    assert therapist.get("/api/v1/reminders").status_code == 200
    for url in ("/api/v1/checkins", "/api/v1/runs", "/api/v1/guidance", "/api/v1/plan", "/api/v1/me/therapists"):
        assert_error(therapist.get(url), 403, "runners_only")
    assert_error(therapist.put(f"/api/v1/checkins/{local_today('UTC').isoformat()}", json={"pain": 1}), 403)
    assert_error(runner.get("/api/v1/clinic/patients"), 403, "therapists_only")
    # A runner account is nobody's therapist.
    code = invite(Runner(app))["code"]
    assert_error(runner.post("/api/v1/clinic/invitations/accept", json={"code": code}), 403, "therapists_only")


@pytest.mark.parametrize("app", [{"THERAPIST_SIGNUP": False}], indirect=True)
def test_a_clinic_can_close_therapist_sign_up(app):
    response = app.test_client().post("/api/v1/auth/register", json={
        "email": "t@example.org", "password": "knee-safe-42x", "role": "therapist"})
    assert_error(response, 403, "therapist_signup_closed")
    assert Runner(app).user["role"] == "runner"  # runners still sign up


def test_the_runners_export_holds_their_care_team_and_access_log_but_no_code_hash(app):
    runner, therapist = linked(app)
    invite(runner)
    therapist.get(f"/api/v1/clinic/patients/{runner.user['id']}")
    data = runner.get("/api/v1/export").get_json()
    assert [link["therapist_id"] for link in data["care_links"]] == [therapist.user["id"]]
    assert {e["action"] for e in data["access_log"]} >= {"access_granted", "viewed_patient"}
    assert len(data["care_invitations"]) == 2 and all("code_hash" not in i for i in data["care_invitations"])
    theirs = therapist.get("/api/v1/export").get_json()
    assert theirs["care_links"] == [] and theirs["access_log"] == []


def _count(model, **where) -> int:
    stmt = select(func.count()).select_from(model)
    for name, value in where.items():
        stmt = stmt.where(getattr(model, name) == value)
    return db.session.execute(stmt).scalar()


def test_every_logged_action_is_documented_and_has_words_in_the_app() -> None:
    # A runner read "Dana viewed_programme": the PWA had words for the first six actions only.
    import re
    from pathlib import Path

    import strideguard
    from strideguard.clinic.schemas import ACTIONS

    server = Path(strideguard.__file__).parent
    logged = set()
    for path in server.rglob("*.py"):
        logged |= set(re.findall(r'\blog\([^,]+, therapist, "([a-z_]+)"', path.read_text()))
    assert logged and logged == set(ACTIONS)
    words = (server.parents[1] / "client" / "js" / "sharing.js").read_text()
    table = words[words.index("const ACTIONS = {"):words.index("};", words.index("const ACTIONS = {"))]
    assert set(re.findall(r"^\s+([a-z_]+):", table, re.M)) == set(ACTIONS)


def test_erasing_a_runner_removes_their_links_log_invitations_and_alerts_about_them(app):
    runner, therapist = linked(app)
    therapist.put(f"/api/v1/clinic/patients/{runner.user['id']}/limits", json={"pain_threshold": 2})
    runner.put(f"/api/v1/checkins/{local_today('UTC').isoformat()}", json={"pain": 5})
    invite(runner)
    with app.app_context():
        assert _count(Reminder, subject_id=runner.user["id"], user_id=therapist.user["id"]) == 1
    assert runner.delete("/api/v1/me", json={"password": runner.password}).status_code == 204
    with app.app_context():
        for model in (CareLink, AccessLogEntry, CareInvitation):
            assert _count(model, user_id=runner.user["id"]) == 0, model
        assert _count(Reminder, subject_id=runner.user["id"]) == 0
    assert therapist.get("/api/v1/clinic/patients").get_json() == []


def test_erasing_a_therapist_ends_their_access_and_keeps_the_runners_log(app):
    runner, therapist = linked(app, display_name="Dana Reyes")
    therapist.put(f"/api/v1/clinic/patients/{runner.user['id']}/limits", json={"pain_threshold": 5})
    assert therapist.delete("/api/v1/me", json={"password": therapist.password}).status_code == 204
    me = runner.get("/api/v1/me").get_json()
    assert (me["pain_threshold"], me["locked"]) == (3, [])
    assert runner.get("/api/v1/me/therapists").get_json() == []
    log = runner.get("/api/v1/me/access-log").get_json()
    assert log and all(e["therapist_id"] is None for e in log)
    assert {e["therapist"] for e in log} == {f"Dana Reyes ({therapist.email})"}
    with app.app_context():
        assert db.session.get(User, therapist.user["id"]) is None
