"""outbox.write on SQLite and PostgreSQL: a stream of planned rows is written once, and a key
another writer took meanwhile is left alone (PostgreSQL's COPY falls back to the staging
table then) without losing the other rows."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from strideguard.extensions import db
from strideguard.reminders import outbox
from strideguard.reminders.models import Reminder
from strideguard.reminders.planner import PlannedReminder
from tests.conftest import Runner

pytestmark = pytest.mark.database  # its behaviour depends on the database: make test-fast runs its PostgreSQL variant too

DAY = date(2026, 11, 10)
DUE = datetime(2026, 11, 10, 20, 0, tzinfo=timezone.utc)


def planned(uid: int, kind: str, merged_into: str | None = None, **context) -> PlannedReminder:
    return PlannedReminder(uid, kind, DAY, f"{uid}:{kind}:{DAY}", DUE, context, "discreet", merged_into)


def stored(uid: int) -> dict[str, Reminder]:
    rows = db.session.execute(select(Reminder).where(Reminder.user_id == uid)).scalars().all()
    return {r.kind: r for r in rows}


def test_a_stream_of_rows_is_written_once(app):
    uids = [Runner(app).user["id"] for _ in range(3)]
    with app.app_context():
        rows = (p for uid in uids for p in (planned(uid, "checkin_due", units="km"),
                                             planned(uid, "weekly_plan", f"{uid}:checkin_due:{DAY}")))
        assert outbox.write(rows) == 6
        for uid in uids:
            found = stored(uid)
            assert (found["checkin_due"].status, found["checkin_due"].context) == ("pending", {"units": "km"})
            assert found["weekly_plan"].status == "skipped"
            assert found["weekly_plan"].context == {"merged_into": f"{uid}:checkin_due:{DAY}"}
        assert outbox.write(planned(uid, "checkin_due") for uid in uids) == 0  # already there
        assert outbox.write(iter(())) == 0


def test_a_key_taken_meanwhile_is_left_alone_and_the_rest_is_written(app):
    first, second = Runner(app).user["id"], Runner(app).user["id"]
    with app.app_context():
        # Another writer (a second worker's tick) stored this runner's reminder first.
        assert outbox.write([planned(first, "checkin_due", by="the other worker")]) == 1
        rows = [planned(second, "checkin_due"), planned(first, "checkin_due", by="this pass"),
                planned(first, "rest", pain=5)]
        assert outbox.write(r for r in rows) == 2
        assert stored(first)["checkin_due"].context == {"by": "the other worker"}
        assert stored(first)["rest"].context == {"pain": 5}
        assert set(stored(second)) == {"checkin_due"}
        assert len(db.session.execute(select(Reminder.id)).all()) == 3
