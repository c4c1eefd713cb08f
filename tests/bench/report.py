"""Turn the raw results of one ``make bench`` run into tests/bench/RESULTS.md (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tests.bench.stats import Goal, goal_rows, markdown_table, rate, same_round_ratios, spread

#: The PUT check-in cell, run by the runner with a 10-year history.
LONG_HISTORY_CELL = "PUT check-in, 10-year history"
#: The PUT check-in cell spread over several runners (one a wrk connection).
MANY_RUNNERS = 16
MANY_RUNNERS_CELL = f"PUT check-in, {MANY_RUNNERS} runners"
#: The stack's floors (``httpbench.floor_cells``): no domain work, same server, same round.
FLOOR_READ = "floor: authenticated GET /me"
FLOOR_WRITE = "floor: PATCH shoe name"
HTTP_CELLS = ("PUT check-in", "PUT run", "GET guidance", "GET load", LONG_HISTORY_CELL, MANY_RUNNERS_CELL,
              FLOOR_READ, FLOOR_WRITE)
#: The write goals of issue 13 (share of the ceiling; PUT check-in's p99 ÷ the ceiling's), per database.
WRITE_GOALS = {"SQLite": 0.20, "PostgreSQL": 0.15}
P99_GOALS = {"SQLite": 5.0, "PostgreSQL": 6.0}
#: Appended to a database's name for the cells served by the code before (``--baseline``).
BEFORE = ", before"
#: Issue 24's goals against the cheapest write, same round: a PUT's req/s ÷ the cheapest
#: write's (at least), its p99 ÷ the cheapest write's p99 (at most); the reads' req/s ÷ the
#: code before's, same round (at least: no regression).
FLOOR_SHARE_GOAL = 0.6
FLOOR_P99_GOAL = 1.5
NO_REGRESSION = 0.9


def backends_of(http: Mapping[str, Any]) -> list[str]:
    """The databases measured, each followed by its baseline when there is one."""
    out = []
    for backend in WRITE_GOALS:
        out += [b for b in (backend, backend + BEFORE) if any(c["backend"] == b for c in http["cells"])]
    return out


def _rounds(cells: Sequence[Mapping[str, Any]], backend: str, cell: str) -> list[Mapping[str, Any]]:
    return sorted((c for c in cells if c["backend"] == backend and c["cell"] == cell), key=lambda c: c["round"])


def _has(http: Mapping[str, Any], backend: str, cell: str) -> bool:
    return bool(_rounds(http["cells"], backend, cell))


def ceilings(http: Mapping[str, Any]) -> dict[int, dict[str, float]]:
    """Per round: the ceiling's req/s and p99, the mean of its runs in that round."""
    out: dict[int, dict[str, float]] = {}
    for c in http["cells"]:
        if c["backend"] != "ceiling":
            continue
        slot = out.setdefault(c["round"], {"rps": 0.0, "p99_ms": 0.0, "p50_ms": 0.0, "n": 0})
        for key in ("rps", "p99_ms", "p50_ms"):
            slot[key] += c[key]
        slot["n"] += 1
    for slot in out.values():
        for key in ("rps", "p99_ms", "p50_ms"):
            slot[key] /= slot["n"]
    return out


def http_figures(http: Mapping[str, Any], backend: str, cell: str) -> dict[str, Any]:
    """Spreads of req/s, its same-round ratio, p50/p99 and the p99 ratio for one cell."""
    rounds = _rounds(http["cells"], backend, cell)
    ceil = ceilings(http)
    base = [ceil[c["round"]] for c in rounds]
    return {
        "rps": spread(c["rps"] for c in rounds),
        "ratio": spread(same_round_ratios([c["rps"] for c in rounds], [b["rps"] for b in base])),
        "p50": spread(c["p50_ms"] for c in rounds),
        "p99": spread(c["p99_ms"] for c in rounds),
        "p99_ratio": spread(same_round_ratios([c["p99_ms"] for c in rounds], [b["p99_ms"] for b in base])),
        "errors": sum(c["errors"] for c in rounds),
    }


def http_table(http: Mapping[str, Any]) -> str:
    ceil = ceilings(http)
    rows = [[
        "ceiling (minimal Flask JSON)", "—",
        spread(c["rps"] for c in ceil.values()).fmt(), "100%",
        spread(c["p50_ms"] for c in ceil.values()).fmt(2), spread(c["p99_ms"] for c in ceil.values()).fmt(2), "1.00x", "0",
    ]]
    for backend in backends_of(http):
        for cell in HTTP_CELLS:
            if not _has(http, backend, cell):  # e.g. results of a run from before the cell existed
                continue
            f = http_figures(http, backend, cell)
            rows.append([
                cell, backend, f["rps"].fmt(), f"{f['ratio'].median * 100:.0f}% ({f['ratio'].low * 100:.0f}–{f['ratio'].high * 100:.0f}%)",
                f["p50"].fmt(2), f["p99"].fmt(2), f"{f['p99_ratio'].median:.2f}x", str(f["errors"]),
            ])
    return markdown_table(
        ["request", "database", "req/s median (min–max)", "÷ ceiling, same round", "p50 ms", "p99 ms", "p99 ÷ ceiling p99", "non-2xx/errors"],
        rows,
    )


def floors_table(http: Mapping[str, Any]) -> str:
    """Each write goal beside what the stack reaches with no domain work, same rounds: the
    authenticated read and the cheapest authenticated write. A goal above the write floor
    cannot be met by any PUT that also writes its care plan and computes its guidance."""
    rows = []
    shown = ("PUT check-in", MANY_RUNNERS_CELL, "PUT run", FLOOR_WRITE, FLOOR_READ)
    for backend in backends_of(http):
        goal = WRITE_GOALS[backend.split(",")[0]]
        if not all(_has(http, backend, cell) for cell in shown):
            continue
        share = {cell: http_figures(http, backend, cell)["ratio"].median for cell in shown}
        floor = _rounds(http["cells"], backend, FLOOR_WRITE)
        checkin = _rounds(http["cells"], backend, "PUT check-in")
        per_round = same_round_ratios([c["rps"] for c in checkin], [f["rps"] for f in floor])
        rows.append([
            backend, f"{goal * 100:.0f}%", *(f"{share[c] * 100:.1f}%" for c in shown),
            f"{spread(per_round).median:.2f}", f"{goal / share[FLOOR_WRITE]:.2f}",
            f"{P99_GOALS[backend.split(',')[0]]:.0f}x", f"{http_figures(http, backend, FLOOR_WRITE)['p99_ratio'].median:.2f}x",
        ])
    return markdown_table(
        ["database", "goal for PUT check-in and PUT run (÷ ceiling)", "PUT check-in", MANY_RUNNERS_CELL,
         "PUT run", "cheapest write: PATCH shoe name", "authenticated GET /me",
         "PUT check-in ÷ cheapest write, same round", "goal ÷ cheapest write",
         "p99 goal for PUT check-in (÷ ceiling p99)", "cheapest write's p99 ÷ ceiling p99"],
        rows,
    )


def per_round(http: Mapping[str, Any], backend: str, cell: str, other_backend: str, other_cell: str,
              key: str = "rps") -> list[float]:
    """``cell``'s figure ÷ ``other_cell``'s in each round both were measured in."""
    mine = {c["round"]: c[key] for c in _rounds(http["cells"], backend, cell)}
    theirs = {c["round"]: c[key] for c in _rounds(http["cells"], other_backend, other_cell)}
    both = sorted(set(mine) & set(theirs))
    return same_round_ratios([mine[r] for r in both], [theirs[r] for r in both])


def _fmt(values: list[float], digits: int = 2, suffix: str = "") -> str:
    return spread(values).fmt(digits, suffix) if values else "—"


def floor_goal_rows(http: Mapping[str, Any]) -> list[tuple[str, str, list[float], list[float], str, float]]:
    """Issue 24's figures per database: (figure, database, the code before's per-round values,
    this code's, operator, goal). The baseline's list is empty without ``--baseline``."""
    rows = []
    for backend in WRITE_GOALS:
        if not _has(http, backend, FLOOR_WRITE):
            continue
        before = backend + BEFORE

        def both(cell: str, other: str, key: str = "rps") -> tuple[list[float], list[float]]:
            return (per_round(http, before, cell, before, other, key) if _has(http, before, cell) else [],
                    per_round(http, backend, cell, backend, other, key))

        for cell in ("PUT check-in", "PUT run", MANY_RUNNERS_CELL):
            rows.append((f"{cell} ÷ cheapest write (req/s, same round)", backend, *both(cell, FLOOR_WRITE),
                         ">=", FLOOR_SHARE_GOAL))
            if cell != MANY_RUNNERS_CELL:
                rows.append((f"{cell} p99 ÷ cheapest write p99", backend, *both(cell, FLOOR_WRITE, "p99_ms"),
                             "<=", FLOOR_P99_GOAL))
        for cell in ("GET guidance", "GET load", FLOOR_WRITE):
            mine = [c["rps"] / ceil for c, ceil in zip(_rounds(http["cells"], backend, cell),
                                                       [ceilings(http)[c["round"]]["rps"] for c in _rounds(http["cells"], backend, cell)])]
            theirs = []
            if _has(http, before, cell):
                theirs = [c["rps"] / ceilings(http)[c["round"]]["rps"] for c in _rounds(http["cells"], before, cell)]
            rows.append((f"{cell} ÷ ceiling (same round)", backend, theirs, mine, "", 0.0))
            if theirs:
                rows.append((f"{cell}: this code ÷ the code before (req/s, same round)", backend, [],
                             per_round(http, backend, cell, before, cell), ">=",
                             1.0 if cell == FLOOR_WRITE else NO_REGRESSION))
        rows.append(("PUT check-in, 10-year ÷ 90-day history (cost per request, same round)", backend,
                     [1 / r for r in per_round(http, before, LONG_HISTORY_CELL, before, "PUT check-in")]
                     if _has(http, before, LONG_HISTORY_CELL) else [],
                     [1 / r for r in per_round(http, backend, LONG_HISTORY_CELL, backend, "PUT check-in")], "<=", 1.3))
    return rows


def floor_goals_table(http: Mapping[str, Any]) -> str:
    rows = []
    for figure, backend, before, mine, op, goal in floor_goal_rows(http):
        judged = "—"
        if op and mine:
            judged = "met" if Goal(figure, goal, spread(mine).median, op).met else "**missed**"
        rows.append([figure, backend, _fmt(before), _fmt(mine), f"{op} {goal:g}" if op else "—", judged])
    return markdown_table(["figure", "database", "code before (median, min–max)", "this code", "goal", "result"], rows)


def lock_rows(http: Mapping[str, Any]) -> list[list[str]]:
    """Per database and write cell (this code): the share of request time spent waiting for
    the write lock, the time each write held it, and the rate that hold time allows one
    writer at a time (1 ÷ mean hold), beside the measured req/s."""
    rows = []
    for backend in backends_of(http):
        for cell in ("PUT check-in", "PUT run", MANY_RUNNERS_CELL, LONG_HISTORY_CELL):
            found = [c for c in _rounds(http["cells"], backend, cell)
                     if c.get("server", {}).get("locks") and c["server"].get("request_s")]
            if not found:
                continue
            wait = [c["server"]["lock_wait_s"] / c["server"]["request_s"] for c in found]
            held = [c["server"]["lock_held_s"] / c["server"]["locks"] * 1000 for c in found]
            bound = [c["server"]["locks"] / c["server"]["lock_held_s"] for c in found]
            in_app = [c["server"]["request_s"] / c["server"]["requests"] * 1000 for c in found]
            rows.append([cell, backend, f"{spread(wait).median * 100:.0f}% ({spread(wait).low * 100:.0f}–{spread(wait).high * 100:.0f}%)",
                         spread(in_app).fmt(2), spread(held).fmt(2), spread(bound).fmt(),
                         spread(c["rps"] for c in found).fmt()])
    return rows


def lock_table(http: Mapping[str, Any]) -> str:
    return markdown_table(["request", "database", "share of request time waiting for the write lock",
                           "ms in the app per request", "ms the lock is held per write",
                           "one writer at a time: 1 ÷ hold (req/s)", "measured req/s"], lock_rows(http))


def writes_table(writes: Mapping[str, Any]) -> str:
    """In-process (no server, no lock waits): ms and statements per write, by code version."""
    rows = []
    codes = [c for c in ("before", "this") if any(r.get("code", "this") == c for r in writes["rows"])]
    for backend in ("SQLite", "PostgreSQL"):
        for write in dict.fromkeys(r["write"] for r in writes["rows"]):  # as measured: writes.WRITES
            found = {code: [r for r in writes["rows"] if r["backend"] == backend and r["write"] == write
                            and r.get("code", "this") == code] for code in codes}
            if not any(found.values()):
                continue
            cells = []
            for code in codes:
                rs = found[code]
                cpu = [r["cpu_ms"] for r in rs if "cpu_ms" in r]
                cells += [_fmt([r["median_ms"] for r in rs], 2, " ms"), _fmt(cpu, 2, " ms"),
                          f"{rs[-1]['statements']:.0f} + {rs[-1]['control']:.0f}" if rs else "—"]
            if len(codes) == 2 and found["before"] and found["this"]:
                for key in ("median_ms", "cpu_ms"):
                    pairs = {r["round"]: r[key] for r in found["before"] if key in r}
                    ratio = [r[key] / pairs[r["round"]] for r in found["this"] if r["round"] in pairs and key in r]
                    cells.append(_fmt(ratio, 2, "x"))
            rows.append([write, backend, *cells])
    headers = ["write", "database"]
    for code in codes:
        headers += [f"ms, {code}", f"CPU ms, {code}", f"statements + transaction commands, {code}"]
    if len(codes) == 2:
        headers += ["ms: this ÷ before, same round", "CPU: this ÷ before, same round"]
    return markdown_table(headers, rows)


#: The sweep's passes after the nightly step stored today's plan days (what a tick sees).
STORED = "stored by the nightly step"
IN_MEMORY = "stepped in memory"


def _plan_days(p: Mapping[str, Any]) -> str:
    return p.get("plan_days", IN_MEMORY)  # runs before the nightly step existed


def sweep_table(sweep: Mapping[str, Any]) -> str:
    rows = []
    for mode in (IN_MEMORY, STORED):
        for backend in ("PostgreSQL", "SQLite"):
            passes = [p for p in sweep["passes"] if p["backend"] == backend and _plan_days(p) == mode]
            if not passes:
                continue
            rows.append([
                backend, mode, f"{sweep['runners']:,}", spread(p["seconds"] for p in passes).fmt(2, " s"),
                spread(rate(sweep["runners"], p["seconds"]) for p in passes).fmt(),
                spread(p["cpu_s"] for p in passes).fmt(2, " s"), f"{passes[0]['written']:,}",
                f"{sweep['load_s'][backend]:.0f} s" if sweep["load_s"].get(backend) else "reused (--reuse)",
            ])
    table = markdown_table(
        ["database", "today's plan days", "runners", "planning pass", "runners/s", "client CPU", "rows written",
         "seed load"], rows)
    steps = sweep.get("nightly_step") or []
    if steps:
        table += "\n\nThe nightly step (`plan.advance`, run by the worker after each runner's local midnight, once a day): " + \
            "; ".join(f"{s_['backend']} {s_['seconds']:.1f} s for {s_['days']:,} plan days "
                      f"({s_['days'] / s_['seconds']:,.0f} a second)" for s_ in steps) + "."
    return table


def push_figures(passes: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Spreads of one push scenario's timed passes."""
    return {
        "rate": spread(rate(int(p["sent"]), p["wall_s"]) for p in passes),
        "send_rate": spread(rate(int(p["jobs"]), p["send_wall_s"]) for p in passes),
        "send_cpu_us": spread(p["send_cpu_s"] / max(p["jobs"], 1) * 1e6 for p in passes),
        "cpu_us": spread(p["cpu_s"] / max(p["sent"], 1) * 1e6 for p in passes),
        "service_cpu_us": spread(p.get("service_cpu_s", 0.0) / max(p["sent"], 1) * 1e6 for p in passes),
        "senders": sorted({int(p.get("senders", 1)) for p in passes}),
        "signatures": sorted({int(p["signatures"]) for p in passes}),
        "failed": sum(int(p["failed"]) for p in passes),
    }


def rss_change(push: Mapping[str, Any]) -> tuple[int, int, float]:
    """(baseline KiB after the warm-up passes, KiB after the last pass, relative change)."""
    baseline = int(push["rss_baseline_kb"])
    final = int(push["rss_final_kb"])
    return baseline, final, (final - baseline) / baseline if baseline else 0.0


def push_table(push: Mapping[str, Any]) -> str:
    rows = []
    scenarios = (("fast", "local push service"), ("latency", f"+{push['latency_ms']:.0f} ms per request"))
    for name, label in scenarios:
        for key in [k for k in push["passes"] if k == name or k.startswith(name + "_")]:
            f = push_figures(push["passes"][key])
            rows.append([
                label, ", ".join(map(str, f["senders"])), f"{push['messages']:,}", f["rate"].fmt(),
                f["send_rate"].fmt(), f["send_cpu_us"].fmt(), f["cpu_us"].fmt(), f["service_cpu_us"].fmt(),
                ", ".join(map(str, f["signatures"])), str(push["origins"]), str(f["failed"]),
            ])
    return markdown_table(
        ["scenario", "sender processes", "messages/pass", "msg/s deliver() (min–max)", "msg/s send_all",
         "client CPU µs/msg send_all", "CPU µs/msg deliver() (all senders)", "push service CPU µs/msg",
         "VAPID signatures/pass", "origins", "not sent"],
        rows,
    )


IMPORT_STAGES = ("parser", "parse", "import SQLite", "import PostgreSQL")


def imports_table(imports: Mapping[str, Any]) -> str:
    """Per format and stage: files/s and MB/s, and the share of the parser-alone ceiling
    measured in the same round."""
    rows = []
    for fmt, corpus in imports["corpus"].items():
        ceiling = {r["round"]: r["files_s"] for r in imports["rows"] if r["format"] == fmt and r["stage"] == "parser"}
        for stage in IMPORT_STAGES:
            found = [r for r in imports["rows"] if r["format"] == fmt and r["stage"] == stage]
            if not found:
                continue
            rate = spread(r["files_s"] for r in found)
            mb = spread(r["mb_s"] for r in found)
            share = spread(r["files_s"] / ceiling[r["round"]] for r in found if ceiling.get(r["round"]))
            refresh = [r["refresh_s"] for r in found if "refresh_s" in r]
            rows.append([f"{fmt.upper()} ({corpus['files']} files, {corpus['bytes'] / 1e6:.2f} MB)", stage,
                         rate.fmt(1), mb.fmt(2), f"{share.median * 100:.0f}%",
                         spread(refresh).fmt(2, " s") if refresh else "—"])
    return markdown_table(["format (corpus)", "stage", "files/s median (min–max)", "MB/s", "÷ parser alone, same round",
                           "then one care-plan refresh"], rows)


def goals(results: Mapping[str, Any]) -> list[Goal]:
    """Every goal of issue 7 that this run measured."""
    out: list[Goal] = []
    http = results.get("http")
    if http:
        for backend, share in WRITE_GOALS.items():
            p99x = P99_GOALS[backend]
            if not _has(http, backend, "PUT check-in"):
                continue
            f = http_figures(http, backend, "PUT check-in")
            out.append(Goal(f"PUT check-in with guidance, {backend}: share of ceiling", share, f["ratio"].median, ">=", "%"))
            out.append(Goal(f"PUT check-in with guidance, {backend}: p99 ÷ ceiling p99", p99x, f["p99_ratio"].median, "<=", "x"))
        for backend, share in WRITE_GOALS.items():
            if not _has(http, backend, "PUT run"):
                continue
            f = http_figures(http, backend, "PUT run")
            out.append(Goal(f"PUT run, {backend}: share of ceiling", share, f["ratio"].median, ">=", "%"))
        for figure, backend, _before, mine, op, goal in floor_goal_rows(http):
            if op and mine:
                out.append(Goal(f"{figure}, {backend}", goal, spread(mine).median, op, "x"))
        if _has(http, "SQLite", "GET guidance"):
            f = http_figures(http, "SQLite", "GET guidance")
            out.append(Goal("GET guidance, SQLite: share of ceiling", 0.25, f["ratio"].median, ">=", "%"))
        for backend in ("SQLite", "PostgreSQL"):
            short = _rounds(http["cells"], backend, "PUT check-in")
            long_ = {c["round"]: c for c in _rounds(http["cells"], backend, LONG_HISTORY_CELL)}
            cost = [s_["rps"] / long_[s_["round"]]["rps"] for s_ in short if s_["round"] in long_ and long_[s_["round"]]["rps"]]
            if cost:
                out.append(Goal(f"PUT check-in cost, 10-year ÷ 90-day history, {backend} (same round)", 1.3,
                                spread(cost).median, "<=", "x"))
    sweep = results.get("sweep")
    if sweep:
        for backend in ("PostgreSQL", "SQLite"):
            passes = [p for p in sweep["passes"] if p["backend"] == backend]
            mode = STORED if any(_plan_days(p) == STORED for p in passes) else IN_MEMORY
            seconds = spread(p["seconds"] for p in passes if _plan_days(p) == mode)
            limit = 2.0 if backend == "PostgreSQL" else 4.0
            out.append(Goal(f"planning pass, {sweep['runners']:,} runners, {backend}", limit, seconds.median, "<=", " s"))
    push = results.get("push")
    units = results.get("units")
    if push:
        fast = push_figures(push["passes"]["fast"])
        slow = push_figures(push["passes"]["latency"])
        senders = push.get("senders", 1)
        out.append(Goal(f"push delivery, local push service (deliver(), {senders} sender processes)", 2000,
                        fast["rate"].median, ">=", " msg/s"))
        if units:
            budget = 2.5 * (units["encrypt_us"] + units["sign_us"])
            out.append(Goal("client CPU per message (send_all) vs 2.5 × (encrypt + sign)", budget,
                            fast["send_cpu_us"].median, "<=", " µs"))
        out.append(Goal(f"push delivery with {push['latency_ms']:.0f} ms latency (deliver(), {senders} sender processes)", 1000,
                        slow["rate"].median, ">=", " msg/s"))
        out.append(Goal("VAPID signatures per pass = push-service origins", push["origins"],
                        max(fast["signatures"] + slow["signatures"]), "<=", ""))
        _, _, change = rss_change(push)
        out.append(Goal("worker RSS change across the 10k-push passes (abs)", 0.10, abs(change), "<=", "%"))
    return out


def render(results: Mapping[str, Any], notes: str = "") -> str:
    """The whole RESULTS.md."""
    meta = results["meta"]
    parts = [
        "# Benchmark results",
        "",
        f"Written by `make bench` (`python -m tests.bench.run`) on {meta['when']}: {meta['cpus']} CPUs, "
        f"load average at start {meta['loadavg']}, {meta['rounds']} interleaved rounds, "
        f"wrk -t2 -c16 -d{meta['seconds']:g}s per HTTP cell. Figures are medians with (min–max) over the rounds; "
        "each HTTP figure is divided by the ceiling measured in the same round.",
        "",
    ]
    if "http" in results:
        threads = meta.get("threads")
        serving = (f"{meta.get('workers', 2)} workers × {threads} threads" if threads else "2 sync workers")
        parts += [f"## HTTP (gunicorn, {serving}, `strideguard serve`)", ""]
        if results["http"].get("baseline"):
            parts += [f"Cells labelled \"{BEFORE.strip(', ')}\" are served by the code before this change "
                      "(another checkout, its own databases with the same runners and history), in the same rounds.", ""]
        parts += [http_table(results["http"]), ""]
        if any(_has(results["http"], b, FLOOR_WRITE) for b in WRITE_GOALS):
            parts += ["### Writes against the cheapest write (issue 24)", "",
                      "Each figure per round, then the median (min–max) over the rounds; \"code before\" only with "
                      "`--baseline`.", "", floor_goals_table(results["http"]), ""]
        locks = lock_rows(results["http"])
        if locks:
            parts += ["### The write lock (this code)", "",
                      "From the servers' `/metrics` around each cell: time in `lock_runner`'s lock statement "
                      "(waiting for the runner's row lock on PostgreSQL, SQLite's one writer lock) ÷ the time "
                      "the app spent on the cell's requests (all threads of both workers); and how long each "
                      "write held the lock, to its commit. Writes of one runner (on SQLite: of everybody) hold "
                      "it one after another, so 1 ÷ hold is the most such writes a second (not a bound for "
                      "PostgreSQL's 16 runners, whose row locks differ).", "",
                      lock_table(results["http"]), ""]
        if any(_has(results["http"], backend, FLOOR_WRITE) for backend in WRITE_GOALS):
            parts += ["### The stack's floors (same servers, same rounds)", "",
                      "What a request costs with no domain work, measured beside the cells above: "
                      "`GET /me` signed in (session lookup, CSRF-free read, one row out) and the cheapest "
                      "signed-in write, renaming a pair of shoes (two names in turn: a real UPDATE, the "
                      "guidance-rev trigger and an fsync'd commit, but no care plan, guidance or outbox). A "
                      "goal at or above the write floor (\"goal ÷ cheapest write\" ≥ 1) cannot be met by a "
                      "write that also replays the care plan and computes guidance on this stack.", "",
                      floors_table(results["http"]), ""]
        costs = results["http"].get("guidance_in_process")
        if costs:
            stored, computed = spread(c["stored_ms"] for c in costs), spread(c["computed_ms"] for c in costs)
            ratio = spread(c["computed_ms"] / c["stored_ms"] for c in costs)
            parts += ["`GET guidance` is served as stored in the cells above (the answer is stored by the first "
                      "request after a change). In-process on the same SQLite database, same run, "
                      f"{len(costs)} rounds of 200 requests: served as stored {stored.fmt(2, ' ms')}, computed "
                      f"(stored answers deleted before each request) {computed.fmt(2, ' ms')}: "
                      f"{ratio.median:.1f}× (median).", ""]
    if "writes" in results:
        parts += ["## The writes in-process (`tests.bench.writes`: Flask test client, no server, no lock waits)", "",
                  f"{results['writes']['requests']} requests per write and round, median wall ms per request and "
                  "this process's mean CPU ms per request (all of SQLite's work; PostgreSQL's client side), "
                  "which other load on the machine moves less; statements are the round trips to the database "
                  "besides BEGIN/COMMIT/SAVEPOINT (\"+ n\").", "",
                  writes_table(results["writes"]), ""]
    if "sweep" in results:
        parts += ["## Reminder planning pass (`plan_scheduled`, every runner subscribed)", "",
                  sweep_table(results["sweep"]), ""]
    if "push" in results:
        parts += ["## Push delivery (`deliver()` → local push service in its own process)", "",
                  push_table(results["push"]), ""]
        base, final, change = rss_change(results["push"])
        parts += [f"Worker RSS: {base / 1024:.1f} MiB after the warm-up passes, {final / 1024:.1f} MiB after the last "
                  f"pass ({change * 100:+.1f}%).", ""]
    if "units" in results:
        u = results["units"]
        parts += [f"Unit costs (same run): encrypt one message (aes128gcm) {u['encrypt_us']:.0f} µs, sign one VAPID JWT "
                  f"{u['sign_us']:.0f} µs; 2.5 × (encrypt + sign) = {2.5 * (u['encrypt_us'] + u['sign_us']):.0f} µs.", ""]
    if "imports" in results:
        parts += ["## Imports (real device files; parser alone = the ceiling)", "", imports_table(results["imports"]), ""]
    found = goals(results)
    if found:
        parts += ["## Goals", "", markdown_table(["figure", "goal", "measured (median)", "result"], goal_rows(found)), ""]
    if notes:
        parts += ["## Notes", "", notes.strip(), ""]
    return "\n".join(parts)
