"""The round trips of a PUT (issue 24): the runner's lock is taken once per transaction, the
runner's today is read once, a PUT run reads its run once; the write-lock counters of
``/metrics`` count each write; and a run moved off a date past the local date still moves the
runner's today back (read again, not reused)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event

from strideguard.extensions import db
from strideguard.operations import writelock
from strideguard.timeutil import local_today, utcnow
from tests.conftest import Runner

pytestmark = pytest.mark.database  # its behaviour depends on the database: make test-fast runs its PostgreSQL variant too

RUN = "0b6f6c2e-3c1d-4a51-9a7e-2f8d5f0c9b11"


@contextmanager
def statements(app) -> Iterator[list[str]]:
    """Every statement the app's engine sends inside the block (one-line texts)."""
    seen: list[str] = []

    def note(conn, cursor, statement, params, context, many) -> None:
        seen.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def on_postgres(app) -> bool:
    with app.app_context():
        return db.engine.dialect.name == "postgresql"


def kinds(seen: list[str]) -> Counter[str]:
    out: Counter[str] = Counter()
    for text in seen:
        if "FOR UPDATE" in text:
            out["lock"] += 1
        if "UNION ALL" in text and "max(" in text:  # the runner's today: dates past the local date
            out["today"] += 1
        if text.startswith("SELECT") and "FROM runs WHERE runs.user_id" in text and "runs.uuid =" in text:
            out["run by uuid"] += 1
    return out


def test_a_put_check_in_locks_once_and_reads_the_runners_today_once(app, runner: Runner) -> None:
    day = local_today("UTC").isoformat()
    assert runner.put(f"/api/v1/checkins/{day}", json={"pain": 2}).status_code == 201
    with statements(app) as seen:
        response = runner.put(f"/api/v1/checkins/{day}", json={"pain": 1})
    assert response.status_code == 200 and response.get_json()["guidance"]["advice"] is not None
    found = kinds(seen)
    assert found["today"] == 1, seen
    # PostgreSQL locks the runner's row once (it was three times: begin_write, after_write,
    # the plan's refresh); SQLite takes its one writer lock with a no-op UPDATE, once.
    if on_postgres(app):
        assert found["lock"] == 1, seen
    else:
        assert sum(1 for text in seen if text.startswith("UPDATE users SET id=users.id")) == 1, seen


def test_a_put_run_reads_its_run_once(app, runner: Runner) -> None:
    day = local_today("UTC").isoformat()
    body = {"date": day, "distance_m": 6200.0, "duration_s": 2100.0}
    assert runner.put(f"/api/v1/runs/{RUN}", json=body).status_code == 201
    with statements(app) as seen:
        assert runner.put(f"/api/v1/runs/{RUN}", json={**body, "distance_m": 6100.0}).status_code == 200
    found = kinds(seen)
    assert found["run by uuid"] == 1 and found["today"] == 1, seen
    if on_postgres(app):
        assert found["lock"] == 1, seen


def test_the_lock_is_taken_again_in_the_next_transaction(app, runner: Runner) -> None:
    day = local_today("UTC").isoformat()
    with statements(app) as seen:
        for pain in (1, 2, 3):
            assert runner.put(f"/api/v1/checkins/{day}", json={"pain": pain}).status_code in (200, 201)
    if on_postgres(app):
        assert kinds(seen)["lock"] == 3, seen  # once per PUT: a commit releases it


def test_the_write_lock_counters_count_each_write(app, runner: Runner) -> None:
    day = local_today("UTC").isoformat()
    locks, waited, held = (writelock.LOCKS._value.get(), writelock.WAITED._value.get(),
                           writelock.HELD._value.get())
    for pain in (1, 2):
        assert runner.put(f"/api/v1/checkins/{day}", json={"pain": pain}).status_code in (200, 201)
    assert writelock.LOCKS._value.get() - locks == 2
    assert writelock.WAITED._value.get() > waited
    assert writelock.HELD._value.get() > held


def test_a_run_moved_back_from_past_the_local_date_moves_the_runners_today_back(app) -> None:
    """Recorded ahead (a zone further east, before a move west): the runner's today is that
    later date. Moving the only run dated there back to the local date must bring the
    runner's today back with it — the PUT reads it again instead of reusing the first read."""
    runner = Runner(app, timezone="Pacific/Kiritimati")  # UTC+14: ahead of most zones
    ahead = local_today("Pacific/Kiritimati")
    assert runner.put(f"/api/v1/runs/{RUN}", json={"date": ahead.isoformat(), "distance_m": 5000.0,
                                                    "duration_s": 1800.0}).status_code == 201
    assert runner.patch("/api/v1/me", json={"timezone": "Pacific/Pago_Pago"}).status_code == 200  # UTC-11
    local = local_today("Pacific/Pago_Pago")
    assert ahead > local  # a day (or two) ahead of the new zone's date
    with app.app_context():
        from sqlalchemy import func, select

        from strideguard.accounts.models import User
        from strideguard.plan.models import PlanDayRow
        from strideguard.plan.records import runner_today

        def state() -> tuple:
            db.session.expire_all()
            user = db.session.get(User, runner.user["id"])
            last_plan = db.session.execute(select(func.max(PlanDayRow.date)).where(PlanDayRow.user_id == user.id)).scalar()
            return runner_today(user), last_plan

        assert state() == (ahead, ahead)
    moved = runner.put(f"/api/v1/runs/{RUN}", json={"date": local.isoformat(), "distance_m": 5000.0,
                                                     "duration_s": 1800.0})
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["guidance"]["as_of"] == local.isoformat()
    with app.app_context():
        # The plan ends on the local date again (nothing is stored for the day no longer lived).
        assert state() == (local, local)
