"""Server-side sessions: revocation, timeouts, rotation at sign-in, CSRF bound to the session,
and the ``__Host-`` cookie over HTTPS (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from strideguard.accounts.models import Session
from strideguard.extensions import db
from strideguard.timeutil import utcnow
from tests.conftest import Runner

ME = "/api/v1/me"


def cookie_of(runner: Runner, name: str = "sg_session") -> str:
    cookie = runner.client.get_cookie(name)
    assert cookie is not None, f"no {name} cookie"
    return cookie.value


def replay(app, token: str, name: str = "sg_session", https: bool = False):
    """GET /me from a brand-new client that only holds ``token`` (an attacker's replay)."""
    client = app.test_client()
    client.set_cookie(name, token, secure=https)
    return client.get(ME, base_url="https://localhost" if https else "http://localhost")


def sign_in(app, runner: Runner) -> Runner:
    """A second browser of the same runner: a new client signed in with the password."""
    second = Runner.__new__(Runner)
    second.client, second.email, second.password = app.test_client(), runner.email, runner.password
    response = second.client.post("/api/v1/auth/login", json={"email": runner.email, "password": runner.password})
    assert response.status_code == 200, response.get_json()
    second.user, second.csrf = response.get_json()["user"], response.get_json()["csrf_token"]
    return second


# -- revocation -----------------------------------------------------------------------------


def test_logout_ends_the_session_on_the_server(app, runner) -> None:
    token = cookie_of(runner)
    assert replay(app, token).status_code == 200
    response = runner.post("/api/v1/auth/logout")
    assert response.status_code == 204
    assert runner.client.get_cookie("sg_session") is None  # cleared in the browser too
    replayed = replay(app, token)
    assert replayed.status_code == 401
    assert replayed.get_json()["error"]["code"] == "not_signed_in"


def test_password_change_ends_every_other_session_and_keeps_this_one(app, runner) -> None:
    laptop = sign_in(app, runner)
    laptop_token = cookie_of(laptop)
    response = runner.post(
        "/api/v1/auth/password",
        json={"current_password": runner.password, "new_password": "fresh-knee-2027"},
    )
    assert response.status_code == 204, response.get_json()
    assert replay(app, laptop_token).status_code == 401
    assert laptop.get(ME).status_code == 401
    assert runner.get(ME).status_code == 200
    old = app.test_client().post("/api/v1/auth/login", json={"email": runner.email, "password": runner.password})
    assert old.status_code == 401


def test_erasure_ends_every_session(app, runner) -> None:
    phone_token = cookie_of(runner)
    laptop_token = cookie_of(sign_in(app, runner))
    assert runner.delete(ME, json={"password": runner.password}).status_code == 204
    assert replay(app, phone_token).status_code == 401
    assert replay(app, laptop_token).status_code == 401
    with app.app_context():
        assert db.session.execute(select(Session)).scalars().all() == []


def test_only_a_hash_of_the_token_is_stored(app, runner) -> None:
    token = cookie_of(runner)
    with app.app_context():
        ids = db.session.execute(select(Session.id)).scalars().all()
    assert len(ids) == 1 and token not in ids[0] and len(ids[0]) == 64


# -- timeouts -------------------------------------------------------------------------------


def age_sessions(app, *, idle: timedelta = timedelta(0), age: timedelta = timedelta(0)) -> None:
    """Move every session's last use ``idle`` and its creation ``age`` into the past."""
    now = utcnow()
    with app.app_context():
        db.session.execute(update(Session).values(last_seen_at=now - idle, created_at=now - age))
        db.session.commit()


TIMEOUTS = {"SESSION_IDLE_DAYS": 2, "SESSION_MAX_DAYS": 10}


@pytest.mark.parametrize("app", [TIMEOUTS], indirect=True)
@pytest.mark.parametrize(
    "idle,age,status",
    [
        (timedelta(days=1, hours=23), timedelta(days=5), 200),  # idle just under 2 days
        (timedelta(days=2, minutes=1), timedelta(days=5), 401),  # idle past 2 days
        (timedelta(hours=1), timedelta(days=9, hours=23), 200),  # young enough, recently used
        (timedelta(hours=1), timedelta(days=10, minutes=1), 401),  # absolute limit, though active
        (timedelta(0), timedelta(days=400), 401),
    ],
)
def test_idle_and_absolute_timeouts(app, runner, idle, age, status) -> None:
    token = cookie_of(runner)
    age_sessions(app, idle=idle, age=age)
    assert replay(app, token).status_code == status
    if status == 401:  # an expired session is deleted, not just refused
        with app.app_context():
            assert db.session.execute(select(Session)).scalars().all() == []


@pytest.mark.parametrize("app", [TIMEOUTS], indirect=True)
def test_use_keeps_a_session_alive_until_the_absolute_limit(app, runner) -> None:
    token = cookie_of(runner)
    age_sessions(app, idle=timedelta(days=1), age=timedelta(days=3))
    assert replay(app, token).status_code == 200  # this use refreshes last_seen_at
    with app.app_context():
        seen = db.session.execute(select(Session.last_seen_at)).scalar_one()
    seen = seen if seen.tzinfo else seen.replace(tzinfo=utcnow().tzinfo)
    assert utcnow() - seen < timedelta(minutes=1)


# -- rotation and fixation ------------------------------------------------------------------


def test_session_id_rotates_at_login_and_a_planted_cookie_is_ignored(app, runner) -> None:
    client = app.test_client()
    client.set_cookie("sg_session", "attacker-chosen-value")  # session fixation attempt
    response = client.post("/api/v1/auth/login", json={"email": runner.email, "password": runner.password})
    assert response.status_code == 200
    after = client.get_cookie("sg_session").value
    assert after != "attacker-chosen-value"
    assert replay(app, "attacker-chosen-value").status_code == 401
    # Signing in again (same browser) yields yet another id and CSRF token.
    before_token, before_csrf = cookie_of(runner), runner.csrf
    again = runner.client.post("/api/v1/auth/login", json={"email": runner.email, "password": runner.password})
    assert again.status_code == 200
    assert cookie_of(runner) != before_token
    assert again.get_json()["csrf_token"] != before_csrf


def test_failed_login_sets_no_cookie(app, runner) -> None:
    client = app.test_client()
    response = client.post("/api/v1/auth/login", json={"email": runner.email, "password": "wrong-password-1"})
    assert response.status_code == 401
    assert "Set-Cookie" not in response.headers


# -- CSRF -----------------------------------------------------------------------------------

UNSAFE = [
    ("PUT", "/api/v1/checkins/2026-01-05", {"pain": 1}),
    ("POST", "/api/v1/shoes", {"name": "Trainers"}),
    ("PATCH", ME, {"units": "mi"}),
    ("DELETE", "/api/v1/checkins/2026-01-05", None),
    ("POST", "/api/v1/auth/logout", None),
]


@pytest.mark.parametrize("method,url,body", UNSAFE)
def test_csrf_token_is_bound_to_the_session(app, runner, other, method, url, body) -> None:
    forged = {"another runner's token": {"X-CSRF-Token": other.csrf}, "no header": {},
              "empty header": {"X-CSRF-Token": ""}, "token plus junk": {"X-CSRF-Token": runner.csrf + "x"}}
    for label, headers in forged.items():
        response = runner.client.open(url, method=method, json=body, headers=headers)
        assert response.status_code == 403, label
        assert response.get_json()["error"]["code"] == "csrf_failed"
    # Nothing happened: still signed in, nothing stored, nothing changed.
    assert runner.get(ME).status_code == 200
    assert runner.get(ME).get_json()["units"] == "km"
    assert runner.get("/api/v1/checkins/2026-01-05").status_code == 404
    assert runner.get("/api/v1/shoes").get_json() == []
    # The runner's own token passes the guard.
    own = runner.client.open(url, method=method, json=body, headers={"X-CSRF-Token": runner.csrf})
    assert own.status_code not in (401, 403), own.get_json()


def test_csrf_token_changes_with_the_session(app, runner) -> None:
    old_csrf = runner.csrf
    laptop = sign_in(app, runner)
    assert laptop.csrf != old_csrf
    response = laptop.client.patch(ME, json={"units": "mi"}, headers={"X-CSRF-Token": old_csrf})
    assert response.status_code == 403


# -- cookie attributes ----------------------------------------------------------------------


def set_cookie_header(response) -> str:
    [header] = [v for k, v in response.headers.items() if k.lower() == "set-cookie"]
    return header


def test_https_uses_the_host_prefixed_secure_cookie(app) -> None:
    client = app.test_client()
    response = client.post(
        "/api/v1/auth/register", json={"email": "tls@example.org", "password": "knee-safe-42x"},
        base_url="https://localhost",
    )
    assert response.status_code == 201
    header = set_cookie_header(response)
    parts = [p.strip().lower() for p in header.split(";")]
    assert header.startswith("__Host-sg_session=")
    assert {"secure", "httponly", "path=/", "samesite=lax"} <= set(parts)
    assert not any(p.startswith("domain=") for p in parts)  # __Host- forbids Domain
    token = header.split(";")[0].split("=", 1)[1]
    assert replay(app, token, name="__Host-sg_session", https=True).status_code == 200


def test_plain_http_in_testing_uses_the_plain_cookie(app) -> None:
    response = app.test_client().post(
        "/api/v1/auth/register", json={"email": "plain@example.org", "password": "knee-safe-42x"}
    )
    header = set_cookie_header(response)
    assert header.startswith("sg_session=")
    assert "httponly" in header.lower() and "samesite=lax" in header.lower()


@pytest.mark.parametrize("app", [{"COOKIE_SECURE": True}], indirect=True)
def test_configured_secure_cookie_even_behind_a_plain_http_proxy(app) -> None:
    response = app.test_client().post(
        "/api/v1/auth/register", json={"email": "proxy@example.org", "password": "knee-safe-42x"}
    )
    header = set_cookie_header(response)
    assert header.startswith("__Host-sg_session=") and "secure" in header.lower()
