"""One JSON style for every answer: compact (no spaces after "," and ":"), keys sorted —
GET /guidance (served from its stored text) included, computed or stored."""

from __future__ import annotations

import json
from datetime import timedelta

from strideguard.timeutil import local_today
from tests.conftest import Runner, Therapist, invite


def compact(response) -> bool:
    text = response.get_data(as_text=True)
    return text.strip() == json.dumps(response.get_json(), separators=(",", ":"), sort_keys=True)


def test_every_answer_is_compact_json(app):
    runner = Runner(app, display_name="Style")
    therapist = Therapist(app)
    therapist.accept(invite(runner)["code"])
    today = local_today("UTC")
    runner.put(f"/api/v1/checkins/{today.isoformat()}", json={"pain": 2})
    for path in ("/api/v1/guidance", "/api/v1/guidance", "/api/v1/plan", "/api/v1/load", "/api/v1/me",
                 f"/api/v1/checkins?from={(today - timedelta(days=3)).isoformat()}", "/api/v1/me/summary"):
        response = runner.get(path)  # /guidance twice: computed, then as stored
        assert response.status_code == 200 and compact(response), (path, response.get_data(as_text=True)[:120])
    for path in ("/api/v1/clinic/patients", f"/api/v1/clinic/patients/{runner.user['id']}"):
        response = therapist.get(path)
        assert response.status_code == 200 and compact(response), path
    error = runner.get("/api/v1/load?date=tomorrow")
    assert error.status_code == 422 and compact(error)
