"""A handful of sockets that send half a request head and wait no longer starve the server
(issue 25, item 10), measured against a real ``strideguard serve``."""

from __future__ import annotations

import socket
import time

import pytest
import requests

from tests.security.live import serving
from tests.security.test_limits import operator_env

pytestmark = pytest.mark.process  # a served app

HALF_HEAD = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "  # never finished


def open_slow(port: int, count: int) -> list[socket.socket]:
    sockets = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        sock.sendall(HALF_HEAD)
        sockets.append(sock)
    return sockets


def test_half_sent_heads_do_not_starve_healthz_and_are_dropped(tmp_path) -> None:
    env = operator_env(tmp_path, f"sqlite:///{tmp_path / 'slow.sqlite3'}", STRIDEGUARD_HEADER_TIMEOUT_S="3")
    with serving(env, tmp_path / "server.log", workers=2) as server:
        slow = open_slow(server.port, 5)  # more than the 2 processes the sync worker had
        try:
            time.sleep(0.5)  # every slow socket is being read by now
            started = time.monotonic()
            answers = [requests.get(server.url + "/healthz", timeout=5,
                                    headers={"Connection": "close"}).status_code for _ in range(10)]
            took = time.monotonic() - started
            assert answers == [200] * 10
            assert took < 3, took  # before: the first one timed out (the sync workers held by 2 sockets)
            # Each half-sent head is given up on after the header timeout: the server closes it.
            for sock in slow:
                sock.settimeout(10)
                assert sock.recv(1024) == b""  # closed by the server, without an answer
            assert time.monotonic() - started < 3 + 5
        finally:
            for sock in slow:
                sock.close()
        # A head that trickles in within the deadline is served.
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            for part in (b"GET /healthz HTTP/1.1\r\n", b"Host: 127.0.0.1\r\n", b"Connection: close\r\n\r\n"):
                sock.sendall(part)
                time.sleep(0.5)
            assert sock.recv(1024).startswith(b"HTTP/1.1 200")
