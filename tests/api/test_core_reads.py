"""The write path's Core reads and the plan store's Core statements, on SQLite and PostgreSQL.

``extensions.core_rows`` runs a select on the session's connection instead of through the
ORM, so it must flush first (the ORM's autoflush would have): otherwise a replay could read
the runner's data without the change the session still holds. And the plan store, now Core
statements, must leave one row per runner and day however often a day is replayed.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from strideguard.extensions import core_rows, db
from strideguard.plan import service as plan_service
from strideguard.plan.models import PlanDayRow, PlanEventRow
from strideguard.timeutil import local_today
from strideguard.training.models import Checkin
from tests.conftest import Runner
from tests.reminders.test_plan_advance import stored

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


# --- a long replay rewrites only the days that changed --------------------------------------

def _written(uid: int) -> dict:
    """When each of the runner's stored plan days was written (``created_at``), by date."""
    return dict(db.session.execute(select(PlanDayRow.date, PlanDayRow.created_at)
                                   .where(PlanDayRow.user_id == uid)).all())


def _forty_days(app, runner: Runner) -> list:
    with app.app_context():
        today = local_today("UTC")
    dates = [today - timedelta(days=n) for n in range(39, -1, -1)]
    for n, day in enumerate(dates):
        assert runner.put(f"/api/v1/checkins/{day}", {"pain": 1}).status_code == 201
        if n % 3 == 0:  # a run every third day: weeks with load
            assert runner.put(f"/api/v1/runs/00000000-0000-4000-8000-{n:012d}",
                              {"date": day.isoformat(), "distance_m": 6000, "duration_s": 2100}).status_code == 201
    return dates


def _as_one_full_replay(app, uid: int, first) -> tuple[list, list]:
    """The plan a replay from scratch stores (every day written), for comparison."""
    from strideguard.accounts.models import User

    with app.app_context():
        db.session.execute(PlanEventRow.__table__.delete().where(PlanEventRow.user_id == uid))
        db.session.execute(PlanDayRow.__table__.delete().where(PlanDayRow.user_id == uid))
        plan_service.refresh(db.session.get(User, uid), first, local_today("UTC"))
        db.session.commit()
        return stored(uid, date.min)


@pytest.mark.parametrize("pain,at_most", [(2, 3), (6, 40)], ids=["a-small-change", "rest-starts"])
def test_an_edit_weeks_back_rewrites_only_the_days_that_changed(app, pain, at_most) -> None:
    """Editing the check-in 30 days back replays 31 days. Pain 2 instead of 1 changes that
    day's row (and at most what it carries to the next days): every other day keeps its stored
    row. Pain 6 starts a rest there, which changes the days after it. Either way the stored
    plan is exactly what a full rewrite stores."""
    runner = Runner(app)
    dates = _forty_days(app, runner)
    uid, edited = runner.user["id"], dates[9]
    long_ago = datetime(2000, 1, 1, tzinfo=timezone.utc)
    with app.app_context():
        # Every stored day marked as written long ago (a rewritten row gets a new created_at;
        # ids are no mark: SQLite hands a deleted highest rowid out again).
        db.session.execute(PlanDayRow.__table__.update().where(PlanDayRow.user_id == uid).values(created_at=long_ago))
        db.session.commit()
        before = {d["date"]: d for d in stored(uid, date.min)[0]}
    assert sorted(before) == dates
    assert runner.put(f"/api/v1/checkins/{edited}", {"pain": pain}).status_code == 200
    with app.app_context():
        after_days, events = stored(uid, date.min)
        written = _written(uid)
    after = {d["date"]: d for d in after_days}
    differ = {d for d in dates if before[d] != after[d]}
    assert edited in differ and len(differ) <= at_most
    if pain == 6:
        assert len(differ) > 3 and events  # the rest and what followed it changed
    # Only the days whose values differ were rewritten: every other row is the same row.
    assert {d for d in dates if written[d] != long_ago} == differ
    assert (after_days, events) == _as_one_full_replay(app, uid, dates[0])
