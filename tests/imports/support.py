"""Helpers for import tests: the fixture corpus, uploads, waiting for a background import,
and a Strava-style bulk export built from the corpus."""

from __future__ import annotations

import csv
import gzip
import io
import time
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "activities"


def fixture(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def upload(runner, name: str, data: bytes, keep: bool = False, csrf: bool = True):
    """POST /imports as multipart/form-data, the way a browser sends it."""
    form = {"file": (io.BytesIO(data), name)}
    if keep:
        form["keep_file"] = "true"
    headers = {"X-CSRF-Token": runner.csrf} if csrf else {}
    return runner.client.post("/api/v1/imports", data=form, headers=headers, content_type="multipart/form-data")


def wait_done(runner, import_id: int, timeout: float = 60.0) -> dict:
    """Poll GET /imports/{id} until it is done or failed; return it with its items."""
    deadline = time.monotonic() + timeout
    pause = 0.002  # most imports here take a few ms: look again soon, then less often
    while time.monotonic() < deadline:
        body = runner.get(f"/api/v1/imports/{import_id}?files=false").get_json()["import"]
        if body["status"] in ("done", "failed"):
            return runner.get(f"/api/v1/imports/{import_id}").get_json()["import"]
        time.sleep(pause)
        pause = min(pause * 2, 0.05)
    raise AssertionError(f"import {import_id} did not finish in {timeout} s: {body}")


def import_file(runner, name: str, data: bytes, **kw) -> dict:
    response = upload(runner, name, data, **kw)
    assert response.status_code == 202, response.get_data(as_text=True)
    return wait_done(runner, response.get_json()["import"]["id"])


#: What the export holds: (file inside activities/, Strava type, stored gzipped?)
STRAVA_FILES = [
    ("activity-small-fenix2-run.fit", "Run", True),
    ("garmin-fr110-run.fit", "Run", False),
    ("developer-types-sample.fit", "Run", True),
    ("forerunner410-run.tcx", "Run", True),
    ("cerknicko-jezero.gpx", "Run", False),
    ("garmin-fenix-5-bike.fit", "Ride", True),
    ("sup_activity_1.tcx", "Stand Up Paddling", False),
]
STRAVA_COLUMNS = ["Activity ID", "Activity Date", "Activity Name", "Activity Type", "Activity Description",
                  "Elapsed Time", "Distance", "Max Heart Rate", "Relative Effort", "Commute",
                  "Activity Private Note", "Activity Gear", "Filename"]


def strava_export() -> bytes:
    """A Strava-style bulk export: activities.csv + activities/ (mixed formats, some .gz),
    plus a hand-entered run (no file) and the photos/profile files an export also holds."""
    out = io.BytesIO()
    rows = []
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for number, (name, kind, gz) in enumerate(STRAVA_FILES, start=1000):
            data = fixture(name)
            stem, ext = name.rsplit(".", 1)
            target = f"activities/{number}.{ext}" + (".gz" if gz else "")
            archive.writestr(target, gzip.compress(data, mtime=0) if gz else data)
            rows.append([str(number), "Jan 1, 2020, 8:00:00 AM", stem, kind, "", "0", "0", "", "", "false", "", "", target])
        rows.append(["2000", "Feb 2, 2020, 8:00:00 AM", "Treadmill by hand", "Run", "", "1800", "5.0", "", "", "false", "", "", ""])
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(STRAVA_COLUMNS)
        writer.writerows(rows)
        archive.writestr("activities.csv", text.getvalue())
        archive.writestr("profile.csv", "Athlete ID,Email Address\n1,runner@example.org\n")
        archive.writestr("media/photo.jpg", b"\xff\xd8\xff\xe0not really a photo")
    return out.getvalue()


def gpx_run(start: datetime, metres: float, seconds: float, sport: str | None = "running") -> bytes:
    """A GPX track due north from 52.0 N, 13.0 E: ``metres`` in ``seconds``; ``sport``: its
    ``<type>`` (``None``: a file that names no sport)."""
    points = 60
    lines = []
    for i in range(points + 1):
        lat = 52.0 + (metres * i / points) / 111_195.0
        t = start + timedelta(seconds=seconds * i / points)
        lines.append(f'<trkpt lat="{lat:.7f}" lon="13.0"><time>{t.strftime("%Y-%m-%dT%H:%M:%SZ")}</time></trkpt>')
    kind = f"<type>{sport}</type>" if sport else ""
    return ('<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1" creator="test" '
            f'xmlns="http://www.topografix.com/GPX/1/1"><trk><name>Activity</name>{kind}<trkseg>'
            + "".join(lines) + "</trkseg></trk></gpx>").encode()
