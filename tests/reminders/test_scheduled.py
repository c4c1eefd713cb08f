"""Scheduled reminders end to end on SQLite and PostgreSQL, at simulated times: the weekly
plan on Sunday, quiet hours across midnight, the daily cap and the catch-up rule after the
worker was down. Every push travels over real HTTP to the local push service."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from strideguard.accounts.models import User
from strideguard.extensions import db
from strideguard.guidance.advice import Advice, Source
from strideguard.guidance.engine import Guidance
from strideguard.afterwrite import after_write
from strideguard.reminders.models import Reminder
from strideguard.reminders.service import queue_alerts, tick
from strideguard.training.models import Checkin
from tests.conftest import Runner, close_app, make_app
from tests.support.pushservice import push_service  # noqa: F401  (fixture)

pytestmark = pytest.mark.database  # its behaviour depends on the database: make test-fast runs its PostgreSQL variant too

#: The Sunday one to two weeks back: in the past, so the API accepts runs and check-ins on
#: it, and inside the plan's 400-day horizon whatever the date the suite runs on (a fixed
#: date there made the weekly-plan tests fail from 400 days after it).
def _sunday_back(today: date) -> date:
    return today - timedelta(days=(today.weekday() + 1) % 7 + 7)


SUNDAY = _sunday_back(date.today())
TUESDAY = date(2026, 11, 10)


@pytest.fixture
def push_app(migrated, push_service):
    app = make_app(migrated, PUSH_ALLOWED_HOSTS=[push_service.host_port])
    yield app
    close_app(app)


def subscribed(app, service, timezone_name: str = "UTC", **profile):
    """A runner with one subscription at the local push service and a patched profile."""
    runner = Runner(app, timezone=timezone_name)
    if profile:
        response = runner.patch("/api/v1/me", json=profile)
        assert response.status_code == 200, response.get_json()
    sub = service.subscriber()
    assert runner.post("/api/v1/push/subscriptions", json=sub.as_json()).status_code == 201
    return runner, sub


def at(day: date, hhmm: str, zone: str) -> datetime:
    """An aware instant: local wall-clock ``hhmm`` on ``day`` in ``zone``."""
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=ZoneInfo(zone))


def run_tick(app, now: datetime) -> dict:
    with app.app_context():
        return tick(now)


def payloads(service, sub) -> list[dict]:
    return [json.loads(d.plaintext) for d in service.deliveries_for(sub.id)]


def user_of(runner: Runner) -> User:
    return db.session.execute(select(User).where(User.email == runner.email)).scalar_one()


def raise_alerts(app, runner: Runner, day: date, now: datetime, actions: list[str] | None = None,
                 pain: int | None = None) -> int:
    """What the check-in API does, at simulated ``now``: save the day's check-in (when
    ``pain`` is given) and queue the alerts of the guidance (the real engine's, or one
    advice per ``actions`` entry)."""
    with app.app_context():
        user = user_of(runner)
        if pain is not None:
            db.session.add(Checkin(user_id=user.id, date=day, pain=pain, answers={}))
            db.session.flush()
        if actions is None:
            before = db.session.execute(select(func.count(Reminder.id))).scalar()
            after_write(user, day, now=now)  # replays the plan and queues the alerts
            db.session.commit()
            return db.session.execute(select(func.count(Reminder.id))).scalar() - before
        guidance = Guidance(as_of=day, status="ok", advice=tuple(
            Advice(f"test.{a}", a, "caution", "Title", "Message", source=Source("test", "1"))
            for a in actions))
        return queue_alerts(user, guidance, now=now)


def rows(app, runner: Runner) -> dict[tuple[str, date], Reminder]:
    with app.app_context():
        user_id = user_of(runner).id
        found = db.session.execute(select(Reminder).where(Reminder.user_id == user_id)).scalars().all()
        db.session.expunge_all()
        return {(r.kind, r.local_date): r for r in found}


class TestEachRunnersOwnDate:
    """The sweep reads every candidate's check-in and care plan at their own local date (the
    zone's date, in the same SQL query), not at the server's."""

    def test_a_check_in_counts_on_the_runners_own_date(self, push_app, push_service):
        now = at(date(2026, 11, 10), "20:05", "Pacific/Honolulu")  # the 11th, 20:05 in Kiritimati
        behind, _ = subscribed(push_app, push_service, "Pacific/Honolulu", reminder_time="20:00")
        ahead, _ = subscribed(push_app, push_service, "Pacific/Kiritimati", reminder_time="20:00")
        steady, _ = subscribed(push_app, push_service, "Pacific/Honolulu", reminder_time="20:00")
        with push_app.app_context():
            # Both dated the 11th: Honolulu's tomorrow, Kiritimati's today.
            for runner in (behind, ahead):
                db.session.add(Checkin(user_id=user_of(runner).id, date=date(2026, 11, 11), pain=1, answers={}))
            db.session.add(Checkin(user_id=user_of(steady).id, date=date(2026, 11, 10), pain=1, answers={}))
            db.session.commit()
        run_tick(push_app, now)
        assert set(rows(push_app, behind)) == {("checkin_due", date(2026, 11, 10))}
        assert rows(push_app, ahead) == {}  # checked in on their today
        assert rows(push_app, steady) == {}

    def test_the_reminder_carries_the_plan_of_the_runners_own_date(self, push_app, push_service):
        now = at(date(2026, 11, 10), "20:05", "Pacific/Honolulu")
        runner, _ = subscribed(push_app, push_service, "Pacific/Honolulu", reminder_time="20:00")
        # Pain 7/10 on the 9th (Honolulu): rest from that day; the 10th is its day 2.
        raise_alerts(push_app, runner, date(2026, 11, 9), at(date(2026, 11, 9), "21:00", "Pacific/Honolulu"),
                     pain=7)
        run_tick(push_app, now)
        reminder = rows(push_app, runner)[("checkin_due", date(2026, 11, 10))]
        assert (reminder.context["plan_state"], reminder.context["plan_day"]) == ("rest", 2)


class TestWeeklyPlan:
    ZONE = "Europe/Berlin"

    def _runner_with_a_week_of_runs(self, app, service, detail: str, checkin: date = SUNDAY):
        runner, sub = subscribed(app, service, self.ZONE, reminder_time="19:00",
                                 notification_detail=detail)
        # From the week's Monday: a week the record starts later in is a part week, no baseline.
        for day, metres in ((SUNDAY - timedelta(days=6), 8000), (SUNDAY - timedelta(days=2), 6000)):
            response = runner.put(f"/api/v1/runs/{uuid.uuid4()}",
                                  json={"date": day.isoformat(), "distance_m": metres, "duration_s": 3600})
            assert response.status_code in (200, 201), response.get_json()
        # Checked in that day, so the weekly plan is a push of its own.
        assert runner.put(f"/api/v1/checkins/{checkin}", json={"pain": 1}).status_code == 201
        return runner, sub

    def test_detailed_runner_gets_next_weeks_cap_on_sunday_at_reminder_time(self, push_app, push_service):
        runner, sub = self._runner_with_a_week_of_runs(push_app, push_service, "detailed")
        run_tick(push_app, at(SUNDAY, "18:59", self.ZONE))
        assert payloads(push_service, sub) == []
        run_tick(push_app, at(SUNDAY, "19:00", self.ZONE))
        run_tick(push_app, at(SUNDAY, "19:30", self.ZONE))
        [message] = payloads(push_service, sub)
        assert message["kind"] == "weekly_plan"
        assert message["url"] == "/#history"
        # A clean first week of 14 km (within the 15 km starting cap) becomes the baseline:
        # + the runner's 10 % -> 15.4 km.
        assert message["body"] == "Next week: keep your distance under 15.4 km."
        delivery = push_service.deliveries_for(sub.id)[0]
        assert {k.lower(): v for k, v in delivery.headers.items()}["topic"] == "strideguard-weekly_plan"

    def test_discreet_runner_gets_no_numbers(self, push_app, push_service):
        runner, sub = self._runner_with_a_week_of_runs(push_app, push_service, "discreet")
        run_tick(push_app, at(SUNDAY, "19:00", self.ZONE))
        [message] = payloads(push_service, sub)
        assert message["kind"] == "weekly_plan"
        assert not any(ch.isdigit() for ch in message["title"] + message["body"]), message
        assert "km" not in message["body"]

    def test_not_on_a_saturday(self, push_app, push_service):
        saturday = SUNDAY - timedelta(days=1)
        runner, sub = self._runner_with_a_week_of_runs(push_app, push_service, "detailed", saturday)
        run_tick(push_app, at(saturday, "19:00", self.ZONE))
        assert payloads(push_service, sub) == []
        assert ("weekly_plan", saturday) not in rows(push_app, runner)

    def test_without_a_check_in_the_plan_rides_on_the_check_in_reminder(self, push_app, push_service):
        runner, sub = subscribed(push_app, push_service, self.ZONE, reminder_time="19:00")
        runner.put(f"/api/v1/runs/{uuid.uuid4()}",
                   json={"date": (SUNDAY - timedelta(days=1)).isoformat(), "distance_m": 5000, "duration_s": 1800})
        run_tick(push_app, at(SUNDAY, "19:00", self.ZONE))
        run_tick(push_app, at(SUNDAY, "20:00", self.ZONE))
        [message] = payloads(push_service, sub)
        assert message["kind"] == "checkin_due"
        assert "Next week's cap is ready." in message["body"]
        found = rows(push_app, runner)
        assert found[("checkin_due", SUNDAY)].status == "sent"
        assert found[("weekly_plan", SUNDAY)].status == "skipped"


class TestQuietHours:
    ZONE = "America/Chicago"

    def test_alert_at_23_00_waits_for_the_end_of_quiet_hours(self, push_app, push_service):
        runner, sub = subscribed(push_app, push_service, self.ZONE,
                                 quiet_hours={"start": "22:00", "end": "07:00"})
        raised = at(TUESDAY, "23:00", self.ZONE)
        assert raise_alerts(push_app, runner, TUESDAY, raised, pain=6) >= 1
        wednesday = TUESDAY + timedelta(days=1)
        for local in (at(TUESDAY, "23:00", self.ZONE), at(TUESDAY, "23:30", self.ZONE),
                      at(wednesday, "03:00", self.ZONE), at(wednesday, "06:59", self.ZONE)):
            run_tick(push_app, local)
            assert payloads(push_service, sub) == [], local
        run_tick(push_app, at(wednesday, "07:00", self.ZONE))
        run_tick(push_app, at(wednesday, "07:10", self.ZONE))
        [message] = payloads(push_service, sub)
        assert message["kind"] == "contact_pt"
        row = rows(push_app, runner)[("contact_pt", TUESDAY)]  # the date it was raised on
        assert row.status == "sent"

    def test_check_in_reminder_inside_quiet_hours_moves_to_their_end(self, push_app, push_service):
        runner, sub = subscribed(push_app, push_service, self.ZONE, reminder_time="06:30",
                                 quiet_hours={"start": "22:00", "end": "07:00"})
        run_tick(push_app, at(TUESDAY, "06:30", self.ZONE))
        run_tick(push_app, at(TUESDAY, "06:59", self.ZONE))
        assert payloads(push_service, sub) == []
        run_tick(push_app, at(TUESDAY, "07:00", self.ZONE))
        assert [m["kind"] for m in payloads(push_service, sub)] == ["checkin_due"]


class TestDailyCap:
    def test_three_pushes_a_day_then_only_urgent_ones(self, push_app, push_service):
        runner, sub = subscribed(push_app, push_service, "UTC")
        for hour, action in ((8, "reduce_volume"), (9, "rest"), (10, "contact_pt")):
            now = at(TUESDAY, f"{hour:02d}:00", "UTC")
            raise_alerts(push_app, runner, TUESDAY, now, [action])
            run_tick(push_app, now)
        assert [m["kind"] for m in payloads(push_service, sub)] == ["reduce_volume", "rest", "contact_pt"]

        run_tick(push_app, at(TUESDAY, "20:00", "UTC"))  # a 4th push: over the cap
        assert len(payloads(push_service, sub)) == 3
        assert ("checkin_due", TUESDAY) not in rows(push_app, runner)

        now = at(TUESDAY, "21:00", "UTC")  # fever: urgent, allowed over the cap
        raise_alerts(push_app, runner, TUESDAY, now, ["contact_doctor"])
        run_tick(push_app, now)
        assert payloads(push_service, sub)[-1]["kind"] == "contact_doctor"

        run_tick(push_app, at(TUESDAY + timedelta(days=1), "20:00", "UTC"))  # a new day
        assert [m["kind"] for m in payloads(push_service, sub)][-1] == "checkin_due"
        assert len(payloads(push_service, sub)) == 5

    def test_the_cap_comes_from_push_daily_cap(self, migrated, push_service):
        app = make_app(migrated, PUSH_ALLOWED_HOSTS=[push_service.host_port], PUSH_DAILY_CAP=1)
        try:
            runner, sub = subscribed(app, push_service, "UTC")
            for hour, action in ((8, "reduce_volume"), (9, "rest")):
                now = at(TUESDAY, f"{hour:02d}:00", "UTC")
                raise_alerts(app, runner, TUESDAY, now, [action])
                run_tick(app, now)
            assert [m["kind"] for m in payloads(push_service, sub)] == ["reduce_volume"]
        finally:
            close_app(app)


class TestDowntimeCatchUp:
    """The worker was down from before the reminder until ``late`` after it."""

    @pytest.mark.parametrize(
        ("late", "sent"),
        [
            (timedelta(0), True),
            (timedelta(hours=2, minutes=59), True),
            (timedelta(hours=3), True),  # the last moment: 3 h late
            (timedelta(hours=3, minutes=1), False),
            (timedelta(hours=5), False),
        ],
    )
    def test_a_late_check_in_reminder_is_sent_only_within_3_hours(self, push_app, push_service, late, sent):
        runner, sub = subscribed(push_app, push_service, "UTC", reminder_time="18:00")
        run_tick(push_app, at(TUESDAY, "18:00", "UTC") + late)
        assert [m["kind"] for m in payloads(push_service, sub)] == (["checkin_due"] if sent else [])

    def test_five_hours_late_no_stale_reminder_but_todays_alert_goes_once(self, push_app, push_service):
        zone = "Asia/Tokyo"
        runner, sub = subscribed(push_app, push_service, zone)
        # 14:00: a logged run raises "rest" while the worker is down; no check-in today.
        assert raise_alerts(push_app, runner, TUESDAY, at(TUESDAY, "14:00", zone), ["rest"]) == 1
        # The worker comes back 5 hours after the 20:00 reminder (01:00 the next day).
        back = at(TUESDAY, "20:00", zone) + timedelta(hours=5)
        summary = run_tick(push_app, back)
        run_tick(push_app, back + timedelta(minutes=1))
        run_tick(push_app, back + timedelta(minutes=30))
        [message] = payloads(push_service, sub)
        assert message["kind"] == "rest"
        assert summary["sent"] == 1 and summary["planned"] == 0
        found = rows(push_app, runner)
        assert found[("rest", TUESDAY)].status == "sent"
        assert ("checkin_due", TUESDAY) not in found  # stale: never sent, never planned
        assert ("checkin_due", TUESDAY + timedelta(days=1)) not in found  # not due before 20:00

    def test_a_day_missed_entirely_is_not_replayed(self, push_app, push_service):
        runner, sub = subscribed(push_app, push_service, "UTC")
        run_tick(push_app, at(TUESDAY, "19:00", "UTC"))
        # Down until the next morning, then ticking again: Tuesday's reminder never comes.
        for hhmm in ("08:00", "12:00", "19:59"):
            run_tick(push_app, at(TUESDAY + timedelta(days=1), hhmm, "UTC"))
        assert payloads(push_service, sub) == []
        run_tick(push_app, at(TUESDAY + timedelta(days=1), "20:00", "UTC"))
        assert [m["kind"] for m in payloads(push_service, sub)] == ["checkin_due"]
