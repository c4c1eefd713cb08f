"""A Garmin strength workout imported through POST /imports, on SQLite and PostgreSQL: its
sets of exercises in the runner's programme fill one exercise session on the workout's local
date, exactly once; what is not logged is said; it never becomes a run.

The file (``garmin-fr965-bike-then-strength.fit``, a real Forerunner 965 recording) holds an
indoor ride, then a strength session started 2025-10-20 10:21:30 UTC whose 41 active sets
the watch guessed as, among others, six plain squats (6×20 kg, 6×20 kg, 8×131 kg, 12 at body
weight, 8×60 kg, 8×60 kg) and one lunge (12×15 kg): fitdecode's reading, in
``tests/unit/test_strength_fit.py``. By the table of ``rehab.garmin`` those are the library's
mini squat and split squat; the other 34 sets are unknown to the watch (10) or the library (24).
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select, update

from strideguard.extensions import db
from strideguard.rehab.models import ExerciseSession, Programme
from tests.conftest import Runner, linked
from tests.imports.support import fixture, import_file

pytestmark = pytest.mark.database  # its behaviour depends on the database: make test-fast runs its PostgreSQL variant too

API = "/api/v1"
FILE = "garmin-fr965-bike-then-strength.fit"
#: 10:21 UTC on 20 Oct is already 00:21 on 21 Oct in Kiritimati (UTC+14): the runner's zone dates it.
ZONE = "Pacific/Kiritimati"
DAY = date(2025, 10, 21)


def prescribe(app, therapist, runner, exercises: list[str]) -> None:
    """A programme of ``exercises``, dated back to before the workout. The API lets a therapist
    date a programme back 90 days; the file is older than that, so the test moves the start in
    the database (what matters here is that the programme is in force on the workout's date)."""
    items = [{"exercise": key, "per_week": 2} for key in exercises]
    response = therapist.put(f"{API}/clinic/patients/{runner.user['id']}/programme", json={"items": items})
    assert response.status_code == 200, response.get_json()
    with app.app_context():
        db.session.execute(update(Programme).where(Programme.user_id == runner.user["id"])
                           .values(starts_on=date(2025, 10, 1), effective_from=date(2025, 10, 1)))
        db.session.commit()


def sessions(runner) -> list[dict]:
    response = runner.get(f"{API}/exercise-sessions?from={DAY.isoformat()}&to={DAY.isoformat()}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def session_count(app, runner) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(ExerciseSession)
                                  .where(ExerciseSession.user_id == runner.user["id"])).scalar_one()


def runs(runner) -> list[dict]:
    return runner.get(f"{API}/export").get_json()["runs"]


def by_session(body: dict) -> dict[int, dict]:
    return {f["session"]: f for f in body["files"]}


def test_the_sets_fill_a_session_of_the_programme_once_and_never_a_run(app, monkeypatch):
    from strideguard import afterwrite

    runner, therapist = linked(app, Runner(app, timezone=ZONE))
    prescribe(app, therapist, runner, ["core.glute_bridge", "core.mini_squat", "core.split_squat"])
    calls = []
    real = afterwrite.after_write
    monkeypatch.setattr(afterwrite, "after_write", lambda user, day, *a, **k: calls.append(day) or real(user, day, *a, **k))

    body = import_file(runner, FILE, fixture(FILE))
    assert calls == [DAY]  # the import's one after-write path, from the session's date
    assert body["status"] == "done"
    ride, strength = by_session(body)[0], by_session(body)[1]
    assert ride["status"] == "skipped" and ride["reason"].startswith("Not a run (cycling)")
    assert strength["status"] == "created", strength
    assert strength["run_id"] is None
    assert strength["reason"] == (
        "Exercise session of Tue 21 Oct 2025: 2 exercises, 7 sets (Mini squat, Split squat). "
        "Not logged: 10 sets the watch did not recognise; 24 sets of exercises not in StrideGuard's library.")
    summary = strength["summary"]["strength"]
    assert summary["sets"] == 41
    assert summary["logged"] == [{"exercise": "core.mini_squat", "name": "Mini squat", "sets": 6},
                                 {"exercise": "core.split_squat", "name": "Split squat", "sets": 1}]
    assert summary["not_in_programme"] == []
    assert {"garmin": "deadlift: barbell deadlift", "sets": 5} in summary["not_in_library"]
    assert sum(u["sets"] for u in summary["not_in_library"]) == 34

    [session] = sessions(runner)
    assert session["uuid"] == summary["session_uuid"]
    assert session["date"] == DAY.isoformat() and session["general"] is False and session["version"] == 1
    entries = {e["exercise"]: e for e in session["entries"]}
    assert set(entries) == {"core.mini_squat", "core.split_squat"}
    squat = entries["core.mini_squat"]["sets"]
    assert [(s["reps"], s["load_kg"]) for s in squat] == [(6, 20.0), (6, 20.0), (8, 131.0), (12, None),
                                                          (8, 60.0), (8, 60.0)]
    assert all(s["seconds"] > 0 for s in squat)
    assert [(s["reps"], s["load_kg"], s["seconds"]) for s in entries["core.split_squat"]["sets"]] == [(12, 15.0, 28)]
    assert entries["core.mini_squat"]["pain"] is None  # the watch knows no pain: no caution, no alert
    assert runs(runner) == []  # neither the ride nor the strength workout is a run

    # The day's exercises count it: the prescribed mini squat and split squat are done that day.
    today = runner.get(f"{API}/me/programme/today?date={DAY.isoformat()}")
    assert today.status_code == 200, today.get_json()
    done = {i["exercise"]: i["done"] for i in today.get_json()["items"]}
    assert done == {"core.glute_bridge": False, "core.mini_squat": True, "core.split_squat": True}
    assert today.get_json()["session_uuid"] == session["uuid"]

    # The same file again: still one session, the item says it was imported before.
    again = import_file(runner, FILE, fixture(FILE))
    assert by_session(again)[1]["status"] == "duplicate"
    assert by_session(again)[1]["reason"] == "Already imported (your exercise session of Tue 21 Oct 2025)."
    assert session_count(app, runner) == 1
    assert [s["uuid"] for s in sessions(runner)] == [session["uuid"]]
    assert runs(runner) == []
    assert calls == [DAY]  # nothing new was written: no replay


def test_nothing_is_logged_for_exercises_outside_the_programme_and_the_item_says_why(app):
    runner, therapist = linked(app, Runner(app, timezone=ZONE))
    prescribe(app, therapist, runner, ["core.glute_bridge", "core.clamshell"])
    body = import_file(runner, FILE, fixture(FILE))
    strength = by_session(body)[1]
    assert strength["status"] == "skipped"
    assert strength["reason"] == (
        "Strength training: no exercise session logged. Not logged: 7 sets of exercises not in your programme "
        "on Tue 21 Oct 2025; 10 sets the watch did not recognise; 24 sets of exercises not in StrideGuard's library.")
    summary = strength["summary"]["strength"]
    assert summary["session_uuid"] is None and summary["logged"] == []
    assert summary["not_in_programme"] == [{"exercise": "core.mini_squat", "sets": 6},
                                           {"exercise": "core.split_squat", "sets": 1}]
    assert session_count(app, runner) == 0 and sessions(runner) == []
    assert runs(runner) == []


def test_without_a_programme_only_the_general_set_counts(app):
    # No therapist: the general starter set of runner's knee holds neither exercise.
    runner = Runner(app, timezone=ZONE)
    body = import_file(runner, FILE, fixture(FILE))
    strength = by_session(body)[1]
    assert strength["status"] == "skipped"
    assert "7 sets of exercises not in your starter exercises on Tue 21 Oct 2025" in strength["reason"]
    assert session_count(app, runner) == 0 and runs(runner) == []


def test_a_session_the_runner_edited_is_not_overwritten_by_a_second_import(app):
    runner, therapist = linked(app, Runner(app, timezone=ZONE))
    prescribe(app, therapist, runner, ["core.mini_squat", "core.split_squat"])
    import_file(runner, FILE, fixture(FILE))
    [session] = sessions(runner)
    # The runner adds the pain they felt (and drops a set) to the imported session.
    edited = {"date": DAY.isoformat(), "note": "Knee fine.", "entries": [
        {"exercise": "core.mini_squat", "sets": [{"reps": 6, "load_kg": 20}], "pain": 2},
        {"exercise": "core.split_squat", "sets": [{"reps": 12, "load_kg": 15}], "pain": 1}]}
    response = runner.put(f"{API}/exercise-sessions/{session['uuid']}", json=edited)
    assert response.status_code == 200, response.get_json()
    again = import_file(runner, FILE, fixture(FILE))
    assert by_session(again)[1]["status"] == "duplicate"
    [after] = sessions(runner)
    assert after["note"] == "Knee fine."
    assert [(e["exercise"], len(e["sets"]), e["pain"]) for e in after["entries"]] == [
        ("core.mini_squat", 1, 2), ("core.split_squat", 1, 1)]


def test_sets_over_a_sessions_limit_per_exercise_are_counted_not_logged(app, monkeypatch):
    # A logged session holds at most 20 sets of one exercise; with a limit of 2 the six squats overflow.
    monkeypatch.setattr("strideguard.imports.processing.MAX_SETS_PER_EXERCISE", 2)
    runner, therapist = linked(app, Runner(app, timezone=ZONE))
    prescribe(app, therapist, runner, ["core.mini_squat", "core.split_squat"])
    strength = by_session(import_file(runner, FILE, fixture(FILE)))[1]
    assert strength["status"] == "created"
    assert strength["reason"].startswith("Exercise session of Tue 21 Oct 2025: 2 exercises, 3 sets (Mini squat, Split squat).")
    assert "4 sets over 2 of one exercise" in strength["reason"]
    [session] = sessions(runner)
    assert [(e["exercise"], len(e["sets"])) for e in session["entries"]] == [("core.mini_squat", 2), ("core.split_squat", 1)]
