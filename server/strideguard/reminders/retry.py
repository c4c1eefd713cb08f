"""(PURE) What becomes of an outbox row after a send: the reminder state machine and its retry policy.

Pure: no Flask, no SQLAlchemy, an explicit ``now``. ``reminders/outbox.py`` applies what
:func:`settle` decides; ``push/sender.py`` only reports what each push service answered.

::

    planned ─┬─▶ pending ──claim──▶ sending ──settle──┬─▶ sent      a push service took it
             │      ▲                  │               ├─▶ failed    every push gone, rejected or
             │      │                  │               │             refused, or out of attempts
             │      └──── retry ───────┤               └─▶ skipped   no subscription left
             │      (due again at next_attempt)
             │      ▲                  │
             │      └── stale claim ───┘ (the sender died mid-send: at-least-once for that case)
             └─▶ skipped               merged into a more urgent reminder of the same day

``sent``, ``failed`` and ``skipped`` are final.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Protocol

#: Longest a Retry-After header may push a reminder back.
MAX_RETRY_AFTER_S = 24 * 3600.0


class PushOutcome(Protocol):
    """What ``push.sender.PushResult`` carries about one push (read-only here)."""

    @property
    def outcome(self) -> str: ...  # sent | gone | retry | rejected | refused

    @property
    def status(self) -> int | None: ...

    @property
    def retry_after(self) -> str | None: ...  # the Retry-After header as received

    @property
    def error(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with "equal jitter"; give up after ``max_attempts`` attempts."""

    base_s: float = 60.0
    cap_s: float = 6 * 3600.0
    max_attempts: int = 8


DEFAULT_POLICY = RetryPolicy()


@dataclass(frozen=True, slots=True)
class Settlement:
    """The new state of one row after one send attempt (``due_at`` None: unchanged)."""

    status: str  # sent | pending | failed | skipped
    last_status: int | None
    last_error: str | None
    due_at: datetime | None = None
    sent_at: datetime | None = None


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = now or datetime.now(timezone.utc)
    return max(0.0, (when - current).total_seconds())


def next_attempt(
    attempts: int,
    now: datetime,
    *,
    retry_after_s: float | None = None,
    base_s: float = DEFAULT_POLICY.base_s,
    cap_s: float = DEFAULT_POLICY.cap_s,
    max_attempts: int = DEFAULT_POLICY.max_attempts,
    rng: Callable[[], float] = random.random,
) -> datetime | None:
    """When to try again after ``attempts`` failed attempts, or None to give up.

    Exponential backoff ``base_s * 2**(attempts-1)`` capped at ``cap_s``, with "equal
    jitter" (between half and the full delay), never earlier than ``retry_after_s``
    (itself capped at a day). After ``max_attempts`` attempts it returns None.
    """
    if attempts < 1:
        raise ValueError("attempts counts the attempts already made (>= 1)")
    if attempts >= max_attempts:
        return None
    delay = min(cap_s, base_s * (2 ** (attempts - 1)))
    delay = delay / 2 + rng() * delay / 2
    if retry_after_s is not None:
        delay = max(delay, min(retry_after_s, MAX_RETRY_AFTER_S))
    return now + timedelta(seconds=delay)


def settle(
    attempts: int,
    results: Sequence[PushOutcome],
    now: datetime,
    *,
    policy: RetryPolicy = DEFAULT_POLICY,
    rng: Callable[[], float] = random.random,
) -> Settlement:
    """The row's next state after attempt number ``attempts`` produced ``results``.

    ``results`` has one entry per subscription the reminder went to (none: the runner has
    no subscription left). One accepted push is enough; otherwise a push that may succeed
    later (429, 5xx, timeout, network) retries the row, honouring the longest Retry-After;
    otherwise the row failed (gone, rejected, refused: retrying changes nothing).
    """
    statuses = [r.status for r in results if r.status is not None]
    last_status = statuses[-1] if statuses else None
    if any(r.outcome == "sent" for r in results):
        return Settlement("sent", last_status, None, sent_at=now)
    retries = [r for r in results if r.outcome == "retry"]
    if retries:
        waits = [parse_retry_after(r.retry_after, now) for r in retries]
        retry_after = max((w for w in waits if w is not None), default=0.0) or None
        when = next_attempt(attempts, now, retry_after_s=retry_after, base_s=policy.base_s,
                            cap_s=policy.cap_s, max_attempts=policy.max_attempts, rng=rng)
        if when is None:
            return Settlement("failed", last_status, "gave up after retries")
        return Settlement("pending", last_status, (retries[0].error or "retry")[:200], due_at=when)
    if not results:
        return Settlement("skipped", None, "no push subscription")
    return Settlement("failed", last_status, ", ".join(sorted({r.outcome for r in results}))[:200])
