"""Delivery against the REAL local push service over real HTTP (no mocks of the push path)."""

from __future__ import annotations

import json
import logging
import socket
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import pytest

from strideguard.push.payload import build_payload, delivery_options
from strideguard.push.sender import (
    PushJob,
    PushResult,
    VapidSigner,
    send_all,
)
from strideguard.push.vapid import PrivateKey, application_server_key, new_private_key
from tests.support.pushservice import Behaviour, LocalPushService, Subscriber, make_subscriber_keys

SUBJECT = "mailto:ops@strideguard.example"


def job_for(sub: Subscriber, kind: str = "rest", job_id: Any = 1, payload: Any = None) -> PushJob:
    options = delivery_options(kind)
    return PushJob(
        id=job_id,
        endpoint=sub.endpoint,
        p256dh=sub.p256dh,
        auth=sub.auth,
        payload=payload if payload is not None else build_payload(kind, "discreet", {}),
        ttl=options.ttl,
        urgency=options.urgency,
        topic=options.topic,
    )


def send(service: LocalPushService, key: PrivateKey, jobs: list[PushJob], **kwargs: Any) -> list[PushResult]:
    return send_all(jobs, key, SUBJECT, [service.host_port], **kwargs)


def test_a_push_arrives_decrypted_with_its_headers_and_a_valid_token(
    push_service: LocalPushService, vapid_key: PrivateKey
) -> None:
    push_service.expected_vapid_key = application_server_key(vapid_key)
    sub = push_service.subscriber()
    [result] = send(push_service, vapid_key, [job_for(sub, "contact_pt", job_id=42)])
    assert result == PushResult(42, "sent", 201)
    [delivery] = push_service.deliveries
    assert json.loads(delivery.plaintext) == build_payload("contact_pt", "discreet", {})
    headers = {k.lower(): v for k, v in delivery.headers.items()}
    assert headers["content-encoding"] == "aes128gcm"
    assert headers["ttl"] == str(delivery_options("contact_pt").ttl)
    assert headers["urgency"] == "high"
    assert headers["topic"] == "strideguard-contact_pt"
    assert delivery.claims["aud"] == push_service.origin
    assert delivery.claims["sub"] == SUBJECT
    assert time.time() < delivery.claims["exp"] <= time.time() + 24 * 3600
    assert delivery.vapid_key == application_server_key(vapid_key)


def test_bytes_payloads_are_sent_as_given(push_service: LocalPushService, vapid_key: PrivateKey) -> None:
    sub = push_service.subscriber()
    send(push_service, vapid_key, [job_for(sub, payload=b'{"kind":"rest"}')])
    assert push_service.deliveries[0].plaintext == b'{"kind":"rest"}'


@pytest.mark.parametrize(
    ("behaviour", "outcome", "status", "retry_after"),
    [
        (Behaviour(status=201), "sent", 201, None),
        (Behaviour(status=202), "sent", 202, None),
        (Behaviour(status=404), "gone", 404, None),
        (Behaviour(status=410), "gone", 410, None),
        (Behaviour(status=429, retry_after="120"), "retry", 429, "120"),
        (Behaviour(status=429), "retry", 429, None),
        (Behaviour(status=500), "retry", 500, None),
        (Behaviour(status=503, retry_after="30"), "retry", 503, "30"),
        (Behaviour(status=400), "rejected", 400, None),
        (Behaviour(status=401), "rejected", 401, None),
        (Behaviour(status=403), "rejected", 403, None),
        (Behaviour(status=413), "rejected", 413, None),
    ],
)
def test_each_status_maps_to_an_outcome(
    push_service: LocalPushService, vapid_key: PrivateKey, behaviour: Behaviour, outcome: str, status: int, retry_after: str | None
) -> None:
    sub = push_service.subscriber(behaviour)
    [result] = send(push_service, vapid_key, [job_for(sub)])
    assert (result.outcome, result.status, result.retry_after) == (outcome, status, retry_after)
    assert [a.status for a in push_service.attempts] == [status]


def test_retry_after_as_an_http_date_is_passed_on_as_received(push_service: LocalPushService, vapid_key: PrivateKey) -> None:
    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=90), usegmt=True)
    sub = push_service.subscriber(Behaviour(status=429, retry_after=when))
    [result] = send(push_service, vapid_key, [job_for(sub)])
    assert result.outcome == "retry"
    assert result.retry_after == when  # reminders/retry.py turns it into a wait


def test_rejections_are_logged_at_error(
    push_service: LocalPushService, vapid_key: PrivateKey, caplog: pytest.LogCaptureFixture
) -> None:
    sub = push_service.subscriber(Behaviour(status=403))
    with caplog.at_level(logging.ERROR, logger="strideguard.push"):
        send(push_service, vapid_key, [job_for(sub, job_id="row-7")])
    assert any(r.levelno == logging.ERROR and "row-7" in r.getMessage() for r in caplog.records)


def test_a_wrong_vapid_key_is_rejected_by_the_service(push_service: LocalPushService, vapid_key: PrivateKey) -> None:
    push_service.expected_vapid_key = application_server_key(new_private_key())
    sub = push_service.subscriber()
    [result] = send(push_service, vapid_key, [job_for(sub)])
    assert (result.outcome, result.status) == ("rejected", 403)
    assert push_service.deliveries == []


def test_a_hanging_service_times_out_and_is_retried(push_service: LocalPushService, vapid_key: PrivateKey) -> None:
    sub = push_service.subscriber(Behaviour(hang_s=3.0))
    started = time.monotonic()
    [result] = send(push_service, vapid_key, [job_for(sub)], timeout_s=0.5)
    assert time.monotonic() - started < 2.5
    assert (result.outcome, result.error) == ("retry", "timeout")


def test_timeout_above_ten_seconds_is_refused(vapid_key: PrivateKey) -> None:
    with pytest.raises(ValueError):
        send_all([], vapid_key, SUBJECT, None, timeout_s=11)


def test_redirects_are_not_followed(push_service: LocalPushService, vapid_key: PrivateKey) -> None:
    sub = push_service.subscriber(Behaviour(redirect_to=f"{push_service.origin}/elsewhere"))
    [result] = send(push_service, vapid_key, [job_for(sub)])
    assert (result.outcome, result.status, result.error) == ("rejected", 302, "redirect refused")
    assert push_service.redirect_hits == 0


def test_endpoint_not_on_the_allowlist_is_refused_before_any_request(
    push_service: LocalPushService, vapid_key: PrivateKey
) -> None:
    sub = push_service.subscriber()
    [result] = send_all([job_for(sub)], vapid_key, SUBJECT, None)  # default allowlist
    assert result.outcome == "refused" and "host_not_allowed" in (result.error or "")
    assert push_service.attempts == []


def _dns(table: dict[str, str]) -> Any:
    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "unknown")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (table[host], port))]

    return resolve


def test_a_name_is_connected_only_through_the_checked_address(
    push_service: LocalPushService, vapid_key: PrivateKey
) -> None:
    # "pushsvc.test" exists only in the injected resolver: the connection must use the
    # address the policy approved, not a second DNS lookup.
    sub = push_service.subscriber()
    endpoint = sub.endpoint.replace("127.0.0.1", "pushsvc.test")
    job = PushJob(1, endpoint, sub.p256dh, sub.auth, {"kind": "rest"}, 60)
    allowed = [f"pushsvc.test:{push_service.port}"]
    [result] = send_all([job], vapid_key, SUBJECT, allowed, resolver=_dns({"pushsvc.test": "127.0.0.1"}))
    assert result.outcome == "sent"
    assert push_service.deliveries_for(sub.id)


def test_dns_rebinding_at_send_is_refused(vapid_key: PrivateKey) -> None:
    job = PushJob(1, "https://fcm.googleapis.com/fcm/send/abc", "x", "y", {"kind": "rest"}, 60)
    [result] = send_all([job], vapid_key, SUBJECT, None, resolver=_dns({"fcm.googleapis.com": "127.0.0.1"}))
    assert result.outcome == "refused" and "private_address" in (result.error or "")


def test_unresolvable_host_at_send_is_retried(vapid_key: PrivateKey) -> None:
    job = PushJob(1, "https://fcm.googleapis.com/fcm/send/abc", "x", "y", {"kind": "rest"}, 60)
    [result] = send_all([job], vapid_key, SUBJECT, None, resolver=_dns({}))
    assert result.outcome == "retry" and (result.error or "").startswith("dns")


def test_connection_refused_is_retried(vapid_key: PrivateKey) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _, p256dh, auth = make_subscriber_keys()
    job = PushJob(1, f"http://127.0.0.1:{port}/push/x", p256dh, auth, {"kind": "rest"}, 60)
    [result] = send_all([job], vapid_key, SUBJECT, [f"127.0.0.1:{port}"])
    assert result.outcome == "retry" and "connection" in (result.error or "")


def test_broken_subscription_keys_are_rejected_not_raised(push_service: LocalPushService, vapid_key: PrivateKey) -> None:
    sub = push_service.subscriber()
    good = job_for(sub, job_id="good")
    bad = PushJob("bad", sub.endpoint, "AAAA", sub.auth, {"kind": "rest"}, 60)
    results = send(push_service, vapid_key, [bad, good])
    assert [(r.id, r.outcome) for r in results] == [("bad", "rejected"), ("good", "sent")]


def test_one_signature_per_origin_per_pass(vapid_key: PrivateKey) -> None:
    with LocalPushService() as first, LocalPushService() as second:
        subs = [first.subscriber() for _ in range(5)] + [second.subscriber() for _ in range(5)]
        jobs = [job_for(subs[i % 10], job_id=i) for i in range(200)]
        signer = VapidSigner(vapid_key, SUBJECT)
        results = send_all(jobs, vapid_key, SUBJECT, [first.host_port, second.host_port], signer=signer)
        assert [r.outcome for r in results] == ["sent"] * 200
        assert [r.id for r in results] == list(range(200))
        assert signer.signatures == 2
        send_all(jobs[:10], vapid_key, SUBJECT, [first.host_port, second.host_port], signer=signer)
        assert signer.signatures == 2  # reused across passes while valid
        assert len(first.deliveries) + len(second.deliveries) == 210


def test_signer_refreshes_before_expiry(vapid_key: PrivateKey) -> None:
    clock = [1_000_000.0]
    signer = VapidSigner(vapid_key, SUBJECT, lifetime_s=3600, refresh_margin_s=600, clock=lambda: clock[0])
    first = signer.header("https://fcm.googleapis.com")
    clock[0] += 2999
    assert signer.header("https://fcm.googleapis.com") == first
    clock[0] += 2
    assert signer.header("https://fcm.googleapis.com") != first
    assert signer.signatures == 2


@pytest.mark.parametrize("subject", ["ops@example.org", "http://example.org", ""])
def test_signer_needs_a_mailto_or_https_subject(vapid_key: PrivateKey, subject: str) -> None:
    with pytest.raises(ValueError):
        VapidSigner(vapid_key, subject)


def test_delivery_is_concurrent(push_service: LocalPushService, vapid_key: PrivateKey) -> None:
    subs = [push_service.subscriber(Behaviour(latency_s=0.05)) for _ in range(20)]
    jobs = [job_for(subs[i % 20], job_id=i) for i in range(200)]
    results = send(push_service, vapid_key, jobs)
    assert [r.outcome for r in results] == ["sent"] * 200
    # Many deliveries were open at once (one at a time would never exceed 1): counted at the
    # push service, not timed, so a busy machine cannot make it flaky.
    assert push_service.peak_in_flight >= 10, push_service.peak_in_flight
