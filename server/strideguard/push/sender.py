"""Concurrent Web Push delivery with pywebpush's ``webpush_async``.

One pass (``send_all``) shares ONE aiohttp ``ClientSession``, sends at most ``concurrency``
requests at a time, encrypts with aes128gcm only, gives each request a total timeout
(<= 10 s), never follows a redirect, and signs one VAPID JWT per push-service origin (cached
by ``VapidSigner`` until close to its expiry, so signatures per pass == origins).

Every endpoint is checked against the SSRF policy again before sending, and the session's
resolver only ever hands out the addresses that check approved (no DNS rebinding between
check and connect).

Outcomes (``PushResult.outcome``):

=========  ======================================================================
sent       2xx
gone       404 / 410: the subscription is dead — the caller deletes it
retry      429 (``retry_after``: the Retry-After header as received), 5xx, timeout,
           connection error, DNS failure — the caller retries later
rejected   400 / 401 / 403 / 413, any other 4xx, a 3xx (redirects are refused), or a
           message that cannot be encrypted — keep the subscription, logged at ERROR
refused    the endpoint failed the SSRF policy at send time
=========  ======================================================================

This module is transport only: what a reminder row becomes after a send, and when to try
again, is decided by ``reminders/retry.py``.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush_async

from .payload import encode_payload
from .policy import (
    Allowlist,
    EndpointOK,
    EndpointRefused,
    EndpointUnresolvable,
    Resolver,
    check_endpoint,
    parse_allowed_hosts,
)
from .vapid import PrivateKey

log = logging.getLogger("strideguard.push")

MAX_TIMEOUT_S = 10.0
DEFAULT_CONCURRENCY = 100
OUTCOMES = ("sent", "gone", "retry", "rejected", "refused")


@dataclass(frozen=True, slots=True)
class PushJob:
    """One message to one subscription. ``id`` is the caller's (e.g. the outbox row id)."""

    id: Any
    endpoint: str
    p256dh: str
    auth: str
    payload: bytes | Mapping[str, Any]
    ttl: int
    urgency: str = "normal"
    topic: str | None = None


@dataclass(frozen=True, slots=True)
class PushResult:
    """What happened to one ``PushJob``."""

    id: Any
    outcome: str  # one of OUTCOMES
    status: int | None = None
    retry_after: str | None = None  # the Retry-After header of a 429/5xx, as received
    error: str | None = None


class VapidSigner:
    """Signs VAPID JWTs and caches one ``Authorization`` header per origin (``aud``).

    A cached header is reused until ``refresh_margin_s`` before its ``exp``; ``exp`` is
    ``lifetime_s`` ahead (12 h, the push services accept up to 24 h). Each signature uses a
    fresh claims dict. ``signatures`` counts real signing operations. Keep one signer for
    the worker's life to reuse tokens across passes.
    """

    def __init__(
        self,
        private_key: PrivateKey,
        subject: str,
        *,
        lifetime_s: int = 12 * 3600,
        refresh_margin_s: int = 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not (subject.startswith("mailto:") or subject.startswith("https://")):
            raise ValueError("VAPID subject must be a mailto: or https: URL")
        if not 0 < refresh_margin_s < lifetime_s <= 24 * 3600:
            raise ValueError("need 0 < refresh_margin_s < lifetime_s <= 24 h")
        self._vapid = Vapid02(private_key)
        self._subject = subject
        self._lifetime = lifetime_s
        self._margin = refresh_margin_s
        self._clock = clock
        self._cache: dict[str, tuple[str, int]] = {}
        self.signatures = 0

    def header(self, origin: str) -> str:
        """The ``Authorization: vapid t=…, k=…`` value for a push-service origin."""
        now = int(self._clock())
        cached = self._cache.get(origin)
        if cached is not None and cached[1] - self._margin > now:
            return cached[0]
        exp = now + self._lifetime
        claims = {"aud": origin, "exp": exp, "sub": self._subject}
        value = self._vapid.sign(claims)["Authorization"]
        self.signatures += 1
        self._cache[origin] = (value, exp)
        return value


class _VettedResolver(AbstractResolver):
    """Answers only with addresses the endpoint policy approved in this pass."""

    def __init__(self, table: dict[tuple[str, int], tuple[str, ...]]) -> None:
        self._table = table

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        addresses = self._table.get((host.lower(), port))
        if not addresses:
            raise _UnvettedAddress(f"{host}:{port} was not approved by the endpoint policy")
        return [
            ResolveResult(
                hostname=host,
                host=addr,
                port=port,
                family=socket.AF_INET6 if ":" in addr else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for addr in addresses
        ]

    async def close(self) -> None:
        return None


class _UnvettedAddress(OSError):
    """Raised by the resolver for a host the policy did not approve."""


class _NoRedirectSession:
    """The one aiohttp session, adapted so every POST refuses redirects.

    ``WebPusher.send_async`` only calls ``post(url, timeout=…, data=…, headers=…)``.
    """

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    def post(self, url: str, **kwargs: Any) -> Any:
        kwargs["allow_redirects"] = False
        return self._session.post(url, **kwargs)


def _status_result(job: PushJob, status: int, retry_after: str | None) -> PushResult:
    if 200 <= status < 300:
        return PushResult(job.id, "sent", status)
    if status in (404, 410):
        return PushResult(job.id, "gone", status)
    if status == 429 or status >= 500:
        return PushResult(job.id, "retry", status, retry_after or None, f"HTTP {status}")
    error = "redirect refused" if 300 <= status < 400 else f"HTTP {status}"
    log.error("push %s rejected by the push service (%s): subscription kept, check VAPID key and payload", job.id, error)
    return PushResult(job.id, "rejected", status, None, error)


async def _send_one(
    job: PushJob,
    ok: EndpointOK,
    session: _NoRedirectSession,
    signer: VapidSigner,
    timeout: aiohttp.ClientTimeout,
    semaphore: asyncio.Semaphore,
) -> PushResult:
    headers: dict[str, str | int | float] = {"Authorization": signer.header(ok.origin), "Urgency": job.urgency}
    if job.topic:
        headers["Topic"] = job.topic
    async with semaphore:
        try:
            data = job.payload if isinstance(job.payload, bytes) else encode_payload(job.payload)
            response = await webpush_async(
                {"endpoint": job.endpoint, "keys": {"p256dh": job.p256dh, "auth": job.auth}},
                data=data,  # type: ignore[arg-type]  # bytes are accepted by WebPusher
                content_encoding="aes128gcm",
                timeout=timeout,  # type: ignore[arg-type]  # passed through to aiohttp
                ttl=int(job.ttl),
                headers=headers,
                aiohttp_session=session,  # type: ignore[arg-type]
            )
        except WebPushException as exc:
            if exc.response is None:
                log.error("push %s could not be encoded: %s", job.id, exc.message)
                return PushResult(job.id, "rejected", None, None, str(exc.message)[:200])
            return _status_result(job, int(exc.status_code or 0), exc.retry_after)
        except asyncio.TimeoutError:
            return PushResult(job.id, "retry", None, None, "timeout")
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, _UnvettedAddress):
                log.warning("push %s refused at connect: %s", job.id, exc.os_error)
                return PushResult(job.id, "refused", None, None, str(exc.os_error))
            return PushResult(job.id, "retry", None, None, f"connection error: {exc}"[:200])
        except (aiohttp.ClientError, OSError) as exc:
            return PushResult(job.id, "retry", None, None, f"{type(exc).__name__}: {exc}"[:200])
        except (ValueError, TypeError) as exc:  # bad keys (base64, point) or payload too large
            log.error("push %s could not be encrypted: %s", job.id, exc)
            return PushResult(job.id, "rejected", None, None, str(exc)[:200])
    status = int(response.status)  # type: ignore[union-attr]
    return _status_result(job, status, response.headers.get("Retry-After"))  # type: ignore[union-attr]


def _vet(
    jobs: Sequence[PushJob], allow: Allowlist, resolver: Resolver
) -> tuple[list[PushResult | None], list[tuple[int, PushJob, EndpointOK]], dict[tuple[str, int], tuple[str, ...]]]:
    """Check every endpoint against the policy: (results so far, jobs to send, vetted addresses)."""
    hosts: dict[tuple[str, str, int], Any] = {}  # one verdict per push-service host and batch
    results: list[PushResult | None] = [None] * len(jobs)
    vetted: dict[tuple[str, int], tuple[str, ...]] = {}
    pending: list[tuple[int, PushJob, EndpointOK]] = []
    for index, job in enumerate(jobs):
        try:
            ok = check_endpoint(job.endpoint, allow, resolver=resolver, host_cache=hosts)
        except EndpointUnresolvable as exc:
            results[index] = PushResult(job.id, "retry", None, None, f"dns: {exc.detail}"[:200])
            continue
        except EndpointRefused as exc:
            log.warning("push %s refused by the endpoint policy: %s", job.id, exc)
            results[index] = PushResult(job.id, "refused", None, None, str(exc)[:200])
            continue
        vetted[(ok.host, ok.port)] = ok.addresses
        pending.append((index, job, ok))
    return results, pending, vetted


def _client_session(connector: aiohttp.TCPConnector, timeout: aiohttp.ClientTimeout) -> aiohttp.ClientSession:
    # No cookie jar: push services need none, and one runner's cookie must never reach another's.
    return aiohttp.ClientSession(connector=connector, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar())


def _check_timeout(timeout_s: float) -> aiohttp.ClientTimeout:
    if not 0 < timeout_s <= MAX_TIMEOUT_S:
        raise ValueError(f"timeout must be in (0, {MAX_TIMEOUT_S}] seconds")
    return aiohttp.ClientTimeout(total=timeout_s, connect=min(timeout_s, 5.0))


async def _send_pending(
    results: list[PushResult | None],
    pending: list[tuple[int, PushJob, EndpointOK]],
    session: _NoRedirectSession,
    signer: VapidSigner,
    timeout: aiohttp.ClientTimeout,
    concurrency: int,
) -> list[PushResult]:
    semaphore = asyncio.Semaphore(concurrency)
    sent = await asyncio.gather(
        *(_send_one(job, ok, session, signer, timeout, semaphore) for _, job, ok in pending)
    )
    for (index, _, _), result in zip(pending, sent):
        results[index] = result
    return [r for r in results if r is not None]


async def send_all_async(
    jobs: Sequence[PushJob],
    signer: VapidSigner,
    allowed_hosts: Allowlist | Iterable[str] | None = None,
    *,
    timeout_s: float = MAX_TIMEOUT_S,
    concurrency: int = DEFAULT_CONCURRENCY,
    resolver: Resolver = socket.getaddrinfo,
) -> list[PushResult]:
    """Deliver ``jobs`` concurrently; results come back in the order of ``jobs``."""
    client_timeout = _check_timeout(timeout_s)
    allow = allowed_hosts if isinstance(allowed_hosts, Allowlist) else parse_allowed_hosts(allowed_hosts)
    results, pending, vetted = _vet(jobs, allow, resolver)
    if not pending:
        return [r for r in results if r is not None]
    connector = aiohttp.TCPConnector(limit=concurrency, resolver=_VettedResolver(vetted))
    async with _client_session(connector, client_timeout) as session:
        return await _send_pending(results, pending, _NoRedirectSession(session), signer, client_timeout, concurrency)


class PushSession:
    """One event loop and ONE aiohttp session for many batches (a worker's delivery pass).

    ``send(jobs)`` behaves like ``send_all`` but keeps the loop, the session and its
    keep-alive connections between calls, so a pass of 20 batches opens its connections
    once instead of 20 times. The resolver still answers only with addresses the policy
    approved (the table grows with each batch's vetted endpoints). Use as a context
    manager, or call ``close()``.
    """

    def __init__(
        self,
        signer: VapidSigner,
        allowed_hosts: Allowlist | Iterable[str] | None = None,
        *,
        timeout_s: float = MAX_TIMEOUT_S,
        concurrency: int = DEFAULT_CONCURRENCY,
        resolver: Resolver = socket.getaddrinfo,
    ) -> None:
        self._timeout = _check_timeout(timeout_s)
        self._allow = allowed_hosts if isinstance(allowed_hosts, Allowlist) else parse_allowed_hosts(allowed_hosts)
        self._signer = signer
        self._concurrency = concurrency
        self._resolver = resolver
        self._vetted: dict[tuple[str, int], tuple[str, ...]] = {}
        self._runner = asyncio.Runner()
        self._session: aiohttp.ClientSession | None = None

    def send(self, jobs: Sequence[PushJob]) -> list[PushResult]:
        """Deliver one batch; results come back in the order of ``jobs``."""
        return self._runner.run(self._send(jobs))

    async def _send(self, jobs: Sequence[PushJob]) -> list[PushResult]:
        results, pending, vetted = _vet(jobs, self._allow, self._resolver)
        if not pending:
            return [r for r in results if r is not None]
        self._vetted.update(vetted)
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._concurrency, resolver=_VettedResolver(self._vetted))
            self._session = _client_session(connector, self._timeout)
        return await _send_pending(
            results, pending, _NoRedirectSession(self._session), self._signer, self._timeout, self._concurrency
        )

    def close(self) -> None:
        """Close the session and the event loop."""
        if self._session is not None:
            self._runner.run(self._session.close())
            self._session = None
        self._runner.close()

    def __enter__(self) -> "PushSession":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def send_all(
    jobs: Sequence[PushJob],
    vapid_private: PrivateKey,
    subject: str,
    allowed_hosts: Allowlist | Iterable[str] | None = None,
    *,
    signer: VapidSigner | None = None,
    timeout_s: float = MAX_TIMEOUT_S,
    concurrency: int = DEFAULT_CONCURRENCY,
    resolver: Resolver = socket.getaddrinfo,
) -> list[PushResult]:
    """Synchronous wrapper for the worker: runs one delivery pass with ``asyncio.run``.

    Pass a long-lived ``signer`` (built from the same key and subject) to reuse VAPID
    tokens across passes; otherwise a fresh one signs once per origin in this pass.
    """
    active = signer or VapidSigner(vapid_private, subject)
    return asyncio.run(
        send_all_async(
            jobs, active, allowed_hosts, timeout_s=timeout_s, concurrency=concurrency, resolver=resolver
        )
    )
