"""Configuration: defaults, then ``STRIDEGUARD_*`` environment variables, then overrides.

Nothing here runs at import time; :func:`build_config` is called by ``create_app``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

ENV_PREFIX = "STRIDEGUARD_"
REPO_ROOT = Path(__file__).resolve().parents[2]

#: Settings read from the environment and how to parse them.
_BOOL = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


def _as_bool(value: str) -> bool:
    try:
        return _BOOL[value.strip().lower()]
    except KeyError:
        raise ValueError(f"not a boolean: {value!r}") from None


def _as_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


PARSERS: dict[str, Any] = {
    "DATABASE_URL": str,
    "SECRET_KEY": str,
    "INSTANCE_PATH": str,
    "RATELIMIT_ENABLED": _as_bool,
    "RATELIMIT_STORAGE_URL": str,
    "LOGIN_RATE_LIMIT": str,
    "REGISTER_RATE_LIMIT": str,
    "ACCEPT_RATE_LIMIT": str,
    "THERAPIST_SIGNUP": _as_bool,
    "PUBLIC_URL": str,
    "FORWARDED_ALLOW_IPS": _as_list,
    "PROBE_ALLOW_IPS": _as_list,
    "HEADER_TIMEOUT_S": float,
    "FHIR_INSTANCE_ID": str,
    "SESSION_IDLE_DAYS": int,
    "SESSION_MAX_DAYS": int,
    "COOKIE_SECURE": _as_bool,
    "CLIENT_DIR": str,
    "PLUGINS_ALLOW": _as_list,
    "PLUGINS_BLOCK": _as_list,
    "PLUGINS_TRACE": _as_bool,
    "PLUGIN_BUDGET_S": float,
    "PLUGIN_MAX_FAILURES": int,
    "PLUGINS_INLINE_AFTER": int,
    "VAPID_PRIVATE_KEY": str,
    "VAPID_SUBJECT": str,
    "PUSH_ALLOWED_HOSTS": _as_list,
    "PUSH_DAILY_CAP": int,
    "WORKER_INTERVAL_S": int,
    "IMPORT_WORKERS": int,
    "IMPORT_MAX_UPLOAD_MB": int,
    "IMPORT_MAX_FILE_MB": int,
    "IMPORT_MAX_TOTAL_MB": int,
    "IMPORT_MAX_ENTRIES": int,
    "IMPORT_MAX_RATIO": int,
    "IMPORT_MAX_POINTS": int,
    "IMPORT_STALE_S": int,
    "IMPORT_SWEEP_S": int,
    "IMPORT_KEEP_MB": int,
    "IMPORT_KEEP_DAYS": int,
    "PUSH_SENDERS": int,
    "METRICS_ENABLED": _as_bool,
    "METRICS_TOKEN": str,
    "WORKER_METRICS_PORT": int,
    "WORKER_METRICS_HOST": str,
    "LOG_LEVEL": str,
    "ARGON2_PROFILE": str,
    "SQLITE_SYNCHRONOUS": str,
}


def default_push_senders() -> int:
    """Processes a big delivery pass may use: one per CPU, at most 4."""
    return max(1, min(os.cpu_count() or 1, 4))


def defaults(instance_path: Path) -> dict[str, Any]:
    """Built-in defaults: a working app on SQLite in the instance folder."""
    return {
        "DATABASE_URL": f"sqlite:///{instance_path / 'strideguard.sqlite3'}",
        "SECRET_KEY": None,  # nosec B105 # not a password: None means "generate one per instance"
        "RATELIMIT_ENABLED": True,
        # The app's own database: shared by every web worker with nothing else to run.
        "RATELIMIT_STORAGE_URL": "database://",
        "LOGIN_RATE_LIMIT": "10 per minute;50 per hour",
        "REGISTER_RATE_LIMIT": "5 per minute;30 per hour",
        # Wrong invitation codes, per address and per therapist account.
        "ACCEPT_RATE_LIMIT": "10 per minute;30 per hour",
        # False: therapist accounts only from `strideguard therapist add` (a clinic's instance).
        "THERAPIST_SIGNUP": True,
        # The app's public address for invitation links (none: the client adds its own origin).
        "PUBLIC_URL": None,
        # Proxies whose X-Forwarded-For (client address) and X-Forwarded-Proto (scheme) count:
        # the app's and gunicorn's one list (gunicorn's own FORWARDED_ALLOW_IPS is the default).
        "FORWARDED_ALLOW_IPS": _as_list(os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1,::1"),
        # Who may read /metrics and /readyz without METRICS_TOKEN (never through a proxy).
        "PROBE_ALLOW_IPS": ["127.0.0.1", "::1"],
        # Seconds a client has to send a whole request head to `serve` (operations/serving.py).
        "HEADER_TIMEOUT_S": 10.0,
        # Names this instance in FHIR identifiers (urn:strideguard:<id>:user).
        "FHIR_INSTANCE_ID": "strideguard",
        "SESSION_IDLE_DAYS": 30,
        "SESSION_MAX_DAYS": 90,
        "COOKIE_SECURE": None,  # None: Secure unless the app runs in debug/testing
        "CLIENT_DIR": str(REPO_ROOT / "client"),
        "PLUGINS_ALLOW": None,
        "PLUGINS_BLOCK": [],
        "PLUGINS_TRACE": False,
        "PLUGIN_BUDGET_S": 0.5,
        "PLUGIN_MAX_FAILURES": 3,
        "PLUGINS_INLINE_AFTER": 20,
        "VAPID_PRIVATE_KEY": None,
        "VAPID_SUBJECT": "mailto:admin@localhost",
        "PUSH_ALLOWED_HOSTS": None,  # None: the big browser push services
        "PUSH_DAILY_CAP": 3,
        "WORKER_INTERVAL_S": 60,
        # Imports (see README "Import"): background threads per web process (0: the
        # reminder worker does them all), upload and per-file limits, stale-job rescue.
        "IMPORT_WORKERS": 1,
        "IMPORT_MAX_UPLOAD_MB": 200,
        "IMPORT_MAX_FILE_MB": 16,
        "IMPORT_MAX_TOTAL_MB": 1024,
        "IMPORT_MAX_ENTRIES": 5000,
        "IMPORT_MAX_RATIO": 100,
        "IMPORT_MAX_POINTS": 100_000,
        "IMPORT_STALE_S": 120,
        "IMPORT_SWEEP_S": 15,
        # Uploads kept with keep_file=true: per runner at most this much, each this long.
        "IMPORT_KEEP_MB": 50,
        "IMPORT_KEEP_DAYS": 30,
        "PUSH_SENDERS": default_push_senders(),
        "METRICS_ENABLED": True,
        "METRICS_TOKEN": None,
        "WORKER_METRICS_PORT": 0,  # 0: the worker serves no metrics of its own
        "WORKER_METRICS_HOST": "127.0.0.1",
        "LOG_LEVEL": "INFO",
        "ARGON2_PROFILE": "RFC_9106_LOW_MEMORY",
        "SQLITE_SYNCHRONOUS": "FULL",
        "MAX_CONTENT_LENGTH": 64 * 1024,
        "JSON_SORT_KEYS": False,
    }


def from_environ(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Parse every known ``STRIDEGUARD_*`` variable; an unparsable value raises ValueError."""
    environ = os.environ if environ is None else environ
    found: dict[str, Any] = {}
    for name, parse in PARSERS.items():
        raw = environ.get(ENV_PREFIX + name)
        if raw is not None and raw != "":
            try:
                found[name] = parse(raw)
            except ValueError as exc:
                raise ValueError(f"{ENV_PREFIX}{name}: {exc}") from None
    return found


def instance_path_from(environ: dict[str, str] | None = None, overrides: dict | None = None) -> Path:
    """The instance folder: override, ``STRIDEGUARD_INSTANCE_PATH`` or ``./instance``."""
    environ = os.environ if environ is None else environ
    raw = (overrides or {}).get("INSTANCE_PATH") or environ.get(ENV_PREFIX + "INSTANCE_PATH")
    return Path(raw or Path.cwd() / "instance").resolve()


def ensure_secret_key(instance_path: Path) -> str:
    """Read the secret key from the instance folder, creating it (0600) on first start."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def database_uri(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use psycopg 3 for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _check_addresses(settings: dict[str, Any]) -> None:
    """Refuse a malformed address list or public URL at start, not at the first request."""
    from strideguard.operations.proxy import parse_networks

    for name in ("FORWARDED_ALLOW_IPS", "PROBE_ALLOW_IPS"):
        parse_networks(settings[name], name)
    public = settings.get("PUBLIC_URL")
    if public:
        from urllib.parse import urlsplit

        parts = urlsplit(public)
        if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError(f"STRIDEGUARD_PUBLIC_URL: use the app's address, e.g. https://run.example.org, not {public!r}")


def build_config(overrides: dict[str, Any] | None = None) -> tuple[Path, dict[str, Any]]:
    """Defaults, then ``STRIDEGUARD_*`` environment variables, then ``overrides``."""
    overrides = dict(overrides or {})
    from strideguard.operations.filemodes import private_dir, private_sqlite_file

    instance = private_dir(instance_path_from(overrides=overrides))  # 0700: keys and database
    settings = defaults(instance)
    settings.update(from_environ())
    settings.update(overrides)
    settings["INSTANCE_PATH"] = str(instance)
    if not settings.get("SECRET_KEY"):
        settings["SECRET_KEY"] = ensure_secret_key(instance)
    _check_addresses(settings)
    uri = database_uri(settings["DATABASE_URL"])
    settings["SQLALCHEMY_DATABASE_URI"] = uri
    private_sqlite_file(uri)  # 0600, before SQLite creates it world-readable
    if uri.startswith("sqlite"):
        settings.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 15}})
    else:
        settings.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    # SQL parameters hold health data: never print them in errors or logs.
    settings["SQLALCHEMY_ENGINE_OPTIONS"].setdefault("hide_parameters", True)
    settings.setdefault("RATELIMIT_STORAGE_URI", settings["RATELIMIT_STORAGE_URL"])
    if settings["RATELIMIT_STORAGE_URI"].startswith("database:"):
        from strideguard.operations import ratelimit  # registers the database:// scheme

        settings.setdefault("RATELIMIT_STORAGE_OPTIONS", ratelimit.storage_options(uri))
    # A store error (Redis unreachable) comes as limits' StorageError: errors.py answers 503.
    options = settings.setdefault("RATELIMIT_STORAGE_OPTIONS", {})
    options.setdefault("wrap_exceptions", True)
    if settings["RATELIMIT_STORAGE_URI"].startswith(("redis", "rediss")):
        # A Redis that does not answer fails sign-in in 2 s (a 503), never hangs a worker.
        options.setdefault("socket_connect_timeout", 2)
        options.setdefault("socket_timeout", 2)
    settings.update(
        API_TITLE="StrideGuard API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
    )
    return instance, settings
