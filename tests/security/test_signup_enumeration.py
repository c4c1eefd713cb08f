"""Sign-up and email changes do not state that an account exists (issue 25, item 10).

Without email confirmation a sign-up cannot hide a taken email from whoever tries to register
it (a free email gets an account and a session, a taken one cannot). So: a taken email gets
exactly the answer a malformed one gets (no "already registered"), costs the same argon2 work
as a new account (no timing tell), and both ways of asking are throttled per client.
"""

from __future__ import annotations

import statistics
import time

import pytest

from tests.conftest import Runner
from tests.security.backends import SQLITE_ONLY

REGISTER = "/api/v1/auth/register"


def register(app, email: str, password: str = "knee-safe-42x"):
    return app.test_client().post(REGISTER, json={"email": email, "password": password})


@SQLITE_ONLY
def test_a_taken_email_gets_the_malformed_emails_answer(app) -> None:
    Runner(app, email="taken@example.org")
    taken = register(app, "Taken@Example.org")
    malformed = register(app, "taken@example")
    assert taken.status_code == malformed.status_code == 422
    assert taken.get_json() == malformed.get_json()
    assert "registered" not in taken.get_data(as_text=True) and "exists" not in taken.get_data(as_text=True)
    assert "Set-Cookie" not in taken.headers


@SQLITE_ONLY
def test_an_email_change_to_a_taken_email_gets_the_same_answer(app) -> None:
    Runner(app, email="taken@example.org")
    runner = Runner(app)
    taken = runner.patch("/api/v1/me", json={"email": "taken@example.org"})
    malformed = runner.patch("/api/v1/me", json={"email": "taken@"})
    assert taken.status_code == 422 and taken.get_json() == malformed.get_json()


@SQLITE_ONLY
@pytest.mark.parametrize("app", [{"ARGON2_PROFILE": "RFC_9106_LOW_MEMORY"}], indirect=True)
def test_a_taken_email_costs_the_same_argon2_work_as_a_new_account(app) -> None:
    Runner(app, email="taken@example.org")

    def timed(email: str) -> float:
        started = time.perf_counter()
        register(app, email)
        return time.perf_counter() - started

    taken = [timed("taken@example.org") for _ in range(5)]
    fresh = [timed(f"fresh{i}@example.org") for i in range(5)]
    # Before: a taken email answered before any hashing (a few ms against ~50+ ms).
    assert statistics.median(taken) >= 0.7 * statistics.median(fresh), (taken, fresh)


@SQLITE_ONLY
@pytest.mark.parametrize("app", [{"RATELIMIT_ENABLED": True, "REGISTER_RATE_LIMIT": "3 per minute"}], indirect=True)
def test_email_changes_are_throttled_like_sign_ups(app) -> None:
    from strideguard.extensions import limiter

    with app.app_context():
        limiter.reset()
    runner = Runner(app)
    statuses = [runner.patch("/api/v1/me", json={"email": f"probe{i}@example.org"},
                             environ_base={"REMOTE_ADDR": "192.0.2.60"}).status_code for i in range(4)]
    assert statuses == [200, 200, 200, 429]
    # Saving other settings (the form sends the email unchanged) is not counted.
    current = runner.get("/api/v1/me").get_json()["email"]
    assert runner.patch("/api/v1/me", json={"email": current, "units": "mi"},
                        environ_base={"REMOTE_ADDR": "192.0.2.60"}).status_code == 200
    with app.app_context():
        limiter.reset()
