"""`strideguard run` keeps the web server and the reminder worker together: when one of them
dies on its own, the other is stopped and the command exits non-zero, naming which one died,
so a supervisor (systemd's Restart=on-failure, Docker's restart policy) starts the app again.
Found by trying it: a killed worker took the web server down with it and the command exited 0
with nothing in the log."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.security.live import REPO, free_port, server_env

pytestmark = pytest.mark.process


def _children(pid: int) -> dict[int, str]:
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == pid:
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError, IndexError):
            continue
    return found


def _serving(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def _start(tmp_path: Path) -> tuple[subprocess.Popen, int]:
    env = server_env(tmp_path / "instance", f"sqlite:///{tmp_path / 'run.sqlite3'}", STRIDEGUARD_LOG_LEVEL="WARNING",
                     HOME=str(tmp_path / "home"))
    port = free_port()
    run = subprocess.Popen([sys.executable, "-m", "strideguard.cli", "run", "--port", str(port)], env=env,
                           cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 90
    while not _serving(port):
        assert run.poll() is None and time.monotonic() < deadline, "the app did not start"
        time.sleep(0.3)
    return run, port


def test_a_killed_worker_stops_the_app_with_a_non_zero_exit_that_names_it(tmp_path: Path) -> None:
    run, port = _start(tmp_path)
    try:
        [worker] = [pid for pid, cmd in _children(run.pid).items() if "strideguard.cli worker" in cmd]
        os.kill(worker, signal.SIGKILL)
        _, err = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 1
    assert "the reminder worker exited (code -9), so the web server was stopped too" in err
    assert not _serving(port)


def test_a_stop_asked_for_exits_zero(tmp_path: Path) -> None:
    run, _port = _start(tmp_path)
    run.send_signal(signal.SIGTERM)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 0 and "StrideGuard stopped" not in err


def test_no_control_socket_is_shared_between_instances(tmp_path: Path) -> None:
    """gunicorn 25+ opens ``~/.gunicorn/gunicorn.ctl`` by default: every instance on a host
    took the same path from the one before. The app uses no control socket: none is opened."""
    run, _port = _start(tmp_path)
    try:
        assert not (tmp_path / "home" / ".gunicorn").exists()
    finally:
        run.send_signal(signal.SIGTERM)
        run.communicate(timeout=60)
