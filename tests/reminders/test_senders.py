"""Exactly once on the delivery side: several ``strideguard reminders tick`` processes, each
forking sender helpers (``PUSH_SENDERS``), drain one outbox of thousands of due reminders.

Every row must be attempted exactly once (the push service sees one request per
subscription), end in the state its push service's answer calls for, and the counts the
processes print must add up to what arrived. Some subscriptions answer 500 (the row waits
for a retry), 410 (the subscription is deleted) or belong to a runner with a second,
dead device.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from strideguard import create_app
from strideguard.accounts.models import User
from strideguard.extensions import db
from strideguard.push.models import PushSubscription
from strideguard.push.service import ensure_vapid_key
from strideguard.reminders.models import Reminder
from tests.conftest import app_config
from tests.support.workers import worker_env
from tests.support.pushservice import Behaviour, LocalPushService
from tests.support.postgres import throwaway_database

pytestmark = pytest.mark.process  # parallel sender processes

ROOT = Path(__file__).resolve().parents[2]
# A Wednesday 03:00 UTC: no runner's 20:00 reminder and no Sunday plan falls in this tick,
# so the tick only delivers what the test put in the outbox.
NOW = datetime(2026, 3, 4, 3, 0, tzinfo=timezone.utc)
CASES = {"postgres": {"runners": 3000, "processes": 2, "senders": 3},
         "sqlite": {"runners": 1600, "processes": 2, "senders": 2}}


def behaviour_of(uid: int) -> str:
    return "retry" if uid % 20 == 0 else "gone" if uid % 33 == 0 else "two_devices" if uid % 50 == 1 else "ok"


@pytest.fixture
def database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'senders.sqlite3'}"
        return
    with throwaway_database("sg_senders") as url:
        yield url


@pytest.mark.parametrize("database", list(CASES), indirect=True)
def test_sender_processes_attempt_every_row_exactly_once(database, tmp_path, request):
    case = CASES["postgres" if database.startswith("postgres") else "sqlite"]
    runners = case["runners"]
    with LocalPushService() as service:
        app = create_app(app_config(tmp_path, database, PUSH_ALLOWED_HOSTS=[service.host_port]))
        subs: dict[int, list] = {}
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            ensure_vapid_key(app)
            db.session.execute(insert(User), [
                {"id": uid, "email": f"s{uid}@example.org", "password_hash": "x", "timezone": "UTC"}
                for uid in range(1, runners + 1)])
            rows = []
            for uid in range(1, runners + 1):
                kind = behaviour_of(uid)
                first = service.subscriber(Behaviour(status=500) if kind == "retry" else
                                           Behaviour(status=410) if kind == "gone" else None)
                subs[uid] = [first] + ([service.subscriber(Behaviour(status=404))] if kind == "two_devices" else [])
                rows += [{"user_id": uid, "endpoint": s.endpoint, "p256dh": s.p256dh, "auth": s.auth} for s in subs[uid]]
            db.session.execute(insert(PushSubscription), rows)
            db.session.execute(insert(Reminder), [
                {"user_id": uid, "kind": "rest", "local_date": date(2026, 3, 4), "status": "pending", "attempts": 0,
                 "due_at": NOW - timedelta(minutes=1 + uid % 7), "context": {}}
                for uid in range(1, runners + 1)])
            db.session.commit()
            db.engine.dispose()

        env = {**worker_env(database, tmp_path, service), "STRIDEGUARD_PUSH_SENDERS": str(case["senders"]),
               "STRIDEGUARD_LOG_LEVEL": "INFO"}
        procs = [subprocess.Popen([sys.executable, "-m", "strideguard.cli", "reminders", "tick", "--now", NOW.isoformat()],
                                  env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(case["processes"])]
        outputs = [p.communicate(timeout=600) for p in procs]
        assert [p.returncode for p in procs] == [0] * len(procs), [err[-2000:] for _, err in outputs]
        attempts = service.attempts
        deliveries = service.deliveries
        with app.app_context():
            final = {r.user_id: r for r in db.session.execute(select(Reminder)).scalars()}
            left = set(db.session.execute(select(PushSubscription.endpoint)).scalars())
            db.session.remove()
            db.engine.dispose()

    helpers = sum(err.count("more sender process(es) share the outbox") for _, err in outputs)
    assert helpers >= 1, "no helper process was forked: the test would prove nothing about them"
    assert "Traceback" not in "".join(err for _, err in outputs)

    # Exactly one request per subscription: no row was claimed twice, none was left out.
    per_sub = Counter(a.subscription_id for a in attempts)
    every_sub = {s.id for found in subs.values() for s in found}
    assert set(per_sub) == every_sub
    assert set(per_sub.values()) == {1}
    assert service.rejections == []

    # Each row in the state its answers call for.
    for uid in range(1, runners + 1):
        row, kind = final[uid], behaviour_of(uid)
        assert row.attempts == 1 and row.claimed_by is None, (uid, row.status)
        if kind in ("ok", "two_devices"):
            assert row.status == "sent" and row.last_error is None, uid
        elif kind == "retry":
            assert row.status == "pending" and row.last_status == 500 and row.due_at > NOW, uid
        else:
            assert row.status == "failed" and row.last_status == 410, uid
    # Dead subscriptions are gone, the others stay.
    dead = {s.endpoint for uid, found in subs.items() for s in found
            if behaviour_of(uid) == "gone" or s is not found[0]}
    assert left == {s.endpoint for found in subs.values() for s in found} - dead

    # What the processes report adds up to what arrived.
    summaries = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    total = Counter()
    for summary in summaries:
        total.update(summary)
    expected = Counter(behaviour_of(uid) for uid in range(1, runners + 1))
    assert total["sent"] == len(deliveries) == expected["ok"] + expected["two_devices"]
    assert total["pending"] == expected["retry"] and total["failed"] == expected["gone"]
    assert total["subscriptions_removed"] == expected["gone"] + expected["two_devices"]
