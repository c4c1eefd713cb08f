"""``strideguard worker``: the reminder scheduler, in its own process (never in web workers)."""

from __future__ import annotations

import logging
import signal
import time

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from strideguard.extensions import db
from strideguard.operations import heartbeat, metrics, ratelimit
from strideguard.push.sender import VapidSigner
from strideguard.push.service import vapid_private_key
from strideguard.timeutil import utcnow

log = logging.getLogger(__name__)


def run_worker(app: Flask) -> None:
    """Tick every ``WORKER_INTERVAL_S`` seconds; a missed tick is coalesced, never replayed."""
    from strideguard.reminders.service import tick

    interval = app.config["WORKER_INTERVAL_S"]
    # One signer for the worker's life: one VAPID signature per push service per ~11 h.
    signer = VapidSigner(vapid_private_key(app), app.config["VAPID_SUBJECT"])

    started_at = utcnow()
    last_beat = [0.0]

    def beat(*, force: bool = True) -> None:
        # Between batches at most every few seconds: a beat is a commit (an fsync on SQLite).
        if force or time.monotonic() - last_beat[0] >= min(5.0, interval / 3):
            heartbeat.beat(interval, started_at)
            last_beat[0] = time.monotonic()

    def housekeeping() -> None:
        # Sign-in throttle counters hold client addresses: none outlives its window.
        ratelimit.delete_expired(db.session)
        db.session.commit()

    def job() -> None:
        with app.app_context():
            try:
                beat()
                housekeeping()
                with metrics.TICK_SECONDS.time():
                    summary = tick(signer=signer, on_batch=lambda: beat(force=False))
                beat()
                if any(summary.values()):
                    log.info("reminder tick: %s", summary)
            except Exception:  # a failing tick must not kill the scheduler
                metrics.TICK_FAILURES.inc()
                log.exception("reminder tick failed")

    scheduler = BlockingScheduler(timezone="UTC")
    scheduler.add_job(
        job, IntervalTrigger(seconds=interval), id="reminders-tick", coalesce=True,
        max_instances=1, misfire_grace_time=interval,
    )
    # First pass right away, then on the interval.
    scheduler.add_job(job, id="reminders-first-tick")
    from strideguard.imports.jobs import add_sweep_job  # imports whose web job died or never started
    add_sweep_job(scheduler, app)
    # SIGTERM (systemd, docker stop, ``strideguard run``) stops like Ctrl+C: a tick in
    # progress finishes its sends instead of leaving claimed rows for the stale-claim rescue.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    server = _serve_metrics(app)
    log.info("reminder worker started (every %ss)", interval)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=True)
        if server is not None:
            server.shutdown()
    log.info("reminder worker stopped")


def _serve_metrics(app: Flask):
    """The worker's own ``/metrics`` on ``WORKER_METRICS_PORT`` (0: none)."""
    from prometheus_client import start_http_server

    port = app.config["WORKER_METRICS_PORT"]
    if not port:
        return None
    host = app.config["WORKER_METRICS_HOST"]
    server, _thread = start_http_server(port, addr=host, registry=metrics.registry_for(app))
    log.info("worker metrics on http://%s:%s/metrics", host, port)
    return server


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(0)
