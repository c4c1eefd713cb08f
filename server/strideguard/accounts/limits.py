"""The limits a runner's guidance and care plan use: ONE function, ``runner_settings``.

The runner's own profile settings (the seed's values by default), with the limits their
therapists set layered on (``strideguard.clinic.rules.apply_limits``: a therapist's value
replaces the runner's own and is locked for them). The rules, the care plan and the
reminder sweep never read ``User.pain_threshold`` & co. directly.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from strideguard.accounts.models import User
from strideguard.clinic.limits import therapist_limits, therapist_limits_many
from strideguard.clinic.rules import apply_limits
from strideguard.day.values import CLINIC_INCREASE_PCT, CLINIC_PAIN_THRESHOLD, RunnerSettings


def own_settings(user: User | Any) -> RunnerSettings:
    """The runner's own limits, from their profile (no therapist involved), never looser
    than the clinic's lines (a runner may only tighten them; ``PATCH /me`` refuses more)."""
    increase = min(user.weekly_increase_pct, CLINIC_INCREASE_PCT)
    return RunnerSettings(
        pain_threshold=min(user.pain_threshold, CLINIC_PAIN_THRESHOLD),
        weekly_increase_pct=increase,
        speed_increase_pct=increase,
        conditions=tuple(user.conditions or ()),
        units=user.units,
    )


def runner_settings(user: User | Any) -> RunnerSettings:
    """The limits in force for ``user`` (pain threshold, weekly and speed increase,
    conditions, the therapist's instruction, and which of them a therapist locked)."""
    return apply_limits(own_settings(user), therapist_limits(user.id))


def runner_settings_many(users: Iterable[User | Any]) -> dict[int, RunnerSettings]:
    """``runner_settings`` for many runners at once (the reminder sweep), keyed by id: one
    query for all their therapists' limits.

    ``users`` may be ORM users or rows carrying the profile columns (``id``,
    ``pain_threshold``, ``weekly_increase_pct``, ``conditions``, ``units``).
    """
    users = list(users)
    found = therapist_limits_many(u.id for u in users)
    # Settings are frozen values: runners with the same profile and no therapist limits share
    # one (a sweep has a handful of distinct profiles among tens of thousands of runners).
    shared: dict[tuple, RunnerSettings] = {}
    out: dict[int, RunnerSettings] = {}
    for user in users:
        limits = found.get(user.id)
        if limits:
            out[user.id] = apply_limits(own_settings(user), limits)
            continue
        key = (user.pain_threshold, user.weekly_increase_pct, tuple(user.conditions or ()), user.units)
        settings = shared.get(key)
        if settings is None:
            settings = shared[key] = own_settings(user)
        out[user.id] = settings
    return out
