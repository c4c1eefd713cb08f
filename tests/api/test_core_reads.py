"""The write path's Core reads and the plan store's Core statements, on SQLite and PostgreSQL.

``extensions.core_rows`` runs a select on the session's connection instead of through the
ORM, so it must flush first (the ORM's autoflush would have): otherwise a replay could read
the runner's data without the change the session still holds. And the plan store, now Core
statements, must leave one row per runner and day however often a day is replayed.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from strideguard.extensions import core_rows, db
from strideguard.plan import service as plan_service
from strideguard.plan.models import PlanDayRow, PlanEventRow
from strideguard.timeutil import local_today
from strideguard.training.models import Checkin
from tests.conftest import Runner

pytestmark = pytest.mark.database  # its behaviour depends on the database: make test-fast runs its PostgreSQL variant too


def test_core_reads_see_what_the_session_has_not_flushed(app) -> None:
    runner = Runner(app)
    with app.app_context():
        today = local_today("UTC")
        db.session.add(Checkin(user_id=runner.user["id"], date=today, pain=5, answers={}))
        # Not flushed yet: the replay's inputs must still include it.
        known = plan_service.recorded(runner.user["id"], today - timedelta(days=1), today, today)
        assert known.checkins[today].pain == 5
        assert core_rows(select(func.count()).select_from(Checkin).where(
            Checkin.user_id == runner.user["id"])).scalar_one() == 1
        db.session.rollback()


def test_replaying_a_day_again_and_again_keeps_one_stored_day_and_its_own_events(app) -> None:
    runner = Runner(app)
    with app.app_context():
        today = local_today("UTC")
    for pain in (2, 6, 2, 6, 1):  # pain 6 starts rest (an event); later replays of the day replace it
        assert runner.put(f"/api/v1/checkins/{today}", {"pain": pain}).status_code in (200, 201)
    with app.app_context():
        uid = runner.user["id"]
        days = db.session.execute(select(PlanDayRow.date, PlanDayRow.pains).where(PlanDayRow.user_id == uid)).all()
        events = db.session.execute(select(PlanEventRow.date, PlanEventRow.to_state).where(
            PlanEventRow.user_id == uid)).all()
    assert [d for d, _ in days] == [today]
    assert days[0][1] == [["pain", 1]]  # the last check-in's pain, not the 6 it replaced
    assert events == []  # the rest that pain 6 started is gone with the replay of pain 1
    plan = runner.get("/api/v1/plan").get_json()
    assert plan["state"] != "rest"
