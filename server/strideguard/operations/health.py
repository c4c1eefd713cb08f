"""``GET /healthz`` (the process answers) and ``GET /readyz`` (it can do its job).

Probes for orchestrators and load balancers, outside the versioned API (``/api/v1``) and
its OpenAPI document: no sign-in, no rate limit, never cached, and no detail that helps an
attacker (error class names only, never messages, hosts or versions).

``/readyz`` is 200 when the database answers, its schema is at the migrations' head, a
reminder worker beat within 3 of its ticks, and the rate-limit store answers when it is not
the database (Redis: checked with a PING); otherwise 503, naming the store that is down. Both answer with
``{"status": "ok" | "unavailable", "checks": {name: {"ok": bool, ...}}}``.
"""

from __future__ import annotations

from typing import Any

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from strideguard.extensions import db
from strideguard.operations import heartbeat
from strideguard.operations.proxy import operator_only

bp = Blueprint("health", __name__)
NO_STORE = {"Cache-Control": "no-store"}


def migration_heads(app: Flask) -> frozenset[str]:
    """The head revision(s) of the migrations shipped with this code (read once)."""
    heads = app.extensions.get("strideguard.migration_heads")
    if heads is None:
        heads = frozenset(ScriptDirectory(app.extensions["migrate"].directory).get_heads())
        app.extensions["strideguard.migration_heads"] = heads
    return heads


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok"), 200, NO_STORE


def ratelimit_store(app: Flask) -> dict[str, Any] | None:
    """The rate-limit store's check when it is a store of its own (Redis), else None (the
    database, or per-process memory: nothing more to reach)."""
    from strideguard.extensions import limiter
    from strideguard.operations.ratelimit import PER_PROCESS, SCHEME, scheme_of

    if not app.config.get("RATELIMIT_ENABLED", True):
        return None
    scheme = scheme_of(app.config.get("RATELIMIT_STORAGE_URI") or "")
    if scheme in PER_PROCESS or scheme == SCHEME:
        return None
    try:
        ok = bool(limiter.storage.check())
    except Exception as exc:  # a storage whose check raises instead of answering False
        return {"ok": False, "scheme": scheme, "error": type(exc).__name__}
    return {"ok": True, "scheme": scheme} if ok else {"ok": False, "scheme": scheme, "error": "unreachable"}


def readiness(app: Flask) -> dict[str, dict[str, Any]]:
    """Each readiness check with its verdict and the numbers behind it."""
    checks: dict[str, dict[str, Any]] = {}
    store = ratelimit_store(app)
    if store is not None:
        checks["ratelimit_store"] = store
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            current = frozenset(MigrationContext.configure(conn).get_current_heads())
    except SQLAlchemyError as exc:
        checks["database"] = {"ok": False, "error": type(exc).__name__}
        checks["migrations"] = {"ok": False, "error": "database unreachable"}
        checks["worker"] = {"ok": False, "error": "database unreachable"}
        return checks
    checks["database"] = {"ok": True}
    heads = migration_heads(app)
    checks["migrations"] = {"ok": current == heads, "current": sorted(current), "head": sorted(heads)}
    try:
        beat = heartbeat.latest()
    except SQLAlchemyError as exc:  # e.g. the heartbeat table is not there yet
        checks["worker"] = {"ok": False, "error": type(exc).__name__}
        db.session.rollback()
        return checks
    if beat is None:
        checks["worker"] = {"ok": False, "error": "no reminder worker has reported"}
    else:
        checks["worker"] = {"ok": beat.fresh, "last_beat_s": round(beat.age_s, 1), "interval_s": beat.interval_s,
                            "max_age_s": heartbeat.FRESH_TICKS * beat.interval_s}
    return checks


@bp.get("/readyz")
@operator_only
def readyz():
    checks = readiness(current_app._get_current_object())
    ready = all(check["ok"] for check in checks.values())
    return jsonify(status="ok" if ready else "unavailable", checks=checks), 200 if ready else 503, NO_STORE
