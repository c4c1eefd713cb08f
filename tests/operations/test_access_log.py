"""gunicorn's access log escapes what the client chose (issue 25, item 10): a path with
``%0d%0a`` cannot forge a line and ``%1b`` cannot write a terminal escape."""

from __future__ import annotations

import socket

import pytest

from strideguard.operations.accesslog import escape
from tests.security.live import serving
from tests.security.test_limits import operator_env


@pytest.mark.parametrize(
    "path,logged",
    [
        ("/api/v1/checkins/2026-11-02", "/api/v1/checkins/2026-11-02"),
        ("/\r\n10.0.0.1 \"GET /admin\" 200", "/%0D%0A10.0.0.1%20%22GET%20/admin%22%20200"),
        ("/\x1b[31mred", "/%1B%5B31mred"),
        ("/50%", "/50%25"),  # a literal % is escaped too: the log reads back unambiguously
        ("/caf\xc3\xa9", "/caf%C3%A9"),  # WSGI strings carry bytes as latin-1
    ],
)
def test_escape(path, logged) -> None:
    assert escape(path) == logged


def raw_request(port: int, target: str, extra: str = "") -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}Connection: close\r\n\r\n".encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.process
def test_a_served_app_logs_hostile_paths_escaped(tmp_path) -> None:
    env = operator_env(tmp_path, f"sqlite:///{tmp_path / 'log.sqlite3'}")
    log_path = tmp_path / "server.log"
    with serving(env, log_path, workers=1) as server:
        for target in ("/%0d%0a127.0.0.1%20%22GET%20/admin%22%20200%200%200ms",
                       "/%1b%5b2J%1b%5b31mred", "/x%0aforged"):
            assert raw_request(server.port, target).startswith(b"HTTP/1.1 ")
        # A trusted proxy's X-Forwarded-For is escaped as well.
        raw_request(server.port, "/healthz", "X-Forwarded-For: 203.0.113.7\x1b[31m\r\n")
    log = log_path.read_bytes()
    assert b"\x1b" not in log
    lines = log.decode(errors="replace").splitlines()
    assert not [line for line in lines if line.startswith(("127.0.0.1 \"GET /admin", "forged"))], lines[-10:]
    text = log.decode()
    assert '127.0.0.1 "GET /%0D%0A127.0.0.1%20%22GET%20/admin%22%20200%200%200ms" 404' in text
    assert '127.0.0.1 "GET /%1B%5B2J%1B%5B31mred" ' in text
    assert '127.0.0.1 "GET /x%0Aforged" 404' in text
