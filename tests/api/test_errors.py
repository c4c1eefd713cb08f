"""The one JSON error envelope (DESIGN §3 Errors): every error, from routing to validation
to an unexpected exception, is ``{"error": {"code", "message", "fields"?}}``."""

from __future__ import annotations

import pytest
from tests.conftest import Runner

CHECKIN = "/api/v1/checkins/2025-03-12"
LIMIT = 64 * 1024


def assert_envelope(response, status: int, code: str) -> dict:
    """JSON, exactly one ``error`` key, a code and a human sentence."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) <= {"code", "message", "fields"}
    assert body["error"]["code"] == code
    message = body["error"]["message"]
    assert isinstance(message, str) and message[0].isupper() and message.endswith(".")
    return body["error"]


class TestRoutingErrors:
    @pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/runs/a/b", "/api/v2/me", "/api/v1/shoes/abc"])
    def test_an_unknown_route_is_a_404_envelope(self, client, path: str) -> None:
        assert_envelope(client.get(path), 404, "not_found")

    def test_an_unknown_route_is_404_for_a_signed_in_runner_too(self, runner: Runner) -> None:
        assert_envelope(runner.get("/api/v1/nope"), 404, "not_found")
        assert_envelope(runner.get("/api/v1/checkins/2025-03-12/extra"), 404, "not_found")

    @pytest.mark.parametrize(
        ("method", "path", "allowed"),
        [
            ("delete", "/api/v1/load", {"GET"}),
            ("post", "/api/v1/me", {"GET", "PATCH", "DELETE"}),
            ("put", "/api/v1/shoes", {"GET", "POST"}),
            ("patch", "/api/v1/auth/logout", {"POST"}),
        ],
    )
    def test_a_wrong_method_is_a_405_envelope_with_allow(self, runner: Runner, method: str, path: str,
                                                         allowed: set[str]) -> None:
        response = getattr(runner, method)(path)

        assert_envelope(response, 405, "method_not_allowed")
        assert allowed <= {m.strip() for m in response.headers["Allow"].split(",")}


class TestBodyErrors:
    def test_a_body_over_64_kb_is_a_413_envelope(self, runner: Runner) -> None:
        body = '{"pain": 3, "note": "' + "x" * LIMIT + '"}'

        response = runner.client.put(CHECKIN, data=body, content_type="application/json",
                                     headers={"X-CSRF-Token": runner.csrf})

        assert_envelope(response, 413, "body_too_large")
        assert runner.get(CHECKIN).status_code == 404

    def test_a_large_body_is_refused_before_sign_in_is_checked(self, client) -> None:
        body = '{"email": "' + "x" * LIMIT + '@example.org", "password": "knee-safe-42x"}'

        assert_envelope(client.post("/api/v1/auth/register", data=body, content_type="application/json"),
                        413, "body_too_large")

    def test_a_body_just_under_the_limit_reaches_validation(self, runner: Runner) -> None:
        body = '{"pain": 3, "note": "' + "x" * (LIMIT - 100) + '"}'

        response = runner.client.put(CHECKIN, data=body, content_type="application/json",
                                     headers={"X-CSRF-Token": runner.csrf})

        error = assert_envelope(response, 422, "validation_failed")
        assert "note" in error["fields"]

    @pytest.mark.parametrize("raw", ['{"pain": 3', "{pain: 3}", "not json", '{"pain": 3}}', "\x00\x01"])
    def test_malformed_json_is_a_400_envelope(self, runner: Runner, raw: str) -> None:
        response = runner.client.put(CHECKIN, data=raw, content_type="application/json",
                                     headers={"X-CSRF-Token": runner.csrf})

        assert_envelope(response, 400, "malformed_json")
        assert runner.get(CHECKIN).status_code == 404

    @pytest.mark.parametrize("raw", ['{"pain": 1, "pain": 9}', '{"pain": 2, "answers": {"a": 1, "a": 2}}'])
    def test_a_name_given_twice_is_a_400_and_nothing_is_written(self, runner: Runner, raw: str) -> None:
        # Python would keep the last value, other parsers the first: neither is guessed.
        response = runner.client.put(CHECKIN, data=raw, content_type="application/json",
                                     headers={"X-CSRF-Token": runner.csrf})

        assert_envelope(response, 400, "malformed_json")
        assert "more than once" in response.get_json()["error"]["message"]
        assert runner.get(CHECKIN).status_code == 404

    @pytest.mark.parametrize(("answers", "says"), [
        ({"core.back_from_break": "yes"}, "true or false"),
        ({"core.knee_assessed": 1}, "true or false"),
        ({"core.knee_after_exercise": "bad"}, "better, same, worse"),
    ])
    def test_a_core_answer_of_the_wrong_kind_is_a_422_and_nothing_is_written(self, runner: Runner, answers, says) -> None:
        # "yes" to "back from a break?" was stored and never read: the plan stayed in normal.
        response = runner.put(CHECKIN, json={"pain": 1, "answers": answers})

        error = assert_envelope(response, 422, "validation_failed")
        assert says in error["fields"]["answers"][0]
        assert runner.get(CHECKIN).status_code == 404

    def test_malformed_json_to_login_is_a_400_envelope(self, client) -> None:
        response = client.post("/api/v1/auth/login", data="{", content_type="application/json")

        assert_envelope(response, 400, "malformed_json")

    @pytest.mark.parametrize("raw", ["[1, 2]", "null", "3", '"pain"'])
    def test_json_that_is_not_an_object_is_a_422_envelope(self, runner: Runner, raw: str) -> None:
        response = runner.client.put(CHECKIN, data=raw, content_type="application/json",
                                     headers={"X-CSRF-Token": runner.csrf})

        assert_envelope(response, 422, "validation_failed")

    @pytest.mark.parametrize(
        "content_type",
        ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None],
    )
    def test_a_body_that_is_not_json_is_a_415_envelope_and_changes_nothing(
        self, runner: Runner, content_type: str | None
    ) -> None:
        response = runner.client.patch("/api/v1/me", data='{"units": "mi"}', content_type=content_type,
                                       headers={"X-CSRF-Token": runner.csrf})

        assert_envelope(response, 415, "unsupported_media_type")
        assert runner.get("/api/v1/me").get_json()["units"] == "km"

    def test_a_json_suffix_media_type_is_json(self, runner: Runner) -> None:
        response = runner.client.patch("/api/v1/me", data='{"units": "mi"}', content_type="application/merge-patch+json",
                                       headers={"X-CSRF-Token": runner.csrf})

        assert response.status_code == 200
        assert runner.get("/api/v1/me").get_json()["units"] == "mi"

    def test_a_form_post_to_register_is_a_415_envelope(self, client) -> None:
        response = client.post("/api/v1/auth/register",
                               data={"email": "ada@example.org", "password": "knee-safe-42x"})

        assert_envelope(response, 415, "unsupported_media_type")

    def test_unsafe_requests_without_a_body_need_no_content_type(self, runner: Runner) -> None:
        assert runner.client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": runner.csrf}).status_code == 204


class TestAuthErrors:
    @pytest.mark.parametrize(
        ("method", "path"),
        [("get", "/api/v1/me"), ("get", "/api/v1/export"), ("get", "/api/v1/guidance"), ("put", CHECKIN),
         ("post", "/api/v1/shoes"), ("delete", "/api/v1/me"), ("get", "/api/v1/push/subscriptions")],
    )
    def test_an_anonymous_request_is_a_401_envelope(self, client, method: str, path: str) -> None:
        assert_envelope(getattr(client, method)(path, json={}), 401, "not_signed_in")

    def test_a_missing_csrf_token_is_a_403_envelope(self, runner: Runner) -> None:
        assert_envelope(runner.client.put(CHECKIN, json={"pain": 3}), 403, "csrf_failed")

    def test_validation_errors_carry_fields(self, runner: Runner) -> None:
        error = assert_envelope(runner.put(CHECKIN, json={"pain": 11, "side": "up"}), 422, "validation_failed")

        assert set(error["fields"]) == {"pain", "side"}
        assert all(isinstance(m, list) and m and isinstance(m[0], str) for m in error["fields"].values())

    def test_a_conflict_is_a_409_envelope(self, client, runner: Runner) -> None:
        for _ in range(5):  # the most open invitations a runner may hold
            assert runner.post("/api/v1/me/invitations").status_code == 201
        response = runner.post("/api/v1/me/invitations")

        assert_envelope(response, 409, "conflict")


class TestPublicEndpoints:
    def test_openapi_is_public_and_documents_the_error_envelope(self, client) -> None:
        response = client.get("/api/v1/openapi.json")

        assert response.status_code == 200
        spec = response.get_json()
        assert "/api/v1/checkins/{day}" in spec["paths"]
        assert "Error" in spec["components"]["schemas"]


def test_every_schema_of_the_openapi_document_has_its_own_name(tmp_path) -> None:
    # Two schema classes of one name (two modules' TodaySchema) came out as "Today" and
    # "Today1": a generated client then has a type named after nothing it knows.
    import warnings

    from strideguard import create_app
    from tests.conftest import app_config

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        app = create_app(app_config(tmp_path, f"sqlite:///{tmp_path / 'names.sqlite3'}"))
    assert [str(w.message) for w in seen if "schemas resolved to the name" in str(w.message)] == []
    names = set(app.extensions["strideguard.api"].spec.to_dict()["components"]["schemas"])
    assert {n for n in names if n[-1].isdigit() and n.rstrip("0123456789") in names} == set()
    assert {"Today", "ExerciseToday", "Session", "ExerciseSession", "Item", "ProgrammeItem"} <= names


@pytest.mark.parametrize("app", [{"PROPAGATE_EXCEPTIONS": False}], indirect=True)
@pytest.mark.fresh_app  # adds a route
class TestUnexpectedErrors:
    def test_an_unexpected_exception_is_a_500_envelope_without_details(self, app, client) -> None:
        def explode():
            raise RuntimeError("database password is hunter2")

        app.add_url_rule("/boom", "boom", explode)

        response = client.get("/boom")

        error = assert_envelope(response, 500, "server_error")
        assert "hunter2" not in response.get_data(as_text=True)
        assert "RuntimeError" not in error["message"]
