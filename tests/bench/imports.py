"""Imports benchmark: files/s and MB/s per format, three stages measured side by side in
each round on the same corpus (tests/fixtures/activities, real device files):

- ``parser``: the library alone (fitdecode decoding every frame, tcxreader.read,
  gpxpy.parse) — the ceiling;
- ``parse``: ``parse_activity_file`` (defusedxml safety pass + parser + summary);
- ``import``: the background job in-process (``processing.process``: zip read, parse,
  de-duplication, run writes through the training service, one commit per file), on
  SQLite and PostgreSQL, a fresh runner per round so every file creates a run. The one
  care-plan refresh at the end is timed on its own (``refresh_s``): it replays every day
  from the earliest imported run to today, so it depends on the dates, not on the files.
"""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path
from typing import Any, Callable

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "activities"
FORMATS = {
    "fit": ["activity-small-fenix2-run.fit", "garmin-fr110-run.fit", "developer-types-sample.fit", "garmin-fenix-5-run.fit"],
    "tcx": ["forerunner410-run.tcx", "sup_activity_1.tcx"],
    "gpx": ["cerknicko-jezero.gpx", "around-visnjan-with-car.gpx"],
}
MIN_SECONDS = 1.0


def corpus(fmt: str) -> list[tuple[str, bytes]]:
    return [(name, (CORPUS / name).read_bytes()) for name in FORMATS[fmt]]


def library_parse(fmt: str) -> Callable[[bytes], Any]:
    if fmt == "fit":
        import fitdecode

        def run(data: bytes) -> None:
            with fitdecode.FitReader(io.BytesIO(data)) as reader:
                for _ in reader:
                    pass
        return run
    if fmt == "tcx":
        from tcxreader.tcxreader import TCXReader

        return lambda data: TCXReader().read(io.BytesIO(data), only_gps=False)
    import gpxpy

    return lambda data: gpxpy.parse(data.decode("utf-8-sig"))


def timed(files: list[tuple[str, bytes]], fn: Callable[[str, bytes], Any]) -> dict[str, float]:
    """Run ``fn`` over the files repeatedly for at least MIN_SECONDS: files/s, MB/s."""
    count = size = 0
    started = time.perf_counter()
    while True:
        for name, data in files:
            fn(name, data)
            count += 1
            size += len(data)
        elapsed = time.perf_counter() - started
        if elapsed >= MIN_SECONDS:
            return {"files_s": count / elapsed, "mb_s": size / elapsed / 1e6, "files": count, "seconds": elapsed}


def zip_of(files: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            archive.writestr(name, data)
    return out.getvalue()


def import_once(app, fmt: str, files: list[tuple[str, bytes]], round_: int) -> dict[str, float]:
    """A fresh runner imports the format's zip; the job runs synchronously here."""
    from strideguard.accounts.models import User
    from strideguard.extensions import db
    from strideguard.imports import processing, service

    with app.test_request_context():
        user = User(email=f"bench-{fmt}-{round_}-{time.time_ns()}@strideguard.invalid", password_hash="x", timezone="UTC")
        db.session.add(user)
        db.session.commit()
        imp = service.create_import(user, f"{fmt}.zip", io.BytesIO(zip_of(files)))
        refresh = []
        real = processing._after_import

        def timed_refresh(*args):  # the one care-plan refresh, reported on its own
            t = time.perf_counter()
            real(*args)
            refresh.append(time.perf_counter() - t)

        processing._after_import = timed_refresh
        try:
            started = time.perf_counter()
            assert processing.process(imp.id, "bench")
            elapsed = time.perf_counter() - started - refresh[0]
        finally:
            processing._after_import = real
        db.session.refresh(imp)
        assert imp.status == "done" and imp.done == len(files), (imp.status, imp.error)
        size = sum(len(d) for _, d in files)
        result = {"files_s": len(files) / elapsed, "mb_s": size / elapsed / 1e6, "files": len(files),
                  "seconds": elapsed, "created": imp.created, "refresh_s": refresh[0]}
        db.session.remove()
    return result


def imports_phase(workdir: Path, rounds: int, log: Callable[[str], None]) -> dict[str, Any]:
    from strideguard.imports.parse import parse_activity_file
    from tests.bench import databases

    apps = {}
    pg_name = databases.new_database_name("sg_bench_imports")
    try:
        apps["SQLite"] = databases.make_app(workdir / "imports-sqlite", IMPORT_WORKERS=0)
        apps["PostgreSQL"] = databases.make_app(workdir / "imports-postgres", databases.create_postgres(pg_name),
                                                IMPORT_WORKERS=0)
        for app in apps.values():
            databases.migrate(app)
        rows: list[dict[str, Any]] = []
        for round_ in range(rounds):
            for fmt in FORMATS if round_ % 2 == 0 else reversed(list(FORMATS)):
                files = corpus(fmt)
                library = library_parse(fmt)
                stages = {
                    "parser": timed(files, lambda _n, d: library(d)),
                    "parse": timed(files, parse_activity_file),
                }
                for backend, app in apps.items():
                    stages[f"import {backend}"] = import_once(app, fmt, files, round_)
                for stage, figures in stages.items():
                    rows.append({"round": round_, "format": fmt, "stage": stage, **figures})
                log(f"  round {round_} {fmt}: " + ", ".join(f"{s} {f['files_s']:.1f} files/s" for s, f in stages.items()))
        return {"rows": rows, "corpus": {fmt: {"files": len(names), "bytes": sum((CORPUS / n).stat().st_size for n in names)}
                                         for fmt, names in FORMATS.items()}}
    finally:
        for app in apps.values():
            with app.app_context():
                from strideguard.extensions import db

                db.session.remove()
                db.engine.dispose()
        databases.drop_postgres(pg_name)
