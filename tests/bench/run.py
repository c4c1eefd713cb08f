"""``make bench``: HTTP cells vs the Flask ceiling, the reminder planning pass over 100k
runners, push delivery, and imports per format vs the parsers alone — interleaved rounds in
one run; writes tests/bench/RESULTS.md.

    python -m tests.bench.run [--rounds 3] [--seconds 5] [--runners 100000]
                              [--messages 10000] [--only http,writes,sweep,push,imports] [--reuse]
                              [--baseline CHECKOUT] [--render-only] [--out FILE]

``--baseline CHECKOUT`` serves another checkout (a git worktree of the code before a change)
beside this one: its HTTP cells run in the same rounds on their own databases, and the
in-process writes alternate between the two (side-by-side ratios in RESULTS.md).

``--only imports`` runs the imports benchmark on its own (about a minute).

``--reuse`` keeps the seeded sweep databases in .bench/ (and PostgreSQL database
``sg_bench_sweep_<runners>``) for the next run; by default everything is throwaway.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
for _path in (REPO / "server", REPO):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from tests.bench import databases, httpbench, imports, push, report, seed, servers, sweep  # noqa: E402

RESULTS_MD = Path(__file__).with_name("RESULTS.md")
RAW_JSON = REPO / ".bench" / "results.json"
NOTES_MD = Path(__file__).with_name("NOTES.md")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- HTTP ------------------------------------------------------------------------------


#: The label of a cell served by the code before (``--baseline``): "SQLite, before".
BEFORE = report.BEFORE


def http_phase(workdir: Path, rounds: int, seconds: float, baseline: Path | None = None) -> dict[str, Any]:
    """The servers up at once; every round: ceiling, each server's cells, ceiling. With
    ``baseline`` (another checkout: the code before a change), a second server per database
    serves that code on its own database with the same runners and history, and its cells
    run in the same rounds, alternating with this code's (labelled "<database>, before")."""
    today = datetime.now(timezone.utc).date()
    running: list[servers.Server] = []
    made: list[Any] = []
    pg_names: list[str] = []
    variants = [("SQLite", None, None), ("PostgreSQL", "pg", None)]
    if baseline is not None:
        variants += [("SQLite" + BEFORE, None, baseline), ("PostgreSQL" + BEFORE, "pg", baseline)]
    try:
        ceiling = servers.start_ceiling()
        running.append(ceiling)
        apps = {}
        for backend, pg, code in variants:
            slug = backend.lower().replace(", ", "-").replace(" ", "-")
            instance = workdir / f"http-{slug}"
            # The HTTP cells always start from an empty database (only the sweep data is reused).
            shutil.rmtree(instance, ignore_errors=True)
            url = None
            if pg:
                name = databases.new_database_name("sg_bench_http")
                pg_names.append(name)
                url = databases.create_postgres(name)
            app = databases.make_app(instance, url)
            made.append(app)
            databases.migrate(app)
            server = servers.start_app(backend, instance, url, code)
            running.append(server)
            creds, uid = httpbench.register(server.url, f"http-{slug}@strideguard.invalid")
            # A second runner with ten years of history (3,650 check-ins, ~2,000 runs in one
            # pair of shoes): a write must not cost more as a runner's history grows.
            long_creds, long_uid = httpbench.register(server.url, f"http-10y-{slug}@strideguard.invalid")
            # More runners with the same 90 days, for the PUT cell spread over one runner a
            # connection (writes of different runners do not wait for each other's lock).
            others = [httpbench.register(server.url, f"http-{i}-{slug}@strideguard.invalid")
                      for i in range(1, httpbench.MANY_RUNNERS)]
            with app.app_context():
                from strideguard.extensions import db

                for history_of in [uid] + [other_uid for _, other_uid in others]:
                    seed.insert_history(db.engine, history_of, seed.history(today, seed=7, include_today=False),
                                        shoe="Daily")
                seed.insert_history(db.engine, long_uid, seed.long_history(today), shoe="Daily")
                db.engine.dispose()
            shoe_id = httpbench.create_shoe(server.url, creds, "Daily A")
            apps[backend] = (server, creds, long_creds, [creds] + [c for c, _ in others], shoe_id)
        requests_ = httpbench.cells(today)
        long_cell = report.LONG_HISTORY_CELL
        many_cell = report.MANY_RUNNERS_CELL
        for backend, (server, creds, long_creds, many, shoe_id) in apps.items():
            for name, req in {**requests_, **httpbench.floor_cells(shoe_id)}.items():
                httpbench.check(server.url, creds, req)
            httpbench.check(server.url, long_creds, requests_["PUT check-in"])
            for runner in many:
                httpbench.check(server.url, runner, requests_["PUT check-in"])
            # Warm-up: the plugins' probation (their first calls on the pool) and the caches.
            httpbench.run_wrk(server.url, requests_["PUT check-in"], creds, 1)
            httpbench.run_wrk(server.url, requests_["GET guidance"], creds, 1)
        httpbench.run_wrk(ceiling.url, httpbench.Request("GET", "/ceiling"), None, 1)
        cells: list[dict[str, Any]] = []

        def record(round_: int, backend: str, cell: str, result: httpbench.WrkResult,
                   locks: dict[str, float] | None = None) -> None:
            cells.append({"round": round_, "backend": backend, "cell": cell, "rps": result.rps,
                          "p50_ms": result.p50_ms, "p99_ms": result.p99_ms, "errors": result.errors,
                          "requests": result.requests, **({"server": locks} if locks else {})})
            share = ""
            if locks and locks.get("request_s") and "lock_wait_s" in locks:
                share = f"  lock wait {locks['lock_wait_s'] / locks['request_s'] * 100:4.0f}%"
            log(f"  round {round_} {backend:<18} {cell:<30} {result.rps:8.0f} req/s  p99 {result.p99_ms:6.2f} ms"
                + share + (f"  ERRORS {result.errors}" if result.errors else ""))

        def measured(url: str, req: httpbench.Request, creds: Any) -> tuple[httpbench.WrkResult, dict[str, float]]:
            before = httpbench.scrape(url)
            result = httpbench.run_wrk(url, req, creds, seconds)
            # The requests still queued when wrk stopped finish before the next cell starts.
            return result, httpbench.lock_figures(before, httpbench.settled(url))

        ceiling_req = httpbench.Request("GET", "/ceiling")
        for round_ in range(rounds):
            record(round_, "ceiling", "ceiling", httpbench.run_wrk(ceiling.url, ceiling_req, None, seconds))
            order = list(apps) if round_ % 2 == 0 else list(reversed(apps))
            for backend in order:
                server, creds, long_creds, many, shoe_id = apps[backend]
                for name, req in requests_.items():
                    record(round_, backend, name, *measured(server.url, req, creds))
                record(round_, backend, long_cell, *measured(server.url, requests_["PUT check-in"], long_creds))
                record(round_, backend, many_cell, *measured(server.url, requests_["PUT check-in"], many))
                # The stack's own floors, in the same round as the cells they bound.
                for name, req in httpbench.floor_cells(shoe_id).items():
                    record(round_, backend, name, *measured(server.url, req, creds))
            record(round_, "ceiling", "ceiling", httpbench.run_wrk(ceiling.url, ceiling_req, None, seconds))
        # GET guidance in-process on the SQLite database, stored vs computed (same run).
        costs = [httpbench.guidance_in_process(made[0], apps["SQLite"][1], today) for _ in range(rounds)]
        log("  GET guidance in-process, SQLite: " + ", ".join(
            f"stored {c['stored_ms']:.2f} ms / computed {c['computed_ms']:.2f} ms" for c in costs))
        return {"cells": cells, "guidance_in_process": costs,
                "baseline": str(baseline) if baseline is not None else None}
    finally:
        for server in running:
            server.stop()
        for app in made:
            push.close(app)
        for name in pg_names:
            databases.drop_postgres(name)


# --- writes in-process ----------------------------------------------------------------------


def writes_phase_all(rounds: int, requests: int, baseline: Path | None) -> dict[str, Any]:
    """``tests.bench.writes`` (statements and milliseconds per write, in-process) in its own
    process per round and code version, alternating this code and the baseline's."""
    codes = [("this", None)] + ([("before", baseline)] if baseline is not None else [])
    rows: list[dict[str, Any]] = []
    for round_ in range(rounds):
        for label, code in codes if round_ % 2 == 0 else list(reversed(codes)):
            argv = [sys.executable, "-m", "tests.bench.writes", "--rounds", "1", "--requests", str(requests), "--json"]
            if code is not None:
                argv += ["--code", str(code)]
            done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=1800)
            if done.returncode != 0:
                raise RuntimeError(f"writes ({label}) failed: {done.stderr[-2000:]}")
            result = json.loads(next(line for line in done.stdout.splitlines() if line.startswith("{")))
            for row in result["rows"]:
                row.pop("texts", None)
                rows.append({**row, "round": round_, "code": label})
            log(f"  round {round_} {label:<6} " + ", ".join(
                f"{r['backend']} {r['write']} {r['median_ms']:.2f} ms / {r['statements']:.0f} st"
                for r in result["rows"]))
    return {"requests": requests, "rows": rows}


# --- sweep -----------------------------------------------------------------------------


def sweep_phase(workdir: Path, rounds: int, runners: int, reuse: bool) -> dict[str, Any]:
    now = sweep.sweep_now(datetime.now(timezone.utc).date())
    prepared = []
    try:
        for prepare in (sweep.prepare_postgres, sweep.prepare_sqlite):
            started = time.perf_counter()
            sdb = prepare(workdir, runners, now.date(), reuse)
            prepared.append(sdb)
            log(f"  seeded {sdb.backend}: {sdb.shape or 'reused'} in {time.perf_counter() - started:.0f} s")
        passes, steps = [], []
        for sdb in prepared:
            sweep.unstep(sdb.app, now)
        # First as a worker that has not run the nightly step (each runner's plan stepped in
        # memory from yesterday's row), then after it (today's rows stored): what a tick sees.
        for plan_days in (report.IN_MEMORY, report.STORED):
            if plan_days == report.STORED:
                for sdb in prepared:
                    seconds, days = sweep.nightly_step(sdb.app, now)
                    steps.append({"backend": sdb.backend, "seconds": seconds, "days": days})
                    log(f"  nightly step {sdb.backend:<10} {seconds:6.2f} s ({days:,} plan days stored)")
            for round_ in range(rounds):
                for sdb in prepared if round_ % 2 == 0 else reversed(prepared):
                    cpu = time.process_time()
                    seconds, written = sweep.one_pass(sdb.app, now)
                    cpu = time.process_time() - cpu
                    passes.append({"round": round_, "backend": sdb.backend, "seconds": seconds, "cpu_s": cpu,
                                   "written": written, "plan_days": plan_days})
                    log(f"  round {round_} {sdb.backend:<10} {seconds:6.2f} s ({runners / seconds:,.0f} runners/s, "
                        f"CPU {cpu:.2f} s, {written} rows; plan days {plan_days})")
        for sdb in prepared:
            sweep.unstep(sdb.app, now)
        return {"runners": runners, "now": now.isoformat(), "passes": passes, "nightly_step": steps,
                "load_s": {s.backend: s.load_s for s in prepared}}
    finally:
        for sdb in prepared:
            sweep.close(sdb)


# --- push ------------------------------------------------------------------------------


def push_phase(workdir: Path, rounds: int, messages: int, latency_ms: float) -> dict[str, Any]:
    """Both push services up at once; every round: each scenario with one sender process and
    with the default PUSH_SENDERS, order alternating between rounds."""
    services = {}
    apps = {}
    try:
        for name, latency in (("fast", 0.0), ("latency", latency_ms)):
            services[name] = push.start_push_service(messages, latency)
            apps[name] = push.prepare(workdir / f"push-{name}", services[name])
        senders = apps["fast"].config["PUSH_SENDERS"]
        cases = [(name, count) for name in ("fast", "latency") for count in sorted({1, senders})]
        for name, count in cases:  # warm-up: imports, pools, allocator high-water mark
            result = push.one_pass(apps[name], count)
            log(f"  warm-up {name:<8} {count} sender(s) {result['sent'] / result['wall_s']:7.0f} msg/s")
        baseline = push.rss_kb()
        passes: dict[str, list[dict[str, Any]]] = {push_key(name, count, senders): [] for name, count in cases}
        for round_ in range(rounds):
            for name, count in cases if round_ % 2 == 0 else list(reversed(cases)):
                result = push.one_pass(apps[name], count, services[name])
                result["round"] = round_
                passes[push_key(name, count, senders)].append(result)
                log(f"  round {round_} {name:<8} {count} sender(s) {result['sent'] / result['wall_s']:7.0f} msg/s, "
                    f"CPU {result['cpu_s'] / max(result['sent'], 1) * 1e6:.0f} µs/msg (push service "
                    f"{result['service_cpu_s'] / max(result['sent'], 1) * 1e6:.0f}), "
                    f"{result['signatures']} signature(s), not sent {result['failed']}, RSS {result['rss_after_kb'] // 1024} MiB")
        final = push.rss_kb()
        service_counts = {}
        for name, service in services.items():
            service_counts[name] = service.stop()
        services.clear()
        return {"messages": messages, "latency_ms": latency_ms, "origins": 1, "senders": senders, "passes": passes,
                "rss_baseline_kb": baseline, "rss_final_kb": final, "service": service_counts}
    finally:
        for service in services.values():
            service.stop()
        for app in apps.values():
            push.close(app)


def push_key(scenario: str, count: int, default: int) -> str:
    """``fast`` / ``latency``: the default PUSH_SENDERS (the goals); ``fast_1``: one sender."""
    return scenario if count == default else f"{scenario}_{count}"


# --- main ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0, help="wrk duration per HTTP cell")
    parser.add_argument("--runners", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--only", default="http,writes,sweep,push,imports")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="another checkout (e.g. a git worktree of main) served and measured side by side")
    parser.add_argument("--write-requests", type=int, default=200, help="requests per write, in-process")
    parser.add_argument("--reuse", action="store_true", help="keep and reuse the seeded sweep databases")
    parser.add_argument("--out", type=Path, default=RESULTS_MD)
    parser.add_argument("--render-only", action="store_true",
                        help="re-write RESULTS.md from .bench/results.json (e.g. after editing NOTES.md)")
    args = parser.parse_args(argv)
    if args.render_only:
        results = json.loads(RAW_JSON.read_text())
        args.out.write_text(report.render(results, NOTES_MD.read_text() if NOTES_MD.exists() else ""))
        log(f"wrote {args.out}")
        return 0
    if shutil.which("wrk") is None and "http" in args.only:
        print("wrk is not installed (make bench installs it)", file=sys.stderr)
        return 2
    phases = set(args.only.split(","))
    workdir = REPO / ".bench" / "work" if args.reuse else Path(tempfile.mkdtemp(prefix="strideguard-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: dict[str, Any] = {"meta": {
        "when": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "cpus": os.cpu_count(),
        "loadavg": " ".join(f"{x:.1f}" for x in os.getloadavg()), "rounds": args.rounds, "seconds": args.seconds,
        "threads": servers.THREADS, "workers": servers.WORKERS,
    }}
    try:
        if phases & {"http", "sweep", "push"}:
            log("unit costs: encrypt one message, sign one JWT")
            results["units"] = push.unit_costs()
        if "http" in phases:
            log("HTTP: ceiling, SQLite and PostgreSQL servers")
            results["http"] = http_phase(workdir, args.rounds, args.seconds, args.baseline)
        if "writes" in phases:
            log("writes in-process: statements and ms per PUT check-in, PUT run, shoe rename")
            results["writes"] = writes_phase_all(args.rounds, args.write_requests, args.baseline)
        if "sweep" in phases:
            log(f"sweep: seeding {args.runners:,} runners x 90 days in PostgreSQL (COPY) and SQLite (executemany)")
            results["sweep"] = sweep_phase(workdir, args.rounds, args.runners, args.reuse)
        if "push" in phases:
            log(f"push: {args.messages:,} reminders per pass, local push service in its own process")
            results["push"] = push_phase(workdir, args.rounds, args.messages, args.latency_ms)
        if "imports" in phases:
            log("imports: parser alone, parse stage, whole import on SQLite and PostgreSQL, per format")
            results["imports"] = imports.imports_phase(workdir, args.rounds, log)
    finally:
        if not args.reuse:
            shutil.rmtree(workdir, ignore_errors=True)
    results["meta"]["total_s"] = round(time.perf_counter() - started)
    results["meta"]["loadavg_end"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
    RAW_JSON.parent.mkdir(parents=True, exist_ok=True)
    RAW_JSON.write_text(json.dumps(results, indent=1, default=str))
    notes = NOTES_MD.read_text() if NOTES_MD.exists() else ""
    args.out.write_text(report.render(results, notes))
    log(f"wrote {args.out} and {RAW_JSON} in {results['meta']['total_s']} s")
    for goal in report.goals(results):
        log(f"  {'met   ' if goal.met else 'MISSED'} {goal.figure}: {goal.measured:.3g} (goal {goal.op} {goal.target:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
