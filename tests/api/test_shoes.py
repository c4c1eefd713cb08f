"""Shoes per endpoint and actor (DESIGN §3 Shoes): default limit, distance from runs,
retiring, deleting without losing runs, and privacy between runners."""

from __future__ import annotations

import pytest
from tests.conftest import Runner
from tests.support.envelope import assert_error

SHOES = "/api/v1/shoes"


def log_run(runner: Runner, n: int, metres: float, shoe_id: int | None, day: str = "2025-03-12") -> None:
    response = runner.put(
        f"/api/v1/runs/00000000-0000-4000-8000-{n:012d}",
        json={"date": day, "distance_m": metres, "duration_s": metres / 3, "shoe_id": shoe_id},
    )
    assert response.status_code == 201, response.get_json()


class TestCreateShoeAsOwner:
    def test_a_new_shoe_has_the_800_km_default_limit(self, runner: Runner) -> None:
        response = runner.post(SHOES, json={"name": "Daily trainer"})

        assert response.status_code == 201
        shoe = response.get_json()
        assert shoe["name"] == "Daily trainer"
        assert shoe["limit_m"] == 800000
        assert shoe["retired"] is False
        assert shoe["distance_m"] == 0
        assert isinstance(shoe["id"], int)
        assert runner.get(SHOES).get_json() == [shoe]

    def test_a_shoe_may_have_its_own_limit(self, runner: Runner) -> None:
        assert runner.post(SHOES, json={"name": "Racer", "limit_m": 400000}).get_json()["limit_m"] == 400000

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({}, "name"),
            ({"name": ""}, "name"),
            ({"name": "x" * 101}, "name"),
            ({"name": "Racer", "limit_m": 0}, "limit_m"),
            ({"name": "Racer", "limit_m": -5}, "limit_m"),
            ({"name": "Racer", "distance_m": 100}, "distance_m"),  # computed, never sent
            ({"name": "Racer", "id": 7}, "id"),
        ],
    )
    def test_an_invalid_shoe_is_422_naming_the_field(self, runner: Runner, body: dict, field: str) -> None:
        assert_error(runner.post(SHOES, json=body), 422, "validation_failed", field)

        assert runner.get(SHOES).get_json() == []


class TestShoeDistanceAsOwner:
    def test_distance_sums_the_runs_in_that_shoe_only(self, runner: Runner, other: Runner) -> None:
        road = runner.post(SHOES, json={"name": "Road"}).get_json()["id"]
        trail = runner.post(SHOES, json={"name": "Trail"}).get_json()["id"]
        log_run(runner, 1, 10000, road)
        log_run(runner, 2, 5500, road, day="2025-03-10")
        log_run(runner, 3, 12000, trail)
        log_run(runner, 4, 7000, None)
        log_run(other, 1, 42195, None)

        shoes = {s["name"]: s["distance_m"] for s in runner.get(SHOES).get_json()}

        assert shoes == {"Road": 15500, "Trail": 12000}

    def test_moving_a_run_to_another_shoe_moves_its_distance(self, runner: Runner) -> None:
        road = runner.post(SHOES, json={"name": "Road"}).get_json()["id"]
        trail = runner.post(SHOES, json={"name": "Trail"}).get_json()["id"]
        log_run(runner, 1, 10000, road)

        runner.put("/api/v1/runs/00000000-0000-4000-8000-000000000001",
                   json={"date": "2025-03-12", "distance_m": 10000, "duration_s": 3000, "shoe_id": trail})

        assert {s["name"]: s["distance_m"] for s in runner.get(SHOES).get_json()} == {"Road": 0, "Trail": 10000}


class TestPatchShoeAsOwner:
    def test_patch_retires_renames_and_relimits_a_shoe(self, runner: Runner) -> None:
        shoe = runner.post(SHOES, json={"name": "Old pair"}).get_json()
        log_run(runner, 1, 9000, shoe["id"])

        response = runner.patch(f"{SHOES}/{shoe['id']}", json={"retired": True, "name": "Retired pair",
                                                               "limit_m": 700000})

        assert response.status_code == 200
        patched = response.get_json()
        assert (patched["retired"], patched["name"], patched["limit_m"]) == (True, "Retired pair", 700000)
        assert patched["distance_m"] == 9000
        assert runner.get(SHOES).get_json() == [patched]

    def test_retired_shoes_are_listed_after_the_active_ones(self, runner: Runner) -> None:
        first = runner.post(SHOES, json={"name": "First"}).get_json()["id"]
        runner.post(SHOES, json={"name": "Second"})
        runner.patch(f"{SHOES}/{first}", json={"retired": True})

        assert [s["name"] for s in runner.get(SHOES).get_json()] == ["Second", "First"]

    @pytest.mark.parametrize(("changes", "field"), [({"name": ""}, "name"), ({"limit_m": 0}, "limit_m"),
                                                    ({"retired": "soon"}, "retired"), ({"id": 5}, "id")])
    def test_an_invalid_patch_is_422_and_changes_nothing(self, runner: Runner, changes: dict, field: str) -> None:
        shoe = runner.post(SHOES, json={"name": "Pair"}).get_json()

        assert_error(runner.patch(f"{SHOES}/{shoe['id']}", json=changes), 422, "validation_failed", field)

        assert runner.get(SHOES).get_json() == [shoe]


class TestDeleteShoeAsOwner:
    def test_delete_keeps_the_runs_without_the_shoe(self, runner: Runner) -> None:
        shoe = runner.post(SHOES, json={"name": "Worn out"}).get_json()["id"]
        log_run(runner, 1, 10000, shoe)
        log_run(runner, 2, 6000, shoe, day="2025-03-11")

        response = runner.delete(f"{SHOES}/{shoe}")

        assert response.status_code == 204
        assert runner.get(SHOES).get_json() == []
        runs = runner.get("/api/v1/runs?from=2025-03-01&to=2025-03-31").get_json()
        assert [(r["distance_m"], r["shoe_id"]) for r in runs] == [(6000, None), (10000, None)]
        assert_error(runner.delete(f"{SHOES}/{shoe}"), 404, "not_found")


class TestShoesAsAnotherRunner:
    def test_another_runners_shoe_is_not_found(self, runner: Runner, other: Runner) -> None:
        shoe = runner.post(SHOES, json={"name": "Mine"}).get_json()
        log_run(runner, 1, 5000, shoe["id"])

        assert other.get(SHOES).get_json() == []
        assert_error(other.patch(f"{SHOES}/{shoe['id']}", json={"retired": True}), 404, "not_found")
        assert_error(other.delete(f"{SHOES}/{shoe['id']}"), 404, "not_found")
        assert runner.get(SHOES).get_json() == [{**shoe, "distance_m": 5000}]


class TestShoesAsAnonymous:
    @pytest.mark.parametrize(("method", "path"), [("get", SHOES), ("post", SHOES), ("patch", f"{SHOES}/1"),
                                                  ("delete", f"{SHOES}/1")])
    def test_every_shoe_endpoint_needs_a_session(self, client, method: str, path: str) -> None:
        response = getattr(client, method)(path, json={"name": "x"} if method != "get" else None)

        assert_error(response, 401, "not_signed_in")
