"""The database:// rate-limit store on SQLite and PostgreSQL: the ``limits`` Storage contract,
fixed windows that really expire, and exact counts under concurrent increments."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import func, select

from strideguard.operations.models import RateLimitCounter
from strideguard.operations.ratelimit import SWEEP_EVERY, DatabaseStorage, per_process_problem

pytestmark = pytest.mark.database  # its behaviour depends on the database: make test-fast runs its PostgreSQL variant too


@pytest.fixture
def storage(migrated):
    backend, url, _tmp = migrated
    from strideguard.config import database_uri

    store = storage_from_string("database://", database_url=database_uri(url))
    assert isinstance(store, DatabaseStorage)  # registered with the limits library
    store.reset()
    yield store
    store.reset()
    store.engine.dispose()


def test_increments_count_within_a_window_and_restart_after_it(storage) -> None:
    assert storage.get("k") == 0
    assert [storage.incr("k", 1) for _ in range(3)] == [1, 2, 3]
    assert storage.get("k") == 3
    assert time.time() < storage.get_expiry("k") <= time.time() + 1
    assert storage.incr("other", 60, amount=5) == 5
    time.sleep(1.1)
    assert storage.get("k") == 0  # the window is over
    assert storage.incr("k", 1) == 1  # and a new one starts
    assert storage.get("other") == 5


def test_clear_reset_and_check(storage) -> None:
    storage.incr("a", 60)
    storage.incr("b", 60)
    storage.clear("a")
    assert (storage.get("a"), storage.get("b")) == (0, 1)
    assert storage.reset() == 1
    assert storage.get("b") == 0
    assert storage.check() is True


def test_keys_longer_than_the_column_are_hashed(storage) -> None:
    key = "LIMITER/" + "x" * 400
    assert storage.incr(key, 60) == 1 and storage.incr(key, 60) == 2
    assert storage.get(key) == 2


def test_the_fixed_window_strategy_uses_it(storage) -> None:
    limiter = FixedWindowRateLimiter(storage)
    item = parse("3 per minute")
    assert [limiter.hit(item, "1.2.3.4") for _ in range(4)] == [True, True, True, False]
    assert limiter.get_window_stats(item, "1.2.3.4").remaining == 0
    assert limiter.test(item, "5.6.7.8")


def test_concurrent_increments_from_separate_connections_are_exact(storage, migrated) -> None:
    from strideguard.config import database_uri

    stores = [DatabaseStorage("database://", database_url=database_uri(migrated[1])) for _ in range(4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        seen = list(pool.map(lambda i: [stores[i % 4].incr("shared", 60) for _ in range(25)], range(8)))
    values = sorted(v for chunk in seen for v in chunk)
    assert values == list(range(1, 201))  # every increment saw its own count: none lost, none doubled
    assert storage.get("shared") == 200
    for store in stores:
        store.engine.dispose()


def test_expired_counters_are_swept(storage) -> None:
    for i in range(50):
        storage.incr(f"old{i}", 1)
    time.sleep(1.1)
    for _ in range(SWEEP_EVERY):
        storage.incr("live", 60)
    with storage.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(RateLimitCounter.__table__)).scalar() == 1


def test_the_worker_housekeeping_deletes_expired_counters(storage, migrated) -> None:
    from strideguard.operations.ratelimit import delete_expired
    from tests.conftest import make_app

    app = make_app(migrated)  # (empties every table)
    storage.incr("LIMITER/10.1.2.3/auth.login/10/1/minute", 60)
    storage.incr("LIMITER/10.9.9.9/auth.login/10/1/minute", 1)
    with app.app_context():
        from strideguard.extensions import db

        assert delete_expired(db.session, now=time.time() + 5) == 1
        db.session.commit()
    assert storage.get("LIMITER/10.1.2.3/auth.login/10/1/minute") == 1


@pytest.mark.parametrize(
    "settings,workers,refused",
    [
        ({"RATELIMIT_STORAGE_URI": "memory://"}, 5, True),
        ({"RATELIMIT_STORAGE_URI": "async+memory://"}, 2, True),
        ({"RATELIMIT_STORAGE_URI": "memory://"}, 1, False),
        ({"RATELIMIT_STORAGE_URI": "memory://", "RATELIMIT_ENABLED": False}, 5, False),
        ({"RATELIMIT_STORAGE_URI": "database://"}, 8, False),
        ({"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"}, 8, False),
    ],
)
def test_which_settings_cannot_share_counters(settings, workers, refused) -> None:
    assert (per_process_problem(settings, workers) is not None) == refused
