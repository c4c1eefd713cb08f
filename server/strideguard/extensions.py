"""Flask extensions, created unbound; ``create_app`` binds them."""

from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
import json
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, MetaData, Table, any_, literal
from sqlalchemy.dialects.postgresql import ARRAY as PG_ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator):
    """A timestamp stored as UTC and always read back timezone-aware.

    SQLite keeps ``DateTime(timezone=True)`` values as text without an offset and returns
    them naive; PostgreSQL returns them aware. Normalising here, once, means services,
    schemas and the export never special-case the database.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention (stable migration names)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class StrideApi(Api):
    """flask-smorest's Api with our one error envelope, in responses and in the docs."""

    def __init__(self, *args, **kwargs) -> None:
        from apispec.ext.marshmallow import MarshmallowPlugin

        from strideguard.errors import ErrorSchema

        self.ERROR_SCHEMA = ErrorSchema
        kwargs.setdefault("spec_kwargs", {"marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=schema_name)})
        super().__init__(*args, **kwargs)

    def handle_http_exception(self, error):
        from strideguard.errors import http_error_response

        return http_error_response(error)


def schema_name(schema) -> str:
    """OpenAPI component names: ``ProfileSchema`` -> ``Profile``, a partial one -> ``ProfilePatch``."""
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__.removesuffix("Schema")
    if not isinstance(schema, type) and schema.partial:
        name += "Patch"
    return name


def make_api() -> StrideApi:
    """A fresh Api per app: flask-smorest keeps the app and spec on the instance, so a
    module-global one would leak one test app's spec into the next."""
    return StrideApi()


# expire_on_commit=False: responses are dumped after commit without reloading every row.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate(render_as_batch=True, compare_type=True)
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)


def core_rows(statement: Any, params: dict[str, Any] | None = None) -> Any:
    """Run a column-only ``select`` on the session's connection (same transaction) as plain
    Core rows, after flushing what the session holds (as the ORM's autoflush would): the
    ORM's per-row loading cost ~40% of a 20,000-runner reminder sweep, and its per-statement
    setup about a tenth of a PUT check-in's nine reads."""
    db.session.flush()
    return db.session.connection().execute(statement, params)


def ids_match(column: Any, ids: list[int]) -> Any:
    """``column`` is one of ``ids``: ``= ANY(array)`` on PostgreSQL (one bound parameter, an
    index scan per id), an IN list elsewhere (SQLite binds at most 32,766 parameters)."""
    if db.engine.dialect.name == "postgresql":
        return column == any_(literal(ids, PG_ARRAY(Integer)))
    return column.in_(ids)


def upsert_insert(table: Any, dialect_name: str | None = None) -> Any:
    """``INSERT`` of ``table`` with ``on_conflict_do_update``/``_do_nothing``: PostgreSQL's or
    SQLite's (``dialect_name``: of another engine than the app's)."""
    name = dialect_name or db.engine.dialect.name
    return (pg_insert if name == "postgresql" else sqlite_insert)(table)


def insert_rows(table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many new rows (all with the same keys, every column the table needs) in the
    session's transaction: COPY on PostgreSQL, where an executemany is a round trip per row
    (≈0.7 ms each for a plan day); one executemany elsewhere. No conflict handling."""
    if not rows:
        return
    if db.engine.dialect.name != "postgresql":
        db.session.connection().execute(table.insert(), rows)
        return
    names = list(rows[0])
    as_json = {c.name for c in table.columns if isinstance(c.type, JSON)}
    raw = db.session.connection().connection.dbapi_connection
    with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([json.dumps(row[n]) if n in as_json else row[n] for n in names])


def sqlite_pragmas(synchronous: str):
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
