"""Push delivery: 10k due reminders sent by ``reminders.delivery.deliver`` to the local push
service running in its own process (as fast as it answers, or with added latency), with one
sender process and with the default ``PUSH_SENDERS`` (helpers forked by the pass).

Also the unit costs the client-CPU goal compares with: encrypting one message
(aes128gcm, what ``webpush`` does per message) and signing one VAPID JWT.
"""

from __future__ import annotations

import shutil

import gc
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from flask import Flask

from tests.bench import databases, seed
from tests.bench.servers import REPO, bench_env


def rss_kb() -> int:
    """This process's resident set size in KiB (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def per_call_us(fn: Callable[[], object], n: int) -> float:
    """Mean CPU time of ``fn()`` over ``n`` calls, in microseconds (CPU, not wall: the
    machine may be shared, and the goal compares CPU with CPU)."""
    started = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - started) / n * 1e6


def unit_costs(n: int = 1000) -> dict[str, float]:
    """Encrypt one payload for one subscription, and sign one VAPID JWT (µs each)."""
    from py_vapid import Vapid02
    from pywebpush import WebPusher

    from strideguard.push.payload import build_payload, encode_payload
    from tests.support.pushservice import make_subscriber_keys

    _, p256dh, auth = make_subscriber_keys()
    pusher = WebPusher({"endpoint": "https://push.example/x", "keys": {"p256dh": p256dh, "auth": auth}})
    data = encode_payload(build_payload("checkin_due"))
    vapid = Vapid02()
    vapid.generate_keys()
    claims = {"aud": "https://push.example", "sub": "mailto:bench@strideguard.invalid"}

    def sign() -> object:
        return vapid.sign({**claims, "exp": int(time.time()) + 3600})

    pusher.encode(data, content_encoding="aes128gcm")
    sign()
    return {
        "encrypt_us": per_call_us(lambda: pusher.encode(data, content_encoding="aes128gcm"), n),
        "sign_us": per_call_us(sign, n),
    }


@dataclass
class PushService:
    """The local push service process and what it printed at start."""

    proc: subprocess.Popen
    host_port: str
    origin: str
    subscriptions: list[dict[str, Any]]

    def cpu_s(self) -> float:
        """CPU time the push service process has used so far (Linux /proc)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> dict[str, int]:
        """Close its stdin; it prints its delivery and rejection counts and exits."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        line = self.proc.stdout.readline()
        self.proc.wait(timeout=30)
        return json.loads(line) if line.strip() else {}


def start_push_service(subscribers: int, latency_ms: float) -> PushService:
    """``python -m tests.support.pushservice`` in its own process (no decryption: the
    benchmark measures the sender; the VAPID token is still verified)."""
    argv = [sys.executable, "-m", "tests.support.pushservice", "--subscribers", str(subscribers), "--no-decrypt"]
    if latency_ms:
        argv += ["--latency-ms", str(latency_ms)]
    proc = subprocess.Popen(argv, cwd=REPO, env=bench_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise RuntimeError("the push service printed nothing")
    info = json.loads(line)
    return PushService(proc, info["host_port"], info["origin"], info["subscriptions"])


def prepare(instance: Path, service: PushService) -> Flask:
    """A migrated SQLite app with one runner per subscription and one due reminder each."""
    import sqlite3

    shutil.rmtree(instance, ignore_errors=True)  # a fresh outbox every run
    instance.mkdir(parents=True, exist_ok=True)
    app = databases.make_app(instance, PUSH_ALLOWED_HOSTS=[service.host_port])
    databases.migrate(app)
    created = datetime.now(timezone.utc)
    conn = sqlite3.connect(databases.sqlite_path(app))
    try:
        with conn:
            for table, columns, rows in (
                ("users", seed.USER_COLUMNS, [seed.user_row(i + 1, created) for i in range(len(service.subscriptions))]),
                ("push_subscriptions", ("user_id", "endpoint", "p256dh", "auth", "created_at"), [
                    (i + 1, s["endpoint"], s["keys"]["p256dh"], s["keys"]["auth"], created)
                    for i, s in enumerate(service.subscriptions)
                ]),
                ("reminders", ("user_id", "subject_id", "kind", "local_date", "due_at", "status", "attempts", "context",
                               "created_at"), [
                    (i + 1, i + 1, "checkin_due", created.date(), created - timedelta(minutes=1), "pending", 0, {}, created)
                    for i in range(len(service.subscriptions))
                ]),
            ):
                marks = ", ".join("?" for _ in columns)
                conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                                 [tuple(seed.sqlite_value(v) for v in row) for row in rows])
    finally:
        conn.close()
    return app


@dataclass
class SendAllMeter:
    """Wraps the sender ``deliver`` uses (``PushSession.send``: the batch form of
    ``send_all``) to add up its wall and CPU time (instrumentation; the real method runs)."""

    wall_s: float = 0.0
    cpu_s: float = 0.0
    jobs: int = 0
    _original: Any = field(default=None, repr=False)

    def __enter__(self) -> "SendAllMeter":
        from strideguard.push.sender import PushSession

        self._original = PushSession.send
        original = self._original

        def timed(client: Any, jobs: Any) -> Any:
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                return original(client, jobs)
            finally:
                self.wall_s += time.perf_counter() - wall
                self.cpu_s += time.process_time() - cpu
                self.jobs += len(jobs)

        PushSession.send = timed  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        from strideguard.push.sender import PushSession

        PushSession.send = self._original  # type: ignore[method-assign]


def one_pass(app: Flask, senders: int, service: PushService | None = None) -> dict[str, float]:
    """Put every reminder back to pending (untimed), then time one ``deliver`` pass with up
    to ``senders`` processes. CPU counts this process and the helpers it forked; the send
    meter sees this process's share of the jobs."""
    from sqlalchemy import update

    from strideguard.extensions import db
    from strideguard.push.sender import VapidSigner
    from strideguard.push.service import vapid_private_key
    from strideguard.reminders.models import Reminder
    from strideguard.reminders.delivery import deliver

    now = datetime.now(timezone.utc)
    with app.app_context():
        db.session.execute(update(Reminder).values(
            status="pending", attempts=0, claimed_by=None, claimed_at=None, sent_at=None,
            last_status=None, last_error=None, due_at=now - timedelta(minutes=1)))
        db.session.commit()
        db.session.remove()
        signer = VapidSigner(vapid_private_key(app), app.config["VAPID_SUBJECT"])
        gc.collect()
        rss_before = rss_kb()
        service_cpu = service.cpu_s() if service else 0.0
        with SendAllMeter() as meter:
            wall, before = time.perf_counter(), os.times()
            counts = deliver(now, signer, senders=senders)
            wall, after = time.perf_counter() - wall, os.times()
        cpu = sum(getattr(after, f) - getattr(before, f) for f in ("user", "system", "children_user", "children_system"))
        service_cpu = service.cpu_s() - service_cpu if service else 0.0
        db.session.remove()
    gc.collect()
    sent = counts.get("sent", 0)
    return {
        "sent": sent, "failed": sum(v for k, v in counts.items() if k != "sent"),
        "wall_s": wall, "cpu_s": cpu, "send_wall_s": meter.wall_s, "send_cpu_s": meter.cpu_s,
        "jobs": meter.jobs, "signatures": signer.signatures, "senders": senders, "service_cpu_s": service_cpu,
        "rss_before_kb": rss_before, "rss_after_kb": rss_kb(),
    }


def close(app: Flask) -> None:
    from strideguard.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
