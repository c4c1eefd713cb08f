"""The exercise-pain alert to the therapist is written and delivered exactly once
(SQLite and PostgreSQL, real processes, the local push service).

* Four worker processes race over the outbox with ``strideguard reminders tick`` (twice) after a runner's
  second pain above an exercise's ceiling within seven days: the therapist gets exactly one
  ``patient_rehab`` push and the outbox holds exactly one row.
* Four concurrent PUTs of that second exceeding session hit a real server (gunicorn, four
  workers) at once — the same UUID from four outbox lanes, then four different sessions of
  the same day: one session per UUID, and still one outbox row.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import Counter
from datetime import date, datetime, timedelta, timezone

import pytest
import requests
from sqlalchemy import create_engine, select, text

from strideguard import create_app
from strideguard.config import database_uri
from strideguard.extensions import db
from strideguard.push.service import ensure_vapid_key
from strideguard.reminders.models import Reminder
from strideguard.timeutil import local_today
from tests.conftest import Runner, Therapist, app_config, invite
from tests.support.workers import Workers, worker_env
from tests.rehab.test_session_crash import prescribed, signed_up
from tests.security.live import LiveServer, migrate, server_env
from tests.support.postgres import throwaway_database
from tests.support.pushservice import LocalPushService

pytestmark = pytest.mark.process  # a served app, worker processes

PROGRAMME_ITEMS = [
    {"exercise": "core.glute_bridge", "sets": 3, "reps": 12, "per_week": 3},
    {"exercise": "core.wall_sit", "per_week": 7, "pain_ceiling": 5},
]
CONCURRENT = 4


@pytest.fixture
def database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'rehab-alert.sqlite3'}"
        return
    with throwaway_database("sg_rehab_alert") as url:
        yield url


def wall_sit(day: date, pain: int) -> dict:
    return {"date": day.isoformat(), "entries": [{"exercise": "core.wall_sit", "sets": [{"seconds": 45}] * 3,
                                                  "pain": pain}]}


@pytest.mark.parametrize("database", ["postgres", "sqlite"], indirect=True)
def test_four_workers_deliver_the_exercise_pain_alert_exactly_once(database, tmp_path):
    with LocalPushService() as service:
        app = create_app(app_config(tmp_path, database, PUSH_ALLOWED_HOSTS=[service.host_port]))
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            ensure_vapid_key(app)  # before the workers start: they must share one key
            db.engine.dispose()
        runner, therapist = Runner(app, display_name="Knee Patient"), Therapist(app)
        subs = {}
        for who in (runner, therapist):
            sub = service.subscriber()
            assert who.post("/api/v1/push/subscriptions", json=sub.as_json()).status_code == 201
            subs[sub.id] = who
        assert therapist.accept(invite(runner)["code"]).status_code == 200
        d0 = local_today("UTC") - timedelta(days=3)
        assert therapist.put(f"/api/v1/clinic/patients/{runner.user['id']}/programme",
                             json={"items": PROGRAMME_ITEMS, "starts_on": d0.isoformat()}).status_code == 200
        assert runner.put(f"/api/v1/exercise-sessions/{uuid.uuid4()}", json=wall_sit(d0, 5)).status_code == 201
        first = runner.put(f"/api/v1/exercise-sessions/{uuid.uuid4()}", json=wall_sit(d0 + timedelta(days=1), 6))
        assert [c["pain"] for c in first.get_json()["cautions"]] == [6]  # a caution, no alert yet
        with app.app_context():
            assert db.session.execute(select(Reminder).where(Reminder.kind == "patient_rehab")).all() == []
            db.session.remove()
        second = runner.put(f"/api/v1/exercise-sessions/{uuid.uuid4()}", json=wall_sit(d0 + timedelta(days=3), 7))
        assert second.status_code == 201
        with app.app_context():
            db.engine.dispose()

        env = worker_env(database, tmp_path, service)
        now = datetime.now(timezone.utc)
        with Workers(env, CONCURRENT) as workers:  # four processes tick together, twice
            first_race = workers.tick(now)
            second_race = workers.tick(now)
        deliveries = list(service.deliveries)
        with app.app_context():
            rows = db.session.execute(select(Reminder.user_id, Reminder.subject_id, Reminder.status, Reminder.context)
                                      .where(Reminder.kind == "patient_rehab")).all()
            db.session.remove()
            db.engine.dispose()

    got: Counter = Counter()
    for delivery in deliveries:
        message = json.loads(delivery.plaintext)
        got[(subs[delivery.subscription_id].user["id"], message["kind"])] += 1
    assert got[(therapist.user["id"], "patient_rehab")] == 1
    assert sum(n for (_who, kind), n in got.items() if kind == "patient_rehab") == 1
    [(to, about, status, context)] = rows
    assert (to, about, status) == (therapist.user["id"], runner.user["id"], "sent")
    assert [(e["pain"], e["ceiling"]) for e in context["exceedances"]] == [(6, 5), (7, 5)]
    assert len(first_race) == 4 and sum(s.get("sent", 0) for s in second_race) == 0
    assert [a for a in service.attempts if a.status != 201] == []


def outbox_rows(url: str) -> list[tuple]:
    engine = create_engine(database_uri(url))
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(
                "SELECT user_id, subject_id, local_date FROM reminders WHERE kind = 'patient_rehab'"))]
    finally:
        engine.dispose()


def session_rows(url: str) -> Counter:
    engine = create_engine(database_uri(url))
    try:
        with engine.connect() as conn:
            return Counter(r[0] for r in conn.execute(text("SELECT uuid FROM exercise_sessions")))
    finally:
        engine.dispose()


@pytest.mark.parametrize("database", ["postgres", "sqlite"], indirect=True)
def test_four_concurrent_puts_of_the_second_exceedance_write_one_outbox_row(database, tmp_path):
    env = server_env(tmp_path, database, STRIDEGUARD_LOG_LEVEL="WARNING")
    migrate(env)
    server = LiveServer(env, tmp_path / "server.log", workers=CONCURRENT)
    server.start()
    today = local_today("UTC")
    d0 = today - timedelta(days=3)
    try:
        runner = signed_up(server, "hurts@example.org")
        therapist = signed_up(server, "pt@example.org", "therapist")
        prescribed(server, runner, therapist, d0)
        http, csrf, _ = runner
        put = lambda s, key, body: s.put(f"{server.url}/api/v1/exercise-sessions/{key}", json=body,  # noqa: E731
                                         headers={"X-CSRF-Token": csrf}, timeout=60)
        assert put(http, uuid.uuid4(), wall_sit(d0 + timedelta(days=1), 6)).status_code == 201
        assert outbox_rows(database) == []

        def together(keys: list[str], body: dict) -> list[int]:
            """One PUT per key from its own connection, released at the same instant."""
            barrier = threading.Barrier(len(keys))
            statuses: list[int] = []
            lock = threading.Lock()

            def go(key: str) -> None:
                session = requests.Session()
                session.cookies.update(http.cookies)
                barrier.wait()
                status = put(session, key, body).status_code
                with lock:
                    statuses.append(status)

            threads = [threading.Thread(target=go, args=(k,)) for k in keys]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=120)
            return sorted(statuses)

        second = wall_sit(d0 + timedelta(days=3), 7)
        same = str(uuid.uuid4())
        # Four outbox lanes replay the same session at once: created once, answered 201/200.
        assert together([same] * CONCURRENT, second) == [200] * (CONCURRENT - 1) + [201]
        first_rows = outbox_rows(database)
        # Four different sessions of that day with pain above the ceiling, at once.
        others = [str(uuid.uuid4()) for _ in range(CONCURRENT)]
        assert together(others, wall_sit(d0 + timedelta(days=3), 8)) == [201] * CONCURRENT
        listed = http.get(f"{server.url}/api/v1/exercise-sessions", timeout=20).json()
    finally:
        server.stop()

    assert first_rows == [(therapist[2]["id"], runner[2]["id"], first_rows[0][2])]
    assert str(first_rows[0][2]) == (d0 + timedelta(days=3)).isoformat()
    assert outbox_rows(database) == first_rows
    assert session_rows(database) == Counter({k: 1 for k in [s["uuid"] for s in listed]})
    assert len(listed) == 2 + CONCURRENT and same in {s["uuid"] for s in listed}
