"""Worker processes for the exactly-once tests: a pool that builds the app once and forks
long-lived workers (like gunicorn's ``--preload``; as ``strideguard worker`` processes live),
each ticking with the real CLI entry point ``strideguard reminders tick --now`` and its own
database connections; or, for one step, real ``python -m strideguard.cli`` processes that
start from nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import traceback
from datetime import datetime
from pathlib import Path

from strideguard import create_app
from tests.support.pushservice import LocalPushService

ROOT = Path(__file__).resolve().parents[2]


def worker_env(url: str, instance: Path, service: LocalPushService) -> dict[str, str]:
    """The environment of a worker process: the app configured only by STRIDEGUARD_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STRIDEGUARD_")}
    env.update(
        STRIDEGUARD_DATABASE_URL=url,
        STRIDEGUARD_INSTANCE_PATH=str(instance),
        STRIDEGUARD_SECRET_KEY="concurrency-test",
        STRIDEGUARD_PUSH_ALLOWED_HOSTS=service.host_port,
        STRIDEGUARD_RATELIMIT_ENABLED="false",
        STRIDEGUARD_LOG_LEVEL="WARNING",
    )
    return env


def pool_main(count: int) -> None:
    """The worker pool (runs in its own process): build the app once, fork ``count`` worker
    processes that live for the whole test, like ``strideguard worker`` processes, and for
    each stdin line ``<ISO>`` have all of them run the CLI entry point
    ``strideguard reminders tick --now <ISO>`` together; answer one JSON line per tick."""
    from strideguard import cli
    from strideguard.extensions import db as zdb

    import gc

    # Like gunicorn --preload: build the app once; every worker gets it by fork and opens its
    # own database connections (the pool is empty at fork). Delivery (pywebpush, aiohttp) and
    # the CLI's plugin commands (flask-limiter's imports rich) too, as a worker has them after
    # its first tick.
    app = create_app()
    with app.app_context():
        zdb.engine.dispose()
    cli.main.create_app = lambda: app  # type: ignore[attr-defined]
    import flask_limiter.commands  # noqa: F401
    import strideguard.reminders.delivery  # noqa: F401
    gc.freeze()  # keep the children from copying every page the parent owns
    sys.stdout.flush()
    sys.stderr.flush()
    workers: list[tuple[int, int, int]] = []  # (pid, command pipe, answer pipe)
    for _ in range(count):
        cmd_r, cmd_w = os.pipe()
        out_r, out_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            for _, theirs_w, theirs_r in workers:  # another worker's pipes: not ours to hold
                os.close(theirs_w)
                os.close(theirs_r)
            os.close(cmd_w)
            os.close(out_r)
            os._exit(_worker_loop(cli, cmd_r, out_w))
        os.close(cmd_r)
        os.close(out_w)
        workers.append((pid, cmd_w, out_r))
    answers = [os.fdopen(out_r, "r") for _, _, out_r in workers]
    for line in sys.stdin:
        for _, cmd_w, _ in workers:  # every worker waits on its pipe: they start together
            os.write(cmd_w, line.encode())
        results, cpu_s = [], 0.0
        for answer in answers:
            out = []
            while not (row := answer.readline()).startswith(END) and row:
                out.append(row)
            assert row, "a worker process died"
            code, cpu = row.split()[1:]
            results.append({"code": int(code), "out": "".join(out)})
            cpu_s += float(cpu)
        print(json.dumps({"results": results, "cpu_s": cpu_s}), flush=True)
    for pid, cmd_w, _ in workers:
        os.close(cmd_w)  # EOF: the worker exits
        os.waitpid(pid, 0)


END = "\x00end"


def _worker_loop(cli, cmd_r: int, out_w: int) -> int:
    """One worker process: tick at each ``<ISO>`` line, then write ``END <exit code> <CPU s>``."""
    os.dup2(out_w, 1)
    commands = os.fdopen(cmd_r, "r")
    for line in commands:
        before = os.times()
        code = 1
        try:
            cli.main(["reminders", "tick", "--now", line.strip()], prog_name="strideguard")
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:
            traceback.print_exc()
        after = os.times()
        cpu = after.user + after.system - before.user - before.system
        print(f"\n{END} {code} {cpu:.4f}", flush=True)
    return 0


class Workers:
    """Runs one tick with N concurrent worker processes (long-lived, or ``python -m``)."""

    def __init__(self, env: dict[str, str], processes: int) -> None:
        self.env = env
        self.processes = processes
        self.cpu_s = 0.0  # CPU time the worker processes used
        self.pool = subprocess.Popen(
            [sys.executable, "-c", f"from tests.support.workers import pool_main; pool_main({processes})"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd=ROOT, text=True,
        )

    def tick(self, now: datetime, *, exec_cli: bool = False) -> list[dict]:
        """All processes tick at ``now``; returns each one's JSON summary."""
        iso = now.isoformat()
        if exec_cli:
            before = os.times()
            procs = [
                subprocess.Popen(
                    [sys.executable, "-m", "strideguard.cli", "reminders", "tick", "--now", iso],
                    stdout=subprocess.PIPE, env=self.env, cwd=ROOT, text=True,
                )
                for _ in range(self.processes)
            ]
            results = [{"out": p.communicate(timeout=300)[0], "code": p.returncode} for p in procs]
            after = os.times()
            self.cpu_s += (after.children_user + after.children_system
                           - before.children_user - before.children_system)
        else:
            assert self.pool.stdin and self.pool.stdout
            self.pool.stdin.write(f"{iso}\n")
            self.pool.stdin.flush()
            line = self.pool.stdout.readline()
            assert line, "the worker pool died"
            answer = json.loads(line)
            results = answer["results"]
            self.cpu_s += answer["cpu_s"]
        summaries = []
        for result in results:
            assert result["code"] == 0, result
            summaries.append(json.loads(result["out"].strip().splitlines()[-1]))
        return summaries

    def close(self) -> None:
        if self.pool.stdin:
            self.pool.stdin.close()
        self.pool.wait(timeout=30)

    def __enter__(self) -> "Workers":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
