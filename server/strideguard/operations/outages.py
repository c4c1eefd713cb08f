"""A store that is down or full answers 503, not 500: which errors those are, and how to say so.

``errors.py`` calls :func:`classify` for database errors (SQLAlchemy), rate-limit store
errors (``limits``' ``StorageError``: Redis unreachable) and ``OSError``; what it recognises
becomes a 503 with ``Retry-After`` and the usual envelope, logged as ONE line (no
traceback: an outage fails every request, and a traceback each would bury the log):

=======================  =========================================================
``unavailable``          the database cannot be reached or is restarting (PostgreSQL
                         refused, shutting down, connection lost; SQLite locked past
                         its busy timeout, disk I/O error), a pool timeout, or the
                         rate-limit store (Redis) is unreachable
``insufficient_storage`` the disk is full: SQLite ``SQLITE_FULL``, PostgreSQL 53100
                         ``disk_full``, ``OSError`` ENOSPC/EDQUOT (an upload, a key file)
=======================  =========================================================

Anything else is left to the unexpected-error handler (a 500 with its traceback: a bug).
Reads keep working while the disk is full: only what writes fails.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass

from limits.errors import StorageError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

#: SQLite's primary result code for "database or disk is full".
SQLITE_FULL = 13
#: PostgreSQL's SQLSTATE for disk_full (class 53: insufficient resources).
PG_DISK_FULL = "53100"
FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
#: SQLite result codes of a store that cannot serve now (busy/locked past the busy timeout or
#: the writer gate's wait, out of memory, read-only, I/O error, cannot open, lock protocol):
#: not "no such table".
SQLITE_OUTAGES = frozenset({5, 6, 7, 8, 10, 14, 15})
#: PostgreSQL SQLSTATE classes of an outage: connection exception, operator intervention
#: (shutting down, starting up), insufficient resources, transaction rollback (deadlock,
#: serialization: worth a retry).
PG_OUTAGE_CLASSES = ("08", "57P", "53", "40")


@dataclass(frozen=True, slots=True)
class Outage:
    """What to answer: the envelope's code and message, and the Retry-After seconds."""

    code: str
    message: str
    retry_after_s: int
    store: str  # for the log line: "database", "rate-limit store", "disk"
    detail: str  # one line, no SQL parameters


UNAVAILABLE = "The service is briefly unavailable. Try again in a moment."
FULL = "The server is out of storage space, so nothing can be saved right now. Try again later."


def _one_line(error: BaseException | None) -> str:
    if error is None:
        return ""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:200] if text else ''}"


def _disk_full(orig: BaseException | None) -> bool:
    if orig is None:
        return False
    if (getattr(orig, "sqlite_errorcode", None) or 0) & 0xFF == SQLITE_FULL:
        return True
    if getattr(orig, "sqlstate", None) == PG_DISK_FULL:
        return True
    return isinstance(orig, OSError) and orig.errno in FULL_ERRNOS


def _store_down(orig: BaseException | None) -> bool:
    """Whether a driver error means the database cannot serve now (not a bad statement)."""
    if orig is None:
        return True
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in SQLITE_OUTAGES  # extended codes keep the primary in the low byte
    if hasattr(orig, "sqlstate"):
        state = orig.sqlstate
        return state is None or state.startswith(PG_OUTAGE_CLASSES)  # None: it never connected
    return True


def classify(error: BaseException) -> Outage | None:
    """The outage ``error`` stands for, or None when it is not one (a bug: let it be a 500)."""
    if isinstance(error, StorageError):
        cause = error.storage_error
        if _disk_full(getattr(cause, "orig", None)):  # database:// counters on a full disk
            return Outage("insufficient_storage", FULL, 60, "disk", _one_line(cause.orig))
        return Outage("unavailable", UNAVAILABLE, 5, "rate-limit store", _one_line(cause))
    if isinstance(error, OSError):
        if error.errno in FULL_ERRNOS:
            return Outage("insufficient_storage", FULL, 60, "disk", _one_line(error))
        return None
    if not isinstance(error, SQLAlchemyError):
        return None
    orig = getattr(error, "orig", None)
    if _disk_full(orig):
        return Outage("insufficient_storage", FULL, 60, "disk", _one_line(orig))
    if isinstance(error, PoolTimeout):
        return Outage("unavailable", UNAVAILABLE, 5, "database", _one_line(error))
    if (isinstance(error, DBAPIError) and error.connection_invalidated) or isinstance(error, InterfaceError) or (
        isinstance(error, OperationalError) and _store_down(orig)
    ):
        return Outage("unavailable", UNAVAILABLE, 5, "database", _one_line(orig or error))
    return None


def forget_deductions() -> None:
    """A request refused for an outage was not processed: it must not count as a failed
    sign-in, and with the rate-limit store down its deferred count (Flask-Limiter's
    ``deduct_when``, applied after the response) would raise again, past every handler."""
    from strideguard.extensions import limiter

    context = getattr(limiter, "context", None)  # Flask-Limiter's per-request state
    pending = getattr(context, "conditional_deductions", None)
    if pending is not None:
        pending.clear()
