"""Stored guidance (``GET /guidance`` served from ``stored_guidance``): the stored answer is
always what computing it now would give — after random edits through the API and writes that
bypass it — and a stale or plugin-shaped answer is never served. Both databases.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from strideguard import hookimpl
from strideguard.accounts.models import User
from strideguard.extensions import db
from strideguard.guidance import service
from strideguard.guidance.schemas import GuidanceSchema
from strideguard.timeutil import utcnow
from tests.conftest import Runner, linked

pytestmark = pytest.mark.database  # its behaviour depends on the database: make test-fast runs its PostgreSQL variant too

GUIDANCE = "/api/v1/guidance"
#: Every table migration 0007 puts a trigger on, with the runner column.
TRIGGER_TABLES = ("checkins", "runs", "shoes", "plan_days", "plan_events", "care_links",
                  "programmes", "exercise_entries")


def today() -> date:
    return utcnow().date()


def computed(app, user_id: int, day: date) -> dict:
    """The guidance computed now, bypassing what is stored (the oracle)."""
    with app.app_context():
        user = db.session.get(User, user_id)
        body = app.json.dumps(GuidanceSchema().dump(service.guidance_for(user, day).to_dict()))
        db.session.commit()
        return json.loads(body)


def served(runner: Runner, day: date | None = None) -> dict:
    response = runner.get(GUIDANCE + (f"?date={day.isoformat()}" if day else ""))
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "application/json"
    return response.get_json()


def scalar(app, sql: str, **params):
    with app.app_context():
        value = db.session.execute(text(sql), params).scalar()
        db.session.commit()
        return value


def execute(app, sql: str, **params) -> None:
    with app.app_context():
        db.session.execute(text(sql), params)
        db.session.commit()


def rev_of(app, user_id: int) -> int:
    return scalar(app, "SELECT guidance_rev FROM users WHERE id = :u", u=user_id)


def test_a_repeated_get_is_served_as_stored_until_the_runner_changes_something(app, runner):
    uid = runner.user["id"]
    runner.put(f"/api/v1/checkins/{today()}", json={"pain": 2, "location": "outside"})
    first = served(runner)
    assert scalar(app, "SELECT count(*) FROM stored_guidance WHERE user_id = :u", u=uid) == 1
    # Prove the second answer comes from the table: mark the stored body, read it back.
    marked = {**first, "status": "marked"}
    with app.app_context():
        db.session.execute(text("UPDATE stored_guidance SET body = :b WHERE user_id = :u"),
                           {"b": json.dumps(marked), "u": uid})
        db.session.commit()
    assert served(runner)["status"] == "marked"
    # Any change the guidance depends on raises the rev: computed again, and right.
    runner.put(f"/api/v1/checkins/{today()}", json={"pain": 6, "location": "outside"})
    after = served(runner)
    assert after["status"] != "marked"
    assert after == computed(app, uid, today())
    assert any(r["metric"] == "pain" and r["value"] == 6 for a in after["advice"] for r in a["reasons"])


@pytest.mark.parametrize("table", TRIGGER_TABLES)
def test_every_write_to_a_table_guidance_reads_raises_the_runners_rev(app, table):
    runner, therapist = linked(app)
    uid = runner.user["id"]
    # Pain 6 moves the plan (a plan event); a run in shoes; the therapist's limits.
    runner.put(f"/api/v1/checkins/{today()}", json={"pain": 6, "location": "outside"})
    therapist.put(f"/api/v1/clinic/patients/{uid}/limits", json={"pain_threshold": 4})
    runner.put(f"/api/v1/runs/{uuid.uuid4()}", json={"date": today().isoformat(), "distance_m": 5000.0,
                                                     "duration_s": 1800.0, "pain_during": 1})
    runner.post("/api/v1/shoes", json={"name": "Daily"})
    # An exercise programme and a logged session (the plan reads both: minimum adherence,
    # the knee after exercises).
    assert therapist.put(f"/api/v1/clinic/patients/{uid}/programme", json={"items": [
        {"exercise": "core.glute_bridge", "per_week": 3}]}).status_code == 200
    assert runner.put(f"/api/v1/exercise-sessions/{uuid.uuid4()}", json={"date": today().isoformat(), "entries": [
        {"exercise": "core.glute_bridge", "sets": [{"reps": 10}], "pain": 1}]}).status_code == 201
    other = Runner(app)
    other_rev = rev_of(app, other.user["id"])
    with app.app_context():  # raw SQL: no ORM, no service, nothing that could remember to bump
        columns = {r[0] for r in db.session.execute(text(
            "SELECT column_name FROM information_schema.columns WHERE table_name = :t"), {"t": table})} \
            if db.engine.dialect.name == "postgresql" else \
            {r[1] for r in db.session.execute(text(f"PRAGMA table_info({table})"))}
        db.session.commit()
    touch = next(c for c in ("updated_at", "name", "pain", "distance_m", "note", "verdict", "kind", "created_at",
                             "limits_updated_at") if c in columns)
    assert scalar(app, f"SELECT count(*) FROM {table} WHERE user_id = :u", u=uid) >= 1
    before = rev_of(app, uid)
    execute(app, f"UPDATE {table} SET {touch} = {touch} WHERE user_id = :u", u=uid)
    updated = rev_of(app, uid)
    assert updated > before
    execute(app, f"DELETE FROM {table} WHERE user_id = :u", u=uid)
    assert rev_of(app, uid) > updated
    assert rev_of(app, other.user["id"]) == other_rev  # another runner's stored answer stays


def test_a_profile_change_raises_the_rev_and_a_rev_write_does_not_count_twice(app, runner):
    uid = runner.user["id"]
    before = rev_of(app, uid)
    assert runner.patch("/api/v1/me", json={"pain_threshold": 2}).status_code == 200
    changed = rev_of(app, uid)
    assert changed > before
    execute(app, "UPDATE users SET display_name = 'Sam' WHERE id = :u", u=uid)
    assert rev_of(app, uid) == changed + 1
    execute(app, "UPDATE users SET guidance_rev = guidance_rev + 1 WHERE id = :u", u=uid)
    assert rev_of(app, uid) == changed + 2


def test_a_therapists_new_name_reaches_their_patients_answers(app):
    runner, therapist = linked(app)
    other = Runner(app)
    therapist.put(f"/api/v1/clinic/patients/{runner.user['id']}/limits",
                  json={"pain_threshold": 4, "instruction": "Keep it easy this week."})
    served(runner)
    before, other_before = rev_of(app, runner.user["id"]), rev_of(app, other.user["id"])
    assert therapist.patch("/api/v1/me", json={"display_name": "Dr Kim"}).status_code == 200
    assert rev_of(app, runner.user["id"]) > before
    assert rev_of(app, other.user["id"]) == other_before
    assert served(runner) == computed(app, runner.user["id"], today())


def test_an_answer_read_before_a_change_is_never_served_after_it(app, runner):
    """The race: a request reads rev R, a change commits (R+1), the request stores what it
    computed from the older data under R. It is not served; nor does it replace a newer one."""
    from strideguard.guidance import stored

    uid = runner.user["id"]
    served(runner)
    rev = rev_of(app, uid)
    runner.put(f"/api/v1/checkins/{today()}", json={"pain": 7, "location": "outside"})
    assert rev_of(app, uid) > rev
    with app.app_context():
        key = stored.key_of(service.host())
        stored._store(uid, today(), rev, key, json.dumps({"status": "stale"}))
    assert served(runner)["status"] != "stale"
    newer = scalar(app, "SELECT rev FROM stored_guidance WHERE user_id = :u", u=uid)
    assert newer == rev_of(app, uid)
    with app.app_context():
        stored._store(uid, today(), rev, key, json.dumps({"status": "stale"}))  # older: ignored
    assert scalar(app, "SELECT rev FROM stored_guidance WHERE user_id = :u", u=uid) == newer
    assert served(runner)["status"] != "stale"


def test_only_today_and_yesterday_are_stored_and_older_answers_are_dropped(app, runner):
    uid = runner.user["id"]
    old = today() - timedelta(days=5)
    execute(app, "INSERT INTO stored_guidance (user_id, date, rev, key, body, created_at) "
                 "VALUES (:u, :d, 0, 'k', '{}', :c)", u=uid, d=old, c=utcnow())
    served(runner, today() - timedelta(days=3))  # computed, not stored
    assert scalar(app, "SELECT count(*) FROM stored_guidance WHERE date = :d", d=today() - timedelta(days=3)) == 0
    served(runner, today() - timedelta(days=1))
    served(runner)
    days = {row for row in _dates(app, uid)}
    assert days == {today(), today() - timedelta(days=1)}  # the 5-day-old row went


def test_a_failed_store_still_answers_and_keeps_nothing_half_written(app, runner):
    """A real database error on the store (a trigger refusing the insert): the runner gets
    the computed answer, nothing is stored; once the database takes writes, it is."""
    uid = runner.user["id"]
    runner.put(f"/api/v1/checkins/{today()}", json={"pain": 5, "location": "outside"})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("CREATE FUNCTION sg_test_refuse() RETURNS trigger LANGUAGE plpgsql AS "
                                    "$$ BEGIN RAISE EXCEPTION 'disk full'; END $$"))
            db.session.execute(text("CREATE TRIGGER sg_test_refuse BEFORE INSERT ON stored_guidance "
                                    "FOR EACH ROW EXECUTE FUNCTION sg_test_refuse()"))
        else:
            db.session.execute(text("CREATE TRIGGER sg_test_refuse BEFORE INSERT ON stored_guidance "
                                    "BEGIN SELECT RAISE(ABORT, 'disk full'); END"))
        db.session.commit()
    try:
        assert served(runner) == computed(app, uid, today())
        assert scalar(app, "SELECT count(*) FROM stored_guidance") == 0
    finally:
        with app.app_context():
            db.session.execute(text("DROP TRIGGER sg_test_refuse" + (
                " ON stored_guidance" if db.engine.dialect.name == "postgresql" else "")))
            if db.engine.dialect.name == "postgresql":
                db.session.execute(text("DROP FUNCTION sg_test_refuse()"))
            db.session.commit()
    assert served(runner) == computed(app, uid, today())
    assert scalar(app, "SELECT count(*) FROM stored_guidance") == 1


def _dates(app, uid: int) -> list[date]:
    with app.app_context():
        rows = db.session.execute(text("SELECT date FROM stored_guidance WHERE user_id = :u"), {"u": uid}).scalars()
        return [d if isinstance(d, date) else date.fromisoformat(d) for d in rows]


class _FailsOnce:
    def __init__(self) -> None:
        self.calls = 0

    @hookimpl
    def strideguard_assess(self, snapshot):
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("flaky plugin")
        return [{"id": "flaky.hello", "action": "info", "severity": "info",
                 "title": "Hello", "message": "The plugin answered."}]


def test_an_answer_a_plugin_failure_shaped_is_not_stored(app, runner):
    with app.app_context():
        service.host().register(_FailsOnce(), "flaky", "1.0")
    first = served(runner)
    assert "flaky.hello" not in {a["id"] for a in first["advice"]}
    assert scalar(app, "SELECT count(*) FROM stored_guidance") == 0
    second = served(runner)  # computed again: this time the plugin answered, and it is stored
    assert "flaky.hello" in {a["id"] for a in second["advice"]}
    assert scalar(app, "SELECT count(*) FROM stored_guidance") == 1
    assert served(runner) == second


def test_a_plugin_status_change_makes_the_stored_answer_stale(app, runner):
    with app.app_context():
        host = service.host()
        host.register(_Says(), "says", "1.0")
    assert "says.hi" in {a["id"] for a in served(runner)["advice"]}
    with app.app_context():
        service.host()._records["says"].status = "disabled"
    assert "says.hi" not in {a["id"] for a in served(runner)["advice"]}


class _Says:
    @hookimpl
    def strideguard_assess(self, snapshot):
        return [{"id": "says.hi", "action": "info", "severity": "info", "title": "Hi", "message": "Hi."}]


def _random_step(rnd: random.Random, app, runner: Runner, therapist, state: dict) -> str:
    """One random change, through the API or around it; returns what it did (for the message)."""
    day = today() - timedelta(days=rnd.randrange(0, 10))
    choice = rnd.randrange(12)
    if choice == 0:
        runner.put(f"/api/v1/checkins/{day}", json={"pain": rnd.randrange(0, 9), "location": "outside",
                                                    "swelling": rnd.random() < 0.1})
        return f"check-in {day}"
    if choice == 1:
        run_id = str(uuid.uuid4())
        state["runs"].append(run_id)
        runner.put(f"/api/v1/runs/{run_id}", json={"date": day.isoformat(), "distance_m": rnd.uniform(2000, 16000),
                                                  "duration_s": rnd.uniform(700, 6000), "pain_during": rnd.randrange(0, 6),
                                                  "shoe_id": rnd.choice(state["shoes"] or [None])})
        return f"run {day}"
    if choice == 2 and state["runs"]:
        runner.delete(f"/api/v1/runs/{state['runs'].pop(rnd.randrange(len(state['runs'])))}")
        return "delete a run"
    if choice == 3:
        runner.delete(f"/api/v1/checkins/{day}")
        return f"delete check-in {day}"
    if choice == 4:
        shoe = runner.post("/api/v1/shoes", json={"name": f"Pair {len(state['shoes'])}",
                                                  "limit_m": rnd.choice([30_000.0, 800_000.0])}).get_json()
        state["shoes"].append(shoe["id"])
        return "new shoes"
    if choice == 5 and state["shoes"]:
        runner.patch(f"/api/v1/shoes/{rnd.choice(state['shoes'])}", json={"retired": rnd.random() < 0.5,
                                                                          "limit_m": rnd.choice([20_000.0, 900_000.0])})
        return "edit shoes"
    if choice == 6:
        runner.patch("/api/v1/me", json={"pain_threshold": rnd.randrange(2, 6),
                                         "weekly_increase_pct": rnd.choice([5.0, 10.0, 15.0])})
        return "profile"
    if choice == 7:
        therapist.put(f"/api/v1/clinic/patients/{runner.user['id']}/limits",
                      json={"pain_threshold": rnd.randrange(2, 6)})
        return "therapist limits"
    if choice == 8:  # around the API: Core SQL on the check-ins table
        if not scalar(app, "SELECT count(*) FROM checkins WHERE user_id = :u AND date = :d", u=runner.user["id"], d=today()):
            runner.put(f"/api/v1/checkins/{today()}", json={"pain": 1, "location": "outside"})
            served(runner)  # stored, so that the raw write below must make it stale
        swelling = scalar(app, "SELECT swelling FROM checkins WHERE user_id = :u AND date = :d",
                          u=runner.user["id"], d=today())
        execute(app, "UPDATE checkins SET swelling = :s, pain = :p WHERE user_id = :u AND date = :d",
                s=not swelling, p=rnd.randrange(0, 9), u=runner.user["id"], d=today())
        return "raw check-in update (swelling toggled)"
    if choice == 9:  # around the API: a run straight into the table
        with app.app_context():
            db.session.execute(text(
                "INSERT INTO runs (uuid, user_id, date, distance_m, duration_s, surface, source, created_at, updated_at) "
                "VALUES (:id, :u, :d, :m, :s, 'road', 'manual', :c, :c)"),
                {"id": str(uuid.uuid4()), "u": runner.user["id"], "d": day, "m": rnd.uniform(2000, 30000),
                 "s": 3000.0, "c": utcnow()})
            db.session.commit()
        return f"raw run {day}"
    if choice == 10:
        therapist.patch("/api/v1/me", json={"display_name": rnd.choice(["Dr Kim", "Alex", None])})
        return "therapist's name"
    runner.patch("/api/v1/me", json={"conditions": rnd.choice([[], ["patellofemoral"], ["itbs"]])})
    return "conditions"


def test_stored_answers_equal_computed_ones_after_random_changes(app):
    runner, therapist = linked(app)
    uid = runner.user["id"]
    rnd = random.Random(13)
    state: dict = {"runs": [], "shoes": []}
    for step in range(45):
        did = _random_step(rnd, app, runner, therapist, state)
        for day in (today(), today() - timedelta(days=rnd.choice([1, 1, 4]))):
            first = served(runner, day)   # computed (and stored) or served
            again = served(runner, day)   # served as stored
            oracle = computed(app, uid, day)
            assert first == oracle, f"step {step} ({did}), {day}: stale answer"
            assert again == oracle, f"step {step} ({did}), {day}: stale stored answer"
    assert scalar(app, "SELECT count(*) FROM stored_guidance WHERE user_id = :u", u=uid) >= 2
