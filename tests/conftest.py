"""Shared fixtures: an app per database backend (SQLite and PostgreSQL), clean tables per
test, and signed-in runners."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from strideguard import create_app
from strideguard.extensions import db
from tests.support.postgres import ADMIN_URL as POSTGRES_ADMIN_URL  # noqa: F401  (re-exported)
from tests.support.postgres import throwaway_database
BACKENDS = ("sqlite", "postgres")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL database for this test run, dropped at the end."""
    with throwaway_database("sg_test") as url:
        yield url


def database_url(backend: str, tmp: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp / 'test.sqlite3'}"
    return request.getfixturevalue("postgres_url")


def app_config(instance: Path, url: str, **extra: object) -> dict:
    """Overrides for a test app (no rate limits unless a test turns them on)."""
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": url,
        "SECRET_KEY": "test-secret",
        "RATELIMIT_ENABLED": False,
        "ARGON2_PROFILE": "CHEAPEST",  # production keeps RFC 9106 low-memory
        "SQLITE_SYNCHRONOUS": "NORMAL",  # production keeps FULL; crash tests run a real server
        "PUSH_ALLOWED_HOSTS": ["127.0.0.1:1"],
        **extra,
    }


@pytest.fixture(scope="session", params=BACKENDS)
def migrated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """One migrated database per backend for the whole session: (backend, url, instance)."""
    from flask_migrate import upgrade

    backend = request.param
    tmp = tmp_path_factory.mktemp(backend)
    url = database_url(backend, tmp, request)
    app = create_app(app_config(tmp, url))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return backend, url, tmp


def _truncate_all() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.url.get_backend_name() == "postgresql":
        db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for name in tables:
            db.session.execute(text(f"DELETE FROM {name}"))
    db.session.commit()


def make_app(migrated, **extra):
    """An app on the migrated database of ``migrated``, with every table emptied."""
    backend, url, tmp = migrated
    app = create_app(app_config(tmp, url, **extra))
    app.config["BACKEND"] = backend
    with app.app_context():
        _truncate_all()
    return app


def close_app(app) -> None:
    runner = app.extensions.get("strideguard.imports")
    if runner is not None:
        runner.shutdown(wait=True)  # background import jobs finish before the tables go
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(migrated, request: pytest.FixtureRequest):
    """An app on a clean database of the parametrised backend (overrides via indirect param)."""
    app = make_app(migrated, **(getattr(request, "param", None) or {}))
    yield app
    close_app(app)


@pytest.fixture
def client(app):
    return app.test_client()


class Runner:
    """A signed-in runner driving the API through their own test client (own cookie jar)."""

    counter = 0

    role = "runner"

    def __init__(self, app, email: str | None = None, password: str = "knee-safe-42x",
                 timezone: str = "UTC", **profile: object) -> None:
        Runner.counter += 1
        self.client = app.test_client()
        self.email = email or f"{self.role}{Runner.counter}@example.org"
        self.password = password
        response = self.client.post(
            "/api/v1/auth/register",
            json={"email": self.email, "password": password, "timezone": timezone, "role": self.role, **profile},
        )
        assert response.status_code == 201, response.get_json()
        body = response.get_json()
        self.user = body["user"]
        self.csrf = body["csrf_token"]

    def _headers(self, extra: dict | None = None) -> dict:
        return {"X-CSRF-Token": self.csrf, **(extra or {})}

    def get(self, url: str, **kw):
        return self.client.get(url, **kw)

    def put(self, url: str, json=None, **kw):
        return self.client.put(url, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, url: str, json=None, **kw):
        return self.client.post(url, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def patch(self, url: str, json=None, **kw):
        return self.client.patch(url, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def delete(self, url: str, json=None, **kw):
        return self.client.delete(url, json=json, headers=self._headers(kw.pop("headers", None)), **kw)


class Therapist(Runner):
    """A signed-in therapist account (``role: "therapist"``)."""

    role = "therapist"

    def accept(self, code: str):
        return self.post("/api/v1/clinic/invitations/accept", json={"code": code})


def invite(runner: Runner) -> dict:
    """The runner creates an invitation; returns ``{code, url, expires_at, …}``."""
    response = runner.post("/api/v1/me/invitations")
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def linked(app, runner: Runner | None = None, **profile: object) -> tuple[Runner, Therapist]:
    """A runner who invited a therapist, who accepted."""
    runner = runner or Runner(app)
    therapist = Therapist(app, **profile)
    response = therapist.accept(invite(runner)["code"])
    assert response.status_code == 200, response.get_json()
    return runner, therapist


@pytest.fixture
def runner(app) -> Runner:
    """A signed-in runner (UTC)."""
    return Runner(app)


@pytest.fixture
def other(app) -> Runner:
    """A second signed-in runner, to prove the first one's data stays private."""
    return Runner(app)
