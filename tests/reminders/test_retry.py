"""The outbox state machine after a send, and the retry policy (pure: reminders/retry.py)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from strideguard.push.sender import PushResult
from strideguard.reminders.retry import RetryPolicy, Settlement, next_attempt, parse_retry_after, settle

NOW = datetime(2025, 3, 1, 12, tzinfo=timezone.utc)
HALF = lambda: 0.5  # noqa: E731  (jitter pinned to the middle)


def result(outcome: str, status: int | None = None, retry_after: str | None = None, error: str | None = None):
    return PushResult(id=(1, 1), outcome=outcome, status=status, retry_after=retry_after, error=error)


# -- settle: one row, the results of its pushes -------------------------------------------


def test_one_accepted_push_is_enough_whatever_the_other_devices_said() -> None:
    got = settle(1, [result("gone", 410), result("sent", 201), result("retry", 500)], NOW)
    assert got == Settlement("sent", 500, None, sent_at=NOW)


def test_a_retryable_answer_puts_the_row_back_with_backoff() -> None:
    got = settle(1, [result("retry", 503, error="HTTP 503")], NOW, rng=HALF)
    assert (got.status, got.last_status, got.last_error) == ("pending", 503, "HTTP 503")
    assert got.due_at == NOW + timedelta(seconds=45)  # 60 s base, equal jitter at 0.5
    assert got.sent_at is None


def test_the_longest_retry_after_of_the_row_wins() -> None:
    got = settle(1, [result("retry", 429, "600", "HTTP 429"), result("retry", 429, "120"),
                     result("rejected", 400)], NOW, rng=HALF)
    assert got.status == "pending" and got.due_at == NOW + timedelta(seconds=600)


def test_retry_after_as_an_http_date() -> None:
    got = settle(1, [result("retry", 429, "Sat, 01 Mar 2025 12:30:00 GMT")], NOW, rng=HALF)
    assert got.due_at == NOW + timedelta(minutes=30)


def test_a_network_failure_retries_with_its_error() -> None:
    got = settle(2, [result("retry", None, error="timeout")], NOW, rng=HALF)
    assert (got.status, got.last_status, got.last_error) == ("pending", None, "timeout")
    assert got.due_at == NOW + timedelta(seconds=90)


def test_out_of_attempts_the_row_fails() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert settle(2, [result("retry", 500)], NOW, policy=policy).status == "pending"
    assert settle(3, [result("retry", 500)], NOW, policy=policy) == Settlement("failed", 500, "gave up after retries")


@pytest.mark.parametrize(
    "results,error",
    [
        ([result("gone", 410)], "gone"),
        ([result("rejected", 403)], "rejected"),
        ([result("refused")], "refused"),
        ([result("rejected", 400), result("gone", 404)], "gone, rejected"),
    ],
)
def test_answers_that_retrying_cannot_change_fail_the_row(results, error) -> None:
    got = settle(1, results, NOW)
    assert (got.status, got.last_error, got.due_at) == ("failed", error, None)


def test_a_runner_without_subscriptions_is_skipped() -> None:
    assert settle(1, [], NOW) == Settlement("skipped", None, "no push subscription")


def test_errors_are_clipped_to_the_column() -> None:
    got = settle(1, [result("retry", None, error="x" * 500)], NOW)
    assert len(got.last_error) == 200


# -- the policy ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempts", "rng", "seconds"),
    [
        (1, 0.0, 30),
        (1, 1.0, 60),
        (2, 1.0, 120),
        (3, 0.5, 180),
        (7, 1.0, 3840),
    ],
)
def test_next_attempt_backs_off_with_jitter(attempts: int, rng: float, seconds: float) -> None:
    assert next_attempt(attempts, NOW, rng=lambda: rng) == NOW + timedelta(seconds=seconds)


def test_next_attempt_caps_honours_retry_after_and_gives_up() -> None:
    capped = next_attempt(7, NOW, base_s=3600, cap_s=7200, rng=lambda: 1.0)
    assert capped == NOW + timedelta(seconds=7200)
    assert next_attempt(1, NOW, retry_after_s=900, rng=lambda: 1.0) == NOW + timedelta(seconds=900)
    assert next_attempt(1, NOW, retry_after_s=10 * 86400, rng=lambda: 1.0) == NOW + timedelta(days=1)
    assert next_attempt(8, NOW) is None
    assert next_attempt(3, NOW, max_attempts=3) is None
    with pytest.raises(ValueError):
        next_attempt(0, NOW)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        ("0", 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("Sat, 01 Mar 2025 12:01:00 GMT", 60.0),
        ("Sat, 01 Mar 2025 11:00:00 GMT", 0.0),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected
