"""``strideguard worker``: the reminder scheduler, in its own process (never in web workers)."""

from __future__ import annotations

import logging
import signal

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from strideguard.push.sender import VapidSigner
from strideguard.push.service import vapid_private_key

log = logging.getLogger(__name__)


def run_worker(app: Flask) -> None:
    """Tick every ``WORKER_INTERVAL_S`` seconds; a missed tick is coalesced, never replayed."""
    from strideguard.reminders.service import tick

    interval = app.config["WORKER_INTERVAL_S"]
    # One signer for the worker's life: one VAPID signature per push service per ~11 h.
    signer = VapidSigner(vapid_private_key(app), app.config["VAPID_SUBJECT"])

    def job() -> None:
        with app.app_context():
            try:
                summary = tick(signer=signer)
                if any(summary.values()):
                    log.info("reminder tick: %s", summary)
            except Exception:  # a failing tick must not kill the scheduler
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
    log.info("reminder worker started (every %ss)", interval)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=True)
    log.info("reminder worker stopped")


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(0)
