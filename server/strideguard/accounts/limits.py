"""The limits a runner's guidance and care plan use: ONE function, ``runner_settings``.

Today they are the runner's own profile settings (the seed's values by default). Limits a
therapist sets for a patient are layered on here, so the rules, the care plan and the
reminder sweep never read ``User.pain_threshold`` & co. directly.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from strideguard.accounts.models import User
from strideguard.guidance.snapshot import RunnerSettings


def runner_settings(user: User | Any) -> RunnerSettings:
    """The limits in force for ``user`` (pain threshold, weekly and speed increase, conditions)."""
    return RunnerSettings(
        pain_threshold=user.pain_threshold,
        weekly_increase_pct=user.weekly_increase_pct,
        speed_increase_pct=user.weekly_increase_pct,
        conditions=tuple(user.conditions or ()),
        units=user.units,
    )


def runner_settings_many(users: Iterable[User | Any]) -> dict[int, RunnerSettings]:
    """``runner_settings`` for many runners at once (the reminder sweep), keyed by id.

    ``users`` may be ORM users or rows carrying the profile columns (``id``,
    ``pain_threshold``, ``weekly_increase_pct``, ``conditions``, ``units``).
    """
    return {user.id: runner_settings(user) for user in users}
