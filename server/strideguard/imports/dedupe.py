"""(PURE) Is an imported activity a run the runner already has?

A possible duplicate has the same local date, a distance within 3% (of the longer of the
two) and, when both start times are known, a start within 30 minutes. Hand-entered runs
have no start time, so for them date and distance decide.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

DISTANCE_TOLERANCE = 0.03
START_TOLERANCE = timedelta(minutes=30)


@dataclass(frozen=True)
class RunKey:
    uuid: str
    date: date
    distance_m: float
    started_at: datetime | None = None


def same_run(new: RunKey, old: RunKey) -> bool:
    if new.date != old.date:
        return False
    longer = max(new.distance_m, old.distance_m)
    if longer <= 0 or abs(new.distance_m - old.distance_m) > DISTANCE_TOLERANCE * longer:
        return False
    if new.started_at is not None and old.started_at is not None:
        return abs(new.started_at - old.started_at) <= START_TOLERANCE
    return True


def find_duplicate(new: RunKey, existing: Iterable[RunKey]) -> RunKey | None:
    """The first existing run ``new`` is likely a copy of, or None."""
    for old in existing:
        if old.uuid != new.uuid and same_run(new, old):
            return old
    return None
