"""Background execution of imports.

- The web process that accepted an upload runs it on a small thread pool of its own
  (``STRIDEGUARD_IMPORT_WORKERS`` threads per process; 0 leaves every import to the worker).
- ``strideguard worker`` sweeps every ``STRIDEGUARD_IMPORT_SWEEP_S`` seconds: it takes
  imports still queued after that long (no web thread picked them up) and imports whose
  job stopped sending heartbeats for ``STRIDEGUARD_IMPORT_STALE_S`` (its process died), and
  deletes spooled uploads no import refers to any more (e.g. after an account's erasure).
- Claims are a compare-and-set UPDATE, so two processes never run one import at once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import or_, select, update

from strideguard.extensions import db
from strideguard.imports.models import Import
from strideguard.timeutil import utcnow

log = logging.getLogger(__name__)
EXTENSION_KEY = "strideguard.imports"


def worker_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{threading.get_ident() % 100000}"


def claim(import_id: int, worker: str, now: datetime | None = None) -> bool:
    """Take the import if it is queued, or running with a stale heartbeat. Commits."""
    now = now or utcnow()
    stale = now - timedelta(seconds=current_app.config["IMPORT_STALE_S"])
    result = db.session.execute(
        update(Import)
        .where(Import.id == import_id, or_(
            Import.status == "queued",
            (Import.status == "running") & (Import.heartbeat_at < stale),
        ))
        .values(status="running", claimed_by=worker, heartbeat_at=now, attempts=Import.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount != 1:
        return False
    db.session.execute(update(Import).where(Import.id == import_id, Import.started_at.is_(None))
                       .values(started_at=now).execution_options(synchronize_session=False))
    db.session.commit()
    db.session.expire_all()
    return True


class ImportRunner:
    """The per-app thread pool (created on first use, so it is never forked half-started)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.size = app.config["IMPORT_WORKERS"]
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def submit(self, import_id: int) -> bool:
        if self.size <= 0:
            return False
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.size, thread_name_prefix="strideguard-import")
            self._pool.submit(self._run, import_id)
        return True

    def _run(self, import_id: int) -> None:
        from strideguard.imports.processing import process

        with self.app.app_context():
            try:
                process(import_id, worker_id())
            except Exception:  # a failing job must not kill the pool; the sweep retries it
                log.exception("import %s failed", import_id)
                db.session.rollback()
            finally:
                db.session.remove()

    def shutdown(self, wait: bool = True) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=wait)
                self._pool = None


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = ImportRunner(app)


def submit(import_id: int) -> bool:
    return current_app.extensions[EXTENSION_KEY].submit(import_id)


def pending(now: datetime) -> list[int]:
    """Imports nobody is working on: queued for a while, or running without a heartbeat."""
    cfg = current_app.config
    return list(db.session.execute(
        select(Import.id).where(or_(
            (Import.status == "queued") & (Import.created_at < now - timedelta(seconds=cfg["IMPORT_SWEEP_S"])),
            (Import.status == "running") & (Import.heartbeat_at < now - timedelta(seconds=cfg["IMPORT_STALE_S"])),
        )).order_by(Import.id)
    ).scalars())


def remove_orphans() -> int:
    """Delete spooled uploads that no import row refers to (finished, erased, abandoned)."""
    from strideguard.imports.service import spool_dir

    folder = spool_dir()
    known = set(db.session.execute(select(Import.stored_name).where(Import.stored_name.is_not(None))).scalars())
    removed = 0
    cutoff = utcnow().timestamp() - 3600  # never race an upload being written right now
    for path in folder.glob("*.upload"):
        if path.name not in known and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def expire_kept(now: datetime) -> int:
    """Delete kept uploads whose import finished more than ``IMPORT_KEEP_DAYS`` ago."""
    from strideguard.imports.service import spool_dir

    cutoff = now - timedelta(days=current_app.config["IMPORT_KEEP_DAYS"])
    old = list(db.session.execute(
        select(Import).where(Import.stored_name.is_not(None), Import.status.in_(("done", "failed")),
                             Import.finished_at < cutoff)
    ).scalars())
    for imp in old:
        (spool_dir() / str(imp.stored_name)).unlink(missing_ok=True)
        imp.stored_name = None
    db.session.commit()
    return len(old)


def sweep(now: datetime | None = None) -> dict[str, int]:
    """One pass (the worker's job and ``strideguard imports sweep``): finish what was left."""
    from strideguard.imports.processing import process

    now = now or utcnow()
    done = 0
    for import_id in pending(now):
        try:
            done += bool(process(import_id, worker_id(), now))
        except Exception:
            log.exception("import %s failed in the sweep", import_id)
            db.session.rollback()
    return {"imports": done, "kept_expired": expire_kept(now), "orphans_removed": remove_orphans()}


def add_sweep_job(scheduler, app: Flask) -> None:
    """Register the sweep on the reminder worker's APScheduler."""
    from apscheduler.triggers.interval import IntervalTrigger

    def job() -> None:
        with app.app_context():
            try:
                summary = sweep()
                if any(summary.values()):
                    log.info("import sweep: %s", summary)
            except Exception:
                log.exception("import sweep failed")
            finally:
                db.session.remove()

    interval = app.config["IMPORT_SWEEP_S"]
    scheduler.add_job(job, IntervalTrigger(seconds=interval), id="imports-sweep", coalesce=True,
                      max_instances=1, misfire_grace_time=interval)
