"""The nightly step (``plan.advance``) on SQLite and PostgreSQL: what it stores is exactly
what a write's replay would store, the reminder sweep says the same with or without it, a
write after it replays over it, and it never steps a runner twice or starts a plan."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import delete, select

from strideguard.accounts.models import User
from strideguard.extensions import db
from strideguard.plan import advance
from strideguard.plan import service as plan_service
from strideguard.plan.models import PlanDayRow, PlanEventRow
from strideguard.reminders.models import Reminder
from strideguard.reminders.service import plan_scheduled, tick
from strideguard.timeutil import local_today, utcnow
from strideguard.training.models import Checkin
from tests.conftest import Runner
from tests.reminders.test_scheduled import push_app, subscribed  # noqa: F401  (fixture)
from tests.support.pushservice import push_service  # noqa: F401  (fixture)

pytestmark = pytest.mark.database  # its behaviour depends on the database: make test-fast runs its PostgreSQL variant too

SKIP = ("id", "created_at")


def user_id(runner: Runner) -> int:
    return db.session.execute(select(User.id).where(User.email == runner.email)).scalar_one()


def put_run(runner: Runner, day: date, metres: float, pain: int = 0) -> None:
    response = runner.put(f"/api/v1/runs/{uuid.uuid4()}", json={
        "date": day.isoformat(), "distance_m": metres, "duration_s": round(metres * 0.36),
        "pain_during": pain, "pain_after": pain})
    assert response.status_code in (200, 201), response.get_json()


def put_checkin(runner: Runner, day: date, pain: int, **extra) -> None:
    response = runner.put(f"/api/v1/checkins/{day}", json={"pain": pain, **extra})
    assert response.status_code in (200, 201), response.get_json()


def stored(uid: int, after: date) -> tuple[list[dict], list[dict]]:
    """A runner's plan days and events dated after ``after``, without ids and timestamps."""
    def plain(rows, table) -> list[dict]:
        return [{c.name: getattr(r, c.name) for c in table.columns if c.name not in SKIP} for r in rows]
    days = db.session.execute(select(PlanDayRow).where(PlanDayRow.user_id == uid, PlanDayRow.date > after)
                              .order_by(PlanDayRow.date)).scalars().all()
    events = db.session.execute(select(PlanEventRow).where(PlanEventRow.user_id == uid, PlanEventRow.date > after)
                                .order_by(PlanEventRow.date, PlanEventRow.kind)).scalars().all()
    return plain(days, PlanDayRow.__table__), plain(events, PlanEventRow.__table__)


def test_stored_days_are_what_a_write_would_have_stored(app):
    today = date.today()
    steady = Runner(app, timezone="UTC")  # normal, a few easy weeks
    for n in (20, 17, 13, 10, 6, 3):
        put_run(steady, today - timedelta(days=n), 5000)
    resting = Runner(app, timezone="Pacific/Kiritimati")  # UTC+14: a day ahead of most
    put_run(resting, local_today("Pacific/Kiritimati") - timedelta(days=3), 6000)
    put_checkin(resting, local_today("Pacific/Kiritimati"), 7, swelling=True)
    away = Runner(app, timezone="America/Adak")  # UTC-10: last run 12 days ago
    put_run(away, local_today("America/Adak") - timedelta(days=12), 7000)
    put_checkin(away, local_today("America/Adak"), 0)
    newcomer = Runner(app, timezone="UTC")  # no check-in or run: no plan to step

    now = utcnow() + timedelta(days=5)
    with app.app_context():
        ids = {name: user_id(r) for name, r in
               (("steady", steady), ("resting", resting), ("away", away), ("newcomer", newcomer))}
        users = {name: db.session.get(User, uid) for name, uid in ids.items()}
        before = {name: local_today(u.timezone) for name, u in users.items()}
        target = {name: local_today(u.timezone, now) for name, u in users.items()}
        # Recorded without a plan step (as a row written outside the API would be): the
        # nightly step must read it, and it starts a rest two days after today.
        db.session.add(Checkin(user_id=ids["steady"], date=before["steady"] + timedelta(days=2),
                               pain=5, answers={}))
        db.session.commit()

        assert sorted(uid for uid, _ in advance.behind(now)) == sorted(
            ids[n] for n in ("steady", "resting", "away"))
        assert advance.behind(now, limit=1) == advance.behind(now)[:1]  # a tick's share, oldest id first
        stepped = advance.advance(now, batch=2)  # two transactions: batches really split
        assert stepped == sum((target[n] - before[n]).days for n in ("steady", "resting", "away"))

        by_step = {name: stored(ids[name], before[name]) for name in ("steady", "resting", "away")}
        assert [d["date"] for d in by_step["steady"][0]] == [
            before["steady"] + timedelta(days=k) for k in range(1, 6)]
        assert by_step["steady"][0][1]["state"] == "rest"  # the check-in found in the gap
        assert {e["to_state"] for e in by_step["away"][1]} == {"return"}  # 14 days without a run
        assert by_step["resting"][0][0]["state"] == "rest"

        # The same days from the per-runner replay a write does.
        for name in ("steady", "resting", "away"):
            db.session.execute(delete(PlanDayRow).where(PlanDayRow.user_id == ids[name],
                                                        PlanDayRow.date > before[name]))
            db.session.execute(delete(PlanEventRow).where(PlanEventRow.user_id == ids[name],
                                                          PlanEventRow.date > before[name]))
            plan_service.refresh(users[name], None, target[name])
        db.session.commit()
        for name in ("steady", "resting", "away"):
            assert stored(ids[name], before[name]) == by_step[name], name

        assert advance.behind(now) == []
        assert advance.advance(now) == 0
        assert db.session.execute(select(PlanDayRow.id).where(PlanDayRow.user_id == ids["newcomer"])).first() is None


def _outbox() -> list[tuple]:
    rows = db.session.execute(select(Reminder).order_by(Reminder.user_id, Reminder.kind)).scalars().all()
    return [(r.user_id, r.kind, r.local_date, r.due_at, r.status, r.context) for r in rows]


def test_the_sweep_says_the_same_from_stored_days(push_app, push_service):
    app = push_app
    today = date.today()
    sunday = today + timedelta(days=(6 - today.weekday()) % 7 or 7)  # a Sunday, 1-7 days ahead
    resting, _ = subscribed(app, push_service, "UTC", reminder_time="19:00", notification_detail="detailed")
    put_run(resting, today - timedelta(days=1), 6000)
    put_checkin(resting, today, 8)  # 8/10: a seven-day rest
    steady, _ = subscribed(app, push_service, "Europe/Berlin", reminder_time="20:00",
                           notification_detail="detailed")
    for n in (12, 9, 5, 2):
        put_run(steady, today - timedelta(days=n), 5000)
    now = datetime.combine(sunday, time(19, 0), tzinfo=timezone.utc)
    with app.app_context():
        assert advance.behind(now)  # nothing stored for that Sunday yet
        db.session.execute(delete(Reminder))  # the alerts the writes queued: not compared
        db.session.commit()
        planned = plan_scheduled(now)
        in_memory = _outbox()
        assert planned > 0 and in_memory
        db.session.execute(delete(Reminder))
        db.session.commit()

        assert advance.advance(now) > 0
        assert plan_scheduled(now) == planned
        assert _outbox() == in_memory
    contexts = {(row[0], row[1]): row[5] for row in in_memory}
    assert {c.get("plan_state") for c in contexts.values()} >= {"rest", "normal"}


def test_a_write_after_the_step_replays_over_it(app):
    runner = Runner(app, timezone="UTC")
    today = date.today()
    put_checkin(runner, today, 0)
    tomorrow = utcnow() + timedelta(days=1)
    with app.app_context():
        uid = user_id(runner)
        assert tick(tomorrow)["advanced"] == 1  # the worker's tick runs the step
        [day] = stored(uid, today)[0]
        assert day["state"] == "normal"
    put_checkin(runner, today, 7)  # the same day again, now 7/10
    with app.app_context():
        assert stored(uid, today)[0] == []  # the replay from today dropped tomorrow's day
        assert advance.advance(tomorrow) == 1
        [day] = stored(uid, today)[0]
        assert (day["state"], day["rest_days"]) == ("rest", 3)
