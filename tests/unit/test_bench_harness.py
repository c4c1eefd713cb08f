"""The benchmark harness's pure parts: summaries, same-round ratios, goals, tables, wrk
output parsing, the synthetic history generator and the report (no timing asserted)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from tests.bench import report, seed
from tests.bench.httpbench import Credentials, Request, cells, floor_cells, parse_wrk, variants_env
from tests.bench.stats import Goal, markdown_table, rate, ratio, same_round_ratios, spread
from tests.bench.sweep import sweep_now

AS_OF = date(2026, 11, 25)


def test_spread_is_min_median_max() -> None:
    s = spread([30.0, 10.0, 20.0, 40.0])
    assert (s.low, s.median, s.high, s.n) == (10.0, 25.0, 40.0, 4)
    assert s.fmt() == "25 (10–40)"


def test_spread_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError):
        spread([])


@pytest.mark.parametrize(
    ("value", "ceiling", "expected"),
    [(500.0, 2000.0, 0.25), (2000.0, 2000.0, 1.0), (10.0, 0.0, 0.0), (10.0, -1.0, 0.0)],
)
def test_ratio(value: float, ceiling: float, expected: float) -> None:
    assert ratio(value, ceiling) == pytest.approx(expected)


def test_ratios_pair_each_round_with_its_own_ceiling() -> None:
    assert same_round_ratios([100, 300], [1000, 1500]) == pytest.approx([0.1, 0.2])
    with pytest.raises(ValueError):
        same_round_ratios([1, 2], [1])


@pytest.mark.parametrize(("count", "seconds", "expected"), [(10_000, 4.0, 2500.0), (5, 0.0, 0.0)])
def test_rate(count: int, seconds: float, expected: float) -> None:
    assert rate(count, seconds) == expected


@pytest.mark.parametrize(
    ("op", "target", "measured", "met"),
    [(">=", 0.20, 0.20, True), (">=", 0.20, 0.199, False), ("<=", 2.0, 2.0, True), ("<=", 2.0, 2.01, False)],
)
def test_goal_boundaries(op: str, target: float, measured: float, met: bool) -> None:
    assert Goal("x", target, measured, op).met is met


def test_goal_with_an_unknown_operator_fails_loudly() -> None:
    with pytest.raises(ValueError):
        _ = Goal("x", 1, 1, "==").met


def test_markdown_table_checks_row_width_and_escapes_pipes() -> None:
    text = markdown_table(["a", "b"], [["1", "x|y"]])
    assert text.splitlines() == ["| a | b |", "| --- | --- |", "| 1 | x\\|y |"]
    with pytest.raises(ValueError):
        markdown_table(["a", "b"], [["only one"]])


def test_parse_wrk_reads_the_script_line() -> None:
    out = ("Running 5s test @ http://127.0.0.1:1/\n"
           'BENCH_JSON {"requests":10000,"duration_us":5000000,"status_errors":2,"socket_errors":1,'
           '"timeouts":0,"p50_us":2500,"p99_us":9000,"mean_us":2600.0}\n')
    result = parse_wrk(out)
    assert result.rps == pytest.approx(2000.0)
    assert (result.p50_ms, result.p99_ms, result.errors, result.requests) == (2.5, 9.0, 3, 10000)
    with pytest.raises(ValueError):
        parse_wrk("no summary here")


def test_a_static_cell_has_no_variants_and_a_rotating_cell_lists_each_runner_and_body() -> None:
    one, two = Credentials("sg_session=a", "t1"), Credentials("sg_session=b", "t2")
    assert variants_env(Request("PUT", "/x", {"pain": 2}), [one]) == ""
    assert variants_env(Request("GET", "/x"), []) == ""
    many = variants_env(Request("PUT", "/x", {"pain": 2}), [one, two]).split("\x1f")
    assert [v.split("\x1e") for v in many] == [["sg_session=a", "t1", '{"pain":2}'], ["sg_session=b", "t2", '{"pain":2}']]
    # The write floor alternates two names, so every request really changes the row.
    floor = floor_cells(7)[report.FLOOR_WRITE]
    assert floor.method == "PATCH" and floor.path == "/api/v1/shoes/7" and floor.body != floor.alternate
    bodies = [v.split("\x1e")[2] for v in variants_env(floor, [one]).split("\x1f")]
    assert bodies == ['{"name":"Daily A"}', '{"name":"Daily B"}']
    assert floor_cells(7)[report.FLOOR_READ] == Request("GET", "/api/v1/me")
    # The goals' PUT cells change the guidance's inputs on every request too.
    for name in ("PUT check-in", "PUT run"):
        cell = cells(AS_OF)[name]
        assert cell.alternate is not None and cell.alternate != cell.body
        assert len(variants_env(cell, [one]).split("\x1f")) == 2


def test_floors_table_sets_each_write_goal_beside_the_cheapest_write_of_the_same_round() -> None:
    cells = []
    for round_, ceiling in enumerate([1000.0, 2000.0, 1500.0]):
        cells.append({"round": round_, "backend": "ceiling", "cell": "ceiling", "rps": ceiling,
                      "p50_ms": 1.0, "p99_ms": 4.0, "errors": 0})
        shares = {"PUT check-in": 0.03, "PUT run": 0.04, report.MANY_RUNNERS_CELL: 0.035,
                  report.FLOOR_WRITE: 0.12, report.FLOOR_READ: 0.2}
        for cell, share in shares.items():
            cells.append({"round": round_, "backend": "PostgreSQL", "cell": cell, "rps": ceiling * share,
                          "p50_ms": 3.0, "p99_ms": 12.0, "errors": 0})
    table = report.floors_table({"cells": cells})
    # Only PostgreSQL measured its floors: one row; its 15% goal is 1.25x the cheapest write.
    # Its p99 goal (6x the ceiling's) beside the cheapest write's p99 ratio (12 ms ÷ 4 ms).
    assert table.splitlines()[2:] == [
        "| PostgreSQL | 15% | 3.0% | 3.5% | 4.0% | 12.0% | 20.0% | 0.25 | 1.25 | 6x | 3.00x |"]
    text = report.render({"meta": {"when": "now", "cpus": 2, "loadavg": "0.1", "rounds": 3, "seconds": 5},
                          "http": {"cells": cells}})
    assert "### The stack's floors" in text and "| PostgreSQL | 15% |" in text


@pytest.mark.parametrize("include_today", [True, False])
def test_history_has_ninety_days_of_well_formed_rows(include_today: bool) -> None:
    hist = seed.history(AS_OF, seed=3, include_today=include_today)
    last = AS_OF if include_today else AS_OF - timedelta(days=1)
    days = [row[0] for row in hist.checkins]
    assert all(last - timedelta(days=89) <= d <= last for d in days + [r[1] for r in hist.runs])
    assert len(set(days)) == len(days)  # one check-in per date
    assert 40 <= len(days) <= 90 and 20 <= len(hist.runs) <= 70
    assert {len(r) for r in hist.checkins} == {len(seed.CHECKIN_COLUMNS) - 1}
    assert {len(r) for r in hist.runs} == {len(seed.RUN_COLUMNS) - 1}
    assert len({r[0] for r in hist.runs}) == len(hist.runs)  # run UUIDs unique per runner
    assert all(r[2] > 0 and r[3] > 0 for r in hist.runs)  # distance and duration


def test_history_is_deterministic_per_seed() -> None:
    assert seed.history(AS_OF, 5) == seed.history(AS_OF, 5)
    assert seed.history(AS_OF, 5) != seed.history(AS_OF, 6)


def test_shape_counts_the_rows_a_load_writes() -> None:
    tmpl = seed.templates(AS_OF, count=4)
    shape = seed.shape_of(10, tmpl)
    # runners 1..10 use templates 1,2,3,0,1,2,3,0,1,2
    uses = [1, 2, 3, 0, 1, 2, 3, 0, 1, 2]
    assert shape.checkins == sum(len(tmpl[i].checkins) for i in uses)
    assert shape.runs == sum(len(tmpl[i].runs) for i in uses)
    assert (shape.users, shape.subscriptions) == (10, 10)


def test_user_rows_fill_every_column() -> None:
    row = seed.user_row(10, datetime(2026, 1, 1, tzinfo=timezone.utc))
    assert len(row) == len(seed.USER_COLUMNS)
    assert row[6] is not None  # every fifth runner has quiet hours


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "\\N"), (True, "t"), (False, "f"), ("a\tb\\c\nd", "a\\tb\\\\c\\nd"), ({"k": 1}, '{"k": 1}'),
     (date(2026, 5, 31), "2026-05-31"), (1.5, "1.5")],
)
def test_copy_values(value: object, text: str) -> None:
    assert seed.copy_value(value) == text


@pytest.mark.parametrize(
    ("today", "sunday"),
    [(date(2026, 11, 25), date(2026, 11, 22)), (date(2026, 11, 22), date(2026, 11, 22)),
     (date(2026, 11, 21), date(2026, 11, 15))],
)
def test_sweep_runs_on_the_latest_sunday_evening(today: date, sunday: date) -> None:
    now = sweep_now(today)
    assert now.date() == sunday and now.weekday() == 6 and now.tzinfo is not None


def _results() -> dict:
    cells = []
    for round_, (ceiling, checkin) in enumerate([(1000.0, 300.0), (2000.0, 300.0), (1500.0, 450.0)]):
        cells.append({"round": round_, "backend": "ceiling", "cell": "ceiling", "rps": ceiling,
                      "p50_ms": 1.0, "p99_ms": 4.0, "errors": 0})
        for backend in ("SQLite", "PostgreSQL"):
            for cell in report.HTTP_CELLS:
                cells.append({"round": round_, "backend": backend, "cell": cell, "rps": checkin,
                              "p50_ms": 3.0, "p99_ms": 12.0, "errors": 0})
    return {
        "meta": {"when": "now", "cpus": 2, "loadavg": "0.1", "rounds": 3, "seconds": 5},
        "http": {"cells": cells},
        "units": {"encrypt_us": 140.0, "sign_us": 60.0},
    }


def test_report_uses_same_round_ratios_and_judges_goals() -> None:
    results = _results()
    figures = report.http_figures(results["http"], "SQLite", "PUT check-in")
    assert [figures["ratio"].low, figures["ratio"].median, figures["ratio"].high] == pytest.approx([0.15, 0.3, 0.3])
    assert figures["p99_ratio"].median == pytest.approx(3.0)
    goals = {g.figure: g for g in report.goals(results)}
    assert goals["PUT check-in with guidance, SQLite: share of ceiling"].met
    assert goals["PUT check-in with guidance, SQLite: p99 ÷ ceiling p99"].met
    text = report.render(results, "A note.")
    assert "| PUT check-in | SQLite |" in text
    assert "30% (15–30%)" in text
    assert "## Goals" in text and "A note." in text


def test_sweep_goal_is_judged_on_the_passes_after_the_nightly_step() -> None:
    passes = [{"round": r, "backend": b, "seconds": s, "cpu_s": s, "written": 10, "plan_days": mode}
              for mode, s in ((report.IN_MEMORY, 5.0), (report.STORED, 3.0))
              for b in ("PostgreSQL", "SQLite") for r in range(3)]
    results = {**_results(), "sweep": {"runners": 100, "passes": passes, "load_s": {},
                                       "nightly_step": [{"backend": "SQLite", "seconds": 2.0, "days": 125}]}}
    goals = {g.figure: g for g in report.goals(results)}
    assert goals["planning pass, 100 runners, SQLite"].measured == pytest.approx(3.0)
    assert goals["planning pass, 100 runners, SQLite"].met
    assert not goals["planning pass, 100 runners, PostgreSQL"].met
    text = report.render(results)
    assert f"| SQLite | {report.IN_MEMORY} | 100 | 5.00 s" in text
    assert "SQLite 2.0 s for 125 plan days (62 a second)" in text
    # A run from before the nightly step (no ``plan_days`` key) is judged on its passes.
    old = {**results, "sweep": {"runners": 100, "passes": [
        {k: v for k, v in p.items() if k != "plan_days"} for p in passes if p["plan_days"] == report.IN_MEMORY],
        "load_s": {}}}
    assert {g.figure: g for g in report.goals(old)}["planning pass, 100 runners, SQLite"].measured == pytest.approx(5.0)


def test_push_bench_seeds_a_due_reminder_per_subscription(tmp_path) -> None:
    """The push benchmark writes its outbox with raw SQL: it must keep up with the schema
    (a new NOT NULL column once broke it only at the end of a full ``make bench``)."""
    import sqlite3

    from tests.bench import databases, push

    subs = [{"endpoint": f"https://push.invalid/s/{i}", "keys": {"p256dh": "p", "auth": "a"}} for i in range(3)]
    service = push.PushService(proc=None, host_port="push.invalid:443", origin="https://push.invalid",  # type: ignore[arg-type]
                               subscriptions=subs)
    app = push.prepare(tmp_path / "push", service)
    try:
        conn = sqlite3.connect(databases.sqlite_path(app))
        rows = conn.execute("SELECT user_id, subject_id, status FROM reminders ORDER BY user_id").fetchall()
        conn.close()
    finally:
        push.close(app)
    assert rows == [(1, 1, "pending"), (2, 2, "pending"), (3, 3, "pending")]


def _side_by_side() -> dict:
    """Two rounds of the write cells for this code and the code before, with /metrics lock
    figures on this code's PUT check-in."""
    cells = []
    for round_, ceiling in enumerate([1000.0, 2000.0]):
        cells.append({"round": round_, "backend": "ceiling", "cell": "ceiling", "rps": ceiling,
                      "p50_ms": 1.0, "p99_ms": 4.0, "errors": 0})
        for backend, put in (("SQLite", 0.09), ("SQLite" + report.BEFORE, 0.03)):
            for cell, share, p99 in (("PUT check-in", put, 30.0), ("PUT run", put, 30.0),
                                     (report.MANY_RUNNERS_CELL, put, 30.0), (report.LONG_HISTORY_CELL, put / 1.1, 33.0),
                                     ("GET guidance", 0.3, 8.0), ("GET load", 0.2, 9.0),
                                     (report.FLOOR_WRITE, 0.15, 20.0), (report.FLOOR_READ, 0.4, 5.0)):
                row = {"round": round_, "backend": backend, "cell": cell, "rps": ceiling * share,
                       "p50_ms": 3.0, "p99_ms": p99, "errors": 0}
                if backend == "SQLite" and cell == "PUT check-in":
                    row["server"] = {"request_s": 10.0, "requests": 1000.0, "locks": 1000.0,
                                     "lock_wait_s": 4.0, "lock_held_s": 5.0}
                cells.append(row)
    return {"meta": {"when": "now", "cpus": 2, "loadavg": "0.1", "rounds": 2, "seconds": 5, "workers": 2,
                     "threads": 4},
            "http": {"cells": cells, "baseline": "/elsewhere"}}


def test_writes_are_set_against_the_cheapest_write_of_the_same_code_and_round() -> None:
    results = _side_by_side()
    rows = {(figure, backend): (before, mine, op, goal)
            for figure, backend, before, mine, op, goal in report.floor_goal_rows(results["http"])}
    before, mine, op, goal = rows[("PUT check-in ÷ cheapest write (req/s, same round)", "SQLite")]
    assert before == pytest.approx([0.2, 0.2]) and mine == pytest.approx([0.6, 0.6]) and (op, goal) == (">=", 0.6)
    assert rows[("PUT check-in p99 ÷ cheapest write p99", "SQLite")][1] == pytest.approx([1.5, 1.5])
    assert rows[("GET guidance: this code ÷ the code before (req/s, same round)", "SQLite")][1] == pytest.approx([1.0, 1.0])
    assert rows[("PUT check-in, 10-year ÷ 90-day history (cost per request, same round)", "SQLite")][1] == pytest.approx([1.1, 1.1])
    goals = {g.figure: g for g in report.goals(results)}
    assert goals["PUT check-in ÷ cheapest write (req/s, same round), SQLite"].met
    assert not any(figure.endswith("PostgreSQL") for figure in goals if "cheapest write" in figure)  # not measured
    # The lock: 4 s of 10 s waiting (40%), 5 ms held per write, so at most 200 such writes a second.
    assert report.lock_rows(results["http"]) == [
        ["PUT check-in", "SQLite", "40% (40–40%)", "10.00 (10.00–10.00)", "5.00 (5.00–5.00)", "200 (200–200)",
         "135 (90–180)"]]
    text = report.render(results)
    assert "gunicorn, 2 workers × 4 threads" in text
    assert "### Writes against the cheapest write (issue 24)" in text and "### The write lock (this code)" in text
    assert "| PUT check-in | SQLite, before |" in text


def test_metrics_scrape_reads_the_lock_counters_and_the_request_time_without_metrics_itself() -> None:
    from tests.bench.httpbench import lock_figures, parse_metrics

    text = "\n".join([
        "# HELP strideguard_write_lock_wait_seconds_total x",
        "strideguard_write_lock_wait_seconds_total 1.5",
        "strideguard_write_lock_held_seconds_total 3.0",
        "strideguard_write_locks_total 100.0",
        'strideguard_http_request_duration_seconds_sum{endpoint="training.put_checkin",method="PUT"} 4.0',
        'strideguard_http_request_duration_seconds_count{endpoint="training.put_checkin",method="PUT"} 100.0',
        'strideguard_http_request_duration_seconds_sum{endpoint="metrics.metrics_view",method="GET"} 9.0',
    ])
    after = parse_metrics(text)
    assert after == {"request_s": 4.0, "requests": 100.0, "lock_wait_s": 1.5, "lock_held_s": 3.0, "locks": 100.0}
    assert lock_figures({"request_s": 1.0, "requests": 10.0}, after)["request_s"] == 3.0
    assert "locks" not in parse_metrics("strideguard_http_requests_total 3.0")  # code from before the counters


def test_writes_table_sets_the_code_before_beside_this_code() -> None:
    rows = [{"round": r, "backend": "PostgreSQL", "write": "PUT check-in", "code": code, "median_ms": ms,
             "statements": st, "control": 2.0} for r in range(2) for code, ms, st in (("before", 10.0, 18.0), ("this", 8.0, 15.0))]
    table = report.writes_table({"requests": 10, "rows": rows})
    assert table.splitlines()[2] == ("| PUT check-in | PostgreSQL | 10.00 ms (10.00–10.00) | — | 18 + 2 | "
                                     "8.00 ms (8.00–8.00) | — | 15 + 2 | 0.80x (0.80–0.80) | — |")
    for row in rows:
        row["cpu_ms"] = row["median_ms"] / 2
    assert table != report.writes_table({"requests": 10, "rows": rows})
    assert report.writes_table({"requests": 10, "rows": rows}).splitlines()[2].endswith(
        "| 0.80x (0.80–0.80) | 0.80x (0.80–0.80) |")
