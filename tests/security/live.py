"""A real ``strideguard serve`` (gunicorn) in a subprocess for the security tests.

The server runs in its own process group so that :meth:`LiveServer.crash` can SIGKILL the
master and every worker at once, the way a power cut or the OOM killer would.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import psycopg
import requests
from sqlalchemy.engine import make_url

from tests.support import postgres

REPO = Path(__file__).resolve().parents[2]
READY_PATH = "/api/v1/openapi.json"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(instance: Path, database_url: str, **extra: str) -> dict[str, str]:
    """Environment of a served app: its own instance folder and database, cheap hashing."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPO / "server"), str(REPO / "plugins"), str(REPO), env.get("PYTHONPATH")])
    )
    env.update(
        STRIDEGUARD_INSTANCE_PATH=str(instance),
        STRIDEGUARD_DATABASE_URL=database_url,
        STRIDEGUARD_ARGON2_PROFILE="CHEAPEST",
        STRIDEGUARD_COOKIE_SECURE="false",  # plain HTTP on 127.0.0.1
        STRIDEGUARD_RATELIMIT_ENABLED="false",
        STRIDEGUARD_LOG_LEVEL="DEBUG",
    )
    env.update(extra)
    return env


def cli(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``strideguard <args>`` and fail loudly when it fails."""
    done = subprocess.run(
        [sys.executable, "-m", "strideguard.cli", *args], env=env, cwd=REPO,
        capture_output=True, text=True, timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done


class LiveServer:
    """``strideguard serve --workers N`` on a free port; stderr goes to ``log_path``.

    ``workers=None`` passes no ``--workers``: the count a new operator gets.
    """

    def __init__(self, env: dict[str, str], log_path: Path, workers: int | None = 2) -> None:
        self.env = env
        self.log_path = log_path
        self.workers = workers
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        """Start (or restart) the server and wait until it answers."""
        with open(self.log_path, "ab") as log:
            argv = [sys.executable, "-m", "strideguard.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
            if self.workers is not None:
                argv += ["--workers", str(self.workers)]
            self.proc = subprocess.Popen(
                argv,
                env=self.env, cwd=REPO, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True,
            )
        self.starts += 1
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.log()[-2000:]}")
            try:
                if requests.get(self.url + READY_PATH, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        log = self.log()[-2000:]
        self.crash()  # never leave a half-started server behind (it would outlive the test)
        raise RuntimeError(f"server not ready after {timeout} s: {log}")

    def crash(self) -> None:
        """SIGKILL the master and all its workers (no graceful shutdown, no cleanup)."""
        assert self.proc is not None
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)
        self._wait_port_free()

    def stop(self) -> None:
        """SIGTERM the group and wait (SIGKILL when it does not stop in time)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.crash()

    def _wait_port_free(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    pass
            except OSError:
                return
            time.sleep(0.05)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def migrate(env: dict[str, str]) -> None:
    """``strideguard db upgrade`` for the database in ``env``. A new, empty database is made a
    copy of a template that this process migrated once with that same command (an SQLite
    file; a PostgreSQL ``CREATE DATABASE … TEMPLATE``): the command costs ~1.4 s of CPU, a
    copy a few ms. A database that holds anything is migrated by the command itself."""
    url = make_url(env["STRIDEGUARD_DATABASE_URL"])
    if url.get_backend_name() == "sqlite":
        target = Path(url.database)
        if target.parent.is_dir() and not target.exists():  # (the command makes a missing instance folder)
            with closing(sqlite3.connect(_template(env, "sqlite"))) as source, closing(sqlite3.connect(target)) as copy:
                source.backup(copy)
            return
    elif (url.get_backend_name() == "postgresql" and url.set(database="") == make_url(postgres.ADMIN_URL).set(database="")
          and _empty_postgres(url.database)):  # the tests' server (not a test's own one)
        template = _template(env, "postgres")
        postgres.drop_database(url.database)
        with psycopg.connect(postgres.ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{url.database}" TEMPLATE "{template}"')
        return
    cli(env, "db", "upgrade")


_TEMPLATES: dict[str, str] = {}  # backend -> this process's migrated template


def _template(env: dict[str, str], backend: str) -> str:
    if backend not in _TEMPLATES:
        folder = Path(tempfile.mkdtemp(prefix="sg-template-"))
        if backend == "sqlite":
            path = folder / "template.sqlite3"
            database, _TEMPLATES[backend] = f"sqlite:///{path}", str(path)
        else:
            name = postgres.new_name("sg_template")
            database, _TEMPLATES[backend] = postgres.create_database(name), name
            atexit.register(postgres.drop_database, name)
        cli({**env, "STRIDEGUARD_DATABASE_URL": database, "STRIDEGUARD_INSTANCE_PATH": str(folder)}, "db", "upgrade")
        atexit.register(shutil.rmtree, folder, True)
    return _TEMPLATES[backend]


def _empty_postgres(name: str) -> bool:
    with psycopg.connect(postgres.url_for(name)) as conn:
        return conn.execute("SELECT NOT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = 'public')").fetchone()[0]


@contextmanager
def serving(env: dict[str, str], log_path: Path, workers: int | None = 2) -> Iterator[LiveServer]:
    """Migrate the database, start the server, and always stop it."""
    migrate(env)
    server = LiveServer(env, log_path, workers)
    server.start()
    try:
        yield server
    finally:
        server.stop()
