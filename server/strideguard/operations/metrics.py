"""Prometheus metrics (prometheus-client).

Counters and histograms live in the process that observes them; gauges of shared state
(the outbox, the worker heartbeat) are read from the database when scraped, so every
process reports the same truth and nothing needs adding up:

* web (``GET /metrics``): request latency by endpoint, plugin call durations and
  failures, and the outbox gauges. Under gunicorn the workers are separate processes:
  ``strideguard serve`` and ``run`` point prometheus-client's multiprocess mode at a fresh
  folder (``PROMETHEUS_MULTIPROC_DIR``, default ``/dev/shm/strideguard-<uid>/<instance
  digest>``: memory-mapped files never live on the data volume, see
  :func:`default_multiprocess_dir`) so that one scrape adds up every worker's counters,
  whichever worker answers it.
* reminder worker: pushes by outcome, reminders by final status, tick durations. With
  ``strideguard run`` the worker shares the web's folder, so the web's ``/metrics`` shows
  them; a worker on its own serves them on ``STRIDEGUARD_WORKER_METRICS_PORT``.
"""

from __future__ import annotations

import hashlib

import os
import stat
import tempfile
import time
from collections.abc import Iterable, Mapping
from datetime import timezone
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy.exc import SQLAlchemyError

from strideguard.operations.proxy import require_operator

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUEST_SECONDS = Histogram(
    "strideguard_http_request_duration_seconds", "Time to answer an HTTP request, by endpoint.",
    ["method", "endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
REQUESTS = Counter("strideguard_http_requests_total", "HTTP requests answered, by endpoint and status.",
                   ["method", "endpoint", "status"])
PLUGIN_SECONDS = Histogram(
    "strideguard_plugin_call_duration_seconds", "Duration of one plugin hook call.", ["plugin", "hook"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)
PLUGIN_FAILURES = Counter("strideguard_plugin_failures_total",
                          "Failed plugin hook calls (raised, timeout, invalid output, stuck).",
                          ["plugin", "hook", "reason"])
PUSHES = Counter("strideguard_pushes_total", "Web Push requests by outcome (sent, gone, retry, rejected, refused).",
                 ["outcome"])
REMINDERS = Counter("strideguard_reminders_delivered_total",
                    "Outbox rows after a send attempt, by the status they moved to.", ["status"])
TICK_SECONDS = Histogram("strideguard_reminder_tick_duration_seconds", "One planning + delivery pass.",
                         buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120))
GUIDANCE = Counter("strideguard_guidance_answers_total",
                   "GET /guidance answers: served as stored, or computed (and stored when no plugin failed).",
                   ["source"])
TICK_FAILURES = Counter("strideguard_reminder_tick_failures_total", "Reminder ticks that raised.")


def record_pass(pushes: Mapping[str, int], rows: Mapping[str, int]) -> None:
    """Count one delivery pass (its helpers' pushes included)."""
    for outcome, n in pushes.items():
        PUSHES.labels(outcome).inc(n)
    for status, n in rows.items():
        if status != "subscriptions_removed":
            REMINDERS.labels(status).inc(n)


class PluginMetrics:
    """The plugin host's observer: call durations and failures."""

    def call(self, plugin: str, hook: str, seconds: float) -> None:
        PLUGIN_SECONDS.labels(plugin, hook).observe(seconds)

    def failure(self, plugin: str, hook: str, reason: str) -> None:
        PLUGIN_FAILURES.labels(plugin, hook, reason).inc()


# -- scraping ---------------------------------------------------------------------------


class _Local:
    """This process's metrics (single-process mode)."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()

    def describe(self) -> list[Metric]:
        return []


class DatabaseGauges:
    """Gauges read from the database at scrape time: the outbox and the worker heartbeat."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterable[Metric]:
        from strideguard.extensions import db
        from strideguard.operations import heartbeat
        from strideguard.reminders import outbox
        from strideguard.timeutil import utcnow

        up = GaugeMetricFamily("strideguard_database_up", "1 if the database answered this scrape.")
        with self.app.app_context():
            try:
                now = utcnow().astimezone(timezone.utc)
                depth = outbox.depth(now)
                beat = heartbeat.latest(now)
            except SQLAlchemyError:
                up.add_metric([], 0)
                yield up
                return
            finally:
                db.session.remove()
        up.add_metric([], 1)
        yield up
        rows = GaugeMetricFamily("strideguard_outbox_depth", "Outbox rows waiting or in flight, by status.",
                                 labels=["status"])
        for status in ("pending", "sending"):
            rows.add_metric([status], depth[status])
        yield rows
        yield GaugeMetricFamily("strideguard_outbox_due", "Pending outbox rows already due.", value=depth["due"])
        yield GaugeMetricFamily("strideguard_outbox_oldest_due_age_seconds",
                                "How long the oldest due row has waited (0: none due).", value=depth["oldest_due_s"])
        if beat is not None:
            yield GaugeMetricFamily("strideguard_worker_heartbeat_age_seconds",
                                    "Seconds since the freshest reminder worker's heartbeat.", value=beat.age_s)


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def registry_for(app: Flask) -> CollectorRegistry:
    """What one scrape reads: every process's counters (multiprocess) or this one's, plus
    the database gauges. Built once per app; each scrape collects afresh."""
    found = app.extensions.get("strideguard.metrics_registry")
    if found is None:
        found = CollectorRegistry(auto_describe=False)
        if multiprocess_dir():
            MultiProcessCollector(found)
        else:
            found.register(_Local())
        found.register(DatabaseGauges(app))
        app.extensions["strideguard.metrics_registry"] = found
    return found


#: Where the default folders live: a RAM-backed file system emptied at every boot, never the
#: data volume. prometheus-client memory-maps its files; on a full disk a write to a mapped
#: page kills the process with SIGBUS, every worker in a loop (issue 25).
VOLATILE_ROOTS = ("/dev/shm", "/run/user/{uid}")  # nosec B108 # a per-uid 0700 folder, owner and mode checked (_private_dir)


def default_multiprocess_dir(instance_path: str) -> Path:
    """``/dev/shm/strideguard-<uid>/<digest of the instance path>`` (per boot, per instance),
    or the same under ``/run/user/<uid>`` or the temp folder where /dev/shm is missing."""
    digest = hashlib.sha256(str(Path(instance_path).resolve()).encode()).hexdigest()[:16]
    uid = os.getuid()
    for root in (*VOLATILE_ROOTS, tempfile.gettempdir()):
        base = Path(root.format(uid=uid))
        if base.is_dir() and os.access(base, os.W_OK | os.X_OK):
            return base / f"strideguard-{uid}" / digest
    raise RuntimeError("no writable folder for the metrics: set PROMETHEUS_MULTIPROC_DIR")


def _private_dir(folder: Path) -> None:
    """Create ``folder`` and its parent 0700, refusing one that another user owns (a shared
    /dev/shm: nobody else may plant the files our workers map)."""
    for path in (folder.parent, folder):
        path.mkdir(mode=0o700, exist_ok=True)
        info = path.lstat()
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
            raise RuntimeError(f"{path} must be a folder of this user with mode 0700")


def prepare_multiprocess_dir(instance_path: str, environ: dict[str, str]) -> str:
    """Set ``PROMETHEUS_MULTIPROC_DIR`` in ``environ`` (default: :func:`default_multiprocess_dir`,
    off the data volume) and empty it: counters start at zero with every server start, as
    Prometheus expects."""
    given = environ.get(MULTIPROC_ENV)
    folder = Path(given) if given else default_multiprocess_dir(instance_path)
    if given:
        folder.mkdir(parents=True, exist_ok=True)
    else:
        _private_dir(folder)
    for stale in folder.glob("*.db"):
        stale.unlink()
    environ[MULTIPROC_ENV] = str(folder)
    return str(folder)


# -- the web side -------------------------------------------------------------------------

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics_view() -> Response:
    """Prometheus text format; with ``METRICS_TOKEN`` set, only for ``Authorization: Bearer``,
    else only for ``PROBE_ALLOW_IPS`` (loopback) not through a proxy."""
    if not current_app.config["METRICS_ENABLED"]:
        abort(404)  # not the app shell: a scraper must see that there is nothing here
    require_operator()  # the token when set, else local clients only
    body = generate_latest(registry_for(current_app._get_current_object()))
    return Response(body, content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def _observe(response: Response) -> Response:
    started = g.get("request_started")
    endpoint = request.endpoint or "unmatched"  # never the raw path: bounded label values
    if started is not None:
        REQUEST_SECONDS.labels(request.method, endpoint).observe(time.perf_counter() - started)
    REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
    return response


def init_app(app: Flask) -> None:
    """``GET /metrics``, request timing, and the plugin host's observer."""
    app.register_blueprint(bp)
    if not app.config["METRICS_ENABLED"]:
        return
    app.after_request(_observe)
    host: Any = app.extensions.get("strideguard.plugins")
    if host is not None:
        host.observer = PluginMetrics()
