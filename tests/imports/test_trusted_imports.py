"""Imports a runner can trust (issue 22), on SQLite and PostgreSQL through the API, with real
files from public corpora. Every imported value is checked against a second reading of the
file done here (its raw points, its own lap/record messages), within 1%:

- a road ride GPX that names no sport is held as "needs your answer": "skip" leaves nothing,
  "this was a run" imports it through the same path (and the plan is replayed once);
- a Garmin Forerunner 70 FIT with device-relative times imports with its date and distance;
- a Strava Android FIT the parser rejects gets a plain sentence with what to try instead;
- a TCX holding several activities imports each run and skips the ride;
- a TCX whose lap time is the elapsed time gets its moving time from the track points.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import fitdecode
import pytest
from defusedxml import ElementTree as SafeET

from tests.conftest import Runner
from tests.imports.support import CORPUS, fixture, import_file
from tests.support.envelope import assert_error
from tests.unit.test_import_parsers import gpx_points, tcx_points_moving, within

pytestmark = pytest.mark.database  # its behaviour depends on the database: make test-fast runs its PostgreSQL variant too

RIDE = "mapmyride-road-ride-no-type.gpx"
FR70 = "garmin-fr70-relative-times.fit"
STRAVA_FIT = "strava-android-app.fit"
TWO_RUNS = "fr910xt-two-runs.tcx"


def runs_of(runner) -> list[dict]:
    return sorted(runner.get("/api/v1/export").get_json()["runs"], key=lambda r: r["date"])


def answer(runner, body: dict, item: dict, what: str):
    return runner.post(f"/api/v1/imports/{body['id']}/files/{item['id']}/answer", json={"answer": what})


def tcx_activities(path) -> list[dict]:
    """Per <Activity> of the raw XML: sport, summed lap time and distance, the odometer at the
    last point, and first-to-last point time."""
    root = SafeET.parse(str(path)).getroot()
    found = []
    for act in (e for e in root.iter() if e.tag.endswith("}Activity")):
        laps = [e for e in act if e.tag.endswith("}Lap")]
        value = lambda lap, tag: float(next(c.text for c in lap if c.tag.endswith("}" + tag)))
        times, odometer = [], []
        for tp in (e for e in act.iter() if e.tag.endswith("}Trackpoint")):
            child = {c.tag.rsplit("}", 1)[-1]: c.text for c in tp}
            times.append(datetime.fromisoformat(child["Time"].replace("Z", "+00:00")))
            if child.get("DistanceMeters"):
                odometer.append(float(child["DistanceMeters"]))
        found.append({"sport": act.get("Sport"), "lap_s": sum(value(lap, "TotalTimeSeconds") for lap in laps),
                      "lap_m": sum(value(lap, "DistanceMeters") for lap in laps), "odometer": max(odometer),
                      "elapsed": (max(times) - min(times)).total_seconds(), "start": min(times)})
    return found


# -- a ride that names no sport ----------------------------------------------------------------


def test_a_road_ride_without_a_sport_is_held_then_skipped_or_confirmed(app, runner, other, monkeypatch):
    from strideguard import afterwrite

    distance, moving = gpx_points(RIDE)  # the raw points, re-measured here
    assert 18 <= distance / moving * 3.6 <= 25  # a road ride's speed

    body = import_file(runner, RIDE, fixture(RIDE))
    [item] = body["files"]
    assert (body["status"], body["created"], body["held"], body["skipped"]) == ("done", 0, 1, 0)
    assert item["status"] == "needs_answer" and item["reason"].endswith("Was it a run?")
    assert within(item["summary"]["distance_m"], distance) and within(item["summary"]["moving_s"], moving)
    assert runs_of(runner) == []  # never added silently

    # Not yours, not an answer, not a file of this import: refused before anything changes.
    assert_error(answer(other, body, item, "run"), 404)
    assert_error(answer(runner, body, item, "maybe"), 422, field="answer")
    assert_error(runner.post(f"/api/v1/imports/{body['id']}/files/{item['id'] + 999}/answer",
                             json={"answer": "run"}), 404)

    skipped = answer(runner, body, item, "skip")
    assert skipped.status_code == 200, skipped.get_json()
    out = skipped.get_json()
    assert out["file"]["status"] == "skipped" and "not a run" in out["file"]["reason"]
    assert (out["import"]["held"], out["import"]["skipped"], out["import"]["created"]) == (0, 1, 0)
    assert runs_of(runner) == []
    assert_error(answer(runner, body, item, "run"), 409, "conflict")  # answered once

    # The same file again, and this time it was a run: imported like any file's run, and the
    # care plan is replayed once, from its date.
    calls = []
    real = afterwrite.after_write
    monkeypatch.setattr(afterwrite, "after_write", lambda user, day, *a, **k: calls.append(day) or real(user, day, *a, **k))
    again = import_file(runner, RIDE, fixture(RIDE))
    [held] = again["files"]
    assert held["status"] == "needs_answer" and calls == []
    confirmed = answer(runner, again, held, "run").get_json()
    assert confirmed["file"]["status"] == "created" and confirmed["import"]["created"] == 1
    assert confirmed["import"]["held"] == 0
    [run] = runs_of(runner)
    assert run["uuid"] == confirmed["file"]["run_id"] and run["source"] == "gpx" and run["import_id"] == again["id"]
    assert run["date"] == "2022-11-12" and calls == [date(2022, 11, 12)]
    assert within(run["distance_m"], distance) and within(run["duration_s"], moving)
    assert_error(answer(runner, again, held, "skip"), 409)
    assert runner.get(f"/api/v1/imports/{again['id']}").get_json()["import"]["files"][0]["status"] == "created"


def test_a_run_without_a_sport_at_a_runners_speed_imports_at_once(app, runner):
    name = "garmin-connect-run-no-type.gpx"
    distance, moving = gpx_points(name)
    body = import_file(runner, name, fixture(name))
    assert (body["created"], body["held"]) == (1, 0)
    [run] = runs_of(runner)
    assert within(run["distance_m"], distance) and within(run["duration_s"], moving)


# -- FIT: device-relative times, and a file the parser cannot read ----------------------------


def fr70_reading() -> dict:
    """The FR70 file read here with fitdecode: its raw times are below 0x10000000 (seconds since
    power-on); the activity message's local_timestamp is the one clock time it holds."""
    found: dict = {"laps_m": 0.0, "records_m": 0.0}
    with fitdecode.FitReader(str(CORPUS / FR70)) as reader:
        for frame in reader:
            if not isinstance(frame, fitdecode.FitDataMessage):
                continue
            if frame.name == "session":
                found["start"] = frame.get_value("start_time")
                found["timer"] = frame.get_value("total_timer_time")
            elif frame.name == "activity":
                found["end"], found["wall_end"] = frame.get_value("timestamp"), frame.get_value("local_timestamp")
            elif frame.name == "lap":
                found["laps_m"] += frame.get_value("total_distance") or 0
            elif frame.name == "record" and frame.has_field("distance"):
                found["records_m"] = max(found["records_m"], frame.get_value("distance") or 0)
    assert found["start"] < 0x10000000 and found["end"] < 0x10000000  # relative, as the issue says
    found["wall_start"] = found["wall_end"].replace(tzinfo=None) - timedelta(seconds=found["end"] - found["start"])
    return found


@pytest.mark.parametrize("zone", ["UTC", "America/New_York"])
def test_the_fr70_file_with_device_relative_times_imports_with_its_date_and_distance(app, zone):
    runner = Runner(app, timezone=zone)
    reading = fr70_reading()
    body = import_file(runner, FR70, fixture(FR70))
    assert (body["created"], body["failed"]) == (1, 0), body["files"]
    [run] = runs_of(runner)
    assert run["date"] == reading["wall_start"].date().isoformat() == "2012-02-13"
    assert within(run["distance_m"], reading["laps_m"]) and within(run["distance_m"], reading["records_m"])
    assert within(run["duration_s"], reading["timer"])
    # The watch's wall clock, placed in the runner's zone.
    started = datetime.fromisoformat(run["started_at"])
    assert started == reading["wall_start"].replace(tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)
    assert run["device"] == "Garmin fr70"


def test_a_strava_app_fit_broken_after_its_summary_imports_the_run(app, runner):
    body = import_file(runner, STRAVA_FIT, fixture(STRAVA_FIT))
    [item] = body["files"]
    assert item["status"] == "created", item
    [run] = runs_of(runner)
    assert (round(run["distance_m"]), run["duration_s"]) == (11274, 3558)


def test_a_fit_the_parser_rejects_gets_a_plain_sentence(app, runner):
    from tests.unit.test_import_parsers import broken_before_any_session

    body = import_file(runner, "broken.fit", broken_before_any_session())
    [item] = body["files"]
    assert item["status"] == "failed" and body["errors"] == [{"file": "broken.fit", "reason": item["reason"]}]
    assert item["reason"] == ("This FIT file breaks the FIT format, so it cannot be read. Export the activity again "
                              "from the watch's or app's website as a GPX or TCX file and import that one.")
    assert not re.search(r"fitdecode|local message|@ \d|Error|\(", item["reason"])
    assert runs_of(runner) == []


# -- TCX: several activities, and lap time that is elapsed time --------------------------------


def test_a_tcx_with_several_activities_imports_each_run_and_skips_the_ride(app, runner, tmp_path):
    # Two FR910XT runs and a MapMyRide ride in one <Activities> (as a Training Center export holds them).
    runs_doc = fixture(TWO_RUNS).decode()
    ride = re.search(r"<Activity Sport=\"Biking\">.*</Activity>", fixture("mapmyride-biking.tcx").decode(), re.S).group(0)
    head, tail = runs_doc.rsplit("</Activities>", 1)
    combined = (head + ride + "</Activities>" + tail).encode()
    (tmp_path / "three.tcx").write_bytes(combined)
    expected = tcx_activities(tmp_path / "three.tcx")
    assert [a["sport"] for a in expected] == ["Running", "Running", "Biking"]

    body = import_file(runner, "three.tcx", combined)
    files = sorted(body["files"], key=lambda f: f["session"])
    assert [f["status"] for f in files] == ["created", "created", "skipped"]
    assert files[2]["reason"] == "Not a run (cycling): only runs are imported."
    assert (body["created"], body["skipped"], body["failed"]) == (2, 1, 0)
    runs = runs_of(runner)
    assert [r["date"] for r in runs] == ["2014-12-26", "2016-07-29"]
    for run, reading, index in zip(runs, expected, (0, 1)):
        assert within(run["distance_m"], reading["odometer"]) and within(run["distance_m"], reading["lap_m"])
        assert within(run["duration_s"], tcx_points_moving(tmp_path / "three.tcx", index))
        assert datetime.fromisoformat(run["started_at"]) == reading["start"]
        assert run["device"] == "Garmin Forerunner 910XT"


def test_a_lap_time_that_is_the_elapsed_time_gives_way_to_the_track_points(app, runner):
    # FR910XT, 29 Jul 2016: the timer ran through three stops of ~2 min (no auto-pause), so the
    # lap time (5259 s) is the elapsed time (5280 s), 9% more than the time spent moving.
    second = tcx_activities(CORPUS / TWO_RUNS)[1]
    assert within(second["lap_s"], second["elapsed"])
    moving = tcx_points_moving(CORPUS / TWO_RUNS, 1)
    assert moving < 0.95 * second["lap_s"]

    import_file(runner, TWO_RUNS, fixture(TWO_RUNS))
    run = runs_of(runner)[1]
    assert run["date"] == "2016-07-29"
    assert within(run["duration_s"], moving) and run["duration_s"] < 0.95 * second["lap_s"]
    assert within(run["distance_m"], second["odometer"])
