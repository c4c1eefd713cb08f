"""Accounts: register, login, logout, password change, rate limits and CSRF (DESIGN §3 Auth).

Every test runs on SQLite and on PostgreSQL (the ``app`` fixture is parametrised).
"""

from __future__ import annotations

import pytest
from tests.conftest import Runner
from tests.support.envelope import assert_error

pytestmark = pytest.mark.database  # its behaviour depends on the database: make test-fast runs its PostgreSQL variant too

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
LOGOUT = "/api/v1/auth/logout"
PASSWORD = "/api/v1/auth/password"
ME = "/api/v1/me"
GOOD_PASSWORD = "knee-safe-42x"
RUN_UUID = "0b6f6c2e-3c1d-4a51-9a7e-2f8d5f0c9b11"


def session_cookie(response) -> str:
    """The Set-Cookie header that carries the session."""
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("sg_session=")]
    assert len(cookies) == 1, response.headers.getlist("Set-Cookie")
    return cookies[0]


def cookie_value(client) -> str | None:
    cookie = client.get_cookie("sg_session")
    return cookie.value if cookie else None


def register(client, email: str = "ada@example.org", password: str = GOOD_PASSWORD, **extra):
    return client.post(REGISTER, json={"email": email, "password": password, **extra})


def login(client, email: str, password: str = GOOD_PASSWORD):
    return client.post(LOGIN, json={"email": email, "password": password})


class TestRegisterAsAnonymous:
    def test_register_creates_the_runner_and_signs_them_in(self, client) -> None:
        response = register(client, timezone="Europe/Berlin", units="mi")

        assert response.status_code == 201
        body = response.get_json()
        assert body["user"]["email"] == "ada@example.org"
        assert body["user"]["timezone"] == "Europe/Berlin"
        assert body["user"]["units"] == "mi"
        assert body["user"]["pain_threshold"] == 3
        assert body["user"]["weekly_increase_pct"] == 10
        assert len(body["csrf_token"]) >= 32
        assert "password" not in body["user"] and "password_hash" not in body["user"]
        me = client.get(ME)
        assert me.status_code == 200
        assert me.get_json()["email"] == "ada@example.org"
        assert me.get_json()["csrf_token"] == body["csrf_token"]

    def test_register_sets_an_httponly_samesite_lax_cookie(self, client) -> None:
        header = session_cookie(register(client))
        attributes = [part.strip().lower() for part in header.split(";")]

        assert "httponly" in attributes
        assert "samesite=lax" in attributes
        assert "path=/" in attributes
        assert "secure" not in attributes  # plain-HTTP test app; see the Secure test below

    @pytest.mark.parametrize("app", [{"COOKIE_SECURE": True}], indirect=True)
    def test_register_sets_a_secure_host_cookie_when_secure_cookies_are_on(self, client) -> None:
        response = register(client)

        headers = response.headers.getlist("Set-Cookie")
        assert len(headers) == 1
        attributes = [part.strip().lower() for part in headers[0].split(";")]
        assert attributes[0].startswith("__host-sg_session=")
        assert {"secure", "httponly", "samesite=lax", "path=/"} <= set(attributes)

    def test_register_stores_the_email_in_lower_case(self, client) -> None:
        response = register(client, email="  Ada.Lovelace@Example.ORG ".strip())

        assert response.status_code == 201
        assert response.get_json()["user"]["email"] == "ada.lovelace@example.org"

    @pytest.mark.parametrize("email", ["ada@example.org", "ADA@example.org"])
    def test_register_refuses_an_email_already_registered(self, client, app, email: str) -> None:
        assert register(app.test_client()).status_code == 201

        error = assert_error(register(client, email=email), 422, "validation_failed", "email")

        # The same answer as a malformed email: sign-up never states that an account exists.
        assert error == assert_error(register(app.test_client(), email="ada@"), 422)
        assert cookie_value(client) is None

    @pytest.mark.parametrize(
        "password",
        [
            "short1!",            # under 10 characters
            "password123",        # a common password
            "RUNNER1234",         # common, whatever the case
            "aaaaaaaaaaaa",       # two or fewer distinct characters
            "abababababab",
            "ada@example.org",    # the email itself
            "x" * 257,            # longer than the 256-character limit
        ],
    )
    def test_register_refuses_a_weak_or_common_password(self, client, password: str) -> None:
        assert_error(register(client, password=password), 422, "validation_failed", "password")

        assert cookie_value(client) is None
        assert register(client).status_code == 201  # nothing was created

    @pytest.mark.parametrize("email", ["not-an-email", "ada@", "@example.org", "", "a" * 250 + "@example.org"])
    def test_register_refuses_a_bad_email(self, client, email: str) -> None:
        assert_error(register(client, email=email), 422, "validation_failed", "email")

    @pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "utc+2", "", "Europe", "../etc/passwd"])
    def test_register_refuses_an_unknown_time_zone(self, client, zone: str) -> None:
        assert_error(register(client, timezone=zone), 422, "validation_failed", "timezone")

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("id", 1),
            ("password_hash", "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"),
            ("created_at", "2020-01-01T00:00:00Z"),
            ("pain_threshold", 9),  # a profile setting, not a sign-up field
            ("is_admin", True),
        ],
    )
    def test_register_refuses_fields_it_does_not_know(self, client, field: str, value: object) -> None:
        assert_error(register(client, **{field: value}), 422, "validation_failed", field)

        assert cookie_value(client) is None
        created = register(client)
        assert created.status_code == 201  # the refused sign-up stored nothing
        assert created.get_json()["user"]["pain_threshold"] == 3

    @pytest.mark.parametrize("missing", ["email", "password"])
    def test_register_names_a_missing_field(self, client, missing: str) -> None:
        body = {"email": "ada@example.org", "password": GOOD_PASSWORD}
        del body[missing]

        assert_error(client.post(REGISTER, json=body), 422, "validation_failed", missing)


class TestLoginAsRegisteredRunner:
    def test_login_returns_the_user_a_new_csrf_token_and_a_new_session(self, app, runner: Runner) -> None:
        first_cookie = cookie_value(runner.client)
        browser = app.test_client()

        response = login(browser, runner.email)

        assert response.status_code == 200
        body = response.get_json()
        assert body["user"]["email"] == runner.email
        assert body["csrf_token"] and body["csrf_token"] != runner.csrf
        assert "httponly" in session_cookie(response).lower()
        assert cookie_value(browser) not in (None, first_cookie)
        assert browser.get(ME).get_json()["csrf_token"] == body["csrf_token"]

    def test_login_again_in_the_same_browser_rotates_the_session_id(self, runner: Runner) -> None:
        old = cookie_value(runner.client)

        response = login(runner.client, runner.email)

        assert response.status_code == 200
        new = cookie_value(runner.client)
        assert new and new != old
        assert response.get_json()["csrf_token"] != runner.csrf

    def test_login_accepts_the_email_in_any_case(self, app, runner: Runner) -> None:
        assert login(app.test_client(), runner.email.upper()).status_code == 200

    def test_login_with_a_wrong_password_is_401_and_signs_nobody_in(self, client, runner: Runner) -> None:
        error = assert_error(login(client, runner.email, "wrong-password-1"), 401, "not_signed_in")

        assert cookie_value(client) is None
        assert_error(client.get(ME), 401)
        unknown = assert_error(login(client, "nobody@example.org"), 401, "not_signed_in")
        assert unknown["message"] == error["message"]  # no hint which accounts exist

    @pytest.mark.parametrize("body", [{"email": "a@example.org"}, {"password": "x" * 12}, {}])
    def test_login_names_a_missing_field(self, client, body: dict) -> None:
        error = assert_error(client.post(LOGIN, json=body), 422, "validation_failed")

        assert set(error["fields"]) == {"email", "password"} - set(body)

    def test_each_session_survives_the_logout_of_another(self, app, runner: Runner) -> None:
        phone = app.test_client()
        phone_csrf = login(phone, runner.email).get_json()["csrf_token"]

        response = phone.post(LOGOUT, headers={"X-CSRF-Token": phone_csrf})

        assert response.status_code == 204
        assert_error(phone.get(ME), 401)
        assert runner.get(ME).status_code == 200
        assert runner.put("/api/v1/checkins/2024-05-01", json={"pain": 1}).status_code == 201


class TestLogoutAsOwner:
    def test_logout_ends_the_session_and_clears_the_cookie(self, runner: Runner) -> None:
        response = runner.post(LOGOUT)

        assert response.status_code == 204
        assert response.get_data() == b""
        cleared = session_cookie(response).lower()
        assert "max-age=0" in cleared or "expires=thu, 01 jan 1970" in cleared
        assert_error(runner.get(ME), 401, "not_signed_in")

    def test_a_replayed_cookie_is_refused_after_logout(self, runner: Runner) -> None:
        token = cookie_value(runner.client)
        assert runner.post(LOGOUT).status_code == 204

        runner.client.set_cookie("sg_session", token)

        assert_error(runner.get(ME), 401, "not_signed_in")
        assert_error(runner.put("/api/v1/checkins/2024-05-01", json={"pain": 1}), 401, "not_signed_in")

    def test_logout_needs_the_csrf_header(self, runner: Runner) -> None:
        assert_error(runner.client.post(LOGOUT), 403, "csrf_failed")

        assert runner.get(ME).status_code == 200


class TestLogoutAsAnonymous:
    def test_logout_without_a_session_is_401(self, client) -> None:
        assert_error(client.post(LOGOUT, headers={"X-CSRF-Token": "anything"}), 401, "not_signed_in")

    def test_a_made_up_cookie_is_401(self, client) -> None:
        client.set_cookie("sg_session", "made-up-token")

        assert_error(client.get(ME), 401, "not_signed_in")


class TestPasswordChangeAsOwner:
    NEW = "new-knee-safe-77"

    def test_password_change_ends_every_other_session(self, app, runner: Runner) -> None:
        laptop = app.test_client()
        assert login(laptop, runner.email).status_code == 200

        response = runner.post(PASSWORD, json={"current_password": runner.password, "new_password": self.NEW})

        assert response.status_code == 204
        assert_error(laptop.get(ME), 401, "not_signed_in")
        assert runner.get(ME).status_code == 200  # the session that changed it stays
        assert_error(login(app.test_client(), runner.email, runner.password), 401)
        assert login(app.test_client(), runner.email, self.NEW).status_code == 200

    def test_password_change_needs_the_current_password(self, app, runner: Runner) -> None:
        response = runner.post(PASSWORD, json={"current_password": "not-my-password", "new_password": self.NEW})

        assert_error(response, 422, "validation_failed", "current_password")
        assert login(app.test_client(), runner.email, runner.password).status_code == 200

    @pytest.mark.parametrize("new", ["short", "password123", "zzzzzzzzzzzz"])
    def test_password_change_refuses_a_weak_new_password(self, app, runner: Runner, new: str) -> None:
        response = runner.post(PASSWORD, json={"current_password": runner.password, "new_password": new})

        assert_error(response, 422, "validation_failed", "new_password")
        assert login(app.test_client(), runner.email, runner.password).status_code == 200

    def test_password_change_needs_the_csrf_header(self, app, runner: Runner) -> None:
        response = runner.client.post(PASSWORD, json={"current_password": runner.password, "new_password": self.NEW})

        assert_error(response, 403, "csrf_failed")
        assert login(app.test_client(), runner.email, runner.password).status_code == 200


class TestPasswordChangeAsAnonymous:
    def test_password_change_without_a_session_is_401(self, client) -> None:
        response = client.post(PASSWORD, json={"current_password": "a" * 12, "new_password": "b" * 12})

        assert_error(response, 401, "not_signed_in")


@pytest.mark.parametrize("app", [{"RATELIMIT_ENABLED": True}], indirect=True)
class TestRateLimits:
    """Login allows 10 failures a minute per address; sign-up 5 a minute (config defaults)."""

    def test_repeated_failed_logins_are_rate_limited_with_the_envelope(self, app, client) -> None:
        email = "ada@example.org"
        assert register(app.test_client(), email=email).status_code == 201

        statuses = [login(client, email, f"wrong-password-{n}").status_code for n in range(10)]
        limited = login(client, email, "wrong-password-x")

        assert statuses == [401] * 10
        assert_error(limited, 429, "rate_limited")
        assert int(limited.headers["Retry-After"]) > 0
        assert_error(login(client, email), 429, "rate_limited")  # even the right password waits

    def test_successful_logins_do_not_use_up_the_limit(self, app, client) -> None:
        email = "ada@example.org"
        assert register(app.test_client(), email=email).status_code == 201

        statuses = [login(client, email).status_code for _ in range(12)]

        assert statuses == [200] * 12
        assert login(client, email, "wrong-password-1").status_code == 401

    def test_repeated_sign_ups_are_rate_limited_with_the_envelope(self, client) -> None:
        statuses = [register(client, email=f"r{n}@example.org").status_code for n in range(5)]

        assert statuses == [201] * 5
        assert_error(register(client, email="r5@example.org"), 429, "rate_limited")


# One unsafe request per kind of endpoint: (method, url, json body).
UNSAFE_REQUESTS = [
    ("put", "/api/v1/checkins/2024-05-01", {"pain": 2}),
    ("delete", "/api/v1/checkins/2024-05-01", None),
    ("put", f"/api/v1/runs/{RUN_UUID}", {"date": "2024-05-01", "distance_m": 5000, "duration_s": 1800}),
    ("delete", f"/api/v1/runs/{RUN_UUID}", None),
    ("post", "/api/v1/shoes", {"name": "Trail pair"}),
    ("patch", "/api/v1/shoes/1", {"retired": True}),
    ("delete", "/api/v1/shoes/1", None),
    ("patch", ME, {"timezone": "Asia/Tokyo"}),
    ("delete", ME, {"password": GOOD_PASSWORD}),
    ("post", LOGOUT, None),
    ("post", PASSWORD, {"current_password": GOOD_PASSWORD, "new_password": "new-knee-safe-77"}),
]


class TestCsrf:
    @pytest.mark.parametrize(("method", "url", "body"), UNSAFE_REQUESTS)
    @pytest.mark.parametrize("token", ["missing", "wrong", "another runner's"])
    def test_unsafe_requests_without_the_right_token_are_403(
        self, request, runner: Runner, method: str, url: str, body: dict | None, token: str
    ) -> None:
        if token == "missing":
            headers = {}
        elif token == "wrong":
            headers = {"X-CSRF-Token": runner.csrf[::-1]}
        else:
            headers = {"X-CSRF-Token": request.getfixturevalue("other").csrf}

        response = getattr(runner.client, method)(url, json=body, headers=headers)

        assert_error(response, 403, "csrf_failed")
        me = runner.get(ME)
        assert me.status_code == 200  # still signed in, nothing erased
        assert me.get_json()["timezone"] == "UTC"
        assert runner.get("/api/v1/checkins").get_json() == []
        assert runner.get("/api/v1/runs").get_json() == []
        assert runner.get("/api/v1/shoes").get_json() == []

    def test_safe_requests_need_no_token(self, runner: Runner) -> None:
        for url in (ME, "/api/v1/checkins", "/api/v1/runs", "/api/v1/shoes", "/api/v1/load"):
            assert runner.client.get(url).status_code == 200, url

    def test_the_token_of_an_earlier_session_does_not_work_for_a_new_one(self, runner: Runner) -> None:
        old_csrf = runner.csrf
        assert login(runner.client, runner.email).status_code == 200

        response = runner.client.patch(ME, json={"units": "mi"}, headers={"X-CSRF-Token": old_csrf})

        assert_error(response, 403, "csrf_failed")

    def test_register_and_login_need_no_token(self, client) -> None:
        assert register(client).status_code == 201
        assert login(client, "ada@example.org").status_code == 200
