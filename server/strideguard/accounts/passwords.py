"""Password hashing (argon2id via argon2-cffi) and the password policy."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher, profiles
from flask import current_app, has_app_context
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10
MAX_LENGTH = 256

#: The most common passwords of length >= 10 in public breach lists (refused outright).
COMMON_PASSWORDS = frozenset(
    {
        "1234567890", "0123456789", "qwertyuiop", "password12", "password123",
        "password1234", "1q2w3e4r5t", "qwerty1234", "qwerty12345", "1qaz2wsx3edc",
        "iloveyou12", "passw0rd123", "abcdefghij", "abc1234567", "0987654321",
        "1111111111", "aaaaaaaaaa", "letmein123", "welcome123", "football12",
        "qwertyuiop1", "zaq12wsxcde", "123456789a", "a123456789", "strideguard",
        "runner1234", "running123", "marathon12", "password!!", "changeme123",
    }
)


#: argon2-cffi parameter profiles by name (``STRIDEGUARD_ARGON2_PROFILE``). Production uses
#: RFC 9106's low-memory profile; the test suite uses CHEAPEST so that hundreds of sign-ups
#: stay fast. A hash records its own parameters, so changing the profile rehashes at login.
PROFILES = {
    "RFC_9106_LOW_MEMORY": profiles.RFC_9106_LOW_MEMORY,
    "RFC_9106_HIGH_MEMORY": profiles.RFC_9106_HIGH_MEMORY,
    "CHEAPEST": profiles.CHEAPEST,
}
DEFAULT_PROFILE = "RFC_9106_LOW_MEMORY"


@lru_cache(maxsize=len(PROFILES))
def _hasher(profile: str) -> PasswordHasher:
    return PasswordHasher.from_parameters(PROFILES[profile])


def _profile() -> str:
    if has_app_context():
        return current_app.config.get("ARGON2_PROFILE", DEFAULT_PROFILE)
    return DEFAULT_PROFILE


def hasher() -> PasswordHasher:
    """argon2id with the configured profile (default: RFC 9106 low-memory)."""
    return _hasher(_profile())


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True when ``password`` matches; never raises for a wrong or malformed hash."""
    try:
        return hasher().verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def policy_problem(password: str, email: str = "") -> str | None:
    """Why a new password is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(lowered)) <= 2:
        return "This password is too common. Pick another."
    if email and lowered == email.lower():
        return "Do not use your email address as your password."
    return None


# A real hash to verify against when the email is unknown, so a login for a missing
# account costs the same time as one with a wrong password (no account enumeration).
@lru_cache(maxsize=len(PROFILES))
def _dummy_hash(profile: str) -> str:
    return _hasher(profile).hash("not-a-real-password-0")


def dummy_verify(password: str) -> None:
    verify_password(_dummy_hash(_profile()), password)
