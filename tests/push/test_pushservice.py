"""The local push service itself refuses what a real push service refuses."""

from __future__ import annotations

import time
from typing import Any

import http_ece
import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec

from strideguard.push.vapid import application_server_key, new_private_key
from tests.support.pushservice import LocalPushService, Subscriber, b64url_decode


def _request(service: LocalPushService, sub: Subscriber, **changes: Any) -> requests.Response:
    key = new_private_key()
    claims = {"aud": service.origin, "exp": int(time.time()) + 3600, "sub": "mailto:ops@example.org"}
    claims.update(changes.pop("claims", {}))
    claims = {k: v for k, v in claims.items() if v is not None}
    token = jwt.encode(claims, changes.pop("signing_key", key), algorithm="ES256")
    auth = changes.pop("authorization", f"vapid t={token}, k={application_server_key(key)}")
    body = http_ece.encrypt(
        changes.pop("plaintext", b"hello"),
        private_key=ec.generate_private_key(ec.SECP256R1()),
        dh=b64url_decode(sub.p256dh),
        auth_secret=changes.pop("auth_secret", b64url_decode(sub.auth)),
        version="aes128gcm",
    )
    headers = {"Authorization": auth, "Content-Encoding": "aes128gcm", "TTL": "60"}
    headers.update(changes.pop("headers", {}))
    headers = {k: v for k, v in headers.items() if v is not None}
    return requests.post(changes.pop("url", sub.endpoint), data=changes.pop("body", body), headers=headers, timeout=5)


def test_a_valid_request_is_accepted_and_decrypted(push_service: LocalPushService) -> None:
    sub = push_service.subscriber()
    response = _request(push_service, sub, plaintext=b'{"kind":"rest"}')
    assert response.status_code == 201
    assert push_service.wait_for(1)[0].plaintext == b'{"kind":"rest"}'


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"authorization": None}, 401),
        ({"authorization": "WebPush abc"}, 401),
        ({"authorization": "vapid t=abc"}, 401),
        ({"claims": {"aud": "http://elsewhere.example"}}, 401),
        ({"claims": {"exp": int(time.time()) - 10}}, 401),
        ({"claims": {"exp": int(time.time()) + 25 * 3600}}, 401),
        ({"claims": {"sub": "ops@example.org"}}, 401),
        ({"claims": {"sub": None}}, 401),
        ({"signing_key": ec.generate_private_key(ec.SECP256R1())}, 401),
        ({"headers": {"Content-Encoding": "aesgcm"}}, 415),
        ({"headers": {"TTL": None}}, 400),
        ({"auth_secret": b"0" * 16}, 400),
        ({"body": b"x" * 5000}, 413),
    ],
)
def test_bad_requests_are_refused(push_service: LocalPushService, changes: dict[str, Any], status: int) -> None:
    sub = push_service.subscriber()
    response = _request(push_service, sub, **changes)
    assert response.status_code == status
    assert push_service.deliveries == []
    assert [a.status for a in push_service.rejections] == [status]


def test_unknown_subscription_is_404(push_service: LocalPushService) -> None:
    sub = push_service.subscriber()
    assert _request(push_service, sub, url=f"{push_service.origin}/push/nope").status_code == 404


def test_context_manager_stops_the_server() -> None:
    with LocalPushService() as service:
        origin = service.origin
        assert requests.post(f"{origin}/push/x", timeout=5).status_code == 404
    with pytest.raises(requests.ConnectionError):
        requests.post(f"{origin}/push/x", timeout=2)
