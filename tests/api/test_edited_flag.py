"""`edited` on check-ins and runs: false when an entry is first saved (and when the same
body is sent again within the second, as a replay of a lost answer would), true once a later
PUT replaced it, in the runner's lists and on the linked therapist's patient page. Both
databases (the `app` fixture). `edited` reads the timestamps: the server bumps `updated_at` on
every PUT that changes a field; an identical PUT, however much later, changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from strideguard.timeutil import local_today, utcnow
from tests.conftest import linked

RUN_ID = "5b7c1e2a-3d4f-4a5b-8c6d-7e8f9a0b1c2d"


@pytest.fixture
def later(monkeypatch):
    """Make the next writes happen an hour from now (a correction made later that day)."""

    def move() -> None:
        monkeypatch.setattr("strideguard.training.service.utcnow", lambda: utcnow() + timedelta(hours=1))

    return move


def test_entries_are_marked_edited_after_a_later_put(app, later) -> None:
    runner, therapist = linked(app)
    day = local_today("UTC").isoformat()
    run = {"date": day, "distance_m": 82000.0, "duration_s": 30000.0}
    assert runner.put(f"/api/v1/checkins/{day}", json={"pain": 2}).status_code == 201
    created = runner.put(f"/api/v1/runs/{RUN_ID}", json=run)
    assert created.status_code == 201
    assert created.get_json()["run"]["edited"] is False
    # The very same save sent again at once (a replay of a lost answer) is not an edit.
    assert runner.put(f"/api/v1/runs/{RUN_ID}", json=run).get_json()["run"]["edited"] is False

    assert [c["edited"] for c in runner.get("/api/v1/checkins").get_json()] == [False]
    assert [r["edited"] for r in runner.get("/api/v1/runs").get_json()] == [False]
    page = therapist.get(f"/api/v1/clinic/patients/{runner.user['id']}").get_json()
    assert [c["edited"] for c in page["checkins"]] == [False]
    assert [r["edited"] for r in page["runs"]] == [False]

    later()
    # The same bodies an hour later (a phone that sends its queue again) change nothing.
    again = runner.put(f"/api/v1/checkins/{day}", json={"pain": 2})
    assert (again.status_code, again.get_json()["checkin"]["edited"]) == (200, False)
    assert runner.put(f"/api/v1/runs/{RUN_ID}", json=run).get_json()["run"]["edited"] is False
    fixed = runner.put(f"/api/v1/runs/{RUN_ID}", json={**run, "distance_m": 8200.0})
    assert fixed.status_code == 200
    assert fixed.get_json()["run"]["edited"] is True
    assert runner.put(f"/api/v1/checkins/{day}", json={"pain": 4}).get_json()["checkin"]["edited"] is True

    [checkin] = runner.get("/api/v1/checkins").get_json()
    [stored] = runner.get("/api/v1/runs").get_json()
    assert (checkin["pain"], checkin["edited"]) == (4, True)
    assert (stored["distance_m"], stored["edited"]) == (8200.0, True)
    assert runner.get(f"/api/v1/runs/{RUN_ID}").get_json()["edited"] is True
    assert runner.get(f"/api/v1/checkins/{day}").get_json()["edited"] is True
    page = therapist.get(f"/api/v1/clinic/patients/{runner.user['id']}").get_json()
    assert [(c["pain"], c["edited"]) for c in page["checkins"]] == [(4, True)]
    assert [(r["distance_m"], r["edited"]) for r in page["runs"]] == [(8200.0, True)]


def test_edited_is_in_the_openapi_document(client) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    for name in ("Checkin", "Run"):
        assert schemas[name]["properties"]["edited"]["type"] == "boolean"
        assert schemas[name]["properties"]["edited"]["readOnly"] is True
