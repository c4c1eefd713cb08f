"""Runs per endpoint and actor (DESIGN §3 Runs): PUT by the client's UUID, replays that never
duplicate, validation naming the field, and another runner's UUID never overwritten."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from tests.conftest import Runner
from tests.support.envelope import assert_error

pytestmark = pytest.mark.database  # its behaviour depends on the database: make test-fast runs its PostgreSQL variant too

RUN_ID = "3f2c9a4e-8b1d-4c6e-9f0a-1b2c3d4e5f60"
OTHER_ID = "7d1e2f3a-4b5c-4d6e-8f90-a1b2c3d4e5f6"
RUN = {
    "date": "2025-03-12",
    "distance_m": 8000.0,
    "duration_s": 2700.0,
    "pain_during": 2,
    "pain_after": 3,
    "pain_onset_m": 6000.0,
    "surface": "trail",
    "note": "Hilly loop.",
}


def url(run_id: str = RUN_ID) -> str:
    return f"/api/v1/runs/{run_id}"


def runs_of(runner: Runner) -> list[dict]:
    return runner.get("/api/v1/runs?from=2025-01-01&to=2025-12-31").get_json()


class TestPutRunAsOwner:
    def test_first_put_creates_the_run_with_guidance(self, runner: Runner) -> None:
        response = runner.put(url(), json=RUN)

        assert response.status_code == 201
        body = response.get_json()
        assert body["run"]["id"] == RUN_ID
        assert {k: body["run"][k] for k in RUN} == RUN
        assert body["run"]["shoe_id"] is None
        assert body["run"]["created_at"].endswith("+00:00")
        assert body["guidance"]["as_of"] == RUN["date"]
        assert runner.get(url()).get_json() == body["run"]

    def test_a_later_put_replaces_the_run(self, runner: Runner) -> None:
        runner.put(url(), json=RUN)

        response = runner.put(url(), json={"date": "2025-03-11", "distance_m": 5000, "duration_s": 1500})

        assert response.status_code == 200
        stored = runner.get(url()).get_json()
        assert (stored["date"], stored["distance_m"], stored["duration_s"]) == ("2025-03-11", 5000, 1500)
        assert stored["pain_during"] is None and stored["note"] is None and stored["surface"] is None
        assert [r["id"] for r in runs_of(runner)] == [RUN_ID]

    def test_replays_never_duplicate_a_run(self, runner: Runner) -> None:
        statuses = [runner.put(url(), json=RUN).status_code for _ in range(4)]

        assert statuses == [201, 200, 200, 200]
        assert len(runs_of(runner)) == 1
        assert runner.get("/api/v1/load?date=2025-03-12").get_json()["current"]["distance_m"] == 8000

    def test_the_uuid_is_case_insensitive(self, runner: Runner) -> None:
        runner.put(url(), json=RUN)

        response = runner.put(url(RUN_ID.upper()), json=RUN)

        assert response.status_code == 200
        assert response.get_json()["run"]["id"] == RUN_ID
        assert len(runs_of(runner)) == 1

    def test_pain_onset_may_equal_the_distance(self, runner: Runner) -> None:
        assert runner.put(url(), json={**RUN, "pain_onset_m": RUN["distance_m"]}).status_code == 201

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"distance_m": 0}, "distance_m"),
            ({"distance_m": -100}, "distance_m"),
            ({"distance_m": 2_000_000}, "distance_m"),
            ({"distance_m": "far"}, "distance_m"),
            ({"distance_m": None}, "distance_m"),
            ({"duration_s": 0}, "duration_s"),
            ({"duration_s": -60}, "duration_s"),
            ({"date": "2025-02-30"}, "date"),
            ({"date": None}, "date"),
            ({"pain_during": 11}, "pain_during"),
            ({"pain_during": -1}, "pain_during"),
            ({"pain_after": 2.5}, "pain_after"),
            ({"pain_after": "4"}, "pain_after"),
            ({"pain_onset_m": 8000.5}, "pain_onset_m"),  # pain cannot start after the run ended
            ({"pain_onset_m": -1}, "pain_onset_m"),
            ({"surface": "moon"}, "surface"),
            ({"note": "x" * 1001}, "note"),
            ({"shoe_id": 0}, "shoe_id"),
            ({"shoe_id": 999999}, "shoe_id"),
            ({"shoe_id": "1"}, "shoe_id"),
            ({"id": OTHER_ID}, "id"),
            ({"user_id": 1}, "user_id"),
        ],
    )
    def test_an_invalid_field_is_named_and_nothing_is_stored(self, runner: Runner, changes: dict, field: str) -> None:
        assert_error(runner.put(url(), json={**RUN, **changes}), 422, "validation_failed", field)

        assert_error(runner.get(url()), 404)

    @pytest.mark.parametrize("missing", ["date", "distance_m", "duration_s"])
    def test_a_missing_required_field_is_named(self, runner: Runner, missing: str) -> None:
        body = {k: v for k, v in RUN.items() if k != missing}

        assert_error(runner.put(url(), json=body), 422, "validation_failed", missing)

    def test_a_run_dated_tomorrow_in_the_runners_zone_is_422(self, app) -> None:
        runner = Runner(app, timezone="Pacific/Kiritimati")
        tomorrow = datetime.now(ZoneInfo("Pacific/Kiritimati")).date() + timedelta(days=1)

        assert_error(runner.put(url(), json={**RUN, "date": tomorrow.isoformat()}), 422, "validation_failed", "date")
        assert runner.put(url(), json={**RUN, "date": (tomorrow - timedelta(days=1)).isoformat()}).status_code == 201

    @pytest.mark.parametrize("bad", ["not-a-uuid", "1234", "3f2c9a4e-8b1d-4c6e-9f0a-1b2c3d4e5f6z"])
    def test_a_bad_uuid_is_422(self, runner: Runner, bad: str) -> None:
        assert_error(runner.put(url(bad), json=RUN), 422, "validation_failed", "uuid")
        assert_error(runner.get(url(bad)), 422, "validation_failed", "uuid")

    def test_the_runners_own_shoe_is_accepted(self, runner: Runner) -> None:
        shoe = runner.post("/api/v1/shoes", json={"name": "Road pair"}).get_json()

        response = runner.put(url(), json={**RUN, "shoe_id": shoe["id"]})

        assert response.status_code == 201
        assert response.get_json()["run"]["shoe_id"] == shoe["id"]


class TestListGetDeleteRunsAsOwner:
    def test_list_returns_the_range_inclusive_in_date_order(self, runner: Runner) -> None:
        ids = {}
        for n, day in enumerate(("2025-03-14", "2025-03-09", "2025-03-10", "2025-03-12", "2025-03-15")):
            ids[day] = f"00000000-0000-4000-8000-00000000000{n}"
            runner.put(url(ids[day]), json={**RUN, "date": day})

        listed = runner.get("/api/v1/runs?from=2025-03-10&to=2025-03-14").get_json()

        assert [r["date"] for r in listed] == ["2025-03-10", "2025-03-12", "2025-03-14"]
        assert [r["id"] for r in listed] == [ids["2025-03-10"], ids["2025-03-12"], ids["2025-03-14"]]

    def test_list_defaults_to_the_last_90_days(self, runner: Runner) -> None:
        today = datetime.now(timezone.utc).date()
        for n, back in enumerate((0, 89, 90)):
            day = (today - timedelta(days=back)).isoformat()
            runner.put(url(f"00000000-0000-4000-8000-00000000000{n}"), json={**RUN, "date": day})

        dates = [r["date"] for r in runner.get("/api/v1/runs").get_json()]

        assert sorted(dates) == [(today - timedelta(days=89)).isoformat(), today.isoformat()]

    def test_a_range_over_400_days_is_422(self, runner: Runner) -> None:
        assert_error(runner.get("/api/v1/runs?from=2024-01-01&to=2025-02-04"), 422, "validation_failed", "from")
        assert runner.get("/api/v1/runs?from=2024-01-01&to=2025-02-03").status_code == 200

    def test_delete_removes_the_run(self, runner: Runner) -> None:
        runner.put(url(), json=RUN)

        assert runner.delete(url()).status_code == 204
        assert_error(runner.get(url()), 404, "not_found")
        assert_error(runner.delete(url()), 404, "not_found")
        assert runs_of(runner) == []

    def test_an_unknown_uuid_is_404(self, runner: Runner) -> None:
        assert_error(runner.get(url(OTHER_ID)), 404, "not_found")


class TestRunsAsAnotherRunner:
    def test_another_runners_run_is_not_found(self, runner: Runner, other: Runner) -> None:
        runner.put(url(), json=RUN)

        assert_error(other.get(url()), 404, "not_found")
        assert_error(other.delete(url()), 404, "not_found")
        assert runs_of(other) == []
        assert runner.get(url()).get_json()["distance_m"] == RUN["distance_m"]

    def test_their_put_with_the_same_uuid_creates_their_own_run(self, runner: Runner, other: Runner) -> None:
        runner.put(url(), json=RUN)

        response = other.put(url(), json={"date": "2025-03-10", "distance_m": 3000, "duration_s": 1000})

        assert response.status_code == 201
        assert other.get(url()).get_json()["distance_m"] == 3000
        mine = runner.get(url()).get_json()
        assert {k: mine[k] for k in RUN} == RUN
        assert other.delete(url()).status_code == 204
        assert runner.get(url()).status_code == 200

    def test_another_runners_shoe_is_refused(self, runner: Runner, other: Runner) -> None:
        theirs = other.post("/api/v1/shoes", json={"name": "Their pair"}).get_json()

        assert_error(runner.put(url(), json={**RUN, "shoe_id": theirs["id"]}), 422, "validation_failed", "shoe_id")

        assert_error(runner.get(url()), 404)
        assert other.get("/api/v1/shoes").get_json()[0]["distance_m"] == 0


class TestRunsAsAnonymous:
    @pytest.mark.parametrize(
        ("method", "path"),
        [("get", "/api/v1/runs"), ("get", url()), ("put", url()), ("delete", url())],
    )
    def test_every_run_endpoint_needs_a_session(self, client, method: str, path: str) -> None:
        response = getattr(client, method)(path, json=RUN if method == "put" else None)

        assert_error(response, 401, "not_signed_in")

