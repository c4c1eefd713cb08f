"""HTTP cells: a signed-in runner with 90 days of history, driven by wrk with a Lua script.

The script (``WRK_SCRIPT``) takes method, body, cookie and CSRF header from the
environment and prints one ``BENCH_JSON {...}`` line with requests, errors and latency
percentiles, which ``parse_wrk`` reads. A cell that rotates (several runners, or two
bodies so that every request really changes a row) passes ``BENCH_VARIANTS``: the script
then builds each request itself, taking the variants in turn; a cell without variants keeps
wrk's static request, as the ceiling does.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import requests

from tests.bench.report import FLOOR_READ, FLOOR_WRITE, MANY_RUNNERS

WRK_SCRIPT = r"""
local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY") or ""
local cookie = os.getenv("BENCH_COOKIE") or ""
local csrf = os.getenv("BENCH_CSRF") or ""
wrk.method = method
if #body > 0 then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
if #cookie > 0 then wrk.headers["Cookie"] = cookie end
if #csrf > 0 then wrk.headers["X-CSRF-Token"] = csrf end

-- Variants: records separated by \31, each "cookie \30 csrf \30 body" (body may be empty).
local variants = {}
for record in string.gmatch(os.getenv("BENCH_VARIANTS") or "", "[^\31]+") do
  local fields = {}
  for field in string.gmatch(record .. "\30", "([^\30]*)\30") do table.insert(fields, field) end
  table.insert(variants, fields)
end
if #variants > 0 then
  local turn = 0
  request = function()
    turn = turn + 1
    local v = variants[(turn % #variants) + 1]
    local headers = {["Cookie"] = v[1], ["X-CSRF-Token"] = v[2]}
    if #v[3] > 0 then
      headers["Content-Type"] = "application/json"
      return wrk.format(method, nil, headers, v[3])
    end
    return wrk.format(method, nil, headers)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"status_errors":%d,"socket_errors":%d,' ..
    '"timeouts":%d,"p50_us":%d,"p99_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean))
end
"""
CONNECTIONS = 16
THREADS = 2
RUN_UUID = "6f1c2d3e-4b5a-4c6d-8e7f-901a2b3c4d5e"
#: Separators of ``BENCH_VARIANTS`` (ASCII unit and record separators: never in a cookie,
#: a token or compact JSON).
VARIANT_SEP, FIELD_SEP = "\x1f", "\x1e"


@dataclass(frozen=True, slots=True)
class WrkResult:
    """One wrk run: requests/s and latency percentiles (milliseconds)."""

    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


def parse_wrk(output: str) -> WrkResult:
    """Read the ``BENCH_JSON`` line of the script's ``done`` hook (ValueError if missing)."""
    for line in output.splitlines():
        if line.startswith("BENCH_JSON "):
            data = json.loads(line[len("BENCH_JSON "):])
            seconds = data["duration_us"] / 1e6
            return WrkResult(
                rps=data["requests"] / seconds if seconds > 0 else 0.0,
                p50_ms=data["p50_us"] / 1000, p99_ms=data["p99_us"] / 1000,
                requests=data["requests"],
                errors=data["status_errors"] + data["socket_errors"] + data["timeouts"],
            )
    raise ValueError("wrk printed no BENCH_JSON line:\n" + output[-2000:])


@dataclass(frozen=True, slots=True)
class Request:
    """What one cell asks: method, path, optional JSON body."""

    method: str
    path: str
    body: dict[str, Any] | None = None
    #: Sent on every other request instead of ``body``, so that each request changes the row.
    alternate: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Credentials:
    """A signed-in session: cookie header value and CSRF token."""

    cookie: str
    csrf: str


def cells(today: date) -> dict[str, Request]:
    """The four API cells of the benchmark (one runner, today's date). Each PUT replaces the
    same check-in or run with two bodies in turn, so every request really changes the data
    the guidance is made from (an identical replay could be answered without a write)."""
    day = today.isoformat()
    run = {"date": day, "distance_m": 6200.0, "duration_s": 2100.0, "pain_during": 1, "surface": "road"}
    return {
        "PUT check-in": Request("PUT", f"/api/v1/checkins/{day}", {"pain": 2, "morning_pain": 1, "location": "outside"},
                                alternate={"pain": 1, "morning_pain": 1, "location": "outside"}),
        "PUT run": Request("PUT", f"/api/v1/runs/{RUN_UUID}", run,
                           alternate={**run, "distance_m": 6100.0, "duration_s": 2070.0}),
        "GET guidance": Request("GET", f"/api/v1/guidance?date={day}"),
        "GET load": Request("GET", f"/api/v1/load?date={day}"),
    }



def floor_cells(shoe_id: int) -> dict[str, Request]:
    """What the stack itself costs, measured beside the goals' cells: an authenticated read
    with no domain work (``GET /me``) and the cheapest authenticated write (renaming a pair of
    shoes, two names in turn: a real UPDATE, an fsync'd commit and the guidance-rev trigger,
    but no care plan, no guidance and no outbox)."""
    path = f"/api/v1/shoes/{shoe_id}"
    return {
        FLOOR_READ: Request("GET", "/api/v1/me"),
        FLOOR_WRITE: Request("PATCH", path, {"name": "Daily A"}, alternate={"name": "Daily B"}),
    }



def variants_env(req: Request, creds: Sequence[Credentials]) -> str:
    """``BENCH_VARIANTS`` for a cell: every runner in turn, and with an ``alternate`` body each
    runner's two bodies in turn; "" for a static cell (one runner, one body)."""
    bodies = [req.body] + ([req.alternate] if req.alternate is not None else [])
    if len(creds) <= 1 and len(bodies) == 1:
        return ""
    return VARIANT_SEP.join(
        FIELD_SEP.join((c.cookie, c.csrf, json.dumps(body, separators=(",", ":")) if body else ""))
        for body in bodies for c in creds
    )


def register(base_url: str, email: str, password: str = "bench-knee-2026x") -> tuple[Credentials, int]:
    """Sign up over HTTP; returns the session credentials and the runner's id."""
    response = requests.post(f"{base_url}/api/v1/auth/register",
                             json={"email": email, "password": password, "timezone": "UTC"}, timeout=30)
    response.raise_for_status()
    body = response.json()
    cookie = "; ".join(f"{c.name}={c.value}" for c in response.cookies)
    return Credentials(cookie, body["csrf_token"]), int(body["user"]["id"])


def create_shoe(base_url: str, creds: Credentials, name: str) -> int:
    """Add a pair of shoes over HTTP (the write floor renames it); returns its id."""
    response = requests.post(f"{base_url}/api/v1/shoes", json={"name": name}, timeout=30,
                             headers={"Cookie": creds.cookie, "X-CSRF-Token": creds.csrf})
    response.raise_for_status()
    return int(response.json()["id"])


def check(base_url: str, creds: Credentials, req: Request) -> int:
    """Send one request the way wrk will; returns the status (the harness insists on 2xx)."""
    response = requests.request(req.method, base_url + req.path, json=req.body, timeout=30,
                                headers={"Cookie": creds.cookie, "X-CSRF-Token": creds.csrf})
    if response.status_code >= 300:
        raise RuntimeError(f"{req.method} {req.path}: {response.status_code} {response.text[:300]}")
    return response.status_code


_SCRIPT_PATH: Path | None = None


def _script() -> Path:
    global _SCRIPT_PATH
    if _SCRIPT_PATH is None:
        handle = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, prefix="strideguard-bench-")
        handle.write(WRK_SCRIPT)
        handle.close()
        _SCRIPT_PATH = Path(handle.name)
    return _SCRIPT_PATH


def run_wrk(base_url: str, req: Request, creds: Credentials | Sequence[Credentials] | None,
            seconds: float) -> WrkResult:
    """wrk -t2 -c16 -d<seconds> against one request (several credentials: runners in turn)."""
    many = [] if creds is None else [creds] if isinstance(creds, Credentials) else list(creds)
    first = many[0] if many else None
    env = dict(os.environ, BENCH_METHOD=req.method, BENCH_BODY=json.dumps(req.body) if req.body else "",
               BENCH_COOKIE=first.cookie if first else "", BENCH_CSRF=first.csrf if first else "",
               BENCH_VARIANTS=variants_env(req, many))
    argv = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds:g}s", "--timeout", "10s",
            "-s", str(_script()), base_url + req.path]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr[-1000:]}")
    return parse_wrk(done.stdout)


def guidance_in_process(app: Any, creds: Credentials, day: date, requests_: int = 200) -> dict[str, float]:
    """``GET /guidance`` in-process (Flask test client, no gunicorn), side by side: served as
    stored, and computed (the stored answers deleted before each request, outside the timing).
    Milliseconds per request."""
    import time

    from sqlalchemy import text

    from strideguard.extensions import db

    client = app.test_client(use_cookies=False)  # a cookie jar would replace the Cookie header
    headers = {"Cookie": creds.cookie}
    path = f"/api/v1/guidance?date={day.isoformat()}"

    def timed(forget: bool) -> float:
        total = 0.0
        for _ in range(requests_):
            if forget:
                with app.app_context():
                    db.session.execute(text("DELETE FROM stored_guidance"))
                    db.session.commit()
            started = time.perf_counter()
            response = client.get(path, headers=headers)
            total += time.perf_counter() - started
            if response.status_code != 200:
                raise RuntimeError(f"GET {path}: {response.status_code}")
        return total / requests_ * 1000

    timed(False)  # warm-up
    out = {"stored_ms": timed(False), "computed_ms": timed(True)}
    out["stored_ms"] = (out["stored_ms"] + timed(False)) / 2  # stored, computed, stored: no drift favours one
    with app.app_context():
        db.engine.dispose()
    return out


#: The write-lock counters (``strideguard.operations.writelock``) and the request time the
#: bench divides them by, read from a served app's ``/metrics`` (all workers added up).
LOCK_METRICS = {
    "strideguard_write_locks_total": "locks",
    "strideguard_write_lock_wait_seconds_total": "lock_wait_s",
    "strideguard_write_lock_held_seconds_total": "lock_held_s",
}


def parse_metrics(text: str) -> dict[str, float]:
    """The write-lock counters and the summed request seconds and count (``/metrics`` itself
    left out) from a Prometheus text exposition. Counters a server does not have (code from
    before they existed) are absent."""
    out: dict[str, float] = {"request_s": 0.0, "requests": 0.0}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name_labels, _, value = line.rpartition(" ")
        name = name_labels.split("{", 1)[0]
        if name in LOCK_METRICS:
            out[LOCK_METRICS[name]] = out.get(LOCK_METRICS[name], 0.0) + float(value)
        elif name in ("strideguard_http_request_duration_seconds_sum",
                      "strideguard_http_request_duration_seconds_count") and 'endpoint="metrics.' not in name_labels:
            key = "request_s" if name.endswith("_sum") else "requests"
            out[key] += float(value)
    return out


def scrape(base_url: str) -> dict[str, float]:
    """``parse_metrics`` of the server's ``/metrics`` (loopback: the operator's view)."""
    response = requests.get(f"{base_url}/metrics", timeout=30)
    response.raise_for_status()
    return parse_metrics(response.text)


def settled(base_url: str, pause: float = 0.3, timeout: float = 15.0) -> dict[str, float]:
    """``scrape`` once the server has finished the requests still in flight when wrk stopped
    (the request count stands still between two scrapes): they belong to the cell that sent
    them, not to the next one."""
    import time

    last = scrape(base_url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(pause)
        now = scrape(base_url)
        if now["requests"] == last["requests"]:
            return now
        last = now
    return last


def lock_figures(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """What one cell added: request seconds and count, and the lock counters when present."""
    return {key: after[key] - before.get(key, 0.0) for key in after}
