"""The frozen snapshot of one runner's day: what rules and plugins see.

Built by the guidance service from the database; never holds an ORM object or a session.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # keep hookspecs (which imports this) free of anything else at runtime
    from strideguard.load import LoadSummary


@dataclass(frozen=True)
class CheckinSnap:
    """One daily check-in. ``answers`` maps ``<plugin>.<question>`` to the runner's answer."""

    date: date
    pain: int
    morning_pain: int | None = None
    location: str | None = None
    side: str | None = None
    swelling: bool = False
    fever: bool = False
    locking_or_giving_way: bool = False
    hard_to_straighten: bool = False
    answers: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunSnap:
    """One logged run (distances in metres, durations in seconds)."""

    id: str
    date: date
    distance_m: float
    duration_s: float
    pain_during: int | None = None
    pain_after: int | None = None
    pain_onset_m: float | None = None
    surface: str | None = None
    shoe_id: int | None = None


@dataclass(frozen=True)
class ShoeSnap:
    """A pair of shoes and the distance run in them so far."""

    id: int
    name: str
    limit_m: float
    distance_m: float
    retired: bool = False


@dataclass(frozen=True)
class RunnerSettings:
    """The runner's own limits (a therapist may set other values than the seed's)."""

    pain_threshold: int = 3
    weekly_increase_pct: float = 10.0
    #: Average-speed increase limit per week (the seed: the same 10% as distance).
    speed_increase_pct: float = 10.0
    conditions: tuple[str, ...] = ()
    units: str = "km"
    #: Names of the limits a therapist set (the runner cannot change those); empty: none.
    locked: tuple[str, ...] = ()
    #: A short instruction from the therapist, shown to the runner with the guidance.
    instruction: str | None = None


@dataclass(frozen=True)
class DaySnapshot:
    """Everything known about one runner on their local date ``as_of``.

    ``runs`` holds the runs dated ``as_of - 60`` .. ``as_of``, oldest first.
    ``previous_checkin`` is the check-in of the day before, if any.
    ``last_run_before`` is the date of the latest run older than the ``runs`` window (or
    ``None``): it lets the break rule see a gap longer than the window.
    ``break_flagged`` is true when the runner said they are coming back from a break
    (illness, pregnancy, injury).
    """

    as_of: date
    settings: RunnerSettings
    checkin: CheckinSnap | None
    previous_checkin: CheckinSnap | None
    runs: tuple[RunSnap, ...]
    shoes: tuple[ShoeSnap, ...]
    load: LoadSummary
    last_run_before: date | None = None
    break_flagged: bool = False

    def runs_on(self, day: date) -> tuple[RunSnap, ...]:
        """The runs dated ``day``."""
        return tuple(run for run in self.runs if run.date == day)

    @property
    def todays_runs(self) -> tuple[RunSnap, ...]:
        """The runs dated ``as_of``."""
        return self.runs_on(self.as_of)
