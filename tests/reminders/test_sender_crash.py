"""Exactly once after a crash: a ``strideguard reminders tick`` process is SIGKILLed in the
middle of sending 300 due reminders to the local push service (real HTTP, real VAPID, real
decryption); a second tick after the stale-claim window rescues the rows the dead one held.

Every reminder must reach its subscriber at least once, and the pushes delivered twice must
stay within ``delivery.SEND_STEP`` (the pushes a sender has in flight between two records
of results: the bound the README states). On the code before this test (results recorded
once per 500-row batch) about 200 of the 300 arrived twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import insert, select

from strideguard import create_app
from strideguard.accounts.models import User
from strideguard.extensions import db
from strideguard.push.models import PushSubscription
from strideguard.push.service import ensure_vapid_key
from strideguard.reminders import delivery, outbox
from strideguard.reminders.models import Reminder
from tests.conftest import app_config
from tests.support.workers import worker_env
from tests.support.postgres import throwaway_database
from tests.support.pushservice import Behaviour, LocalPushService

pytestmark = pytest.mark.process  # sender processes, one killed

ROOT = Path(__file__).resolve().parents[2]
# A Wednesday 03:00 UTC: nothing is planned in this tick, it only delivers the test's rows.
NOW = datetime(2026, 3, 4, 3, 0, tzinfo=timezone.utc)
RUNNERS = 300
#: Each push takes this long at the push service: the sender has a step in flight long
#: enough to be killed in the middle of it.
LATENCY_S = 0.6
#: SIGKILL once this many push requests have reached the push service (mid-batch).
KILL_AFTER = 150


class CountingPushService(LocalPushService):
    """The local push service, also counting requests as they arrive (before answering)."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived = 0
        self.arrived_lock = threading.Lock()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        with self.arrived_lock:
            self.arrived += 1
        return await super()._handle(request)


@pytest.fixture(params=["sqlite", "postgres"])
def database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'crash.sqlite3'}"
        return
    with throwaway_database("sg_sendcrash") as url:
        yield url


def tick(env: dict[str, str], now: datetime) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "strideguard.cli", "reminders", "tick", "--now", now.isoformat()],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def test_killed_sender_resends_at_most_one_step(database, tmp_path):
    with CountingPushService() as service:
        app = create_app(app_config(tmp_path, database, PUSH_ALLOWED_HOSTS=[service.host_port]))
        subs = [service.subscriber(Behaviour(latency_s=LATENCY_S)) for _ in range(RUNNERS)]
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            ensure_vapid_key(app)
            db.session.execute(insert(User), [
                {"id": uid, "email": f"k{uid}@example.org", "password_hash": "x", "timezone": "UTC"}
                for uid in range(1, RUNNERS + 1)])
            db.session.execute(insert(PushSubscription), [
                {"user_id": uid, "endpoint": s.endpoint, "p256dh": s.p256dh, "auth": s.auth}
                for uid, s in enumerate(subs, start=1)])
            db.session.execute(insert(Reminder), [
                {"user_id": uid, "subject_id": uid, "kind": "rest", "local_date": date(2026, 3, 4),
                 "status": "pending", "attempts": 0, "due_at": NOW - timedelta(minutes=1), "context": {}}
                for uid in range(1, RUNNERS + 1)])
            db.session.commit()
            db.engine.dispose()

        env = {**worker_env(database, tmp_path, service), "STRIDEGUARD_PUSH_SENDERS": "1"}
        first = tick(env, NOW)
        deadline = time.monotonic() + 120
        while service.arrived < KILL_AFTER:
            assert first.poll() is None, first.communicate()[1][-2000:]
            assert time.monotonic() < deadline, "the sender never got half way"
            time.sleep(0.005)
        os.kill(first.pid, signal.SIGKILL)
        first.communicate(timeout=30)
        assert first.returncode == -signal.SIGKILL
        time.sleep(LATENCY_S + 0.5)  # what was in flight lands at the push service
        before_rescue = len(service.deliveries)
        assert 0 < before_rescue < RUNNERS, "the kill did not land mid-batch"

        # After the stale-claim window, the next tick puts the dead sender's rows back and sends.
        rescue = tick(env, NOW + outbox.STALE_CLAIM + timedelta(minutes=1))
        _, err = rescue.communicate(timeout=300)
        assert rescue.returncode == 0, err[-2000:]
        assert "Traceback" not in err
        time.sleep(0.2)
        deliveries = service.deliveries
        with app.app_context():
            final = Counter(db.session.execute(select(Reminder.status)).scalars())
            db.session.remove()
            db.engine.dispose()

    per_sub = Counter(d.subscription_id for d in deliveries)
    assert set(per_sub) == {s.id for s in subs}, "a reminder was lost"
    duplicates = sum(n - 1 for n in per_sub.values())
    print(f"\n{database.split(':')[0]}: delivered before rescue {before_rescue}, "
          f"total {len(deliveries)}, duplicates {duplicates}")
    assert final == {"sent": RUNNERS}
    assert service.rejections == []
    assert duplicates <= delivery.SEND_STEP, f"{duplicates} pushes delivered twice"
