"""VAPID keys: created once with 0600, never silently replaced, loadable from env forms."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

from strideguard.push.vapid import (
    VapidKeyError,
    VapidKeyExists,
    application_server_key,
    ensure_key_file,
    generate_key_file,
    key_path,
    load_key_file,
    load_private_key,
    new_private_key,
    private_key_from_string,
    private_key_pem,
)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_generate_writes_a_0600_pem_that_loads(tmp_path: Path) -> None:
    path = generate_key_file(tmp_path / "instance")
    assert path == key_path(tmp_path / "instance")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    key = load_key_file(path)
    assert isinstance(key.curve, ec.SECP256R1)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left


def test_generate_refuses_to_replace_an_existing_key(tmp_path: Path) -> None:
    path = generate_key_file(tmp_path)
    before = path.read_bytes()
    with pytest.raises(VapidKeyExists):
        generate_key_file(tmp_path)
    assert path.read_bytes() == before


def test_force_replaces_the_key(tmp_path: Path) -> None:
    path = generate_key_file(tmp_path)
    old = application_server_key(load_key_file(path))
    generate_key_file(tmp_path, force=True)
    assert application_server_key(load_key_file(path)) != old
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_ensure_creates_once(tmp_path: Path) -> None:
    path, created = ensure_key_file(tmp_path)
    first = path.read_bytes()
    again, created_again = ensure_key_file(tmp_path)
    assert (created, created_again) == (True, False)
    assert again == path and path.read_bytes() == first


def test_application_server_key_is_the_uncompressed_point() -> None:
    key = new_private_key()
    value = application_server_key(key)
    assert "=" not in value and len(value) == 87
    raw = base64.urlsafe_b64decode(value + "=")
    assert len(raw) == 65 and raw[0] == 4
    expected = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    assert raw == expected


def _forms(key: ec.EllipticCurvePrivateKey) -> dict[str, str]:
    pem = private_key_pem(key)
    raw = key.private_numbers().private_value.to_bytes(32, "big")
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    sec1 = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()
    return {
        "pem": pem,
        "pem_escaped_newlines": pem.replace("\n", "\\n"),
        "sec1_pem": sec1,
        "raw_b64url": _b64url(raw),
        "raw_b64url_padded": base64.urlsafe_b64encode(raw).decode(),
        "der_b64url": _b64url(der),
    }


@pytest.mark.parametrize("form", ["pem", "pem_escaped_newlines", "sec1_pem", "raw_b64url", "raw_b64url_padded", "der_b64url"])
def test_private_key_from_string_accepts_each_form(form: str) -> None:
    key = new_private_key()
    loaded = private_key_from_string(_forms(key)[form])
    assert application_server_key(loaded) == application_server_key(key)


@pytest.mark.parametrize("value", ["", "   ", "not a key!!", _b64url(b"\x01" * 31), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"])
def test_bad_strings_raise(value: str) -> None:
    with pytest.raises(VapidKeyError):
        private_key_from_string(value)


def test_other_curves_are_refused() -> None:
    p384 = ec.generate_private_key(ec.SECP384R1())
    pem = p384.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    with pytest.raises(VapidKeyError, match="P-256"):
        private_key_from_string(pem)


def test_env_value_wins_over_the_file(tmp_path: Path) -> None:
    generate_key_file(tmp_path)
    env_key = new_private_key()
    chosen = load_private_key(tmp_path, private_key_pem(env_key))
    assert application_server_key(chosen) == application_server_key(env_key)
    from_file = load_private_key(tmp_path, None)
    assert application_server_key(from_file) == application_server_key(load_key_file(key_path(tmp_path)))


def test_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(VapidKeyError):
        load_private_key(tmp_path)


def test_keys_sign_tokens_that_py_vapid_verifies() -> None:
    key = new_private_key()
    header = Vapid02(key).sign({"aud": "https://fcm.googleapis.com", "sub": "mailto:ops@example.org"})
    assert Vapid02.verify(header["Authorization"])
    assert header["Authorization"].endswith("k=" + application_server_key(key))
