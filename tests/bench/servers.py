"""Start and stop gunicorn servers: ``strideguard serve`` and the ceiling app."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from strideguard.cli import DEFAULT_THREADS, gunicorn_argv

REPO = Path(__file__).resolve().parents[2]
WORKERS = 2
#: Threads per worker (``strideguard serve``'s default, what the bench serves with).
THREADS = DEFAULT_THREADS


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    """Block until something accepts connections on ``port`` (RuntimeError if it died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


@dataclass
class Server:
    """A running gunicorn master and its base URL."""

    name: str
    proc: subprocess.Popen
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """SIGTERM the master (it stops its workers) and wait."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _start(name: str, argv: list[str], env: dict[str, str], port: int) -> Server:
    proc = subprocess.Popen(argv, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL)
    server = Server(name, proc, port)
    try:
        wait_listening(port, proc)
    except BaseException:
        server.stop()
        raise
    return server


def bench_env(code: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment of a served app: rate limits off, code importable (``code``: another
    checkout's, e.g. the code before a change, served side by side with this one)."""
    env = dict(os.environ)
    root = code or REPO
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root / "server"), str(root), env.get("PYTHONPATH")]))
    env["STRIDEGUARD_RATELIMIT_ENABLED"] = "0"
    env["STRIDEGUARD_LOG_LEVEL"] = "WARNING"
    env.update(extra)
    return env


def start_app(name: str, instance: Path, database_url: str | None = None, code: Path | None = None) -> Server:
    """``strideguard serve --workers 2`` on a free port (production settings otherwise);
    ``code``: the checkout to serve (default: this one)."""
    port = free_port()
    extra = {"STRIDEGUARD_INSTANCE_PATH": str(instance)}
    if database_url:
        extra["STRIDEGUARD_DATABASE_URL"] = database_url
    argv = [sys.executable, "-m", "strideguard.cli", "serve", "--host", "127.0.0.1",
            "--port", str(port), "--workers", str(WORKERS)]
    return _start(name, argv, bench_env(code, **extra), port)


def start_ceiling() -> Server:
    """The ceiling app under exactly the argv ``strideguard serve`` builds, app spec swapped."""
    port = free_port()
    argv = gunicorn_argv("127.0.0.1", port, WORKERS)[:-1] + ["tests.bench.ceiling_app:create_app()"]
    return _start("ceiling", argv, bench_env(), port)
