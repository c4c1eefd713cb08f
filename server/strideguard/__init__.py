"""StrideGuard: guidance for runners with knee pain.

``create_app`` is the only place where wiring happens. ``from strideguard import hookimpl``
is all a plugin author imports. This front door imports neither Flask nor SQLAlchemy, so the
pure modules (``load``, ``plan.machine``, the guidance rules, the reminder planner) import
without them.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from strideguard.guidance.hookspecs import PLUGIN_API_VERSION, hookimpl, hookspec

if TYPE_CHECKING:  # the package root stays importable without Flask or SQLAlchemy
    from flask import Flask

__all__ = ["PLUGIN_API_VERSION", "create_app", "hookimpl", "hookspec"]
__version__ = "0.1.0"


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app: config, database, API, plugins, web client."""
    from flask import Flask
    from sqlalchemy import event

    from strideguard import errors, extensions, security, strictjson, web
    from strideguard.accounts import api as accounts_api
    from strideguard.accounts import guard, sessions
    from strideguard.accounts.export import bp as export_bp
    from strideguard.clinic import api as clinic_api
    from strideguard.guidance import api as guidance_api
    from strideguard.guidance.service import init_plugins
    from strideguard.imports import api as imports_api
    from strideguard.imports import jobs as import_jobs
    from strideguard.operations import health, metrics, writergate
    from strideguard.operations.proxy import TrustedProxyFix
    from strideguard.push import api as push_api
    from strideguard.rehab import api as rehab_api
    from strideguard.reminders import api as reminders_api
    from strideguard.training import api as training_api

    from strideguard.config import build_config

    instance, settings = build_config(overrides)
    app = Flask(__name__, instance_path=str(instance), static_folder=None)
    strictjson.init_app(app)  # bounded request JSON, strict JSON answers
    app.config.update(settings)
    # The client's address from X-Forwarded-For, only when a trusted proxy sent it.
    app.wsgi_app = TrustedProxyFix(app.wsgi_app, settings["FORWARDED_ALLOW_IPS"])  # type: ignore[method-assign]
    _configure_logging(app)

    extensions.db.init_app(app)
    with app.app_context():
        if extensions.db.engine.url.get_backend_name() == "sqlite":
            event.listen(
                extensions.db.engine, "connect", extensions.sqlite_pragmas(app.config["SQLITE_SYNCHRONOUS"])
            )
            writergate.install(extensions.db.engine)  # writers queue instead of polling
    extensions.migrate.init_app(
        app, extensions.db, directory=str(Path(__file__).resolve().parents[2] / "migrations")
    )
    extensions.limiter.init_app(app)

    api = extensions.make_api()
    api.init_app(app)
    for blueprint in (
        accounts_api.auth_bp, accounts_api.me_bp, export_bp, training_api.bp,
        guidance_api.bp, push_api.bp, reminders_api.bp, imports_api.bp,
        clinic_api.sharing_bp, clinic_api.clinic_bp, rehab_api.bp,
    ):
        api.register_blueprint(blueprint)
    app.extensions["strideguard.api"] = api

    errors.register_error_handlers(app)
    security.init_app(app)
    guard.init_app(app)
    sessions.init_app(app)
    init_plugins(app)
    import_jobs.init_app(app)
    app.register_blueprint(health.bp)
    metrics.init_app(app)
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
