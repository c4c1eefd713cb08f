"""A local Web Push service for tests: real HTTP on 127.0.0.1, real VAPID checks, real
aes128gcm decryption.

    with LocalPushService() as service:                 # or the ``push_service`` fixture
        sub = service.subscriber()                      # keys generated here
        ...send to sub.endpoint, allowing service.host_port...
        [delivery] = service.wait_for(1)
        json.loads(delivery.plaintext)

Each request to ``POST /push/<id>`` is checked the way a browser vendor's service does it:
``Authorization: vapid t=<JWT>, k=<key>`` (ES256 signature valid for ``k``, ``aud`` equal
to the origin the request was addressed to — ``http://`` + its Host header, ``exp`` in the future and at most 24 h ahead, ``sub`` a mailto:
or https: URL), ``Content-Encoding: aes128gcm``, a ``TTL`` header, and a body that decrypts
with the subscriber's private key and auth secret. A bad request gets 400/401/403/413/415
and is recorded in ``rejections``; a good one is recorded in ``deliveries`` and answered
201 — unless the subscription was given a ``Behaviour``: answer another status (404, 410,
429 + Retry-After, 500, 400 …), hang past the client's timeout, redirect, or add latency.
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import http_ece
import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

MAX_JWT_LIFETIME_S = 24 * 3600
_SUB_RE = re.compile(r"^(mailto:[^@\s]+@[^@\s]+|https://[^\s]+)$")
_AUTH_RE = re.compile(r"^vapid\s+(.*)$", re.IGNORECASE)


def b64url(data: bytes) -> str:
    """base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode base64url with or without padding."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Behaviour:
    """How the service answers one subscription (after validating the request)."""

    status: int = 201
    retry_after: str | None = None
    hang_s: float = 0.0  # sleep this long before answering (past the client timeout)
    latency_s: float = 0.0  # added latency before a normal answer
    redirect_to: str | None = None  # answer 302 with this Location


@dataclass(frozen=True)
class Subscriber:
    """A browser-side subscription: what the app stores, plus the secrets to decrypt."""

    id: str
    endpoint: str
    p256dh: str
    auth: str
    private_key: ec.EllipticCurvePrivateKey = field(repr=False)

    def as_json(self) -> dict[str, Any]:
        """The PushSubscription JSON a browser would POST to /push/subscriptions."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


@dataclass(frozen=True)
class Delivery:
    """A message that arrived, passed every check and was answered 2xx."""

    subscription_id: str
    headers: dict[str, str]
    plaintext: bytes
    claims: dict[str, Any]
    vapid_key: str
    received_at: float


@dataclass(frozen=True)
class Attempt:
    """Any request that reached /push/<id>, with the status it got and why."""

    subscription_id: str
    status: int
    reason: str


def make_subscriber_keys() -> tuple[ec.EllipticCurvePrivateKey, str, str]:
    """A P-256 key pair and a 16-byte auth secret: (private key, p256dh, auth) base64url."""
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return private, b64url(public), b64url(os.urandom(16))


class LocalPushService:
    """The push service; a context manager (``with``) or ``start()``/``stop()``."""

    def __init__(
        self, host: str = "127.0.0.1", *, expected_vapid_key: str | None = None, decrypt: bool = True
    ) -> None:
        self.host = host
        self.decrypt = decrypt  # False: skip decryption (benchmarks), plaintext stays b""
        self.port = 0
        self.expected_vapid_key = expected_vapid_key  # 403 when k differs (like real services)
        self._subscribers: dict[str, Subscriber] = {}
        self._behaviours: dict[str, Behaviour] = {}
        self._deliveries: list[Delivery] = []
        self._attempts: list[Attempt] = []
        self._verified: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._counter = 0
        self.redirect_hits = 0
        #: Requests sleeping out their behaviour's latency now, and the most at once: how
        #: many deliveries a sender had open together (its concurrency, without a clock).
        self.in_flight = 0
        self.peak_in_flight = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    # -- lifecycle -----------------------------------------------------------------
    def start(self) -> "LocalPushService":
        """Start serving on a free port in a background thread."""
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._serve())
            except BaseException as exc:  # surfaced to start()
                errors.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup() if self._runner else asyncio.sleep(0))
            loop.close()

        self._thread = threading.Thread(target=run, name="local-push-service", daemon=True)
        self._thread.start()
        ready.wait(10)
        if errors:
            raise errors[0]
        return self

    async def _serve(self) -> None:
        app = web.Application(client_max_size=64 * 1024)
        app.router.add_post("/push/{sid}", self._handle)
        app.router.add_route("*", "/elsewhere", self._elsewhere)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0, backlog=1024)
        await site.start()
        self.port = self._runner.addresses[0][1]

    def stop(self) -> None:
        """Stop the server and its thread."""
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._loop = self._thread = None

    def __enter__(self) -> "LocalPushService":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- configuration ---------------------------------------------------------------
    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT``: the VAPID ``aud`` for this service."""
        return f"http://{self.host}:{self.port}"

    @property
    def host_port(self) -> str:
        """The allowlist entry that lets the app send here (``127.0.0.1:PORT``)."""
        return f"{self.host}:{self.port}"

    def subscriber(self, behaviour: Behaviour | None = None) -> Subscriber:
        """Create a subscription (fresh keys) whose endpoint points at this service."""
        private, p256dh, auth = make_subscriber_keys()
        with self._lock:
            self._counter += 1
            sid = f"s{self._counter}-{b64url(private.private_numbers().private_value.to_bytes(32, 'big')[:6])}"
            sub = Subscriber(sid, f"{self.origin}/push/{sid}", p256dh, auth, private)
            self._subscribers[sid] = sub
            if behaviour is not None:
                self._behaviours[sid] = behaviour
        return sub

    def set_behaviour(self, subscription_id: str, behaviour: Behaviour | None) -> None:
        """Change how one subscription is answered (None: normal 201)."""
        with self._lock:
            if behaviour is None:
                self._behaviours.pop(subscription_id, None)
            else:
                self._behaviours[subscription_id] = behaviour

    # -- what arrived ----------------------------------------------------------------
    @property
    def deliveries(self) -> list[Delivery]:
        """Accepted messages so far (a copy)."""
        with self._lock:
            return list(self._deliveries)

    @property
    def attempts(self) -> list[Attempt]:
        """Every request to /push/<id> with its status (a copy)."""
        with self._lock:
            return list(self._attempts)

    @property
    def rejections(self) -> list[Attempt]:
        """Requests refused by validation (bad JWT, encoding, TTL, keys …)."""
        return [a for a in self.attempts if a.reason not in ("ok", "behaviour")]

    def deliveries_for(self, subscription_id: str) -> list[Delivery]:
        """Accepted messages for one subscription."""
        return [d for d in self.deliveries if d.subscription_id == subscription_id]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Delivery]:
        """Block until at least ``count`` deliveries arrived (AssertionError on timeout)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self._deliveries) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self._deliveries)} deliveries, expected {count}")
                self._cond.wait(left)
            return list(self._deliveries)

    def clear(self) -> None:
        """Forget deliveries and attempts (subscribers and behaviours stay)."""
        with self._lock:
            self._deliveries.clear()
            self._attempts.clear()
            self.redirect_hits = 0

    # -- HTTP ------------------------------------------------------------------------
    def _record(self, sid: str, status: int, reason: str) -> web.Response:
        with self._lock:
            self._attempts.append(Attempt(sid, status, reason))
        return web.Response(status=status, text=reason)

    def _check_vapid(self, header: str, origin: str) -> tuple[dict[str, Any], str]:
        match = _AUTH_RE.match(header.strip())
        if not match:
            raise _Reject(401, "authorization scheme is not vapid")
        params: dict[str, str] = {}
        for part in match.group(1).split(","):
            name, _, value = part.strip().partition("=")
            params[name.strip()] = value.strip()
        token, key = params.get("t"), params.get("k")
        if not token or not key:
            raise _Reject(401, "vapid header needs t= and k=")
        if self.expected_vapid_key is not None and key != self.expected_vapid_key:
            raise _Reject(403, "vapid key does not match the subscription's key")
        cached = self._verified.get((token, key))
        if cached is None:
            try:
                public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(key))
                claims = jwt.decode(
                    token,
                    public,
                    algorithms=["ES256"],
                    audience=origin,
                    options={"require": ["exp", "aud", "sub"]},
                )
            except (ValueError, jwt.PyJWTError) as exc:
                raise _Reject(401, f"bad vapid token: {exc}") from exc
            cached = claims
            self._verified[(token, key)] = claims
        now = time.time()
        if cached["aud"] != origin:
            raise _Reject(401, "aud is not this origin")
        if not now < cached["exp"] <= now + MAX_JWT_LIFETIME_S:
            raise _Reject(401, "exp must be in the future and at most 24 h ahead")
        if not isinstance(cached.get("sub"), str) or not _SUB_RE.match(cached["sub"]):
            raise _Reject(401, "sub must be a mailto: or https: URL")
        return cached, key

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        sid = request.match_info["sid"]
        with self._lock:
            sub = self._subscribers.get(sid)
            behaviour = self._behaviours.get(sid)
        if sub is None:
            return self._record(sid, 404, "unknown subscription")
        body = await request.read()
        try:
            # aud must be the origin the sender addressed (scheme://Host), as at a real service
            claims, key = self._check_vapid(request.headers.get("Authorization", ""), f"http://{request.host}")
            if request.headers.get("Content-Encoding", "").lower() != "aes128gcm":
                raise _Reject(415, "content-encoding must be aes128gcm")
            if not request.headers.get("TTL", "").isdigit():
                raise _Reject(400, "TTL header missing or not a number")
            if len(body) > 4096:
                raise _Reject(413, "payload too large")
            plaintext = b""
            try:
                if self.decrypt:
                    plaintext = http_ece.decrypt(
                        body,
                        private_key=sub.private_key,
                        auth_secret=b64url_decode(sub.auth),
                        version="aes128gcm",
                    )
            except Exception as exc:  # any failure to decrypt is the sender's fault
                raise _Reject(400, f"cannot decrypt: {exc}") from exc
        except _Reject as rej:
            return self._record(sid, rej.status, rej.reason)
        if behaviour is not None:
            if behaviour.hang_s:
                await asyncio.sleep(behaviour.hang_s)
                return self._record(sid, 201, "behaviour")  # too late: the client gave up
            if behaviour.latency_s:
                with self._lock:
                    self.in_flight += 1
                    self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
                try:
                    await asyncio.sleep(behaviour.latency_s)
                finally:
                    with self._lock:
                        self.in_flight -= 1
            if behaviour.redirect_to is not None:
                self._record(sid, 302, "behaviour")
                raise web.HTTPFound(behaviour.redirect_to)
            if not 200 <= behaviour.status < 300:
                headers = {"Retry-After": behaviour.retry_after} if behaviour.retry_after else None
                self._record(sid, behaviour.status, "behaviour")
                return web.Response(status=behaviour.status, headers=headers, text="behaviour")
        status = behaviour.status if behaviour is not None else 201
        delivery = Delivery(sid, dict(request.headers), plaintext, dict(claims), key, time.time())
        with self._cond:
            self._deliveries.append(delivery)
            self._attempts.append(Attempt(sid, status, "ok"))
            self._cond.notify_all()
        return web.Response(status=status, headers={"Location": f"{self.origin}/msg/{len(self._deliveries)}"})

    async def _elsewhere(self, request: web.Request) -> web.Response:
        with self._lock:
            self.redirect_hits += 1
        return web.Response(status=201, text="redirect followed")


class _Reject(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def push_service_fixture() -> Iterator[LocalPushService]:
    """Generator behind the ``push_service`` pytest fixture (see ``push_service`` below)."""
    with LocalPushService() as service:
        yield service


def main(argv: list[str] | None = None) -> None:
    """Run the service in its own process (benchmarks): prints one JSON line with the
    origin, the allowlist entry and the subscriptions, then serves until stdin closes."""
    import argparse
    import json
    import sys

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--subscribers", type=int, default=10)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--no-decrypt", action="store_true")
    args = parser.parse_args(argv)
    behaviour = Behaviour(latency_s=args.latency_ms / 1000) if args.latency_ms else None
    with LocalPushService(decrypt=not args.no_decrypt) as service:
        subs = [service.subscriber(behaviour).as_json() for _ in range(args.subscribers)]
        print(json.dumps({"origin": service.origin, "host_port": service.host_port, "subscriptions": subs}), flush=True)
        sys.stdin.read()
        print(json.dumps({"deliveries": len(service.deliveries), "rejections": len(service.rejections)}), flush=True)


if __name__ == "__main__":
    main()


try:  # usable as a fixture: ``from tests.support.pushservice import push_service``
    import pytest

    push_service = pytest.fixture(push_service_fixture, name="push_service")
except ImportError:  # pragma: no cover - pytest is always there in the test suite
    pass
