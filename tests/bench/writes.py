"""The writes in-process: statements and milliseconds per PUT check-in, PUT run, an edit of
the check-in six weeks back and the cheapest write (a shoe rename), on SQLite and
PostgreSQL, with the Flask test client (no gunicorn, no lock waits): what each write costs on
its own, and how many round trips it makes to the database.

    python -m tests.bench.writes [--requests 200] [--rounds 3] [--backends sqlite,postgresql]
                                 [--set PLUGIN_BUDGET_S=0] [--json] [--texts] [--code CHECKOUT]

Used by ``make bench`` (``writes_phase``) and on its own to compare two versions of the code
side by side (run it from each checkout, alternating).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
for _path in (REPO / "server", REPO):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))
if "--code" in sys.argv:  # another checkout's app (the code before a change), imported first
    sys.path.insert(0, str(Path(sys.argv[sys.argv.index("--code") + 1]).resolve() / "server"))

from tests.bench import databases, seed  # noqa: E402

RUN_UUID = "6f1c2d3e-4b5a-4c6d-8e7f-901a2b3c4d5e"
#: The writes measured (the floor last).
#: A correction: the check-in six weeks back edited (the plan replays 43 days).
EDIT_BACK = "PUT check-in 6 weeks back"
WRITES = ("PUT check-in", "PUT run", EDIT_BACK, "PATCH shoe name")


def bodies(today: date, shoe_id: int) -> dict[str, tuple[str, str, list[dict[str, Any]]]]:
    """Each write's method, path and its two bodies in turn (as the HTTP cells send them)."""
    day = today.isoformat()
    run = {"date": day, "distance_m": 6200.0, "duration_s": 2100.0, "pain_during": 1, "surface": "road"}
    return {
        "PUT check-in": ("PUT", f"/api/v1/checkins/{day}",
                         [{"pain": 2, "morning_pain": 1, "location": "outside"},
                          {"pain": 1, "morning_pain": 1, "location": "outside"}]),
        "PUT run": ("PUT", f"/api/v1/runs/{RUN_UUID}",
                    [run, {**run, "distance_m": 6100.0, "duration_s": 2070.0}]),
        EDIT_BACK: ("PUT", f"/api/v1/checkins/{today - timedelta(days=42)}",
                    [{"pain": 2, "note": "typed the wrong day"}, {"pain": 1, "note": "typed the wrong day"}]),
        "PATCH shoe name": ("PATCH", f"/api/v1/shoes/{shoe_id}", [{"name": "Daily A"}, {"name": "Daily B"}]),
    }


class StatementCounter:
    """Counts the statements an engine sends (by their first word) while ``on``."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.on = False
        self.kinds: Counter[str] = Counter()
        self.texts: Counter[str] = Counter()
        event.listen(engine, "before_cursor_execute", self._statement)
        for name in ("begin", "commit", "rollback", "savepoint", "release_savepoint", "rollback_savepoint"):
            event.listen(engine, name, self._control(name))

    def _statement(self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if self.on:
            first = statement.lstrip().split(None, 1)[0].upper()
            self.kinds[first] += 1
            self.texts[" ".join(statement.split())[:160]] += 1

    def _control(self, name: str) -> Any:
        def seen(*_: Any) -> None:
            if self.on:
                self.kinds[name.upper()] += 1
        return seen

    @contextmanager
    def counting(self) -> Iterator[None]:
        self.kinds.clear()
        self.texts.clear()
        self.on = True
        try:
            yield
        finally:
            self.on = False


def prepare(instance: Path, database_url: str | None, today: date, overrides: dict[str, Any]) -> tuple[Any, dict[str, str], int]:
    """A migrated app with one runner (90 days of history, a pair of shoes); returns the app,
    the runner's request headers and the shoe's id."""
    app = databases.make_app(instance, database_url, **overrides)
    databases.migrate(app)
    client = app.test_client(use_cookies=False)
    response = client.post("/api/v1/auth/register", json={
        "email": "writes@strideguard.invalid", "password": "bench-knee-2026x", "timezone": "UTC"})
    assert response.status_code == 201, response.get_json()
    cookie = "; ".join(h.split(";", 1)[0] for h in response.headers.getlist("Set-Cookie"))
    headers = {"Cookie": cookie, "X-CSRF-Token": response.get_json()["csrf_token"]}
    uid = int(response.get_json()["user"]["id"])
    with app.app_context():
        from strideguard.extensions import db

        seed.insert_history(db.engine, uid, seed.history(today, seed=7, include_today=False), shoe="Daily")
        db.engine.dispose()
    shoe = client.post("/api/v1/shoes", json={"name": "Daily A"}, headers=headers)
    assert shoe.status_code == 201, shoe.get_json()
    return app, headers, int(shoe.get_json()["id"])


def measure(app: Any, headers: dict[str, str], shoe_id: int, today: date, requests: int,
            counter: StatementCounter) -> dict[str, dict[str, Any]]:
    """Each write ``requests`` times (bodies in turn, writes interleaved in blocks of 20):
    median and mean milliseconds, statements per request by kind."""
    client = app.test_client(use_cookies=False)
    todo = bodies(today, shoe_id)
    for method, path, variants in todo.values():  # warm-up, and the rows exist from now on
        for body in variants * 3:
            response = client.open(path, method=method, json=body, headers=headers)
            assert response.status_code in (200, 201), (path, response.get_json())
    times: dict[str, list[float]] = {name: [] for name in todo}
    cpu: dict[str, list[float]] = {name: [] for name in todo}
    statements: dict[str, Counter[str]] = {name: Counter() for name in todo}
    texts: dict[str, Counter[str]] = {name: Counter() for name in todo}
    done = 0
    while done < requests:
        block = min(20, requests - done)
        for name, (method, path, variants) in todo.items():
            for i in range(block):
                body = variants[(done + i) % len(variants)]
                with counter.counting():
                    started, started_cpu = time.perf_counter(), time.process_time()
                    response = client.open(path, method=method, json=body, headers=headers)
                    times[name].append(time.perf_counter() - started)
                    cpu[name].append(time.process_time() - started_cpu)
                assert response.status_code == 200, (path, response.status_code, response.get_json())
                statements[name].update(counter.kinds)
                texts[name].update(counter.texts)
        done += block
    out = {}
    for name in todo:
        n = len(times[name])
        kinds = {k: v / n for k, v in sorted(statements[name].items())}
        control = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE_SAVEPOINT", "ROLLBACK_SAVEPOINT"}
        out[name] = {
            "median_ms": statistics.median(times[name]) * 1000,
            "mean_ms": statistics.fmean(times[name]) * 1000,
            # This process's CPU per request (all of SQLite's work, the client side of
            # PostgreSQL's): less moved by other load on the machine than the wall clock.
            "cpu_ms": statistics.fmean(cpu[name]) * 1000,
            "statements": sum(v for k, v in kinds.items() if k not in control),
            "control": sum(v for k, v in kinds.items() if k in control),
            "kinds": kinds,
            "texts": {t: c / n for t, c in texts[name].most_common()},
        }
    return out


def writes_phase(workdir: Path, rounds: int, requests: int, backends: list[str],
                 overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Each backend's app prepared once; per round, every write on each backend in turn."""
    today = datetime.now(timezone.utc).date()
    overrides = overrides or {}
    prepared = {}
    pg_names = []
    try:
        for backend in backends:
            url = None
            if backend == "PostgreSQL":
                name = databases.new_database_name("sg_bench_writes")
                pg_names.append(name)
                url = databases.create_postgres(name)
            instance = workdir / f"writes-{backend.lower()}"
            shutil.rmtree(instance, ignore_errors=True)
            app, headers, shoe_id = prepare(instance, url, today, overrides)
            from strideguard.extensions import db

            with app.app_context():
                counter = StatementCounter(db.engine)
            prepared[backend] = (app, headers, shoe_id, counter)
        rows = []
        for round_ in range(rounds):
            for backend in backends if round_ % 2 == 0 else list(reversed(backends)):
                app, headers, shoe_id, counter = prepared[backend]
                for write, figures in measure(app, headers, shoe_id, today, requests, counter).items():
                    rows.append({"round": round_, "backend": backend, "write": write, **figures})
        return {"requests": requests, "overrides": overrides, "rows": rows}
    finally:
        for app, *_ in prepared.values():
            with app.app_context():
                from strideguard.extensions import db

                db.engine.dispose()
        for name in pg_names:
            databases.drop_postgres(name)


def summary(result: dict[str, Any]) -> list[str]:
    lines = []
    for backend in sorted({r["backend"] for r in result["rows"]}):
        for write in WRITES:
            rows = [r for r in result["rows"] if r["backend"] == backend and r["write"] == write]
            if not rows:
                continue
            ms = sorted(r["median_ms"] for r in rows)
            cpu = statistics.median(r.get("cpu_ms", 0.0) for r in rows)
            lines.append(f"{backend:<10} {write:<16} {statistics.median(ms):6.2f} ms "
                         f"({ms[0]:.2f}–{ms[-1]:.2f}), CPU {cpu:.2f} ms  statements {rows[-1]['statements']:.1f} "
                         f"+ {rows[-1]['control']:.1f} transaction commands")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--set", action="append", default=[], help="config override NAME=VALUE (JSON value)")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    parser.add_argument("--code", type=Path, help="serve another checkout's app (read before the imports)")
    parser.add_argument("--texts", action="store_true", help="print each write's statements")
    args = parser.parse_args(argv)
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    backends = [names[b.strip().lower()] for b in args.backends.split(",")]
    overrides = {}
    for item in args.set:
        key, _, value = item.partition("=")
        try:
            overrides[key] = json.loads(value)
        except ValueError:
            overrides[key] = value
    workdir = Path(tempfile.mkdtemp(prefix="strideguard-writes-"))
    try:
        result = writes_phase(workdir, args.rounds, args.requests, backends, overrides)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(json.dumps(result))
    for line in summary(result):
        print(line)
    if args.texts:
        for backend in backends:
            for write in WRITES:
                last = [r for r in result["rows"] if r["backend"] == backend and r["write"] == write][-1]
                print(f"\n{backend} {write}: {last['kinds']}")
                for text, n in last["texts"].items():
                    print(f"  {n:5.2f}  {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
