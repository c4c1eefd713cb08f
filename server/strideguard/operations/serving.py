"""The gunicorn worker ``strideguard serve`` runs: threads, and a deadline on request heads.

gunicorn's sync worker reads each request head with a blocking read and no deadline, one
connection per process: a handful of sockets that send half a head and wait held every
worker, and ``/healthz`` timed out (issue 25). This worker is gunicorn's threaded worker
(``gthread``) with two changes of setting and one of code:

* ``--threads`` connections per process, and ``--worker-connections`` equal to it, so a
  process with every thread busy stops accepting and the kernel hands new connections to a
  process with a free thread (no request queues behind a slow client);
* the request head (request line and headers) must arrive within
  ``STRIDEGUARD_HEADER_TIMEOUT_S`` seconds of the first read, in total, however slowly it
  trickles; then the connection is closed (:class:`HeadDeadline`). The body and the answer
  are not bounded by it (uploads may be slow), and gunicorn's own wait for a first byte
  (5 s) still applies.

Slow clients in any number are the reverse proxy's job (nginx, Caddy buffer a whole request
before passing it on): see the README's deployment section.
"""

from __future__ import annotations

import os
import socket
import time
from typing import Any

from gunicorn.http.errors import NoMoreData
from gunicorn.workers.gthread import ThreadWorker

ENV = "STRIDEGUARD_HEADER_TIMEOUT_S"
DEFAULT_HEADER_TIMEOUT_S = 10.0


def header_timeout() -> float:
    raw = os.environ.get(ENV)
    return float(raw) if raw else DEFAULT_HEADER_TIMEOUT_S


class HeadDeadline:
    """A client socket whose reads share one deadline while the request head is read."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.deadline: float | None = None

    def arm(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds

    def disarm(self) -> None:
        if self.deadline is not None:
            self.deadline = None
            self._sock.settimeout(None)

    def recv(self, size: int, *flags: int) -> bytes:
        if self.deadline is None:
            return self._sock.recv(size, *flags)
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise NoMoreData(b"")  # gunicorn closes the connection and logs it at debug level
        self._sock.settimeout(remaining)
        try:
            return self._sock.recv(size, *flags)
        except TimeoutError:
            raise NoMoreData(b"") from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class HeadBoundedWorker(ThreadWorker):
    """gunicorn's ``gthread`` worker with a deadline on each request head."""

    def handle(self, conn: Any) -> Any:
        if not isinstance(conn.sock, HeadDeadline):
            conn.sock = HeadDeadline(conn.sock)  # before the parser is made, so it reads through it
        conn.sock.arm(header_timeout())
        return super().handle(conn)

    def handle_request(self, req: Any, conn: Any) -> Any:
        conn.sock.disarm()  # the head is in: the body and the answer take what they take
        return super().handle_request(req, conn)
