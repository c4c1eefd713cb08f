"""Object-level authorization: every API route x method x actor. The actors: the owner (a
runner with one object of every kind), another runner, the therapist the owner invited, a
therapist whose access the owner revoked, a therapist the owner never invited, and an
anonymous client. The table is checked against the app's URL map, so a new route without a
row fails here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from strideguard.timeutil import local_today
from tests.conftest import Runner, Therapist, invite
from tests.imports.support import fixture, upload, wait_done

DAY = "2026-11-02"
RUN = str(uuid.UUID(int=7))
ACTORS = ("owner", "other", "therapist", "revoked", "stranger", "anonymous")


@dataclass(frozen=True)
class Row:
    """Expected statuses: owner on their own object, another runner on it, the invited
    therapist, the revoked one, a therapist never invited, anonymous."""

    owner: int
    other: int
    anonymous: int
    body: dict | None = None
    therapist: int = 403
    revoked: int = 403
    stranger: int = 403

    @classmethod
    def account(cls, owner: int, anonymous: int, body: dict | None = None) -> "Row":
        """A route every signed-in account answers the same way (its own account)."""
        return cls(owner, owner, anonymous, body, owner, owner, owner)

    @classmethod
    def clinic(cls, invited: int, body: dict | None = None, foreign: int = 404) -> "Row":
        """A therapist's route about the owner: runners 403, strangers and the revoked 404."""
        return cls(403, 403, 401, body, invited, foreign, foreign)


RUN_BODY = {"date": DAY, "distance_m": 5000, "duration_s": 1800}
SESSION = str(uuid.UUID(int=0x5E55))
#: The owner's exercise session (logged today: a programme starts at most 90 days back).
SESSION_BODY = {"date": local_today("UTC").isoformat(),
                "entries": [{"exercise": "core.glute_bridge", "sets": [{"reps": 12}, {"reps": 10}], "pain": 2}]}
PROGRAMME = {"items": [{"exercise": "core.glute_bridge", "sets": 3, "reps": 12, "per_week": 3},
                       {"exercise": "core.wall_sit", "per_week": 7, "pain_ceiling": 5}]}
EXERCISE = {"name": "Towel squeeze", "instructions": "Squeeze a rolled towel between the knees.",
            "trains": ["quadriceps"], "dose": "hold", "sets": 1, "reps": 10, "seconds": 5, "sides": "both"}
LOGIN = {"email": "owner@example.org", "password": "knee-safe-42x"}
ROWS: dict[tuple[str, str], Row] = {
    ("POST", "/api/v1/auth/register"): Row.account(422, 422, LOGIN),  # taken: the malformed-email answer
    ("POST", "/api/v1/auth/login"): Row.account(200, 200, LOGIN),
    ("POST", "/api/v1/auth/logout"): Row.account(204, 401),
    ("POST", "/api/v1/auth/password"): Row.account(422, 401, {"current_password": "wrong-password-1", "new_password": "another-pass-99"}),
    ("GET", "/api/v1/me"): Row.account(200, 401),
    ("PATCH", "/api/v1/me"): Row.account(200, 401, {"units": "mi"}),
    ("DELETE", "/api/v1/me"): Row.account(422, 401, {"password": "wrong-password-1"}),
    ("GET", "/api/v1/export"): Row.account(200, 401),
    ("PUT", "/api/v1/checkins/<string:day>"): Row(200, 201, 401, {"pain": 2}),
    ("GET", "/api/v1/checkins"): Row(200, 200, 401),
    ("GET", "/api/v1/checkins/<string:day>"): Row(200, 404, 401),
    ("DELETE", "/api/v1/checkins/<string:day>"): Row(204, 404, 401),
    ("PUT", "/api/v1/runs/<string:run_id>"): Row(200, 201, 401, RUN_BODY),
    ("GET", "/api/v1/runs"): Row(200, 200, 401),
    ("GET", "/api/v1/runs/<string:run_id>"): Row(200, 404, 401),
    ("DELETE", "/api/v1/runs/<string:run_id>"): Row(204, 404, 401),
    ("GET", "/api/v1/shoes"): Row(200, 200, 401),
    ("POST", "/api/v1/shoes"): Row(201, 201, 401, {"name": "Trainers"}),
    ("PATCH", "/api/v1/shoes/<int:shoe_id>"): Row(200, 404, 401, {"retired": True}),
    ("DELETE", "/api/v1/shoes/<int:shoe_id>"): Row(204, 404, 401),
    ("GET", "/api/v1/load"): Row(200, 200, 401),
    ("GET", "/api/v1/guidance"): Row(200, 200, 401),
    ("GET", "/api/v1/plan"): Row(200, 200, 401),
    ("GET", "/api/v1/conditions"): Row.account(200, 401),
    ("GET", "/api/v1/checkin-questions"): Row(200, 200, 401),
    ("GET", "/api/v1/plugins"): Row(200, 200, 401),
    ("GET", "/api/v1/push/key"): Row.account(200, 200),
    ("GET", "/api/v1/push/subscriptions"): Row.account(200, 401),
    ("POST", "/api/v1/push/subscriptions"): Row.account(422, 401, {"endpoint": "https://10.0.0.1/x", "keys": {"p256dh": "B" * 87, "auth": "A" * 22}}),
    ("DELETE", "/api/v1/push/subscriptions"): Row.account(404, 401, {"endpoint": "https://fcm.googleapis.com/fcm/send/nope"}),
    ("GET", "/api/v1/reminders"): Row.account(200, 401),
    ("GET", "/api/v1/openapi.json"): Row.account(200, 200),
    # A JSON body has no file: 422 for the signed in (multipart uploads: tests/imports).
    ("POST", "/api/v1/imports"): Row(422, 422, 401, {"keep_file": True}),
    ("GET", "/api/v1/imports"): Row(200, 200, 401),
    ("GET", "/api/v1/imports/<int:import_id>"): Row(200, 404, 401),
    # The world's file is a ride the import skipped: nothing to answer (409), not found for others.
    ("POST", "/api/v1/imports/<int:import_id>/files/<int:file_id>/answer"): Row(409, 404, 401, {"answer": "run"}),
    # The runner's sharing routes (runner accounts only).
    ("POST", "/api/v1/me/invitations"): Row(201, 201, 401),
    ("GET", "/api/v1/me/invitations"): Row(200, 200, 401),
    ("DELETE", "/api/v1/me/invitations/<int:invitation_id>"): Row(204, 404, 401),
    ("GET", "/api/v1/me/therapists"): Row(200, 200, 401),
    ("DELETE", "/api/v1/me/therapists/<int:therapist_id>"): Row(204, 404, 401),
    ("GET", "/api/v1/me/access-log"): Row(200, 200, 401),
    ("GET", "/api/v1/me/summary"): Row(200, 200, 401),
    # The therapist's routes (therapist accounts only; about the owner: the invited one only).
    ("POST", "/api/v1/clinic/invitations/accept"): Row.clinic(404, {"code": "AAAA-BBBB-CCCC"}),
    ("GET", "/api/v1/clinic/patients"): Row.clinic(200, foreign=200),
    ("GET", "/api/v1/clinic/patients/<int:patient_id>"): Row.clinic(200),
    ("PATCH", "/api/v1/clinic/patients/<int:patient_id>"): Row.clinic(204, {"muted": True}),
    ("POST", "/api/v1/clinic/patients/<int:patient_id>/alerts/seen"): Row.clinic(204),
    ("PUT", "/api/v1/clinic/patients/<int:patient_id>/limits"): Row.clinic(200, {"pain_threshold": 5}),
    ("GET", "/api/v1/clinic/patients/<int:patient_id>/fhir"): Row.clinic(200),
    ("POST", "/api/v1/clinic/patients/<int:patient_id>/assessment"): Row.clinic(201, {"note": "Knee checked."}),
    # The rehab half. The library: every account (a therapist also sees their own exercises).
    ("GET", "/api/v1/exercises"): Row.account(200, 401),
    # A therapist's own exercises: any therapist adds theirs; the one the invited therapist
    # wrote is theirs alone (the revoked and the stranger: 404); runners 403.
    ("POST", "/api/v1/clinic/exercises"): Row.clinic(201, EXERCISE, foreign=201),
    ("PATCH", "/api/v1/clinic/exercises/<string:exercise_id>"): Row.clinic(200, {"reps": 12}),
    ("DELETE", "/api/v1/clinic/exercises/<string:exercise_id>"): Row.clinic(204),
    # The owner's programme, adherence and sessions: the invited therapist only; a runner,
    # the owner included, never changes a prescription (403).
    ("GET", "/api/v1/clinic/patients/<int:patient_id>/programme"): Row.clinic(200),
    ("PUT", "/api/v1/clinic/patients/<int:patient_id>/programme"): Row.clinic(200, PROGRAMME),
    ("GET", "/api/v1/clinic/patients/<int:patient_id>/adherence"): Row.clinic(200),
    ("GET", "/api/v1/clinic/patients/<int:patient_id>/exercise-sessions"): Row.clinic(200),
    # The runner's side (runner accounts only): their own programme, day, sessions, adherence.
    ("GET", "/api/v1/me/programme"): Row(200, 200, 401),
    ("GET", "/api/v1/me/programme/today"): Row(200, 200, 401),
    # Another runner PUTting the owner's UUID logs a session of their own (a general starter
    # exercise): the owner's is untouched.
    ("PUT", "/api/v1/exercise-sessions/<string:session_id>"): Row(200, 201, 401, SESSION_BODY),
    ("GET", "/api/v1/exercise-sessions"): Row(200, 200, 401),
    ("GET", "/api/v1/exercise-sessions/<string:session_id>"): Row(200, 404, 401),
    ("DELETE", "/api/v1/exercise-sessions/<string:session_id>"): Row(204, 404, 401),
    ("GET", "/api/v1/me/adherence"): Row(200, 200, 401),
}


def api_routes(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((method, rule.rule))
    return found


def test_every_api_route_has_a_row_in_the_matrix(app):
    routes = api_routes(app)
    assert routes - set(ROWS) == set(), "new route without an authorization row"
    assert set(ROWS) - routes == set(), "row for a route that no longer exists"


@dataclass
class World:
    owner: Runner
    other: Runner
    therapist: Therapist
    revoked: Therapist
    stranger: Therapist
    anonymous: object
    ids: dict[str, str]


def _url(rule: str, ids: dict[str, str]) -> str:
    for name, value in ids.items():
        rule = rule.replace(name, value)
    return rule


@pytest.fixture
def world(app) -> World:
    """The owner with one object of every kind and a therapist of each standing."""
    owner = Runner(app, email="owner@example.org", display_name="Owner Person")
    owner.put(f"/api/v1/checkins/{DAY}", json={"pain": 2, "note": "owner-secret"})
    owner.put(f"/api/v1/runs/{RUN}", json=RUN_BODY)
    shoe_id = owner.post("/api/v1/shoes", json={"name": "Owner shoes"}).get_json()["id"]
    import_id = upload(owner, "owner.fit", fixture("garmin-fenix-5-bike.fit")).get_json()["import"]["id"]
    [file_id] = [f["id"] for f in wait_done(owner, import_id)["files"]]
    therapist, revoked, stranger = Therapist(app), Therapist(app), Therapist(app)
    assert therapist.accept(invite(owner)["code"]).status_code == 200
    assert revoked.accept(invite(owner)["code"]).status_code == 200
    assert owner.delete(f"/api/v1/me/therapists/{revoked.user['id']}").status_code == 204
    invitation_id = invite(owner)["id"]
    # The rehab objects: the invited therapist's programme for the owner and an exercise of
    # their own; a session the owner logged.
    prescribed = therapist.put(f"/api/v1/clinic/patients/{owner.user['id']}/programme", json=PROGRAMME)
    assert prescribed.status_code == 200, prescribed.get_json()
    exercise = therapist.post("/api/v1/clinic/exercises", json=EXERCISE)
    assert exercise.status_code == 201, exercise.get_json()
    assert owner.put(f"/api/v1/exercise-sessions/{SESSION}", json=SESSION_BODY).status_code == 201
    ids = {"<string:day>": DAY, "<string:run_id>": RUN, "<int:shoe_id>": str(shoe_id),
           "<int:patient_id>": str(owner.user["id"]), "<int:therapist_id>": str(therapist.user["id"]),
           "<int:invitation_id>": str(invitation_id), "<int:import_id>": str(import_id),
           "<int:file_id>": str(file_id), "<string:session_id>": SESSION,
           "<string:exercise_id>": exercise.get_json()["id"]}
    return World(owner, Runner(app), therapist, revoked, stranger, app.test_client(), ids)


def _call(actor, method: str, url: str, body: dict | None):
    if isinstance(actor, Runner):
        return getattr(actor, method.lower())(url, json=body) if method != "GET" else actor.get(url)
    return actor.open(url, method=method, json=body)


#: The order the actors call a route in one world: the owner last, so nobody else's call
#: finds the owner's objects already changed by the owner.
ORDER = ("anonymous", "other", "stranger", "revoked", "therapist", "owner")


@pytest.mark.parametrize("method,rule", sorted(ROWS))
def test_route_answers_each_actor_as_the_matrix_says(app, world, method, rule):
    row = ROWS[(method, rule)]
    owner = world.owner
    got: dict[str, int] = {}
    for who in ORDER:
        response = _call(getattr(world, who), method, _url(rule, world.ids), row.body)
        got[who] = response.status_code
        if response.status_code >= 400:
            assert set(response.get_json()["error"]) >= {"code", "message"}, (who, response.get_json())
        if who == "owner":
            continue
        # The owner's objects are intact: a therapist, invited or not, never writes a
        # runner's check-ins, runs or shoes.
        assert owner.get(f"/api/v1/checkins/{DAY}").get_json()["note"] == "owner-secret", who
        assert owner.get(f"/api/v1/runs/{RUN}").get_json()["distance_m"] == RUN_BODY["distance_m"], who
        assert [s["id"] for s in owner.get("/api/v1/shoes").get_json()] == [int(world.ids["<int:shoe_id>"])], who
        # Nobody but the owner writes their exercise sessions; nobody but the invited
        # therapist changes their programme.
        logged = owner.get(f"/api/v1/exercise-sessions/{SESSION}").get_json()
        assert [(e["exercise"], e["sets_done"], e["pain"]) for e in logged["entries"]] == [
            ("core.glute_bridge", 2, 2)], who
        if who != "therapist":
            assert owner.get("/api/v1/me/programme").get_json()["programme"]["version"] == 1, who
        # Nobody but the owner and the invited therapist ever sees the owner's data (auth:
        # the owner's own credentials are the body).
        if who != "therapist" and response.is_json and not rule.startswith("/api/v1/auth/"):
            text = response.get_data(as_text=True)
            assert "owner-secret" not in text and "Owner Person" not in text, who
            assert "owner@example.org" not in text, who
    assert got == {who: getattr(row, who) for who in ORDER}


def test_the_invited_therapist_sees_the_owner_and_the_others_do_not(app, world):
    [row] = world.therapist.get("/api/v1/clinic/patients").get_json()
    assert row["patient"] == {"id": world.owner.user["id"], "name": "Owner Person", "email": "owner@example.org"}
    assert world.revoked.get("/api/v1/clinic/patients").get_json() == []
    assert world.stranger.get("/api/v1/clinic/patients").get_json() == []


def test_a_revoked_therapist_reads_no_rehab_from_the_next_request_on(app, world):
    """The same signed-in therapist client: 200 before the owner revokes, 404 on the very
    next request to every rehab route about the owner; their own exercise stays theirs; the
    owner's exercise pain alerts go to the therapist linked now, not the revoked one."""
    from sqlalchemy import select

    from strideguard.extensions import db
    from strideguard.reminders.models import Reminder

    owner, therapist = world.owner, world.therapist
    base = f"/api/v1/clinic/patients/{owner.user['id']}"
    reads = [base, f"{base}/programme", f"{base}/adherence", f"{base}/exercise-sessions", f"{base}/fhir"]
    for url in reads:
        assert therapist.get(url).status_code == 200, url
    assert owner.delete(f"/api/v1/me/therapists/{therapist.user['id']}").status_code == 204
    for url in reads:
        response = therapist.get(url)
        assert response.status_code == 404, url
        assert "Owner Person" not in response.get_data(as_text=True) and "glute" not in response.get_data(as_text=True)
    changed = therapist.put(f"{base}/programme", json={"items": []})
    assert changed.status_code == 404
    assert owner.get("/api/v1/me/programme").get_json()["programme"]["version"] == 1
    assert therapist.get("/api/v1/clinic/patients").get_json() == []
    assert therapist.patch(f"/api/v1/clinic/exercises/{world.ids['<string:exercise_id>']}",
                           json={"reps": 8}).status_code == 200
    # Pain above both ceilings twice in one day: the alert goes to whoever is linked now.
    successor = Therapist(app)
    assert successor.accept(invite(owner)["code"]).status_code == 200
    hurt = {"date": SESSION_BODY["date"], "entries": [
        {"exercise": "core.glute_bridge", "sets": [{"reps": 10}], "pain": 9},
        {"exercise": "core.wall_sit", "sets": [{"seconds": 30}], "pain": 9}]}
    assert owner.put(f"/api/v1/exercise-sessions/{uuid.UUID(int=0x5E56)}", json=hurt).status_code == 201
    with app.app_context():
        to = db.session.execute(select(Reminder.user_id).where(Reminder.kind == "patient_rehab")).scalars().all()
        db.session.remove()
    assert to == [successor.user["id"]]


def test_a_runner_cannot_set_a_ceiling_or_a_programme_through_a_session(app, world):
    """The ceiling stored with an entry is the prescription's, whatever the runner sends."""
    owner = world.owner
    body = {**SESSION_BODY, "entries": [{**SESSION_BODY["entries"][0], "ceiling": 10}]}
    refused = owner.put(f"/api/v1/exercise-sessions/{SESSION}", json=body)
    assert refused.status_code == 422 and "entries" in refused.get_json()["error"]["fields"]
    [entry] = owner.get(f"/api/v1/exercise-sessions/{SESSION}").get_json()["entries"]
    prescribed = owner.get("/api/v1/me/programme").get_json()["programme"]["items"][0]
    assert entry["ceiling"] == prescribed["ceiling"] and prescribed["pain_ceiling"] is None


MASS_ASSIGNMENT = [
    ("PATCH", "/api/v1/me", {"id": 999}),
    ("PATCH", "/api/v1/me", {"password_hash": "x"}),
    ("PATCH", "/api/v1/me", {"created_at": "2020-01-01T00:00:00Z"}),
    ("PUT", f"/api/v1/checkins/{DAY}", {"pain": 1, "user_id": 1}),
    ("PUT", f"/api/v1/checkins/{DAY}", {"pain": 1, "created_at": "2020-01-01T00:00:00Z"}),
    ("PUT", f"/api/v1/runs/{RUN}", {**RUN_BODY, "user_id": 1}),
    ("PUT", f"/api/v1/runs/{RUN}", {**RUN_BODY, "id": "x"}),
    ("POST", "/api/v1/shoes", {"name": "x", "distance_m": 0}),
    ("POST", "/api/v1/shoes", {"name": "x", "user_id": 1}),
    ("POST", "/api/v1/auth/register", {"email": "m@example.org", "password": "knee-safe-42x", "id": 1}),
    ("POST", "/api/v1/auth/register", {"email": "m@example.org", "password": "knee-safe-42x", "role": "admin"}),
    ("PATCH", "/api/v1/me", {"role": "therapist"}),
    ("PATCH", "/api/v1/me", {"locked": []}),
    ("PUT", "/api/v1/clinic/patients/<int:patient_id>/limits", {"pain_threshold": 5, "therapist_id": 1}),
    ("PUT", "/api/v1/clinic/patients/<int:patient_id>/limits", {"pain_threshold": 5, "user_id": 1}),
    ("PATCH", "/api/v1/clinic/patients/<int:patient_id>", {"muted": True, "alerts_seen_at": "2020-01-01T00:00:00Z"}),
    ("PUT", f"/api/v1/exercise-sessions/{SESSION}", {**SESSION_BODY, "user_id": 1}),
    ("PUT", f"/api/v1/exercise-sessions/{SESSION}", {**SESSION_BODY, "programme_id": 1}),
    ("PUT", f"/api/v1/exercise-sessions/{SESSION}", {**SESSION_BODY, "general": False}),
    ("PUT", "/api/v1/clinic/patients/<int:patient_id>/programme", {**PROGRAMME, "version": 7}),
    ("PUT", "/api/v1/clinic/patients/<int:patient_id>/programme", {**PROGRAMME, "therapist_id": 1}),
    ("PUT", "/api/v1/clinic/patients/<int:patient_id>/programme", {**PROGRAMME, "user_id": 1}),
    ("POST", "/api/v1/clinic/exercises", {**EXERCISE, "user_id": 1}),
    ("PATCH", "/api/v1/clinic/exercises/<string:exercise_id>", {"reps": 8, "retired_at": "2020-01-01T00:00:00Z"}),
]


@pytest.mark.parametrize("method,url,body", MASS_ASSIGNMENT)
def test_no_request_can_set_ids_owners_hashes_or_timestamps(app, world, method, url, body):
    actor = world.therapist if url.startswith("/api/v1/clinic/") else world.owner
    response = _call(actor, method, _url(url, world.ids), body)
    assert response.status_code == 422
    bad = set(body) - {"pain", "name", "email", "password", "pain_threshold", "muted", *RUN_BODY, *SESSION_BODY,
                       *PROGRAMME, *EXERCISE}
    assert bad <= set(response.get_json()["error"]["fields"])
