"""VAPID key pair: create once, store as a 0600 PEM file, load it, or take it from a string.

The key identifies this server to the browsers' push services. Replacing it silently would
invalidate every stored subscription, so ``generate_key_file`` refuses to overwrite an
existing file unless ``force=True``.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

KEY_FILENAME = "vapid_private.pem"

PrivateKey = ec.EllipticCurvePrivateKey


class VapidKeyError(Exception):
    """A VAPID key could not be created, read or parsed."""


class VapidKeyExists(VapidKeyError):
    """A key file is already there; pass force=True to replace it (subscriptions break)."""


def key_path(folder: str | os.PathLike[str]) -> Path:
    """The key file's path inside ``folder`` (the instance folder)."""
    return Path(folder) / KEY_FILENAME


def new_private_key() -> PrivateKey:
    """A fresh P-256 private key."""
    return ec.generate_private_key(ec.SECP256R1())


def private_key_pem(private: PrivateKey) -> str:
    """PKCS#8 PEM text of the private key (unencrypted: protect it as a secret)."""
    return private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def generate_key_file(folder: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Create a new key pair and write it to ``folder/vapid_private.pem`` with mode 0600.

    Raises ``VapidKeyExists`` when the file exists and ``force`` is False. The file is
    written to a temporary name created with 0600 and renamed, so no reader ever sees a
    half-written or world-readable key.
    """
    path = key_path(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and not force:
        raise VapidKeyExists(f"{path} exists; refusing to replace the VAPID key (use force)")
    pem = private_key_pem(new_private_key()).encode("ascii")
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        if force:
            os.replace(tmp, path)
        else:
            # link() fails if another process created the key meanwhile: never overwrite.
            try:
                os.link(tmp, path)
            except FileExistsError as exc:
                raise VapidKeyExists(f"{path} was created concurrently") from exc
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def ensure_key_file(folder: str | os.PathLike[str]) -> tuple[Path, bool]:
    """Create the key file if missing (first start). Returns (path, created)."""
    path = key_path(folder)
    if path.exists():
        return path, False
    try:
        return generate_key_file(folder), True
    except VapidKeyExists:
        return path, False


def load_key_file(path: str | os.PathLike[str]) -> PrivateKey:
    """Read a PEM private key file written by ``generate_key_file`` (or any P-256 PEM)."""
    try:
        text = Path(path).read_text("ascii")
    except OSError as exc:
        raise VapidKeyError(f"cannot read VAPID key {path}: {exc}") from exc
    return private_key_from_string(text)


def private_key_from_string(value: str) -> PrivateKey:
    """Parse ``STRIDEGUARD_VAPID_PRIVATE_KEY``: PEM text, or base64url of the raw 32-byte
    private scalar (the form web-push tools print), or base64url DER (PKCS#8/SEC1)."""
    text = value.strip()
    if not text:
        raise VapidKeyError("empty VAPID private key")
    if "-----BEGIN" in text:
        try:
            key = serialization.load_pem_private_key(text.replace("\\n", "\n").encode("ascii"), password=None)
        except (ValueError, TypeError) as exc:
            raise VapidKeyError(f"bad PEM VAPID key: {exc}") from exc
    else:
        raw = _b64url_decode(text)
        if len(raw) == 32:
            key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
        else:
            try:
                key = serialization.load_der_private_key(raw, password=None)
            except (ValueError, TypeError) as exc:
                raise VapidKeyError(f"bad VAPID key: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise VapidKeyError("VAPID key must be an EC P-256 private key")
    return key


def load_private_key(folder: str | os.PathLike[str], env_value: str | None = None) -> PrivateKey:
    """The configured key: ``env_value`` (STRIDEGUARD_VAPID_PRIVATE_KEY) wins, else the file."""
    if env_value:
        return private_key_from_string(env_value)
    return load_key_file(key_path(folder))


def application_server_key(private: PrivateKey) -> str:
    """base64url (no padding) of the 65-byte uncompressed public point: GET /push/key."""
    raw = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(raw)


def b64url(data: bytes) -> str:
    """base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    cleaned = "".join(text.split())
    try:
        return base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))
    except (binascii.Error, ValueError) as exc:
        raise VapidKeyError(f"bad base64url VAPID key: {exc}") from exc
