"""Daily check-ins per endpoint and actor (DESIGN §3 Check-ins): upsert by local date,
validation naming the field, the runner's own time zone, and privacy between runners."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from tests.conftest import Runner
from tests.support.envelope import assert_error

pytestmark = pytest.mark.database  # its behaviour depends on the database: make test-fast runs its PostgreSQL variant too

DAY = "2025-03-12"
FULL = {
    "pain": 4,
    "morning_pain": 2,
    "location": "below_kneecap",
    "side": "left",
    "swelling": True,
    "fever": False,
    "locking_or_giving_way": False,
    "hard_to_straighten": True,
    "note": "Stairs hurt after the long run.",
    "answers": {"runners_knee.sitting_pain": True, "it_band.downhill": 3},
}


def url(day: str | date = DAY) -> str:
    return f"/api/v1/checkins/{day}"


def utc_today() -> date:
    return datetime.now(timezone.utc).date()


def without_stamps(checkin: dict) -> dict:
    return {k: v for k, v in checkin.items() if k not in {"created_at", "updated_at", "edited"}}


class TestPutCheckinAsOwner:
    def test_first_put_creates_the_checkin_with_guidance(self, runner: Runner) -> None:
        response = runner.put(url(), json=FULL)

        assert response.status_code == 201
        body = response.get_json()
        assert without_stamps(body["checkin"]) == {**FULL, "date": DAY}
        assert body["guidance"]["as_of"] == DAY
        assert body["guidance"]["status"] in {"ok", "caution", "stop"}
        assert runner.get(url()).get_json() == body["checkin"]

    def test_a_later_put_replaces_the_whole_checkin(self, runner: Runner) -> None:
        assert runner.put(url(), json=FULL).status_code == 201

        response = runner.put(url(), json={"pain": 1})

        assert response.status_code == 200
        stored = runner.get(url()).get_json()
        assert stored["pain"] == 1
        assert stored["swelling"] is False and stored["hard_to_straighten"] is False
        assert stored["note"] is None and stored["location"] is None and stored["morning_pain"] is None
        assert stored["answers"] == {}
        assert [c["date"] for c in runner.get(f"/api/v1/checkins?from={DAY}&to={DAY}").get_json()] == [DAY]

    def test_replaying_the_same_put_is_idempotent(self, runner: Runner) -> None:
        first = runner.put(url(), json=FULL)
        replays = [runner.put(url(), json=FULL) for _ in range(3)]

        assert first.status_code == 201
        assert [r.status_code for r in replays] == [200, 200, 200]
        assert all(without_stamps(r.get_json()["checkin"]) == without_stamps(first.get_json()["checkin"])
                   for r in replays)
        assert len(runner.get(f"/api/v1/checkins?from={DAY}&to={DAY}").get_json()) == 1

    def test_a_checkin_for_today_is_accepted(self, runner: Runner) -> None:
        assert runner.put(url(utc_today()), json={"pain": 0}).status_code == 201

    @pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"])
    def test_the_future_is_judged_in_the_runners_zone(self, app, zone: str) -> None:
        runner = Runner(app, timezone=zone)
        local_today = datetime.now(ZoneInfo(zone)).date()

        assert runner.put(url(local_today), json={"pain": 2}).status_code == 201
        assert_error(runner.put(url(local_today + timedelta(days=1)), json={"pain": 2}),
                     422, "validation_failed", "date")
        assert runner.get(url(local_today + timedelta(days=1))).status_code == 404

    def test_kiritimati_is_ahead_of_utc_and_pago_pago_behind(self, app) -> None:
        # UTC+14 and UTC-11 are 25 hours apart: their local dates always differ.
        kiritimati = Runner(app, timezone="Pacific/Kiritimati")
        pago_pago = Runner(app, timezone="Pacific/Pago_Pago")
        ahead = datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
        behind = datetime.now(ZoneInfo("Pacific/Pago_Pago")).date()
        assert (ahead - behind).days in (1, 2)

        assert kiritimati.put(url(ahead), json={"pain": 1}).status_code == 201
        assert_error(pago_pago.put(url(ahead), json={"pain": 1}), 422, "validation_failed", "date")

    @pytest.mark.parametrize("pain", [11, -1, 3.5, "4", None, True, [4]])
    def test_pain_must_be_an_integer_from_0_to_10(self, runner: Runner, pain: object) -> None:
        assert_error(runner.put(url(), json={"pain": pain}), 422, "validation_failed", "pain")

        assert runner.get(url()).status_code == 404

    @pytest.mark.parametrize("pain", [0, 10])
    def test_pain_accepts_both_ends_of_the_scale(self, runner: Runner, pain: int) -> None:
        assert runner.put(url(), json={"pain": pain}).status_code == 201
        assert runner.get(url()).get_json()["pain"] == pain

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({}, "pain"),
            ({"pain": 2, "morning_pain": 11}, "morning_pain"),
            ({"pain": 2, "morning_pain": 2.5}, "morning_pain"),
            ({"pain": 2, "location": "kneecap"}, "location"),
            ({"pain": 2, "location": "AROUND_KNEECAP"}, "location"),
            ({"pain": 2, "side": "middle"}, "side"),
            ({"pain": 2, "swelling": "maybe"}, "swelling"),
            ({"pain": 2, "note": "x" * 1001}, "note"),
            ({"pain": 2, "answers": {"Not A Key": True}}, "answers"),
            ({"pain": 2, "answers": {"runners_knee.sitting_pain": {"nested": 1}}}, "answers"),
            ({"pain": 2, "answers": {"runners_knee.note": "y" * 201}}, "answers"),
            ({"pain": 2, "date": "2025-03-11"}, "date"),   # the date lives in the URL only
            ({"pain": 2, "user_id": 1}, "user_id"),
        ],
    )
    def test_an_invalid_field_is_named(self, runner: Runner, body: dict, field: str) -> None:
        assert_error(runner.put(url(), json=body), 422, "validation_failed", field)

        assert runner.get(url()).status_code == 404

    def test_a_note_of_exactly_1000_characters_is_accepted(self, runner: Runner) -> None:
        assert runner.put(url(), json={"pain": 1, "note": "n" * 1000}).status_code == 201
        assert len(runner.get(url()).get_json()["note"]) == 1000

    @pytest.mark.parametrize("day", ["2025-13-01", "2025-02-30", "yesterday", "12-03-2025"])
    def test_a_date_that_is_not_a_calendar_date_is_422(self, runner: Runner, day: str) -> None:
        assert_error(runner.put(url(day), json={"pain": 1}), 422, "validation_failed", "date")


class TestListCheckinsAsOwner:
    def test_list_returns_the_range_inclusive_in_date_order(self, runner: Runner) -> None:
        for day in ("2025-03-14", "2025-03-10", "2025-03-12", "2025-03-09", "2025-03-15"):
            runner.put(url(day), json={"pain": 1})

        response = runner.get("/api/v1/checkins?from=2025-03-10&to=2025-03-14")

        assert response.status_code == 200
        assert [c["date"] for c in response.get_json()] == ["2025-03-10", "2025-03-12", "2025-03-14"]

    def test_list_defaults_to_the_last_90_days(self, runner: Runner) -> None:
        today = utc_today()
        for back in (0, 89, 90):
            runner.put(url(today - timedelta(days=back)), json={"pain": 1})

        dates = [c["date"] for c in runner.get("/api/v1/checkins").get_json()]

        assert dates == [(today - timedelta(days=89)).isoformat(), today.isoformat()]

    def test_a_range_of_400_days_is_allowed(self, runner: Runner) -> None:
        runner.put(url("2024-01-01"), json={"pain": 1})

        response = runner.get("/api/v1/checkins?from=2024-01-01&to=2025-02-03")  # 400 days inclusive

        assert response.status_code == 200
        assert [c["date"] for c in response.get_json()] == ["2024-01-01"]

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ("from=2024-01-01&to=2025-02-04", "from"),  # 401 days
            ("from=2020-01-01&to=2025-01-01", "from"),
            ("from=2025-03-12&to=2025-03-11", "from"),  # backwards
            ("from=yesterday", "from"),
            ("to=2025-02-30", "to"),
        ],
    )
    def test_a_bad_range_is_422(self, runner: Runner, query: str, field: str) -> None:
        assert_error(runner.get(f"/api/v1/checkins?{query}"), 422, "validation_failed", field)


class TestGetAndDeleteCheckinAsOwner:
    def test_get_one_returns_it_and_an_empty_date_is_404(self, runner: Runner) -> None:
        runner.put(url(), json=FULL)

        assert runner.get(url()).get_json()["pain"] == 4
        assert_error(runner.get(url("2025-03-11")), 404, "not_found")

    def test_delete_removes_the_checkin(self, runner: Runner) -> None:
        runner.put(url(), json=FULL)

        response = runner.delete(url())

        assert response.status_code == 204
        assert_error(runner.get(url()), 404, "not_found")
        assert_error(runner.delete(url()), 404, "not_found")
        assert runner.put(url(), json={"pain": 1}).status_code == 201  # the date is free again


class TestCheckinsAsAnotherRunner:
    def test_another_runners_checkin_is_not_found(self, runner: Runner, other: Runner) -> None:
        runner.put(url(), json=FULL)

        assert_error(other.get(url()), 404, "not_found")
        assert_error(other.delete(url()), 404, "not_found")
        assert other.get(f"/api/v1/checkins?from={DAY}&to={DAY}").get_json() == []
        assert without_stamps(runner.get(url()).get_json()) == {**FULL, "date": DAY}

    def test_their_put_on_the_same_date_creates_their_own_checkin(self, runner: Runner, other: Runner) -> None:
        runner.put(url(), json=FULL)

        response = other.put(url(), json={"pain": 0, "note": "Mine."})

        assert response.status_code == 201
        assert other.get(url()).get_json()["note"] == "Mine."
        assert without_stamps(runner.get(url()).get_json()) == {**FULL, "date": DAY}
        assert other.delete(url()).status_code == 204
        assert runner.get(url()).status_code == 200


class TestCheckinsAsAnonymous:
    @pytest.mark.parametrize(
        ("method", "path"),
        [("get", "/api/v1/checkins"), ("get", url()), ("put", url()), ("delete", url())],
    )
    def test_every_checkin_endpoint_needs_a_session(self, client, method: str, path: str) -> None:
        response = getattr(client, method)(path, json={"pain": 1} if method == "put" else None)

        assert_error(response, 401, "not_signed_in")
