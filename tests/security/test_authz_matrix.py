"""Object-level authorization: every API route x method x actor (owner, another runner,
anonymous). The table is checked against the app's URL map, so a new route without a row
fails here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from tests.conftest import Runner

DAY = "2026-11-02"
RUN = str(uuid.UUID(int=7))


@dataclass(frozen=True)
class Row:
    """Expected statuses: owner on their own object, another runner on it, anonymous."""

    owner: int
    other: int
    anonymous: int
    body: dict | None = None


RUN_BODY = {"date": DAY, "distance_m": 5000, "duration_s": 1800}
ROWS: dict[tuple[str, str], Row] = {
    ("POST", "/api/v1/auth/register"): Row(409, 409, 409, {"email": "owner@example.org", "password": "knee-safe-42x"}),
    ("POST", "/api/v1/auth/login"): Row(200, 200, 200, {"email": "owner@example.org", "password": "knee-safe-42x"}),
    ("POST", "/api/v1/auth/logout"): Row(204, 204, 401),
    ("POST", "/api/v1/auth/password"): Row(422, 422, 401, {"current_password": "wrong-password-1", "new_password": "another-pass-99"}),
    ("GET", "/api/v1/me"): Row(200, 200, 401),
    ("PATCH", "/api/v1/me"): Row(200, 200, 401, {"units": "mi"}),
    ("DELETE", "/api/v1/me"): Row(422, 422, 401, {"password": "wrong-password-1"}),
    ("GET", "/api/v1/export"): Row(200, 200, 401),
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
    ("GET", "/api/v1/conditions"): Row(200, 200, 401),
    ("GET", "/api/v1/checkin-questions"): Row(200, 200, 401),
    ("GET", "/api/v1/plugins"): Row(200, 200, 401),
    ("GET", "/api/v1/push/key"): Row(200, 200, 200),
    ("GET", "/api/v1/push/subscriptions"): Row(200, 200, 401),
    ("POST", "/api/v1/push/subscriptions"): Row(422, 422, 401, {"endpoint": "https://10.0.0.1/x", "keys": {"p256dh": "B" * 87, "auth": "A" * 22}}),
    ("DELETE", "/api/v1/push/subscriptions"): Row(404, 404, 401, {"endpoint": "https://fcm.googleapis.com/fcm/send/nope"}),
    ("GET", "/api/v1/reminders"): Row(200, 200, 401),
    ("GET", "/api/v1/openapi.json"): Row(200, 200, 200),
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


def _url(app, rule: str, shoe_id: int) -> str:
    return (
        rule.replace("<string:day>", DAY).replace("<string:run_id>", RUN).replace("<int:shoe_id>", str(shoe_id))
    )


@pytest.fixture
def world(app):
    """The owner with one object of every kind, another runner, and an anonymous client."""
    owner = Runner(app, email="owner@example.org")
    owner.put(f"/api/v1/checkins/{DAY}", json={"pain": 2, "note": "owner-secret"})
    owner.put(f"/api/v1/runs/{RUN}", json=RUN_BODY)
    shoe_id = owner.post("/api/v1/shoes", json={"name": "Owner shoes"}).get_json()["id"]
    other = Runner(app)
    return owner, other, app.test_client(), shoe_id


def _call(actor, method: str, url: str, body: dict | None):
    if isinstance(actor, Runner):
        return getattr(actor, method.lower())(url, json=body) if method != "GET" else actor.get(url)
    return actor.open(url, method=method, json=body)


@pytest.mark.parametrize("method,rule", sorted(ROWS))
@pytest.mark.parametrize("who", ["owner", "other", "anonymous"])
def test_route_answers_each_actor_as_the_matrix_says(app, world, method, rule, who):
    owner, other, anonymous, shoe_id = world
    row = ROWS[(method, rule)]
    actor = {"owner": owner, "other": other, "anonymous": anonymous}[who]
    response = _call(actor, method, _url(app, rule, shoe_id), row.body)
    assert response.status_code == getattr(row, who), response.get_data(as_text=True)[:300]
    if response.status_code >= 400:
        assert set(response.get_json()["error"]) >= {"code", "message"}
    # Whatever happened, the owner's objects are intact unless the owner changed them.
    if who != "owner":
        assert owner.get(f"/api/v1/checkins/{DAY}").get_json()["note"] == "owner-secret"
        assert owner.get(f"/api/v1/runs/{RUN}").status_code == 200
        assert [s["id"] for s in owner.get("/api/v1/shoes").get_json()] == [shoe_id]
    # Another runner never sees the owner's data in any answer.
    if who == "other" and response.is_json:
        assert "owner-secret" not in response.get_data(as_text=True)
        assert "owner@example.org" not in response.get_data(as_text=True) or rule.startswith("/api/v1/auth/")


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
]


@pytest.mark.parametrize("method,url,body", MASS_ASSIGNMENT)
def test_no_request_can_set_ids_owners_hashes_or_timestamps(app, world, method, url, body):
    owner = world[0]
    response = _call(owner, method, url, body)
    assert response.status_code == 422
    bad = set(body) - {"pain", "name", "email", "password", *RUN_BODY}
    assert bad <= set(response.get_json()["error"]["fields"])
