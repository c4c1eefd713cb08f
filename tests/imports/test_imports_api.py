"""POST/GET /imports on SQLite and PostgreSQL: a Strava-style export imported twice gives
the same runs once, duplicates of typed runs are flagged, hostile archives fail per file,
guidance is recomputed once, and another runner's import is not found."""

from __future__ import annotations

import io
import uuid
import zipfile
from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import func, select

from strideguard.extensions import db
from strideguard.imports.models import Import
from strideguard.reminders.models import Reminder
from tests.conftest import Runner
from tests.imports.support import STRAVA_FILES, fixture, gpx_run, import_file, strava_export, upload, wait_done
from tests.support.envelope import assert_error

pytestmark = pytest.mark.database  # its behaviour depends on the database: make test-fast runs its PostgreSQL variant too

RUN_FILES = [name for name, kind, _ in STRAVA_FILES if kind == "Run"]


def runs_of(runner) -> list[dict]:
    """Every run of the runner (the export: GET /runs spans at most 400 days, the corpus 12 years)."""
    return runner.get("/api/v1/export").get_json()["runs"]


def statuses(body: dict) -> dict[str, str]:
    return {f["file"]: f["status"] for f in body["files"]}


def test_strava_export_imported_twice_gives_the_same_runs_once(app, runner):
    first = import_file(runner, "export_12345.zip", strava_export())
    assert first["status"] == "done" and first["kind"] == "zip"
    assert (first["total"], first["done"], first["created"]) == (8, 8, 5)
    assert first["skipped"] == 3 and first["failed"] == 0 and first["progress_pct"] == 100
    by_file = {f["file"]: f for f in first["files"]}
    assert by_file["activities/1005.fit.gz"]["reason"] == "Not a run (cycling): only runs are imported."
    assert "hand on Strava" in by_file["Strava activity 2000"]["reason"]
    runs = runs_of(runner)
    assert len(runs) == 5
    assert sorted(r["source"] for r in runs) == ["fit", "fit", "fit", "gpx", "tcx"]
    fenix = next(r for r in runs if r["device"] == "Garmin fenix2")
    assert fenix["date"] == "2015-08-15" and fenix["distance_m"] == pytest.approx(9008.22, abs=0.01)
    assert fenix["duration_s"] == pytest.approx(2832.0) and fenix["elevation_gain_m"] == 64.0
    assert fenix["started_at"].startswith("2015-08-15T14:45:08") and fenix["import_id"] == first["id"]

    second = import_file(runner, "export_12345.zip", strava_export())
    assert (second["created"], second["duplicates"], second["skipped"]) == (0, 5, 3)
    assert {f["status"] for f in second["files"] if f["file"].startswith("activities/10") and
            f["status"] != "skipped"} == {"duplicate"}
    assert sorted(r["uuid"] for r in runs_of(runner)) == sorted(r["uuid"] for r in runs)


def test_an_imported_run_moved_to_another_date_drops_the_watchs_start(app, runner):
    # Found trying it: a run moved to 30 Nov kept its start of 29 Nov 22:50 UTC (29 Nov in Berlin).
    import_file(runner, "export_12345.zip", strava_export())
    fenix = next(r for r in runs_of(runner) if r["device"] == "Garmin fenix2")
    body = {k: fenix[k] for k in ("distance_m", "duration_s")}
    kept = runner.put(f"/api/v1/runs/{fenix['uuid']}", json={**body, "date": "2015-08-15", "note": "easy"})
    assert kept.status_code == 200 and kept.get_json()["run"]["started_at"].startswith("2015-08-15T14:45:08")
    moved = runner.put(f"/api/v1/runs/{fenix['uuid']}", json={**body, "date": "2015-08-16"})
    assert moved.status_code == 200
    run = moved.get_json()["run"]
    assert (run["date"], run["started_at"], run["source"], run["device"]) == ("2015-08-16", None, "fit", "Garmin fenix2")
    assert next(r for r in runs_of(runner) if r["uuid"] == fenix["uuid"])["started_at"] is None


def test_a_deleted_imported_run_is_not_brought_back_by_importing_again_without_asking(app, runner):
    # Found trying it: a ride taken for a run was deleted; the next (cumulative) export brought
    # it back, and its +63% week with it.
    first = import_file(runner, "export_12345.zip", strava_export())
    fenix = next(r for r in runs_of(runner) if r["device"] == "Garmin fenix2")
    assert runner.delete(f"/api/v1/runs/{fenix['uuid']}").status_code == 204
    again = import_file(runner, "export_12345.zip", strava_export())
    [held] = [f for f in again["files"] if f["status"] == "needs_answer"]
    assert held["reason"].startswith("You deleted this run (of Sat 15 Aug 2015) on ") and held["run_id"] is None
    assert (again["created"], again["duplicates"], again["held"]) == (0, 4, 1)
    assert fenix["uuid"] not in {r["uuid"] for r in runs_of(runner)}
    # "Skip" keeps it out; answered "run" on a later import, it is back under its own id.
    url = f"/api/v1/imports/{again['id']}/files/{held['id']}/answer"
    assert runner.post(url, json={"answer": "skip"}).get_json()["file"]["status"] == "skipped"
    third = import_file(runner, "export_12345.zip", strava_export())
    [held] = [f for f in third["files"] if f["status"] == "needs_answer"]
    back = runner.post(f"/api/v1/imports/{third['id']}/files/{held['id']}/answer", json={"answer": "run"})
    assert back.get_json()["file"]["status"] == "created" and back.get_json()["file"]["run_id"] == fenix["uuid"]
    fourth = import_file(runner, "export_12345.zip", strava_export())
    assert (fourth["created"], fourth["duplicates"], fourth["held"]) == (0, 5, 0)
    assert first["created"] == 5


def test_a_deleted_typed_run_leaves_nothing_behind(app, runner):
    typed = "0b6f6c2e-3c1d-4a51-9a7e-2f8d5f0c9b11"
    runner.put(f"/api/v1/runs/{typed}", json={"date": "2013-02-06", "distance_m": 4900, "duration_s": 2600})
    assert runner.delete(f"/api/v1/runs/{typed}").status_code == 204
    assert runner.get("/api/v1/export").get_json()["deleted_runs"] == []


def test_two_file_parts_in_one_upload_are_refused_not_half_imported(app, runner):
    # Found trying it: the second part was left out without a word.
    data = {"file": [(io.BytesIO(fixture("garmin-fr110-run.fit")), "a.fit"),
                     (io.BytesIO(fixture("forerunner410-run.tcx")), "b.tcx")]}
    response = runner.client.post("/api/v1/imports", data=data, headers={"X-CSRF-Token": runner.csrf},
                                  content_type="multipart/form-data")
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"file": ["Send one file per import: put several files in one zip."]}
    assert runner.get("/api/v1/imports").get_json() == [] and runs_of(runner) == []


def test_the_runners_zone_decides_the_date(app):
    # 21:29 UTC on 26 Dec is already 27 Dec in Auckland.
    kiwi = Runner(app, timezone="Pacific/Auckland")
    body = import_file(kiwi, "run.tcx", fixture("forerunner410-run.tcx"))
    assert body["created"] == 1
    assert [r["date"] for r in runs_of(kiwi)] == ["2012-12-27"]


def typed_then_imported(runner) -> tuple[str, dict, dict]:
    """A 4.9 km run typed for 6 Feb 2013, then a watch file of a run that day imported:
    (the typed run's id, the import, its one file)."""
    typed = "0b6f6c2e-3c1d-4a51-9a7e-2f8d5f0c9b11"
    assert runner.put(f"/api/v1/runs/{typed}", json={"date": "2013-02-06", "distance_m": 4900,
                                                       "duration_s": 2600}).status_code == 201
    body = import_file(runner, "fr110.fit", fixture("garmin-fr110-run.fit"))
    [item] = body["files"]
    return typed, body, item


def test_a_typed_run_of_the_same_day_is_flagged_not_added_twice(app, runner):
    typed, body, item = typed_then_imported(runner)
    assert item["status"] == "possible_duplicate" and item["run_id"] == typed
    assert "your run of Wed 6 Feb 2013 (4.9 km)" in item["reason"]
    assert body["duplicates"] == 1 and body["created"] == 0
    assert [r["uuid"] for r in runs_of(runner)] == [typed]
    assert runs_of(runner)[0]["source"] == "manual"


def test_an_imports_messages_speak_the_runners_units(app, runner):
    """Found by trying it: a runner in miles read "(7.00 km)" and an ISO date beside "4.4 mi"."""
    assert runner.patch("/api/v1/me", json={"units": "mi"}).status_code == 200
    typed, body, item = typed_then_imported(runner)
    assert "your run of Wed 6 Feb 2013 (3.0 mi)" in item["reason"] and "km" not in item["reason"]


def test_a_second_run_of_the_day_taken_for_a_duplicate_can_be_added(app, runner):
    # Found trying it: a typed 10 km and a watch file of another run that evening were one
    # run to the importer, and the answer route said "answered already" when it never was.
    typed, body, item = typed_then_imported(runner)
    assert item["status"] == "possible_duplicate" and "another run" in item["reason"]
    assert "file_run_id" not in item["summary"]  # kept inside, not shown
    url = f"/api/v1/imports/{body['id']}/files/{item['id']}/answer"
    answered = runner.post(url, json={"answer": "run"})
    assert answered.status_code == 200, answered.get_json()
    added = answered.get_json()["file"]
    assert added["status"] == "created" and added["run_id"] != typed
    runs = runs_of(runner)
    assert sorted(r["uuid"] for r in runs) == sorted([typed, added["run_id"]])
    assert {r["source"] for r in runs} == {"manual", "fit"}
    again = runner.post(url, json={"answer": "run"})
    assert again.status_code == 409 and "answered already" in again.get_json()["error"]["message"]
    # The same file again: a duplicate of the run it became, not a third run.
    [item] = import_file(runner, "fr110.fit", fixture("garmin-fr110-run.fit"))["files"]
    assert (item["status"], item["run_id"]) == ("duplicate", added["run_id"])
    assert len(runs_of(runner)) == 2


def test_a_possible_duplicate_answered_skip_and_a_created_file_say_why_they_wait_for_nothing(app, runner):
    _typed, body, item = typed_then_imported(runner)
    skipped = runner.post(f"/api/v1/imports/{body['id']}/files/{item['id']}/answer", json={"answer": "skip"})
    assert skipped.get_json()["file"]["status"] == "skipped" and len(runs_of(runner)) == 1
    other = Runner(app)
    body = import_file(other, "fr110.fit", fixture("garmin-fr110-run.fit"))
    [item] = body["files"]
    assert item["status"] == "created"
    refused = other.post(f"/api/v1/imports/{body['id']}/files/{item['id']}/answer", json={"answer": "run"})
    assert refused.status_code == 409
    assert refused.get_json()["error"]["message"] == "This file does not wait for an answer: it was created."


def test_a_file_naming_no_sport_is_asked_about_when_it_is_a_walks_pace_or_far_faster_than_the_runner(app, runner):
    # Found trying it with a real export: an untyped 18 km ride at 14.4 km/h (this runner runs
    # 10.5 km/h) and a 5 km walk at 4.9 km/h went in as runs; the ride made a +63% week.
    today = date.today()
    for back in (20, 16, 12, 8):  # four typed runs at 10.5 km/h
        day = (today - timedelta(days=back)).isoformat()
        assert runner.put(f"/api/v1/runs/{uuid.uuid4()}", json={
            "date": day, "distance_m": 7000, "duration_s": 2400}).status_code == 201
    start = datetime.combine(today - timedelta(days=3), time(17, 0), tzinfo=timezone.utc)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("commute.gpx", gpx_run(start, 18000, 4500, sport=None))             # 14.4 km/h
        z.writestr("dog.gpx", gpx_run(start + timedelta(hours=2), 5000, 3673, sport=None))  # 4.9 km/h
        z.writestr("tempo.gpx", gpx_run(start - timedelta(days=1), 8000, 2400, sport=None))  # 12.0 km/h
    body = import_file(runner, "history.zip", archive.getvalue())
    by_file = {f["file"]: f for f in body["files"]}
    assert {name: f["status"] for name, f in by_file.items()} == {
        "commute.gpx": "needs_answer", "dog.gpx": "needs_answer", "tempo.gpx": "created"}
    assert "much faster than your usual runs (10.5 km/h)" in by_file["commute.gpx"]["reason"]
    assert "4.9 km/h is slow for a run" in by_file["dog.gpx"]["reason"]
    assert len(runs_of(runner)) == 5  # nothing held went in


def test_two_recordings_of_one_run_in_one_zip_are_added_once(app, runner):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("a/run.tcx", fixture("forerunner410-run.tcx"))
        z.writestr("b/run-no-hr.tcx", fixture("forerunner410-run-no-hr.tcx"))
    body = import_file(runner, "two.zip", archive.getvalue())
    assert statuses(body) == {"a/run.tcx": "created", "b/run-no-hr.tcx": "possible_duplicate"}
    assert len(runs_of(runner)) == 1


def test_a_different_run_on_the_same_day_is_not_a_duplicate(app, runner):
    runner.put("/api/v1/runs/0b6f6c2e-3c1d-4a51-9a7e-2f8d5f0c9b12",
               json={"date": "2013-02-06", "distance_m": 10000, "duration_s": 3600})
    assert import_file(runner, "fr110.fit", fixture("garmin-fr110-run.fit"))["created"] == 1
    assert len(runs_of(runner)) == 2


def hostile_zip() -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("good.fit", fixture("garmin-fr110-run.fit"))
        z.writestr("../../etc/evil.gpx", fixture("cerknicko-jezero.gpx"))
        z.writestr("/abs/evil.tcx", fixture("forerunner410-run.tcx"))
        z.writestr("bomb.gpx", b" " * (12 * 1024 * 1024))
        z.writestr("huge.gpx", b"<" + b"x" * (17 * 1024 * 1024))
        z.writestr("empty.fit", b"")
        z.writestr("truncated.fit", fixture("activity-small-fenix2-run.fit")[:60_000])
        z.writestr("xxe.gpx", b'<?xml version="1.0"?><!DOCTYPE g [<!ENTITY x SYSTEM "file:///etc/passwd">]><gpx>&x;</gpx>')
        z.writestr("photo.fit", b"\xff\xd8\xff\xe0 not a fit file at all")
        z.writestr("notes.txt", b"ignored")
    return archive.getvalue()


def test_hostile_entries_fail_one_by_one_and_the_rest_goes_on(app, runner):
    body = import_file(runner, "mixed.zip", hostile_zip())
    assert body["status"] == "done"
    got = {f["file"]: (f["status"], f["reason"]) for f in body["files"]}
    assert got["good.fit"] == ("created", None)
    assert "../" in got["../../etc/evil.gpx"][1] and got["../../etc/evil.gpx"][0] == "failed"
    assert "absolute" in got["/abs/evil.tcx"][1]
    assert "compression bomb" in got["bomb.gpx"][1]
    assert "larger than 16 MB" in got["huge.gpx"][1]
    assert "empty" in got["empty.fit"][1]
    assert "truncated" in got["truncated.fit"][1]
    assert "DTD" in got["xxe.gpx"][1]
    assert "content is something else" in got["photo.fit"][1]
    assert "notes.txt" not in got
    assert body["failed"] == 8 and body["created"] == 1
    assert {e["file"] for e in body["errors"]} == set(got) - {"good.fit"}
    assert len(runs_of(runner)) == 1  # never a partial run


@pytest.mark.parametrize("app", [{"IMPORT_MAX_ENTRIES": 3}], indirect=True)
def test_too_many_entries_fail_the_whole_archive(app, runner):
    body = import_file(runner, "many.zip", hostile_zip())
    assert body["status"] == "failed" and "entries" in body["error"] and body["created"] == 0


def test_not_a_zip_fails_the_import_with_a_reason(app, runner):
    body = import_file(runner, "export.zip", b"this is not a zip archive")
    assert body["status"] == "failed" and "not a readable zip" in body["error"]


def test_upload_errors_are_the_json_envelope(app, runner):
    assert_error(upload(runner, "photo.jpg", b"\xff\xd8"), 422, field="file")
    response = runner.client.post("/api/v1/imports", data={}, headers={"X-CSRF-Token": runner.csrf},
                                  content_type="multipart/form-data")
    assert_error(response, 422, field="file")
    assert_error(upload(runner, "run.fit", b"x", csrf=False), 403)
    assert_error(app.test_client().post("/api/v1/imports", data={"file": (io.BytesIO(b"x"), "a.fit")}), 401)


@pytest.mark.parametrize("app", [{"IMPORT_MAX_UPLOAD_MB": 1}], indirect=True)
def test_an_upload_over_the_limit_is_413(app, runner):
    response = upload(runner, "big.gpx", b" " * (2 * 1024 * 1024))
    error = assert_error(response, 413, "body_too_large")
    assert "1 MB" in error["message"]
    assert runner.get("/api/v1/imports").get_json() == []


def test_another_runners_import_is_not_found(app, runner, other):
    body = import_file(runner, "fr110.fit", fixture("garmin-fr110-run.fit"))
    assert_error(other.get(f"/api/v1/imports/{body['id']}"), 404)
    assert other.get("/api/v1/imports").get_json() == []
    assert_error(runner.get("/api/v1/imports/99999999999"), 404)
    history = runner.get("/api/v1/imports").get_json()
    assert [i["id"] for i in history] == [body["id"]] and "files" not in history[0]


def test_files_are_deleted_unless_the_runner_keeps_them(app, runner):
    folder = lambda: sorted(p.name for p in (app.instance_path and __import__("pathlib").Path(app.instance_path) / "imports").glob("*.upload"))
    before = folder()
    gone = import_file(runner, "a.fit", fixture("garmin-fr110-run.fit"))
    assert gone["file_kept"] is False and folder() == before
    kept = import_file(runner, "b.fit", fixture("garmin-fenix-5-run.fit"), keep=True)
    assert kept["file_kept"] is True and len(folder()) == len(before) + 1


def test_guidance_is_recomputed_once_and_at_most_one_alert_per_kind_is_queued(app, runner, monkeypatch):
    """Three runs imported at once: the care plan is refreshed once (from the earliest date)
    and the outbox holds at most one alert per kind for today."""
    from strideguard import afterwrite

    calls = []
    real = afterwrite.after_write
    monkeypatch.setattr(afterwrite, "after_write", lambda user, day, *a, **k: calls.append(day) or real(user, day, *a, **k))
    body = import_file(runner, "export.zip", strava_export())
    assert body["created"] == 5
    assert calls == [date(2010, 8, 5)]  # once, from the earliest imported run
    with app.app_context():
        per_kind = db.session.execute(select(Reminder.kind, func.count()).group_by(Reminder.kind)).all()
    assert all(count <= 1 for _, count in per_kind)


def test_the_progress_is_in_the_table_while_it_runs(app, runner):
    response = upload(runner, "export.zip", strava_export())
    assert response.status_code == 202
    started = response.get_json()["import"]
    assert started["status"] in ("queued", "running", "done") and started["filename"] == "export.zip"
    wait_done(runner, started["id"])
    with app.app_context():
        row = db.session.get(Import, started["id"])
        assert (row.done, row.total, row.status, row.claimed_by) == (8, 8, "done", None)
        assert row.started_at is not None and row.finished_at >= row.started_at


def _gpx_at(times: list[str], step_deg: float = 0.0009) -> bytes:
    pts = "".join(f'<trkpt lat="{40.0 + i * step_deg:.5f}" lon="13.0"><time>{t}</time></trkpt>' for i, t in enumerate(times))
    return (f'<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">'
            f"<trk><type>running</type><trkseg>{pts}</trkseg></trk></gpx>").encode()


def test_a_track_with_no_real_moving_time_is_skipped_in_plain_words(app, runner):
    # Found with a real file whose points share one time: "At 28344977.3 km/h … faster than
    # the world record"; and one lasting 10 days got the validator's own text.
    instant = import_file(runner, "still.gpx", _gpx_at(["2025-03-01T08:00:00Z"] * 20 + ["2025-03-01T08:00:00.4Z"]))
    [item] = instant["files"]
    assert item["status"] == "skipped" and "no moving time" in item["reason"] and "km/h" not in item["reason"]
    long = import_file(runner, "long.gpx", _gpx_at([f"2025-03-{d:02d}T08:00:00Z" for d in range(1, 12)], 0.9))
    [item] = long["files"]
    assert item["status"] == "failed"
    assert item["reason"].startswith("Not a plausible run: ") and "its moving time (240.0 h)" in item["reason"]
    assert "Must be" not in item["reason"] and "duration_s" not in item["reason"]


def test_a_deleted_run_imported_again_in_another_format_asks_first(app, runner):
    # Found with real files: a FIT run deleted, then the same activity's GPX imported, came
    # back silently (deleted runs were known by the file's id only).
    fit = import_file(runner, "run.fit", fixture("garmin-fr110-run.fit"))
    [item] = fit["files"]
    assert item["status"] == "created"
    assert runner.delete(f"/api/v1/runs/{item['run_id']}").status_code == 204
    gpx = gpx_run(datetime(2013, 2, 6, 12, 11, 14), 4835, 2625)  # the same run, as a GPX
    again = import_file(runner, "run.gpx", gpx)
    [held] = again["files"]
    assert held["status"] == "needs_answer" and held["reason"].startswith("You deleted this run (of Wed 6 Feb 2013)")
    assert runs_of(runner) == []
    answered = runner.post(f"/api/v1/imports/{again['id']}/files/{held['id']}/answer", json={"answer": "run"})
    assert answered.status_code == 200, answered.get_json()
    assert [abs(r["distance_m"] - 4835) < 50 for r in runs_of(runner)] == [True]
    # Another run of another day is not taken for it.
    other = import_file(runner, "other.gpx", gpx_run(datetime(2013, 2, 7, 12, 11, 14), 4835, 2625))
    assert [f["status"] for f in other["files"]] == ["created"]


def test_a_walk_with_a_drive_in_it_is_held_for_an_answer(app, runner):
    # A real GPX (no sport named): 8.4 km/h while moving, but moving for 33 of 120 minutes,
    # with 20 km/h stretches: it went in as a run.
    body = import_file(runner, "cerknicko.gpx", fixture("cerknicko-jezero.gpx"))
    [item] = body["files"]
    assert item["status"] == "needs_answer" and "moved for only 33 of its" in item["reason"]
    assert runs_of(runner) == []
