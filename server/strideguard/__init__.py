"""StrideGuard: guidance for runners with knee pain.

``create_app`` is the only place where wiring happens. ``from strideguard import hookimpl``
is all a plugin author imports.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event

from strideguard.guidance.hookspecs import PLUGIN_API_VERSION, hookimpl, hookspec

__all__ = ["PLUGIN_API_VERSION", "create_app", "hookimpl", "hookspec"]
__version__ = "0.1.0"


def _sqlite_pragmas(synchronous: str):
    """A connect hook: WAL, the configured durability (FULL by default), FKs, busy timeout."""
    if synchronous not in {"FULL", "NORMAL", "EXTRA"}:
        raise ValueError(f"SQLITE_SYNCHRONOUS must be FULL, NORMAL or EXTRA, not {synchronous!r}")

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()

    return on_connect


def database_uri(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use psycopg 3 for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def build_config(overrides: dict[str, Any] | None = None) -> tuple[Path, dict[str, Any]]:
    """Defaults, then ``STRIDEGUARD_*`` environment variables, then ``overrides``."""
    from strideguard import config

    overrides = dict(overrides or {})
    instance = config.instance_path_from(overrides=overrides)
    instance.mkdir(parents=True, exist_ok=True)
    settings = config.defaults(instance)
    settings.update(config.from_environ())
    settings.update(overrides)
    settings["INSTANCE_PATH"] = str(instance)
    if not settings.get("SECRET_KEY"):
        settings["SECRET_KEY"] = config.ensure_secret_key(instance)
    uri = database_uri(settings["DATABASE_URL"])
    settings["SQLALCHEMY_DATABASE_URI"] = uri
    if uri.startswith("sqlite"):
        settings.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 15}})
    else:
        settings.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    # SQL parameters hold health data: never print them in errors or logs.
    settings["SQLALCHEMY_ENGINE_OPTIONS"].setdefault("hide_parameters", True)
    settings.setdefault("RATELIMIT_STORAGE_URI", settings["RATELIMIT_STORAGE_URL"])
    settings.update(
        API_TITLE="StrideGuard API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
    )
    return instance, settings


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app: config, database, API, plugins, web client."""
    from strideguard import errors, extensions, security, web
    from strideguard.accounts import api as accounts_api
    from strideguard.accounts import guard, sessions
    from strideguard.accounts.export import bp as export_bp
    from strideguard.clinic import api as clinic_api
    from strideguard.guidance import api as guidance_api
    from strideguard.guidance.service import init_plugins
    from strideguard.plan import api as plan_api
    from strideguard.push import api as push_api
    from strideguard.reminders import api as reminders_api
    from strideguard.training import api as training_api

    instance, settings = build_config(overrides)
    app = Flask(__name__, instance_path=str(instance), static_folder=None)
    app.config.update(settings)
    _configure_logging(app)

    extensions.db.init_app(app)
    with app.app_context():
        if extensions.db.engine.url.get_backend_name() == "sqlite":
            event.listen(
                extensions.db.engine, "connect", _sqlite_pragmas(app.config["SQLITE_SYNCHRONOUS"])
            )
    extensions.migrate.init_app(
        app, extensions.db, directory=str(Path(__file__).resolve().parents[2] / "migrations")
    )
    extensions.limiter.init_app(app)

    api = extensions.make_api()
    api.init_app(app)
    for blueprint in (
        accounts_api.auth_bp, accounts_api.me_bp, export_bp, training_api.bp,
        guidance_api.bp, plan_api.bp, push_api.bp, reminders_api.bp,
        clinic_api.sharing_bp, clinic_api.clinic_bp,
    ):
        api.register_blueprint(blueprint)
    app.extensions["strideguard.api"] = api

    errors.register_error_handlers(app)
    security.init_app(app)
    guard.init_app(app)
    sessions.init_app(app)
    init_plugins(app)
    app.register_blueprint(web.bp)
    _register_cli(app)
    return app


def _configure_logging(app: Flask) -> None:
    """Our loggers write to stderr (one line each) unless the host configured them already."""
    logger = logging.getLogger("strideguard")
    logger.setLevel(app.config["LOG_LEVEL"])
    if not logger.handlers and not app.testing:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        logger.addHandler(handler)


def _register_cli(app: Flask) -> None:
    from strideguard.cli import register_app_commands

    register_app_commands(app)
