"""Fixtures for the push tests: the local push service and a VAPID key."""

import pytest

from strideguard.push.vapid import PrivateKey, new_private_key
from tests.support.pushservice import push_service  # noqa: F401  (the fixture)


@pytest.fixture(scope="session")
def vapid_key() -> PrivateKey:
    """One server VAPID key for the session (generating one is cheap, reuse anyway)."""
    return new_private_key()
