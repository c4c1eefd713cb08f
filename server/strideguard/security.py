"""Security headers on every response, and one structured log line per request.

The log line holds method, path (no query string), endpoint, status, duration and user id —
never a body, so no pain score, note or other health data reaches the logs.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from flask import Flask, Response, g, request

request_log = logging.getLogger("strideguard.request")

#: For JSON and anything that is not the HTML shell: nothing may load or frame it.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
    "accelerometer=(), gyroscope=(), magnetometer=(), interest-cohort=()"
)
HSTS = "max-age=63072000; includeSubDomains"


def _start() -> None:
    g.request_started = time.perf_counter()


def _headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
    if "Content-Security-Policy" not in headers:
        headers["Content-Security-Policy"] = API_CSP
    if request.path.startswith("/api/"):
        # Personal data: never stored by the browser or a shared cache.
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def _log(response: Response) -> Response:
    started = g.get("request_started")
    signed_in = g.get("signed_in")
    if request_log.isEnabledFor(logging.INFO):
        request_log.info(json.dumps({
            "method": request.method,
            "path": request.path,
            "endpoint": request.endpoint,
            "status": response.status_code,
            "ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
            "user": signed_in.user.id if signed_in else None,
        }))
    return response


#: Loggers whose INFO/DEBUG output holds SQL parameters and result rows, i.e. health data.
#: Unless the operator set their level on purpose, they stay at WARNING even when the root
#: logger is at DEBUG.
SQL_LOGGERS = ("sqlalchemy.engine", "sqlalchemy.pool", "sqlalchemy.orm", "sqlalchemy.dialects")


def quiet_sql_logs() -> None:
    """Keep SQL statements, parameters and rows out of the logs (see :data:`SQL_LOGGERS`)."""
    for name in SQL_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.WARNING)


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def refuse_nul_characters() -> None:
    """422 for a JSON body with a NUL character in any string.

    PostgreSQL cannot store NUL in text (the driver raises, which was a 500) and no field of
    ours has a use for it, so it is refused once, for every API request, by the guard (after
    sign-in and CSRF are checked, so an anonymous caller still gets 401 first).
    """
    if not request.path.startswith("/api/") or not request.is_json:
        return
    body = request.get_json(silent=True)
    if body is None:
        return  # malformed JSON: the schema layer answers 400
    if isinstance(body, dict):
        fields = [str(key) for key, value in body.items() if _has_nul(key) or _has_nul(value)]
    else:
        fields = ["_json"] if _has_nul(body) else []
    if fields:
        from strideguard.errors import Invalid

        raise Invalid(fields={name: ["Must not contain NUL characters."] for name in fields})


def init_app(app: Flask) -> None:
    quiet_sql_logs()
    app.before_request(_start)
    app.after_request(_headers)
    app.after_request(_log)
