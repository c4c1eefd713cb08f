"""End to end over real HTTP: a rule fires -> a reminder is planned -> an encrypted,
VAPID-signed push reaches the local push service exactly once (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from strideguard.extensions import db
from strideguard.push.models import PushSubscription
from strideguard.reminders.models import Reminder
from strideguard.reminders.service import tick
from strideguard.timeutil import local_today
from tests.conftest import Runner, close_app, make_app
from tests.support.pushservice import Behaviour, push_service  # noqa: F401  (fixture)

pytestmark = pytest.mark.database  # its behaviour depends on the database: make test-fast runs its PostgreSQL variant too


@pytest.fixture
def push_app(migrated, push_service):
    app = make_app(migrated, PUSH_ALLOWED_HOSTS=[push_service.host_port])
    yield app
    close_app(app)


#: Time zones whose 08:00-17:00 together cover every hour of the day.
DAYTIME_ZONES = ("UTC", "Asia/Kolkata", "Asia/Tokyo", "Australia/Sydney", "America/New_York",
                 "America/Los_Angeles", "Pacific/Honolulu")


def daytime_zone(now: datetime | None = None) -> str:
    """A zone where it is now between 08:00 and 17:00: no scheduled reminder (the check-in
    due at 20:00, the weekly plan on Sunday at 20:00) can be due there, so a test that ticks
    at the real time sees only what its own check-in raised. (Its runners used to live in
    UTC, where every Sunday from 20:00 to 23:00 the weekly plan was due as well.)"""
    now = now or datetime.now(timezone.utc)
    return next(z for z in DAYTIME_ZONES if 8 <= now.astimezone(ZoneInfo(z)).hour < 17)


def subscribed(app, service, timezone_name: str | None = None, behaviour: Behaviour | None = None):
    """A subscribed runner (in a zone where it is daytime now, unless ``timezone_name``);
    ``runner.today`` is their local date."""
    timezone_name = timezone_name or daytime_zone()
    runner = Runner(app, timezone=timezone_name)
    runner.today = local_today(timezone_name).isoformat()
    sub = service.subscriber(behaviour)
    response = runner.post("/api/v1/push/subscriptions", json=sub.as_json())
    assert response.status_code == 201, response.get_json()
    return runner, sub


def run_tick(app, now: datetime | None = None) -> dict:
    with app.app_context():
        return tick(now)


def payloads(service, sub) -> list[dict]:
    return [json.loads(d.plaintext) for d in service.deliveries_for(sub.id)]


class TestPainAlert:
    def test_pain_5_sends_exactly_one_push_to_rest_and_contact_the_therapist(self, push_app, push_service):
        runner, sub = subscribed(push_app, push_service)
        today = runner.today
        assert runner.put(f"/api/v1/checkins/{today}", json={"pain": 5}).status_code == 201

        run_tick(push_app)
        run_tick(push_app)  # a second pass sends nothing more

        [message] = payloads(push_service, sub)
        assert message["kind"] == "contact_pt"
        assert message["title"] == "Contact your therapist"
        assert "Rest" in message["body"]
        assert message["url"] == "/#therapist"
        assert message["tag"] == "strideguard-contact_pt"
        # Discreet by default: no pain score, no condition names.
        text = json.dumps(message)
        assert "5" not in text and "knee" not in message["title"].lower()

        [delivery] = push_service.deliveries_for(sub.id)
        headers = {k.lower(): v for k, v in delivery.headers.items()}
        assert headers["content-encoding"] == "aes128gcm"
        assert int(headers["ttl"]) > 0
        assert headers["urgency"] == "high"
        assert headers["topic"] == "strideguard-contact_pt"
        assert delivery.claims["sub"].startswith("mailto:")

        reminders = runner.get("/api/v1/reminders").get_json()
        sent = [r for r in reminders if r["status"] == "sent"]
        assert [r["kind"] for r in sent] == ["contact_pt"]

    def test_replaying_the_same_check_in_does_not_send_again(self, push_app, push_service):
        runner, sub = subscribed(push_app, push_service)
        today = runner.today
        runner.put(f"/api/v1/checkins/{today}", json={"pain": 6})
        run_tick(push_app)
        runner.put(f"/api/v1/checkins/{today}", json={"pain": 6})
        run_tick(push_app)
        assert len(payloads(push_service, sub)) == 1

    def test_pain_3_sends_nothing(self, push_app, push_service):
        runner, sub = subscribed(push_app, push_service)
        runner.put(f"/api/v1/checkins/{runner.today}", json={"pain": 3})
        run_tick(push_app)
        assert payloads(push_service, sub) == []

    def test_fever_with_pain_is_an_urgent_doctor_push(self, push_app, push_service):
        runner, sub = subscribed(push_app, push_service)
        runner.put(f"/api/v1/checkins/{runner.today}", json={"pain": 4, "fever": True})
        run_tick(push_app)
        [message] = payloads(push_service, sub)
        assert message["kind"] == "contact_doctor"


class TestACorrectedCheckIn:
    """Found trying it: pain 5 typed by mistake and corrected to 2 at once; the guidance said
    "Keep running", yet the next tick sent "Contact your therapist … Rest from running"."""

    def test_a_corrected_check_in_takes_its_push_back(self, push_app, push_service):
        runner, sub = subscribed(push_app, push_service)
        url = f"/api/v1/checkins/{runner.today}"
        assert runner.put(url, json={"pain": 5}).status_code == 201
        assert runner.put(url, json={"pain": 2}).get_json()["guidance"]["status"] == "ok"
        run_tick(push_app)
        assert payloads(push_service, sub) == []
        assert runner.get("/api/v1/reminders").get_json() == []  # never sent: nothing kept
        # The pain coming back the same day plans its push again, once.
        assert runner.put(url, json={"pain": 6}).status_code == 200
        run_tick(push_app)
        run_tick(push_app)
        assert [m["kind"] for m in payloads(push_service, sub)] == ["contact_pt"]

    def test_a_correction_keeps_the_alert_whose_cause_stays(self, push_app, push_service):
        # A fever taken back, the pain above the limit kept: the doctor's push is withdrawn,
        # the therapist's (with its rest, once merged into the doctor's) goes out.
        runner, sub = subscribed(push_app, push_service)
        url = f"/api/v1/checkins/{runner.today}"
        assert runner.put(url, json={"pain": 5, "fever": True}).status_code == 201
        assert runner.put(url, json={"pain": 5}).status_code == 200
        run_tick(push_app)
        [message] = payloads(push_service, sub)
        assert message["kind"] == "contact_pt" and "Rest" in message["body"]


class TestCheckinDue:
    # 2026-12-01 20:00 in New York is 2026-12-02 01:00 UTC.
    EVENING = datetime(2026, 12, 2, 1, 0, tzinfo=timezone.utc)

    def test_one_reminder_at_20_00_in_the_runners_own_time_zone(self, push_app, push_service):
        runner, sub = subscribed(push_app, push_service, "America/New_York")
        run_tick(push_app, self.EVENING - timedelta(minutes=1))
        assert payloads(push_service, sub) == []
        run_tick(push_app, self.EVENING)
        run_tick(push_app, self.EVENING + timedelta(minutes=5))
        [message] = payloads(push_service, sub)
        assert message["kind"] == "checkin_due"
        assert message["url"] == "/#checkin"

    def test_no_reminder_when_already_checked_in(self, push_app, push_service):
        runner, sub = subscribed(push_app, push_service, "America/New_York")
        with push_app.app_context():
            from strideguard.accounts.models import User
            from strideguard.training.models import Checkin

            user_id = db.session.execute(select(User.id).where(User.email == runner.email)).scalar()
            db.session.add(Checkin(user_id=user_id, date=date(2026, 12, 1), pain=1, answers={}))
            db.session.commit()
        run_tick(push_app, self.EVENING)
        assert payloads(push_service, sub) == []


    def test_a_check_in_dated_after_local_today_does_not_silence_the_reminder(self, push_app, push_service):
        # Checked in for Dec 2 in Tokyo, flew to Honolulu, where it is still Dec 1 at 20:00.
        runner, sub = subscribed(push_app, push_service, "Pacific/Honolulu")
        with push_app.app_context():
            from strideguard.accounts.models import User
            from strideguard.training.models import Checkin

            user_id = db.session.execute(select(User.id).where(User.email == runner.email)).scalar()
            db.session.add(Checkin(user_id=user_id, date=date(2026, 12, 2), pain=1, answers={}))
            db.session.commit()
        run_tick(push_app, datetime(2026, 12, 2, 6, 0, tzinfo=timezone.utc))
        [message] = payloads(push_service, sub)
        assert message["kind"] == "checkin_due"


class TestDeliveryOutcomes:
    def _alert(self, app, service, behaviour):
        runner, sub = subscribed(app, service, behaviour=behaviour)
        runner.put(f"/api/v1/checkins/{runner.today}", json={"pain": 7})
        return runner, sub

    def _rows(self, app):
        with app.app_context():
            return db.session.execute(select(Reminder).where(Reminder.status != "skipped")).scalars().all()

    @pytest.mark.parametrize("status", [404, 410])
    def test_gone_subscription_is_deleted(self, push_app, push_service, status):
        self._alert(push_app, push_service, Behaviour(status=status))
        run_tick(push_app)
        with push_app.app_context():
            assert db.session.execute(select(func.count()).select_from(PushSubscription)).scalar() == 0
        [row] = self._rows(push_app)
        assert row.status == "failed" and row.last_status == status

    def test_429_waits_for_retry_after(self, push_app, push_service):
        self._alert(push_app, push_service, Behaviour(status=429, retry_after="600"))
        now = datetime.now(timezone.utc)
        run_tick(push_app, now)
        [row] = self._rows(push_app)
        due = row.due_at if row.due_at.tzinfo else row.due_at.replace(tzinfo=timezone.utc)
        assert row.status == "pending" and row.attempts == 1
        assert due >= now + timedelta(seconds=600)

    def test_500_is_retried_later_then_sent_once(self, push_app, push_service):
        runner, sub = self._alert(push_app, push_service, Behaviour(status=500))
        now = datetime.now(timezone.utc)
        run_tick(push_app, now)
        [row] = self._rows(push_app)
        assert row.status == "pending" and row.attempts == 1
        push_service.set_behaviour(sub.id, None)
        run_tick(push_app, now + timedelta(seconds=30))  # too early: backoff is >= 30 s
        assert payloads(push_service, sub) == []
        run_tick(push_app, now + timedelta(hours=1))
        assert len(payloads(push_service, sub)) == 1

    @pytest.mark.parametrize("status", [400, 403])
    def test_rejected_push_keeps_the_subscription(self, push_app, push_service, status):
        self._alert(push_app, push_service, Behaviour(status=status))
        run_tick(push_app)
        with push_app.app_context():
            assert db.session.execute(select(func.count()).select_from(PushSubscription)).scalar() == 1
        [row] = self._rows(push_app)
        assert row.status == "failed"


class TestSubscribePolicy:
    @pytest.mark.parametrize(
        "endpoint",
        [
            "https://10.0.0.5/push/x",
            "https://169.254.169.254/latest",
            "http://fcm.googleapis.com/fcm/send/x",
            "https://[::1]/push/x",
            "https://2130706433/push/x",
            "https://fcm.googleapis.com@127.0.0.1/push/x",
            "https://evil.example.org/push/x",
        ],
    )
    def test_endpoints_outside_the_policy_are_refused_with_422(self, push_app, push_service, endpoint):
        runner = Runner(push_app)
        sub = push_service.subscriber()
        body = {**sub.as_json(), "endpoint": endpoint}
        response = runner.post("/api/v1/push/subscriptions", json=body)
        assert response.status_code == 422
        assert "endpoint" in response.get_json()["error"]["fields"]

    def test_another_loopback_port_is_refused(self, push_app, push_service):
        runner = Runner(push_app)
        sub = push_service.subscriber()
        port = int(push_service.host_port.rsplit(":", 1)[1])
        body = {**sub.as_json(), "endpoint": sub.endpoint.replace(f":{port}/", f":{port + 1}/")}
        assert runner.post("/api/v1/push/subscriptions", json=body).status_code == 422

    def test_subscriptions_are_private_and_removable(self, push_app, push_service):
        runner, sub = subscribed(push_app, push_service)
        other = Runner(push_app)
        assert other.get("/api/v1/push/subscriptions").get_json() == []
        assert other.delete("/api/v1/push/subscriptions", json={"endpoint": sub.endpoint}).status_code == 404
        assert [s["endpoint"] for s in runner.get("/api/v1/push/subscriptions").get_json()] == [sub.endpoint]
        assert runner.delete("/api/v1/push/subscriptions", json={"endpoint": sub.endpoint}).status_code == 204
        assert runner.get("/api/v1/push/subscriptions").get_json() == []

    def test_public_key_is_the_vapid_application_server_key(self, push_app):
        key = push_app.test_client().get("/api/v1/push/key").get_json()["public_key"]
        import base64

        raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
        assert len(raw) == 65 and raw[0] == 4


def test_each_delivery_batch_runs_with_the_collector_paused(push_app, push_service, monkeypatch):
    """Each batch is sent with the cyclic GC paused (``gcpause``), and between batches it runs."""
    import gc

    from strideguard.reminders import delivery

    seen: list[bool] = []
    real = delivery.delivery_options

    def recording(kind):
        seen.append(gc.isenabled())
        return real(kind)

    monkeypatch.setattr(delivery, "delivery_options", recording)
    runner, sub = subscribed(push_app, push_service)
    assert runner.put(f"/api/v1/checkins/{runner.today}", json={"pain": 5}).status_code == 201
    was = gc.isenabled()
    gc.enable()
    try:
        run_tick(push_app)
        assert gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()
    assert seen and not any(seen)
    assert [m["kind"] for m in payloads(push_service, sub)] == ["contact_pt"]
