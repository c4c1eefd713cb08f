"""Migrations: `upgrade` from empty gives exactly the models' schema; `downgrade` to base works;
databases of the two previous releases, populated with real rows, upgrade to head with every
row kept and the app reading them.

Runs on SQLite and on PostgreSQL, each in a database of its own.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from strideguard import create_app
from strideguard.extensions import db
from tests.conftest import app_config
from tests.support.postgres import throwaway_database

pytestmark = pytest.mark.database  # its behaviour depends on the database: make test-fast runs its PostgreSQL variant too


@pytest.fixture(params=["sqlite", "postgres"])
def empty_app(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        yield create_app(app_config(tmp_path, url))
        return
    with throwaway_database("sg_mig") as url:
        app = create_app(app_config(tmp_path, url))
        yield app
        with app.app_context():
            db.engine.dispose()


def test_upgrade_from_empty_matches_the_models(empty_app):
    with empty_app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        assert diff == []
        tables = set(inspect(db.engine).get_table_names())
        assert {t.name for t in db.metadata.sorted_tables} <= tables


def test_downgrade_to_base_removes_every_table(empty_app):
    with empty_app.app_context():
        upgrade()
        downgrade(revision="base")
        remaining = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        upgrade()  # and back up again
        assert "users" in inspect(db.engine).get_table_names()


# -- upgrades of populated databases --------------------------------------------------------

#: The schema heads released before the current one, each seeded with SQL valid at it.
PREVIOUS_HEADS = ("0005", "0006")
RUNNER_TOKEN = "old-release-runner-session-token"
THERAPIST_TOKEN = "old-release-therapist-session-token"


def seed_sql(revision: str, today: date, password_hash: str) -> list[str]:
    """Rows an instance of release ``revision`` holds: a runner with check-ins, runs, a shoe,
    an import, plan days and events, reminders, a push subscription and a session; their
    therapist with a care link, invitation, access log and session. Literal SQL (no models:
    they describe the newest schema), the same text on SQLite and PostgreSQL."""
    d = lambda n: (today - timedelta(days=n)).isoformat()  # noqa: E731
    ts = lambda n, hm="07:30": f"{d(n)} {hm}:00.000000"  # noqa: E731
    sha = lambda token: hashlib.sha256(token.encode()).hexdigest()  # noqa: E731
    user_cols = ("id, email, password_hash, timezone, units, reminder_time, quiet_start, quiet_end, "
                 "pain_threshold, weekly_increase_pct, conditions, therapist, notification_detail, "
                 "created_at, password_changed_at, role, display_name")
    rows = [
        f"INSERT INTO users ({user_cols}) VALUES (1, 'old.runner@example.org', '{password_hash}', "
        f"'Europe/Berlin', 'km', '19:00:00', '22:00:00', '07:00:00', 3, 10.0, '[\"runners_knee\"]', NULL, "
        f"'generic', '{ts(40)}', '{ts(40)}', 'runner', 'Ana')",
        f"INSERT INTO users ({user_cols}) VALUES (2, 'dana@clinic.example.org', '{password_hash}', "
        f"'UTC', 'km', '19:00:00', NULL, NULL, 3, 10.0, '[]', NULL, 'generic', '{ts(39)}', '{ts(39)}', "
        f"'therapist', 'Dana Reyes, PT')",
        f"INSERT INTO sessions (id, user_id, csrf_token, created_at, last_seen_at) VALUES "
        f"('{sha(RUNNER_TOKEN)}', 1, 'runner-csrf', '{ts(0, '06:00')}', '{ts(0, '06:00')}'), "
        f"('{sha(THERAPIST_TOKEN)}', 2, 'therapist-csrf', '{ts(0, '06:00')}', '{ts(0, '06:00')}')",
        "INSERT INTO shoes (id, user_id, name, limit_m, retired, created_at) VALUES "
        f"(1, 1, 'Pegasus 40', 700000.0, FALSE, '{ts(30)}')",
        "INSERT INTO checkins (id, user_id, date, pain, morning_pain, location, side, swelling, fever, "
        "locking_or_giving_way, hard_to_straighten, note, answers, created_at, updated_at) VALUES "
        f"(1, 1, '{d(3)}', 2, 1, 'around_kneecap', 'left', FALSE, FALSE, FALSE, FALSE, 'stairs ok', '{{}}', '{ts(3)}', '{ts(3)}'), "
        f"(2, 1, '{d(2)}', 4, 3, 'around_kneecap', 'left', TRUE, FALSE, FALSE, FALSE, NULL, '{{}}', '{ts(2)}', '{ts(2)}'), "
        f"(3, 1, '{d(1)}', 1, 0, NULL, NULL, FALSE, FALSE, FALSE, FALSE, 'better', '{{}}', '{ts(1)}', '{ts(1)}')",
        "INSERT INTO imports (id, user_id, filename, kind, size_bytes, status, keep_file, stored_name, total, "
        "done, created, duplicates, skipped, failed, error, attempts, claimed_by, heartbeat_at, created_at, "
        "started_at, finished_at) VALUES (1, 1, 'morning.gpx', 'file', 48213, 'done', FALSE, NULL, 1, 1, 1, "
        f"0, 0, 0, NULL, 1, NULL, NULL, '{ts(5)}', '{ts(5)}', '{ts(5)}')",
        "INSERT INTO runs (id, uuid, user_id, date, distance_m, duration_s, pain_during, pain_after, "
        "pain_onset_m, surface, shoe_id, note, created_at, updated_at, source, device, elevation_gain_m, "
        "started_at, import_id) VALUES "
        f"(1, '6f1c2a8e-0000-4000-8000-000000000001', 1, '{d(5)}', 8012.5, 2890.0, 2, 3, 6000.0, 'road', "
        f"1, 'easy', '{ts(5)}', '{ts(5)}', 'gpx', 'Garmin Forerunner 245', 42.0, '{ts(5, '06:10')}', 1), "
        f"(2, '6f1c2a8e-0000-4000-8000-000000000002', 1, '{d(2)}', 5000.0, 1800.0, 3, 4, NULL, 'trail', "
        f"NULL, NULL, '{ts(2)}', '{ts(2)}', 'manual', NULL, NULL, NULL, NULL)",
        "INSERT INTO import_items (id, import_id, user_id, position, session, name, status, reason, run_uuid, "
        f"summary, created_at) VALUES (1, 1, 1, 0, 0, 'morning.gpx', 'created', NULL, "
        f"'6f1c2a8e-0000-4000-8000-000000000001', '{{\"distance_m\": 8012.5}}', '{ts(5)}')",
        "INSERT INTO plan_days (id, user_id, date, state, since, rest_days, cause_metric, cause_value, "
        "cause_threshold, clean_streak, last_clean, phase, phase_sessions, pending, pending_ref, last_session, "
        "carry_pain, last_morning, last_run, week, week_m, week_s, week_runs, week_normal, week_over, week_fast, "
        "baseline_m, baseline_week, speed_m, speed_s, speed_week, cap_m, week_cap_m, distance_pct, speed_pct, "
        "verdict, pains, notes, created_at) VALUES "
        f"(1, 1, '{d(2)}', 'rest', '{d(2)}', 1, 'pain', '4', '3', 0, '{d(3)}', 0, 0, NULL, NULL, NULL, 4, 3, "
        f"'{d(2)}', '{d(8)}', 13012.5, 4690.0, 2, TRUE, FALSE, FALSE, 20000.0, '{d(15)}', NULL, NULL, NULL, "
        f"0, 0, 12.5, NULL, 'stop', '[4]', '[]', '{ts(2)}')",
        "INSERT INTO plan_events (id, user_id, date, from_state, to_state, kind, metric, value, threshold, "
        f"detail, created_at) VALUES (1, 1, '{d(2)}', 'normal', 'rest', 'rest_started', 'pain', '4', '3', "
        f"'{{}}', '{ts(2)}')",
        "INSERT INTO care_invitations (id, user_id, code_hash, created_at, expires_at, used_at, therapist_id) "
        f"VALUES (1, 1, '{sha('invitation')}', '{ts(20)}', '{ts(13)}', '{ts(19)}', 2)",
        "INSERT INTO care_links (id, user_id, therapist_id, created_at, muted, alerts_seen_at, pain_threshold, "
        "weekly_increase_pct, speed_increase_pct, conditions, instruction, limits_updated_at) VALUES "
        f"(1, 1, 2, '{ts(19)}', FALSE, NULL, 4, 8.0, NULL, NULL, 'Flat routes only this month.', '{ts(18)}')",
        "INSERT INTO access_log (id, user_id, therapist_id, therapist_label, action, detail, at) VALUES "
        f"(1, 1, 2, 'Dana Reyes, PT <dana@clinic.example.org>', 'access_granted', '{{}}', '{ts(19)}')",
        "INSERT INTO reminders (id, user_id, kind, local_date, due_at, status, attempts, claimed_by, claimed_at, "
        "sent_at, last_status, last_error, context, created_at, subject_id) VALUES "
        f"(1, 1, 'checkin', '{d(1)}', '{ts(1, '17:00')}', 'sent', 1, NULL, NULL, '{ts(1, '17:00')}', 201, NULL, "
        f"'{{}}', '{ts(1, '16:59')}', 1)",
        "INSERT INTO push_subscriptions (id, user_id, endpoint, p256dh, auth, created_at, last_success_at, "
        f"last_error) VALUES (1, 1, 'https://push.example.org/send/abc', 'BPp256dh', 'authsecret', '{ts(30)}', "
        f"'{ts(1, '17:00')}', NULL)",
    ]
    if revision >= "0006":
        rows += [
            "INSERT INTO worker_heartbeats (worker, started_at, beat_at, interval_s) VALUES "
            f"('host-1:4242', '{ts(0, '05:00')}', '{ts(0, '06:00')}', 60)",
            "INSERT INTO rate_limit_counters (key, hits, expires_at) VALUES ('LIMITER/login/127.0.0.1', 2, 1.0)",
        ]
    return rows


SEEDED = {"users": 2, "sessions": 2, "shoes": 1, "checkins": 3, "imports": 1, "runs": 2, "import_items": 1,
          "plan_days": 1, "plan_events": 1, "care_invitations": 1, "care_links": 1, "access_log": 1,
          "reminders": 1, "push_subscriptions": 1}


@pytest.mark.parametrize("revision", PREVIOUS_HEADS)
def test_upgrade_of_a_populated_older_release_keeps_every_row(empty_app, revision):
    from strideguard.accounts.passwords import hash_password

    with empty_app.app_context():
        upgrade(revision=revision)
        today = datetime.now(ZoneInfo("Europe/Berlin")).date()
        for statement in seed_sql(revision, today, hash_password("knee-safe-42x")):
            db.session.execute(text(statement))
        db.session.commit()
        expected = dict(SEEDED, **({"worker_heartbeats": 1, "rate_limit_counters": 1} if revision >= "0006" else {}))
        before = {table: db.session.execute(text(f"SELECT * FROM {table} ORDER BY 1")).mappings().all()
                  for table in expected}
        if db.engine.dialect.name == "postgresql":  # explicit ids: move the sequences on as a release did
            for table in expected:
                if isinstance(before[table][0].get("id"), int):
                    db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                            f"(SELECT max(id) FROM {table}))"))
            db.session.commit()
        db.session.remove()

        upgrade()  # to head, whatever the newest migration is
        assert MigrationContext.configure(db.engine.connect()).get_current_heads() == \
            tuple(ScriptDirectory(empty_app.extensions["migrate"].directory).get_heads())
        for table, count in expected.items():
            after = db.session.execute(text(f"SELECT * FROM {table} ORDER BY 1")).mappings().all()
            assert len(after) == count, table
            for old, new in zip(before[table], after):
                assert {k: v for k, v in new.items() if k in old} == dict(old), table
        db.session.remove()

    # The app reads the old rows through an old session cookie, and writes beside them.
    client = empty_app.test_client()
    client.set_cookie("sg_session", RUNNER_TOKEN)
    checkins = client.get("/api/v1/checkins")
    assert checkins.status_code == 200, checkins.get_json()
    assert sorted((c["date"], c["pain"], c["note"], c["swelling"]) for c in checkins.get_json()) == [
        ((today - timedelta(days=n)).isoformat(), pain, note, swelling)
        for n, pain, note, swelling in ((3, 2, "stairs ok", False), (2, 4, None, True), (1, 1, "better", False))
    ]
    runs = client.get("/api/v1/runs").get_json()
    assert sorted(r["distance_m"] for r in runs) == [5000.0, 8012.5]
    assert client.get("/api/v1/shoes").get_json()[0]["name"] == "Pegasus 40"
    assert client.get("/api/v1/guidance").status_code == 200
    exported = client.get("/api/v1/export")
    assert exported.status_code == 200 and len(exported.get_json()["checkins"]) == 3
    written = client.put(f"/api/v1/checkins/{today.isoformat()}", json={"pain": 0},
                         headers={"X-CSRF-Token": "runner-csrf"})
    assert written.status_code == 201, written.get_json()
    shoe = client.post("/api/v1/shoes", json={"name": "Spare pair"}, headers={"X-CSRF-Token": "runner-csrf"})
    assert shoe.status_code == 201, shoe.get_json()  # the sequences continue after the old ids

    therapist = empty_app.test_client()
    therapist.set_cookie("sg_session", THERAPIST_TOKEN)
    patients = therapist.get("/api/v1/clinic/patients")
    assert patients.status_code == 200, patients.get_json()
    assert "old.runner@example.org" in patients.get_data(as_text=True)
    login = empty_app.test_client().post("/api/v1/auth/login",
                                         json={"email": "old.runner@example.org", "password": "knee-safe-42x"})
    assert login.status_code == 200, login.get_json()
