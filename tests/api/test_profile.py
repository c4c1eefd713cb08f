"""Profile: ``GET /me`` and ``PATCH /me`` per actor (DESIGN §3 Profile)."""

from __future__ import annotations

import pytest
from tests.conftest import Runner
from tests.support.envelope import assert_error

ME = "/api/v1/me"
BUILT_IN_CONDITIONS = {"runners_knee", "it_band", "patellar_tendinopathy", "meniscus_tear", "bursitis"}


class TestGetMeAsOwner:
    def test_get_me_returns_the_defaults_of_a_new_runner(self, runner: Runner) -> None:
        response = runner.get(ME)

        assert response.status_code == 200
        me = response.get_json()
        assert me["email"] == runner.email
        assert me["id"] == runner.user["id"]
        assert me["timezone"] == "UTC"
        assert me["units"] == "km"
        assert me["reminder_time"] == "20:00"
        assert me["quiet_hours"] is None
        assert me["pain_threshold"] == 3
        assert me["weekly_increase_pct"] == 10
        assert me["conditions"] == []
        assert me["therapist"] is None
        assert me["notification_detail"] == "discreet"
        assert me["csrf_token"] == runner.csrf
        assert "password_hash" not in me and "password" not in me


class TestTheRunnersToday:
    """``today``: the date the server counts as the runner's today, which the app dates its
    forms and "Today" labels by (found by trying it: after a move west the app's screens
    disagreed with the server about which day it was)."""

    def test_today_is_the_local_date_of_a_new_runner(self, app) -> None:
        from datetime import datetime
        from zoneinfo import ZoneInfo

        runner = Runner(app, timezone="Pacific/Kiritimati")
        assert runner.get(ME).get_json()["today"] == datetime.now(ZoneInfo("Pacific/Kiritimati")).date().isoformat()

    def test_after_a_move_west_today_stays_on_the_day_already_reported(self, app) -> None:
        from datetime import datetime
        from zoneinfo import ZoneInfo

        runner = Runner(app, timezone="Pacific/Kiritimati")  # UTC+14
        ahead = datetime.now(ZoneInfo("Pacific/Kiritimati")).date().isoformat()
        assert runner.put(f"/api/v1/checkins/{ahead}", json={"pain": 2}).status_code == 201
        moved = runner.patch(ME, json={"timezone": "Pacific/Pago_Pago"})  # UTC-11: a day or two behind
        assert moved.status_code == 200 and moved.get_json()["today"] == ahead
        assert runner.get(ME).get_json()["today"] == ahead
        assert runner.get("/api/v1/guidance").get_json()["as_of"] == ahead  # the same day everywhere


class TestGetMeAsAnonymous:
    def test_get_me_without_a_session_is_401(self, client) -> None:
        assert_error(client.get(ME), 401, "not_signed_in")


class TestPatchMeAsOwner:
    @pytest.mark.parametrize(
        ("changes", "expected"),
        [
            ({"timezone": "America/Los_Angeles"}, None),
            ({"units": "mi"}, None),
            ({"reminder_time": "07:45"}, None),
            ({"quiet_hours": {"start": "22:00", "end": "07:00"}}, None),  # across midnight
            ({"quiet_hours": {"start": "13:00", "end": "14:30"}}, None),
            ({"pain_threshold": 2}, None),  # a runner may tighten their own limits
            ({"pain_threshold": 0}, None),
            ({"pain_threshold": 3}, None),
            # A runner's own speed limit follows their weekly one (a therapist may set another).
            ({"weekly_increase_pct": 7.5}, {"weekly_increase_pct": 7.5, "speed_increase_pct": 7.5}),
            ({"notification_detail": "detailed"}, None),
            ({"email": "new.address@example.org"}, None),
            ({"email": "Mixed.Case@Example.org"}, {"email": "mixed.case@example.org"}),
            (
                {"therapist": {"name": "Sam Physio", "phone": "+49 30 1234-567",
                               "email": "sam@clinic.example", "booking_url": "https://clinic.example/book"}},
                None,
            ),
            ({"therapist": {"name": "Sam Physio", "phone": None}}, {"therapist": {"name": "Sam Physio"}}),
        ],
    )
    def test_patch_me_changes_and_keeps_a_setting(self, runner: Runner, changes: dict, expected: dict | None) -> None:
        before = runner.get(ME).get_json()

        response = runner.patch(ME, json=changes)

        assert response.status_code == 200, response.get_json()
        wanted = expected or changes
        after = runner.get(ME).get_json()
        for name, value in wanted.items():
            assert response.get_json()[name] == value
            assert after[name] == value
        # ``today`` follows the time zone (a runner with nothing recorded yet moves with it).
        moved = {"today"} if "timezone" in changes else set()
        untouched = set(before) - set(wanted) - set(changes) - {"csrf_token"} - moved
        assert {k: after[k] for k in untouched} == {k: before[k] for k in untouched}

    def test_patch_me_clears_quiet_hours_and_therapist_with_null(self, runner: Runner) -> None:
        runner.patch(ME, json={"quiet_hours": {"start": "22:00", "end": "06:00"}, "therapist": {"name": "Sam"}})

        response = runner.patch(ME, json={"quiet_hours": None, "therapist": None})

        assert response.status_code == 200
        me = runner.get(ME).get_json()
        assert me["quiet_hours"] is None
        assert me["therapist"] is None

    def test_the_built_in_conditions_are_known_and_accepted(self, runner: Runner) -> None:
        listed = {c["id"] for c in runner.get("/api/v1/conditions").get_json()}
        assert BUILT_IN_CONDITIONS <= listed

        response = runner.patch(ME, json={"conditions": sorted(BUILT_IN_CONDITIONS)})

        assert response.status_code == 200
        assert sorted(runner.get(ME).get_json()["conditions"]) == sorted(BUILT_IN_CONDITIONS)
        assert runner.patch(ME, json={"conditions": []}).status_code == 200
        assert runner.get(ME).get_json()["conditions"] == []

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
            ({"timezone": "CEST+2"}, "timezone"),
            ({"timezone": None}, "timezone"),
            ({"units": "furlongs"}, "units"),
            ({"reminder_time": "8pm"}, "reminder_time"),
            ({"reminder_time": "24:00"}, "reminder_time"),
            ({"quiet_hours": {"start": "22:00"}}, "quiet_hours"),
            ({"quiet_hours": {"start": "22:00", "end": "22:00"}}, "quiet_hours"),
            ({"quiet_hours": {"start": "25:00", "end": "06:00"}}, "quiet_hours"),
            ({"quiet_hours": "22:00-06:00"}, "quiet_hours"),
            ({"pain_threshold": 10}, "pain_threshold"),
            ({"pain_threshold": -1}, "pain_threshold"),
            ({"weekly_increase_pct": 101}, "weekly_increase_pct"),
            # ... but never loosen them past the clinic's lines: only a therapist may.
            ({"pain_threshold": 4}, "pain_threshold"),
            ({"pain_threshold": 9}, "pain_threshold"),
            ({"weekly_increase_pct": 10.1}, "weekly_increase_pct"),
            ({"weekly_increase_pct": 100}, "weekly_increase_pct"),
            ({"weekly_increase_pct": -5}, "weekly_increase_pct"),
            ({"notification_detail": "loud"}, "notification_detail"),
            ({"conditions": ["gout"]}, "conditions"),
            ({"conditions": ["runners_knee", "Runners_Knee"]}, "conditions"),
            ({"conditions": ["runners_knee", "runners_knee"]}, "conditions"),
            ({"conditions": "runners_knee"}, "conditions"),
            ({"therapist": {"phone": "call me maybe"}}, "therapist"),
            ({"therapist": {"email": "not-an-email"}}, "therapist"),
            ({"therapist": {"booking_url": "javascript:alert(1)"}}, "therapist"),
            ({"therapist": {"fax": "123"}}, "therapist"),
            ({"email": "not-an-email"}, "email"),
            ({"id": 99}, "id"),
            ({"created_at": "2020-01-01T00:00:00Z"}, "created_at"),
            ({"password_hash": "x"}, "password_hash"),
            ({"csrf_token": "x"}, "csrf_token"),
        ],
    )
    def test_patch_me_refuses_an_invalid_value_and_changes_nothing(
        self, runner: Runner, changes: dict, field: str
    ) -> None:
        before = runner.get(ME).get_json()

        assert_error(runner.patch(ME, json={"units": "mi", **changes}), 422, "validation_failed", field)

        assert runner.get(ME).get_json() == before

    def test_patch_me_refuses_another_runners_email(self, runner: Runner, other: Runner) -> None:
        assert_error(runner.patch(ME, json={"email": other.email.upper()}), 422, "validation_failed", "email")

        assert runner.get(ME).get_json()["email"] == runner.email

    def test_a_changed_email_is_the_one_to_sign_in_with(self, app, runner: Runner) -> None:
        assert runner.patch(ME, json={"email": "moved@example.org"}).status_code == 200

        browser = app.test_client()
        assert browser.post("/api/v1/auth/login", json={"email": "moved@example.org",
                                                        "password": runner.password}).status_code == 200
        assert browser.post("/api/v1/auth/login", json={"email": runner.email,
                                                        "password": runner.password}).status_code == 401


class TestPatchMeAsAnotherRunner:
    def test_a_runners_changes_never_reach_another_runner(self, runner: Runner, other: Runner) -> None:
        before = other.get(ME).get_json()

        runner.patch(ME, json={"timezone": "Asia/Tokyo", "pain_threshold": 2, "conditions": ["it_band"]})

        assert other.get(ME).get_json() == before


class TestPatchMeAsAnonymous:
    def test_patch_me_without_a_session_is_401(self, client) -> None:
        assert_error(client.patch(ME, json={"units": "mi"}), 401, "not_signed_in")
