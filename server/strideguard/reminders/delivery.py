"""Delivery passes: send every due outbox row, in one or several sender processes.

A pass claims a batch (``outbox.claim``), builds one push per subscription of each row's
runner, and sends it over one ``PushSession`` in steps of at most ``SEND_STEP`` pushes:
after each step ``retry.settle`` decides each of its rows' next state, ``outbox.record``
stores it and the step commits. Then the next batch, until nothing is due. A sender killed
mid-batch therefore re-sends (after the stale-claim rescue) at most the one step it had in
flight; its batch's unsent rows go out once.

Sender processes: when the first batch is full and more rows are due, the pass forks up to
``PUSH_SENDERS - 1`` helper processes that drain the same outbox alongside it. They claim
disjoint batches exactly as separate workers do (``FOR UPDATE SKIP LOCKED`` / compare-and-set),
so no row is sent twice however many run. A helper that dies leaves its claimed rows to the
stale-claim rescue (``outbox.STALE_CLAIM``), like a worker that dies.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from flask import Flask, current_app
from sqlalchemy import bindparam, delete, select, update

from strideguard import gcpause
from strideguard.accounts.models import User
from strideguard.extensions import db
from strideguard.operations import metrics
from strideguard.push import service as push_service
from strideguard.push.models import PushSubscription
from strideguard.push.payload import build_payload, delivery_options, encode_payload
from strideguard.push.sender import DEFAULT_CONCURRENCY, PushJob, PushResult, PushSession, VapidSigner
from strideguard.reminders import outbox, retry

log = logging.getLogger("strideguard.reminders.delivery")

#: Most pushes sent between two records of results (one step fills the sender's concurrency).
#: A sender killed mid-step leaves at most this many pushes delivered but not recorded: the
#: stale-claim rescue sends those again (the rest of its claimed batch goes out once).
SEND_STEP = DEFAULT_CONCURRENCY

_SUBSCRIPTIONS = (
    select(PushSubscription.id, PushSubscription.user_id, PushSubscription.endpoint,
           PushSubscription.p256dh, PushSubscription.auth)
    .where(PushSubscription.user_id.in_(bindparam("users", expanding=True)))
    .order_by(PushSubscription.id)
)
_DETAIL = select(User.id, User.notification_detail).where(User.id.in_(bindparam("users", expanding=True)))
_SENT_TO = (
    update(PushSubscription)
    .where(PushSubscription.id.in_(bindparam("ids", expanding=True)))
    .values(last_success_at=bindparam("now"), last_error=None)
    .execution_options(synchronize_session=False)
)
_GONE = (
    delete(PushSubscription)
    .where(PushSubscription.id.in_(bindparam("ids", expanding=True)))
    .execution_options(synchronize_session=False)
)


@dataclass
class PassReport:
    """Counts of one pass: rows by the status they ended in, pushes by outcome."""

    rows: Counter = field(default_factory=Counter)
    pushes: Counter = field(default_factory=Counter)

    def merge(self, other: "PassReport") -> None:
        self.rows.update(other.rows)
        self.pushes.update(other.pushes)

    def to_json(self) -> str:
        return json.dumps({"rows": self.rows, "pushes": self.pushes})

    @classmethod
    def from_json(cls, text: str) -> "PassReport":
        data = json.loads(text)
        return cls(Counter(data["rows"]), Counter(data["pushes"]))


def deliver(
    now: datetime,
    signer: VapidSigner | None = None,
    *,
    senders: int | None = None,
    on_batch: Callable[[], None] | None = None,
) -> dict[str, int]:
    """Send every due outbox row; returns counts by the status each row ended in.

    ``senders`` (default ``PUSH_SENDERS``) caps the processes of this pass, this one
    included. ``on_batch`` runs after every batch this process sends (the worker's
    heartbeat).
    """
    app = current_app._get_current_object()
    # In UTC: SQLite stores timestamps as wall-clock text and compares them as text.
    now = now.astimezone(timezone.utc)
    outbox.release_stale_claims(now)
    signer = signer or VapidSigner(push_service.vapid_private_key(app), app.config["VAPID_SUBJECT"])
    senders = max(1, senders or app.config["PUSH_SENDERS"])
    report = PassReport()
    helpers: list[_Helper] = []
    rows = outbox.claim(now)
    if rows and senders > 1 and len(rows) >= outbox.BATCH:
        more = outbox.due_count(now, cap=(senders - 1) * outbox.BATCH)
        helpers = _fork_helpers(app, now, signer, min(senders - 1, more // outbox.BATCH))
    try:
        if rows:
            _drain(app, now, signer, rows, report, on_batch)
    finally:
        for helper in helpers:
            report.merge(helper.wait())
    metrics.record_pass(report.pushes, report.rows)
    return dict(report.rows)


def _drain(app: Flask, now: datetime, signer: VapidSigner, rows: list[outbox.Claimed],
           report: PassReport, on_batch: Callable[[], None] | None = None) -> None:
    """Send ``rows``, then claim and send batch after batch until nothing is due."""
    with PushSession(signer, push_service.allowlist(app)) as client:
        bodies: dict[tuple, bytes] = {}
        while rows:
            _deliver_batch(rows, now, client, report, bodies)
            if on_batch is not None:
                on_batch()
            rows = outbox.claim(now)


@gcpause.paused()  # between batches the collector runs: whatever a batch leaves never piles up
def _deliver_batch(rows: list[outbox.Claimed], now: datetime, client: PushSession,
                   report: PassReport, bodies: dict[tuple, bytes]) -> None:
    """Send a claimed batch in steps of at most ``SEND_STEP`` pushes, storing each step's
    results (and committing) before the next step is sent."""
    users = sorted({r.user_id for r in rows})
    subs: dict[int, list] = defaultdict(list)
    for sub in db.session.execute(_SUBSCRIPTIONS, {"users": users}):
        subs[sub.user_id].append(sub)
    detail = dict(db.session.execute(_DETAIL, {"users": users}).all())
    step_rows: list[outbox.Claimed] = []
    step_jobs: list[PushJob] = []
    for row in rows:
        options = delivery_options(row.kind)
        level = detail.get(row.user_id, "discreet")
        key = (row.kind, level, json.dumps(row.context, sort_keys=True))
        body = bodies.get(key)
        if body is None:  # most rows of a pass share a handful of payloads
            body = bodies[key] = encode_payload(build_payload(row.kind, level, row.context))
        jobs = [PushJob(
            id=(row.id, sub.id), endpoint=sub.endpoint, p256dh=sub.p256dh, auth=sub.auth,
            payload=body, ttl=options.ttl, urgency=options.urgency, topic=options.topic,
        ) for sub in subs.get(row.user_id, ())]
        if step_rows and len(step_jobs) + len(jobs) > SEND_STEP:
            _send_step(step_rows, step_jobs, now, client, report)
            step_rows, step_jobs = [], []
        step_rows.append(row)
        step_jobs.extend(jobs)
    if step_rows:
        _send_step(step_rows, step_jobs, now, client, report)


def _send_step(rows: list[outbox.Claimed], jobs: list[PushJob], now: datetime, client: PushSession,
               report: PassReport) -> None:
    """Send one step's pushes, then store what became of its rows and subscriptions and
    commit: a sender killed now re-sends (after the stale-claim rescue) only this step."""
    results = client.send(jobs) if jobs else []
    by_row: dict[int, list[PushResult]] = defaultdict(list)
    sent_to: set[int] = set()
    gone: list[int] = []
    for result in results:
        row_id, sub_id = result.id
        by_row[row_id].append(result)
        report.pushes[result.outcome] += 1
        if result.outcome == "sent":
            sent_to.add(sub_id)
        elif result.outcome == "gone":
            gone.append(sub_id)
        elif result.outcome in ("rejected", "refused"):
            log.error("push %s for reminder %s: %s %s", result.outcome, row_id, result.status, result.error)
    settled = [(row, retry.settle(row.attempts + 1, by_row.get(row.id, ()), now)) for row in rows]
    outbox.record(settled)
    report.rows.update(s.status for _, s in settled)
    if sent_to:
        db.session.execute(_SENT_TO, {"ids": sorted(sent_to), "now": now})
    if gone:
        db.session.execute(_GONE, {"ids": gone})
        report.rows["subscriptions_removed"] += len(gone)
    db.session.commit()


# -- helper processes ---------------------------------------------------------------------


@dataclass
class _Helper:
    pid: int
    fd: int

    def wait(self) -> PassReport:
        """The helper's counts once it has exited (empty, and logged, if it failed)."""
        with os.fdopen(self.fd, "r") as pipe:
            text = pipe.read()
        _, status = os.waitpid(self.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if code != 0 or not text:
            log.error("sender process %d failed (exit %s); rows it claimed return to the queue after %s",
                      self.pid, code, outbox.STALE_CLAIM)
            return PassReport()
        return PassReport.from_json(text)


def _fork_helpers(app: Flask, now: datetime, signer: VapidSigner, count: int) -> list[_Helper]:
    if count <= 0:
        return []
    log.info("delivery pass: %d more sender process(es) share the outbox", count)
    db.session.remove()  # no session or pooled connection may be shared across the fork
    sys.stdout.flush()
    sys.stderr.flush()
    return [_fork_helper(app, now, signer) for _ in range(count)]


def _fork_helper(app: Flask, now: datetime, signer: VapidSigner) -> _Helper:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write_fd)
        return _Helper(pid, read_fd)
    # The helper process: the app and the signer are inherited; connections are its own.
    code = 1
    try:
        os.close(read_fd)
        db.engine.dispose(close=False)  # new pool; the parent's connections stay the parent's
        report = PassReport()
        rows = outbox.claim(now)
        if rows:
            _drain(app, now, signer, rows, report)
        db.session.remove()
        with os.fdopen(write_fd, "w") as pipe:
            pipe.write(report.to_json())
        code = 0
    except BaseException:  # reported to the parent through the exit code
        log.exception("sender process failed")
    finally:
        os._exit(code)
