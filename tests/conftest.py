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


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under ``--dist loadgroup`` every browser test runs on one worker, in order: one live
    server and one Chromium (package fixtures), torn down once. The PostgreSQL variant of a
    backend-parametrised test is marked ``postgres``."""
    for item in items:
        if item.get_closest_marker("browser") is not None:
            item.add_marker(pytest.mark.xdist_group("browser"))
        params = getattr(getattr(item, "callspec", None), "params", {})
        if any(isinstance(v, str) and v.startswith("postgres") for v in params.values()):
            item.add_marker(pytest.mark.postgres)  # the PostgreSQL variant: -m postgres selects them


@pytest.hookimpl(trylast=True, specname="pytest_collection_modifyitems")  # after pytest grouped them by session-scoped parameters
def pytest_collection_modifyitems_processes_first(items: list[pytest.Item]) -> None:
    """Tests that start processes first, the longest of them (LONGEST) before the others,
    then the longest in-process tests: xdist hands them out while the short tests can still
    fill the other workers around them, instead of one of them starting last and running
    alone. The order is otherwise kept (xdist needs the same order on every worker; it is
    deterministic)."""
    if items and getattr(items[0].config.option, "loadgroup", False):
        # A worker under --dist loadgroup: xdist has named each grouped test's group in its
        # node id. When a pytest release stops that (pytest 9.2: pytest-xdist#1386), the
        # groups would silently spread over the workers: refuse instead.
        lost = [item.nodeid for item in items
                if item.get_closest_marker("xdist_group") is not None and "@" not in item.nodeid]
        if lost:
            raise pytest.UsageError(f"pytest-xdist ignored the xdist_group of {len(lost)} tests "
                                    f"(e.g. {lost[0]}): keep pytest < 9.2 (pyproject.toml)")

    def key(item: pytest.Item) -> tuple[bool, int]:
        rank = next((i for i, prefix in enumerate(LONGEST) if item.nodeid.startswith(prefix)), len(LONGEST))
        return item.get_closest_marker("process") is None, rank

    items.sort(key=key)


#: The tests measured longest, longest first: process tests (one to nine minutes on a busy
#: 2-core machine), then in-process ones.
LONGEST = (
    "tests/reminders/test_concurrency.py::test_workers_send_every_reminder_exactly_once[postgres]",
    "tests/security/test_one_runner_lanes.py::",
    "tests/security/test_crash_safety.py::",
    "tests/rehab/test_session_crash.py::",
    "tests/operations/test_outages.py::",
    "tests/operations/test_backup_drill.py::",
    # In-process tests, after every process test: the longest of them (10-30 s each).
    "tests/security/test_fuzz.py::",
    "tests/security/test_hostile.py::",
)


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
    """Empty every table. PostgreSQL: DELETE from the tables that hold rows and restart the
    sequences that were used (what ``TRUNCATE … RESTART IDENTITY`` gives, at a few ms instead
    of ~80 ms for 18 empty tables); SQLite: DELETE from every table."""
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]  # children first
    if db.engine.url.get_backend_name() == "postgresql":
        probe = " UNION ALL ".join(f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM {name})" for name in tables)
        filled = set(db.session.execute(text(probe)).scalars())
        for name in tables:
            if name in filled:
                db.session.execute(text(f"DELETE FROM {name}"))
        db.session.execute(text(
            "SELECT setval(format('%I.%I', schemaname, sequencename), start_value, false) "
            "FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL"
        ))
    else:
        for name in tables:
            db.session.execute(text(f"DELETE FROM {name}"))
    db.session.commit()


# -- one app per backend and configuration for the session --------------------------------
#
# ``create_app`` costs ~50-70 ms (mostly the OpenAPI document), so apps are built once per
# (backend, configuration) and reused. Before each use the app is put back to how it was
# built: its configuration (a test's edits never leak), the extension entries cached lazily
# during a test (VAPID key, push allowlist, metrics registry, ...), the plugin host (rebuilt
# when a test registered plugins or one failed), the background import runner (drained),
# the module-global rate limiter (flask-limiter keeps the last ``init_app``'s settings and
# storage on its one instance, so each app's are restored), and the tables (emptied).
#
# A test that changes the app itself (adds a route, hooks the engine) must have a fresh app:
# ``@pytest.mark.fresh_app`` for the ``app`` fixture, ``make_app(..., fresh=True)`` otherwise.

#: Settings a cached app reads only per request: they are applied at each use, not part of
#: the cache key (the per-test push service listens on a new port each time).
LATE_SETTINGS = frozenset({"PUSH_ALLOWED_HOSTS"})
#: Extension entries derived lazily from LATE_SETTINGS.
LATE_EXTENSIONS = frozenset({"strideguard.push_allowlist"})

_APPS: dict[tuple, object] = {}
_PRISTINE = "tests.pristine"


def _frozen(value: object) -> object:
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple, set, frozenset)):
        return (type(value).__name__, tuple(_frozen(v) for v in value))
    hash(value)  # TypeError: not cacheable
    return value


def _plugin_state(app) -> tuple:
    from strideguard.guidance.service import EXTENSION_KEY

    host = app.extensions[EXTENSION_KEY]
    records = tuple(
        (name, r.version, r.status, r.failures, r.abandoned, r.last_error, id(r.plugin))
        for name, r in sorted(host._records.items())
    )
    return id(host), host.failures_seen, records, type(getattr(host, "observer", None))


def _limiter_state() -> dict:
    from strideguard.extensions import limiter

    return dict(vars(limiter))


def _remember_pristine(app) -> None:
    import copy

    config = dict(app.config)
    try:
        config = copy.deepcopy(config)
    except Exception:  # pragma: no cover - a value that cannot be copied: keep the reference
        pass
    app.extensions[_PRISTINE] = {
        "config": config,
        "extensions": set(app.extensions) | {_PRISTINE},
        "plugins": _plugin_state(app),
        "limiter": _limiter_state(),
    }


def _restore(app, late: dict) -> None:
    """Put a cached app back to how it was built (see above), with ``late`` settings."""
    import copy

    from strideguard.extensions import limiter
    from strideguard.guidance.service import init_plugins

    pristine = app.extensions[_PRISTINE]
    runner = app.extensions.get("strideguard.imports")
    if runner is not None:
        runner.shutdown(wait=True)
    app.config.clear()
    app.config.update(copy.deepcopy(pristine["config"]))
    app.config.update(late)
    for key in set(app.extensions) - pristine["extensions"] | LATE_EXTENSIONS:
        app.extensions.pop(key, None)
    if _plugin_state(app) != pristine["plugins"]:
        init_plugins(app)  # a test registered plugins, or one failed or was disabled
        if app.config["METRICS_ENABLED"]:
            from strideguard.operations.metrics import PluginMetrics

            app.extensions["strideguard.plugins"].observer = PluginMetrics()
        pristine["plugins"] = _plugin_state(app)
    vars(limiter).clear()
    vars(limiter).update(pristine["limiter"])
    if limiter.enabled and limiter._storage is not None and type(limiter._storage).__name__ != "DatabaseStorage":
        limiter._storage.reset()  # in-memory counters (database:// ones go with the tables)


def make_app(migrated, fresh: bool = False, **extra):
    """An app on the migrated database of ``migrated``, with every table emptied: the
    session's app for this backend and configuration, or a new one with ``fresh=True``."""
    backend, url, tmp = migrated
    late = {k: v for k, v in extra.items() if k in LATE_SETTINGS}
    key = None
    if not fresh:
        try:
            key = (backend, url, _frozen({k: v for k, v in extra.items() if k not in LATE_SETTINGS}))
        except TypeError:
            key = None
    app = _APPS.get(key) if key is not None else None
    if app is None:
        app = create_app(app_config(tmp, url, **({k: v for k, v in extra.items() if k not in LATE_SETTINGS}
                                                  if key is not None else extra)))
        app.config["BACKEND"] = backend
        if key is not None:
            _remember_pristine(app)
            _APPS[key] = app
    if key is not None:
        _restore(app, late)
    with app.app_context():
        _truncate_all()
    return app


def close_app(app) -> None:
    runner = app.extensions.get("strideguard.imports")
    if runner is not None:
        runner.shutdown(wait=True)  # background import jobs finish before the tables go
    with app.app_context():
        db.session.remove()
        if _PRISTINE not in app.extensions:  # a fresh app: nobody uses it again
            db.engine.dispose()


@pytest.fixture
def app(migrated, request: pytest.FixtureRequest):
    """An app on a clean database of the parametrised backend (overrides via indirect param;
    ``@pytest.mark.fresh_app`` for a new app instead of the session's)."""
    fresh = request.node.get_closest_marker("fresh_app") is not None
    app = make_app(migrated, fresh=fresh, **(getattr(request, "param", None) or {}))
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
