"""``database://``: a ``limits`` storage in the app's own database, the default rate-limit store.

Flask-Limiter's ``memory://`` counts in each process, so behind gunicorn's several workers
every worker let the full allowance of wrong passwords through. The app's database is
shared by every worker of every host without anything else to run, so it is the default;
``STRIDEGUARD_RATELIMIT_STORAGE_URL=redis://…`` moves the counters to Redis, and
``memory://`` is refused when more than one web worker would serve (see
:func:`per_process_problem`).

The store registers the scheme ``database`` with the ``limits`` library (its storage
registry picks up every ``Storage`` subclass that names a ``STORAGE_SCHEME``) and supports
the fixed-window strategy Flask-Limiter uses by default. Each counter is one row; an
increment is one atomic ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` (PostgreSQL and
SQLite ≥ 3.35), on the store's own small connection pool, outside the request's
transaction.
"""

from __future__ import annotations

import hashlib
import threading
import time
import urllib.parse
from typing import Any

from limits.storage import Storage
from sqlalchemy import Engine, case, create_engine, delete, event, select
from sqlalchemy.exc import SQLAlchemyError

from strideguard.extensions import upsert_insert
from strideguard.operations import writergate
from strideguard.operations.models import RateLimitCounter

SCHEME = "database"
#: Schemes whose counters live in one process only.
PER_PROCESS = frozenset({"memory", "async+memory"})
#: Expired counters are deleted once every this many increments (per process).
SWEEP_EVERY = 200
_TABLE = RateLimitCounter.__table__


def scheme_of(uri: str) -> str:
    return urllib.parse.urlparse(uri).scheme


def per_process_problem(settings: dict[str, Any], workers: int) -> str | None:
    """Why these settings cannot throttle ``workers`` web workers, or None when they can."""
    uri = settings.get("RATELIMIT_STORAGE_URI") or settings.get("RATELIMIT_STORAGE_URL") or ""
    if not settings.get("RATELIMIT_ENABLED", True) or workers <= 1 or scheme_of(uri) not in PER_PROCESS:
        return None
    return (
        f"STRIDEGUARD_RATELIMIT_STORAGE_URL={uri} keeps rate-limit counters in each process, "
        f"so {workers} web workers would each allow the full number of failed sign-ins. "
        f"Unset it (counters in the app's database, shared by every worker), use "
        f"redis://host:6379/0, or serve with --workers 1."
    )


def storage_options(database_uri: str) -> dict[str, Any]:
    """``RATELIMIT_STORAGE_OPTIONS`` for ``database://``: the app's SQLAlchemy URL."""
    return {"database_url": database_uri}


class DatabaseStorage(Storage):
    """Fixed-window counters in the ``rate_limit_counters`` table."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False,
                 database_url: str | None = None, **options: Any) -> None:
        if not database_url:
            raise ValueError("database:// needs RATELIMIT_STORAGE_OPTIONS={'database_url': ...}")
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._url = database_url
        self._engine: Engine | None = None
        self._lock = threading.Lock()
        self._increments = 0

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    @property
    def engine(self) -> Engine:
        """Created on first use, so a forked gunicorn worker opens its own connections."""
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    self._engine = _make_engine(self._url)
        return self._engine

    @staticmethod
    def _key(key: str) -> str:
        return key if len(key) <= 255 else "sha256:" + hashlib.sha256(key.encode()).hexdigest()

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        expired = _TABLE.c.expires_at <= now
        stmt = (
            upsert_insert(_TABLE, self.engine.dialect.name)
            .values(key=self._key(key), hits=amount, expires_at=now + expiry)
            .on_conflict_do_update(
                index_elements=[_TABLE.c.key],
                set_={
                    "hits": case((expired, amount), else_=_TABLE.c.hits + amount),
                    "expires_at": case((expired, now + expiry), else_=_TABLE.c.expires_at),
                },
            )
            .returning(_TABLE.c.hits)
        )
        with self.engine.begin() as conn:
            hits = conn.execute(stmt).scalar_one()
            self._increments += 1
            if self._increments % SWEEP_EVERY == 0:
                conn.execute(delete(_TABLE).where(_TABLE.c.expires_at < now))
        return int(hits)

    def get(self, key: str) -> int:
        with self.engine.connect() as conn:
            hits = conn.execute(
                select(_TABLE.c.hits).where(_TABLE.c.key == self._key(key), _TABLE.c.expires_at > time.time())
            ).scalar()
        return int(hits or 0)

    def get_expiry(self, key: str) -> float:
        now = time.time()
        with self.engine.connect() as conn:
            expires = conn.execute(
                select(_TABLE.c.expires_at).where(_TABLE.c.key == self._key(key), _TABLE.c.expires_at > now)
            ).scalar()
        return float(expires) if expires is not None else now

    def check(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self.engine.begin() as conn:
            return conn.execute(delete(_TABLE)).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(_TABLE).where(_TABLE.c.key == self._key(key)))


def delete_expired(session: Any, now: float | None = None) -> int:
    """Delete counters whose window is over (the worker does it every tick, so a client's
    address is kept no longer than its limit's window); the caller commits."""
    result = session.execute(delete(_TABLE).where(_TABLE.c.expires_at < (now or time.time())))
    return result.rowcount or 0


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, hide_parameters=True, connect_args={"timeout": 15})
        writergate.install(engine)  # the app's database: its writers share one queue

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # Counters, not records: a power cut may forget the last increments, nothing else.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=15000")
            cursor.close()

        return engine
    return create_engine(url, hide_parameters=True, pool_size=2, max_overflow=4, pool_pre_ping=True)
