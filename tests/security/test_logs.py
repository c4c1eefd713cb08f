"""Health data never leaks: a canary note and the pain value of a check-in must not appear in
log output (every logger at DEBUG, and a real gunicorn's stderr), in error responses, or in
the push payload of a discreet runner."""

from __future__ import annotations

import json
import logging
import re

import pytest
import requests
from sqlalchemy import text

from strideguard.extensions import db
from strideguard.timeutil import local_today
from tests.conftest import Runner, close_app, make_app
from tests.security.backends import SQLITE_ONLY
from tests.security.live import serving, server_env
from tests.support.pushservice import push_service  # noqa: F401  (fixture)

CANARY = "CANARY-7f3a"
PAIN = 7
EMAIL = "canary.runner@example.org"
#: How a pain value would look if something dumped a body, a dict or SQL parameters.
PAIN_LEAKS = re.compile(r"""pain['"]?\s*[:=]\s*['"]?7\b|\b7\s*/\s*10\b""", re.IGNORECASE)


def leaks(text_: str) -> list[str]:
    """Every trace of the check-in's health data (or the runner's email) in ``text_``."""
    found = [needle for needle in (CANARY, CANARY.lower(), EMAIL) if needle in text_]
    found += PAIN_LEAKS.findall(text_)
    return found


@pytest.fixture
def debug_logs(caplog):
    """The root logger and every StrideGuard logger at DEBUG; other libraries' loggers keep the
    level the app gives them (SQLAlchemy's are pinned to WARNING: their INFO/DEBUG lines are
    SQL parameters and result rows)."""
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("strideguard"):
            caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def all_log_text(caplog) -> str:
    return "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in caplog.records
    )


def health_traffic(runner: Runner, day: str) -> list:
    """A check-in with the canary, a run with pain, and the reads that return them."""
    return [
        runner.put(f"/api/v1/checkins/{day}", json={
            "pain": PAIN, "morning_pain": PAIN, "note": CANARY, "location": "outside",
            "swelling": True, "answers": {"core.back_from_break": True},
        }),
        runner.put("/api/v1/runs/0b0e8a8e-1c1a-4c55-9a43-4ab2a9e30c01", json={
            "date": day, "distance_m": 5000, "duration_s": 1800, "pain_during": PAIN,
            "pain_after": PAIN, "note": CANARY,
        }),
        runner.get(f"/api/v1/checkins/{day}"),
        runner.get("/api/v1/export"),
        runner.get(f"/api/v1/guidance?date={day}"),
    ]


def test_no_health_data_in_any_log_record(app, debug_logs) -> None:
    runner = Runner(app, email=EMAIL)
    day = local_today("UTC").isoformat()
    answers = health_traffic(runner, day)
    assert [r.status_code for r in answers] == [201, 201, 200, 200, 200]
    assert CANARY in answers[2].get_data(as_text=True)  # it was stored and returned
    text_ = all_log_text(debug_logs)
    assert "training.put_checkin" in text_  # the request log did run
    assert leaks(text_) == [], text_[-3000:]


@SQLITE_ONLY
@pytest.mark.parametrize(
    "body",
    [
        {"pain": 11, "note": CANARY},
        {"pain": PAIN, "note": CANARY * 200},  # too long
        {"pain": PAIN, "note": CANARY, "location": CANARY},
        {"pain": PAIN, "note": CANARY, "answers": {"core.back_from_break": [CANARY]}},
        {"pain": str(PAIN), "note": CANARY, "swelling": CANARY},
    ],
    ids=["pain-out-of-range", "note-too-long", "bad-location", "bad-answer", "wrong-types"],
)
def test_error_responses_and_logs_do_not_echo_health_data(app, debug_logs, body) -> None:
    runner = Runner(app, email=EMAIL)
    response = runner.put(f"/api/v1/checkins/{local_today('UTC').isoformat()}", json=body)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]  # says which field, not what was in it
    assert leaks(response.get_data(as_text=True)) == []
    assert leaks(all_log_text(debug_logs)) == []


@SQLITE_ONLY
def test_malformed_json_is_not_echoed(app, debug_logs) -> None:
    runner = Runner(app, email=EMAIL)
    response = runner.client.put(
        f"/api/v1/checkins/{local_today('UTC').isoformat()}",
        data='{"pain": 7, "note": "' + CANARY + '"',
        headers={"X-CSRF-Token": runner.csrf, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert leaks(response.get_data(as_text=True)) == []
    assert leaks(all_log_text(debug_logs)) == []


@pytest.fixture
def boom_app(migrated):
    """An app with one extra route that fails inside SQL whose parameters hold the canary."""
    app = make_app(migrated, fresh=True)  # adds a route

    def boom():
        db.session.execute(text("SELECT note FROM no_such_table WHERE note = :note"), {"note": CANARY})
        return {}

    app.add_url_rule("/api/v1/test-boom", "test_boom", boom, methods=["GET"])
    yield app
    close_app(app)


def test_an_unexpected_error_logs_no_sql_parameters(boom_app, debug_logs) -> None:
    runner = Runner(boom_app, email=EMAIL)
    response = runner.get("/api/v1/test-boom")
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "server_error"
    assert leaks(response.get_data(as_text=True)) == []
    text_ = all_log_text(debug_logs)
    assert "unhandled" in text_ and "test-boom" in text_  # the failure is still logged
    assert leaks(text_) == [], text_[-3000:]


def test_discreet_push_payload_carries_no_health_data(migrated, push_service) -> None:  # noqa: F811
    app = make_app(migrated, PUSH_ALLOWED_HOSTS=[push_service.host_port])
    try:
        runner = Runner(app, email=EMAIL)
        assert runner.get("/api/v1/me").get_json()["notification_detail"] == "discreet"
        assert runner.patch("/api/v1/me", json={"conditions": ["it_band"]}).status_code == 200
        sub = push_service.subscriber()
        assert runner.post("/api/v1/push/subscriptions", json=sub.as_json()).status_code == 201
        day = local_today("UTC").isoformat()
        assert runner.put(f"/api/v1/checkins/{day}", json={
            "pain": PAIN, "note": CANARY, "location": "outside", "swelling": True,
        }).status_code == 201
        from strideguard.reminders.service import tick

        with app.app_context():
            tick()
        deliveries = push_service.deliveries_for(sub.id)
        assert deliveries, "the pain alert was not delivered"
        for delivery in deliveries:
            plaintext = delivery.plaintext if isinstance(delivery.plaintext, str) else delivery.plaintext.decode()
            message = json.loads(plaintext)
            assert leaks(plaintext) == []
            assert str(PAIN) not in plaintext  # no score at all on a lock screen
            for word in ("it band", "iliotibial", "swelling", "outside", "note"):
                assert word not in plaintext.lower(), (word, message)
    finally:
        close_app(app)


@pytest.mark.process  # a served app (gunicorn, two workers)
def test_gunicorn_stderr_has_no_health_data(tmp_path) -> None:
    env = server_env(tmp_path, f"sqlite:///{tmp_path / 'logs.sqlite3'}", STRIDEGUARD_LOG_LEVEL="DEBUG")
    with serving(env, tmp_path / "server.log", workers=2) as server:
        with requests.Session() as http:
            signup = http.post(server.url + "/api/v1/auth/register",
                               json={"email": EMAIL, "password": "knee-safe-42x"}, timeout=10)
            assert signup.status_code == 201
            csrf = {"X-CSRF-Token": signup.json()["csrf_token"]}
            day = local_today("UTC").isoformat()
            put = http.put(f"{server.url}/api/v1/checkins/{day}", headers=csrf, timeout=10,
                           json={"pain": PAIN, "note": CANARY, "location": "outside"})
            assert put.status_code == 201
            bad = http.put(f"{server.url}/api/v1/checkins/{day}", headers=csrf, timeout=10,
                           json={"pain": 12, "note": CANARY})
            assert bad.status_code == 422 and leaks(bad.text) == []
            assert CANARY in http.get(f"{server.url}/api/v1/checkins/{day}", timeout=10).text
            http.get(f"{server.url}/api/v1/checkins?from={day}&to={day}", timeout=10)
    log = server.log()
    assert "/api/v1/checkins/" in log  # access and request logs were written
    assert leaks(log) == [], log[-3000:]
