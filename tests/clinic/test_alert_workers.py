"""Exactly once with four worker processes: many patients pass their therapist's 5/10
limit, then four worker processes race over the same outbox with ``strideguard reminders
tick`` (twice: the same four processes, as long-lived workers are; ``tests/support/workers``).
Each therapist gets exactly one push per patient, each runner exactly one of their own.

PostgreSQL claims with ``FOR UPDATE SKIP LOCKED``, SQLite with a compare-and-set UPDATE:
both run here with real processes, a real database each and the local push service.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timezone

import pytest

from strideguard import create_app
from strideguard.extensions import db
from strideguard.push.service import ensure_vapid_key
from strideguard.timeutil import local_today
from tests.conftest import Runner, Therapist, app_config, invite
from tests.support.workers import Workers, worker_env
from tests.support.postgres import throwaway_database
from tests.support.pushservice import LocalPushService

pytestmark = pytest.mark.process  # worker processes

PATIENTS = 24
THERAPISTS = 3
WORKERS = 4


@pytest.fixture
def database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'workers.sqlite3'}"
        return
    with throwaway_database("sg_clinic") as url:
        yield url


@pytest.mark.parametrize("database", ["postgres", "sqlite"], indirect=True)
def test_four_workers_send_each_therapist_alert_exactly_once(database, tmp_path):
    with LocalPushService() as service:
        app = create_app(app_config(tmp_path, database, PUSH_ALLOWED_HOSTS=[service.host_port]))
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            ensure_vapid_key(app)  # before the workers start: they must share one key
            db.engine.dispose()
        therapists = [Therapist(app) for _ in range(THERAPISTS)]
        therapist_subs = {}
        for therapist in therapists:
            sub = service.subscriber()
            assert therapist.post("/api/v1/push/subscriptions", json=sub.as_json()).status_code == 201
            therapist_subs[sub.id] = therapist.user["id"]
        runner_subs = {}
        expected: Counter = Counter()
        day = local_today("UTC").isoformat()
        for n in range(PATIENTS):
            runner = Runner(app)
            sub = service.subscriber()
            assert runner.post("/api/v1/push/subscriptions", json=sub.as_json()).status_code == 201
            runner_subs[sub.id] = runner.user["id"]
            # Every patient has one or two therapists; the first one sets 5/10.
            mine = [therapists[n % THERAPISTS]] + ([therapists[(n + 1) % THERAPISTS]] if n % 2 else [])
            for therapist in mine:
                assert therapist.accept(invite(runner)["code"]).status_code == 200
                expected[(therapist.user["id"], runner.user["id"])] += 1
            mine[0].put(f"/api/v1/clinic/patients/{runner.user['id']}/limits", json={"pain_threshold": 5})
            runner.put(f"/api/v1/checkins/{day}", json={"pain": 5})  # at the limit: nothing
            assert runner.put(f"/api/v1/checkins/{day}", json={"pain": 6}).get_json()["guidance"]["status"] == "stop"
        with app.app_context():
            db.engine.dispose()

        env = worker_env(database, tmp_path, service)
        now = datetime.now(timezone.utc)
        with Workers(env, WORKERS) as workers:  # four processes tick together, twice
            first = workers.tick(now)
            second = workers.tick(now)
        deliveries = list(service.deliveries)

    got: Counter = Counter()
    runner_pushes: Counter = Counter()
    for delivery in deliveries:
        message = json.loads(delivery.plaintext)
        if delivery.subscription_id in therapist_subs:
            assert message["kind"] == "patient_alert"
            patient = int(message["url"].rsplit("/", 1)[1])
            got[(therapist_subs[delivery.subscription_id], patient)] += 1
        elif message["kind"] in ("rest", "contact_pt", "contact_doctor", "reduce_volume"):
            runner_pushes[runner_subs[delivery.subscription_id]] += 1
    assert got == expected  # every (therapist, patient) exactly once: 0 missing, 0 duplicates
    assert sum(expected.values()) == PATIENTS + PATIENTS // 2
    assert runner_pushes == Counter({uid: 1 for uid in runner_subs.values()})
    assert sum(s.get("sent", 0) for s in first) >= sum(expected.values()) + PATIENTS
    assert sum(s.get("sent", 0) for s in second) == 0
    assert [a for a in service.attempts if a.status != 201] == []
