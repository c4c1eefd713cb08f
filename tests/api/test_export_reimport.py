"""Moving servers: the JSON export of ``GET /export`` imports back into a new, empty account
through ``POST /imports`` (the Import screen), and exporting that account again gives the
same data minus ids and timestamps — profile, shoes, check-ins, runs, and the care plan
rebuilt from them. The CSV export, a non-empty account and a bad export are refused with a
sentence, and a refusal writes nothing. SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime, timedelta

import pytest

from tests.conftest import Runner, linked
from tests.imports.support import fixture, gpx_run, import_file
from tests.support.envelope import assert_error

pytestmark = pytest.mark.database  # its behaviour depends on the database: make test-fast runs its PostgreSQL variant too

EXPORT = "/api/v1/export"
#: Columns that name a row or a moment of writing, not the runner's data.
VOLATILE = {"id", "created_at", "updated_at", "exported_at", "import_id", "shoe_id", "email"}
CARRIED = ("shoes", "checkins", "runs", "plan_days", "plan_events")


def send(runner: Runner, name: str, body: bytes):
    return runner.client.post("/api/v1/imports", data={"file": (io.BytesIO(body), name)},
                              headers={"X-CSRF-Token": runner.csrf}, content_type="multipart/form-data")


def comparable(export: dict) -> dict:
    """The export without ids and timestamps; a run's shoe by its name."""
    shoes = {s["id"]: s["name"] for s in export["shoes"]}
    out: dict = {"profile": {k: v for k, v in export["profile"].items() if k not in VOLATILE}}
    for table in CARRIED:
        rows = []
        for row in export[table]:
            plain = {k: v for k, v in row.items() if k not in VOLATILE}
            if table == "runs":
                plain["shoe"] = shoes.get(row["shoe_id"])
            rows.append(plain)
        out[table] = sorted(rows, key=lambda r: json.dumps(r, sort_keys=True))
    return out


def history(runner: Runner) -> date:
    """Six weeks of a runner with a sore knee: profile, two shoes, check-ins (a flare-up that
    rests them), manual runs and one imported from a FIT file."""
    assert runner.patch("/api/v1/me", json={
        "display_name": "Ana", "timezone": "Europe/Berlin", "units": "mi", "reminder_time": "07:15",
        "quiet_hours": {"start": "22:00", "end": "06:30"}, "pain_threshold": 2, "weekly_increase_pct": 8,
        "conditions": ["runners_knee"], "notification_detail": "detailed",
        "therapist": {"name": "Dana Reyes, PT", "phone": "+49 30 1234567"},
    }).status_code == 200
    today = date.fromisoformat(runner.get("/api/v1/load").get_json()["as_of"])
    road = runner.post("/api/v1/shoes", json={"name": "Road pair", "limit_m": 700000}).get_json()
    old = runner.post("/api/v1/shoes", json={"name": "Old trail pair", "retired": True}).get_json()
    assert import_file(runner, "morning.fit", fixture("garmin-fr110-run.fit"))["status"] == "done"
    for n in range(42, 0, -1):
        day = (today - timedelta(days=n)).isoformat()
        pain = 6 if n in (20, 19) else (n % 3)
        assert runner.put(f"/api/v1/checkins/{day}", json={
            "pain": pain, "morning_pain": max(pain - 1, 0), "swelling": pain > 5,
            "location": "around_kneecap" if pain else None, "side": "left" if pain else None,
            "note": f"day {n}" if n % 5 == 0 else None,
        }).status_code == 201
        if n % 2 == 0:
            assert runner.put(f"/api/v1/runs/00000000-0000-4000-8000-{n:012d}", json={
                "date": day, "distance_m": 4000 + 100 * n, "duration_s": 1500 + 30 * n,
                "pain_during": pain, "pain_after": pain, "surface": "road" if n % 4 else "trail",
                "shoe_id": road["id"] if n % 4 else old["id"], "note": "tempo" if n == 10 else None,
            }).status_code == 201
    return today


def test_json_export_comes_back_into_a_new_account(app) -> None:
    ana = Runner(app)
    history(ana)
    first = ana.get(EXPORT)
    assert first.status_code == 200
    before = first.get_json()
    assert len(before["checkins"]) == 42 and len(before["runs"]) == 22 and before["plan_events"]
    assert any(r["source"] == "fit" and r["device"] for r in before["runs"])

    moved = Runner(app)  # the same runner on the new server: a new, empty account
    answer = send(moved, "strideguard-20261206.json", first.get_data())
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["restored"] == {"shoes": 2, "checkins": 42, "runs": 22, "deleted_runs": 0, "assessments": 0}
    assert "therapist links and invitations" in body["not_restored"] and body["message"]

    after = moved.get(EXPORT).get_json()
    assert comparable(after) == comparable(before)
    # Created and updated times come along: an edit still reads as an edit.
    stamps = ("created_at", "updated_at")
    for table in ("checkins", "runs"):
        assert sorted((r.get("date"), *(r[k] for k in stamps)) for r in after[table]) == \
            sorted((r.get("date"), *(r[k] for k in stamps)) for r in before[table])
    assert after["imports"] == [] and after["care_links"] == []
    assert moved.get("/api/v1/me").get_json()["email"] == moved.email  # the new account's own

    # A second import into the now filled account is refused and changes nothing.
    again = send(moved, "strideguard-20261206.json", first.get_data())
    assert_error(again, 409, "conflict")
    assert "new, empty account" in again.get_json()["error"]["message"]
    assert comparable(moved.get(EXPORT).get_json()) == comparable(before)


def test_the_csv_export_gets_a_sentence_not_an_empty_import(app) -> None:
    ana = Runner(app)
    assert ana.put("/api/v1/checkins/2026-01-05", json={"pain": 3}).status_code == 201
    csv_zip = ana.get(EXPORT + "?format=csv").get_data()
    assert {"profile.json", "checkins.csv"} <= set(zipfile.ZipFile(io.BytesIO(csv_zip)).namelist())
    moved = Runner(app)
    answer = send(moved, "strideguard-20261206.zip", csv_zip)
    assert_error(answer, 422, "validation_failed")
    assert answer.get_json()["error"]["message"] == (
        "This is StrideGuard's CSV export, which cannot be imported. Download the JSON export "
        "from your old server (Settings, Your data, JSON) and import that file.")
    assert moved.get("/api/v1/imports").get_json() == []
    assert moved.get(EXPORT).get_json()["checkins"] == []


def test_a_bad_export_is_refused_whole(app) -> None:
    ana = Runner(app)
    for day, pain in (("2026-01-05", 3), ("2026-01-06", 4)):
        assert ana.put(f"/api/v1/checkins/{day}", json={"pain": pain}).status_code == 201
    assert ana.post("/api/v1/shoes", json={"name": "Road pair"}).status_code == 201
    export = ana.get(EXPORT).get_json()
    export["checkins"][1]["pain"] = 42
    export["runs"] = [{"uuid": "x", "date": "2026-01-05", "distance_m": 5000, "duration_s": 1800, "shoe_id": 999}]
    moved = Runner(app)
    before = moved.get(EXPORT).get_json()

    answer = send(moved, "export.json", json.dumps(export).encode())
    assert_error(answer, 422, "validation_failed")
    fields = answer.get_json()["error"]["fields"]
    assert set(fields) == {"checkins[1].pain", "runs[0].uuid", "runs[0].shoe_id"}
    assert answer.get_json()["error"]["message"] == "The export has values this server refuses; nothing was imported."

    for name, raw in (("notes.json", b"just text"), ("list.json", b"[1, 2]"), ("nan.json", b'{"exported_at": NaN}'),
                      ("surrogate.json", json.dumps({**export, "exported_at": "\ud800"}).encode()),
                      ("deep.json", b"[" * 100_000 + b"]" * 100_000), ("other.json", b'{"name": "not ours"}')):
        refused = send(moved, name, raw)
        assert_error(refused, 422, "validation_failed")
        assert refused.get_json()["error"]["message"].startswith("Send the JSON file that StrideGuard's export"), name

    after = moved.get(EXPORT).get_json()
    assert {k: v for k, v in after.items() if k != "exported_at"} == \
        {k: v for k, v in before.items() if k != "exported_at"}


def test_an_export_with_a_therapists_limits_assessment_and_deleted_run_comes_back_whole(app) -> None:
    """Found trying it: with a therapist's looser pain limit the export could not be imported
    at all (422 on pain_threshold); edited by hand to import, the runner's own conditions were
    replaced by the therapist's, the therapist's assessment was lost (the plan came back as a
    rest held for an assessment) and a deleted imported run came back with the next import."""
    ana, dana = linked(app)
    today = date.fromisoformat(ana.get("/api/v1/load").get_json()["as_of"])
    assert ana.patch("/api/v1/me", json={"conditions": ["runners_knee", "it_band"]}).status_code == 200
    assert dana.put(f"/api/v1/clinic/patients/{ana.user['id']}/limits",
                    json={"pain_threshold": 5, "conditions": ["runners_knee"]}).status_code == 200
    gave_way = today - timedelta(days=5)
    assert ana.put(f"/api/v1/checkins/{gave_way}", json={"pain": 2, "locking_or_giving_way": True}).status_code == 201
    assert dana.post(f"/api/v1/clinic/patients/{ana.user['id']}/assessment",
                     json={"date": (gave_way + timedelta(days=1)).isoformat()}).status_code == 201
    assert ana.put(f"/api/v1/checkins/{today}", json={"pain": 0}).status_code == 201
    gpx = gpx_run(datetime(2025, 3, 1, 8, 0), 5000, 1800)
    done = import_file(ana, "ride.gpx", gpx)
    [item] = done["files"]
    assert ana.delete(f"/api/v1/runs/{item['run_id']}").status_code == 204
    plan_before = ana.get("/api/v1/plan").get_json()
    held = (plan_before.get("end_condition") or {}).get("awaiting_assessment")
    assert held is not True  # the assessment lifted the hold

    moved = Runner(app)
    answer = send(moved, "strideguard.json", ana.get(EXPORT).get_data())
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["restored"]["assessments"] == 1 and answer.get_json()["restored"]["deleted_runs"] == 1
    me = moved.get("/api/v1/me").get_json()
    assert (me["pain_threshold"], me["conditions"], me["locked"]) == (3, ["runners_knee", "it_band"], [])
    plan_after = moved.get("/api/v1/plan").get_json()
    assert plan_after["state"] == plan_before["state"]
    assert (plan_after.get("end_condition") or {}).get("awaiting_assessment") is held
    again = import_file(moved, "ride.gpx", gpx)
    assert [f["status"] for f in again["files"]] == ["needs_answer"]
    assert "You deleted this run" in again["files"][0]["reason"]


@pytest.mark.parametrize(("edit", "field"), [
    (lambda e: e["checkins"].append(dict(e["checkins"][0], pain=9)), "checkins[1].date"),
    (lambda e: e["runs"].append(dict(e["runs"][0], distance_m=42000)), "runs[1].uuid"),
    (lambda e: e["shoes"].append(dict(e["shoes"][0])), "shoes[1].id"),
    (lambda e: e["shoes"][0].update(id=[1, 2]), "shoes[0].id"),  # was a 500
    (lambda e: e["runs"][0].update(uuid="../../etc/passwd"), "runs[0].uuid"),
    (lambda e: e["checkins"][0].update(date="2999-01-01"), "checkins[0].date"),
    (lambda e: e["runs"][0].update(date="1999-12-31"), "runs[0].date"),
])
def test_a_hostile_export_names_the_row_and_writes_nothing(app, edit, field: str) -> None:
    ana = Runner(app)
    assert ana.put("/api/v1/checkins/2026-01-05", json={"pain": 3}).status_code == 201
    shoe = ana.post("/api/v1/shoes", json={"name": "Road pair"}).get_json()
    assert ana.put("/api/v1/runs/0b6f6c2e-3c1d-4a51-9a7e-2f8d5f0c9b11", json={
        "date": "2026-01-05", "distance_m": 5000, "duration_s": 1800, "shoe_id": shoe["id"]}).status_code == 201
    export = ana.get(EXPORT).get_json()
    edit(export)
    moved = Runner(app)
    answer = send(moved, "export.json", json.dumps(export).encode())
    assert_error(answer, 422, "validation_failed")
    assert field in answer.get_json()["error"]["fields"], answer.get_json()
    after = moved.get(EXPORT).get_json()
    assert after["checkins"] == [] and after["runs"] == [] and after["shoes"] == []


def test_a_nul_in_an_export_is_refused(app) -> None:
    ana = Runner(app)
    assert ana.put("/api/v1/checkins/2026-01-05", json={"pain": 3, "note": "fine"}).status_code == 201
    export = ana.get(EXPORT).get_json()
    export["checkins"][0]["note"] = "\u0000nul"
    moved = Runner(app)
    answer = send(moved, "export.json", json.dumps(export).encode())
    assert_error(answer, 422, "validation_failed")
    assert "NUL" in answer.get_json()["error"]["fields"]["file"][0]
