"""The frozen snapshot of one runner's day (PURE): what rules and plugins see.

Built by the guidance service from the database; never holds an ORM object or a session.
The day's values (check-in, run, shoe, limits, pains) live in the pure floor
``strideguard.day.values`` and are re-exported here: plugin API v1 imports them from this
module, and that does not change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from strideguard.day.values import (  # noqa: F401  (re-exported: plugin API v1)
    CheckinSnap,
    Pain,
    RunnerSettings,
    RunSnap,
    ShoeSnap,
    pains_of_day,
    worst_pain_after,
    worst_pain_of_day,
    worst_pains_by_day,
)

if TYPE_CHECKING:  # keep hookspecs (which imports this) free of anything else at runtime
    from strideguard.load import LoadSummary
    from strideguard.plan.machine import PlanDay


@dataclass(frozen=True)
class DaySnapshot:
    """Everything known about one runner on their local date ``as_of``.

    ``runs`` holds the runs dated ``as_of - 60`` .. ``as_of``, oldest first.
    ``previous_checkin`` is the check-in of the day before, if any.
    ``plan`` is the runner's care plan on ``as_of`` (state, rest day, return phase, this
    week's distance and cap); ``None`` only in snapshots built without one.
    """

    as_of: date
    settings: RunnerSettings
    checkin: CheckinSnap | None
    previous_checkin: CheckinSnap | None
    runs: tuple[RunSnap, ...]
    shoes: tuple[ShoeSnap, ...]
    load: LoadSummary
    plan: PlanDay | None = None

    def runs_on(self, day: date) -> tuple[RunSnap, ...]:
        """The runs dated ``day``."""
        return tuple(run for run in self.runs if run.date == day)

    @property
    def todays_runs(self) -> tuple[RunSnap, ...]:
        """The runs dated ``as_of``."""
        return self.runs_on(self.as_of)

    @property
    def todays_checkin(self) -> CheckinSnap | None:
        """The check-in dated ``as_of``, if any."""
        checkin = self.checkin
        return checkin if checkin is not None and checkin.date == self.as_of else None

    @property
    def day_pains(self) -> tuple[Pain, ...]:
        """Every pain score that counts for ``as_of`` (see :func:`pains_of_day`)."""
        today = self.todays_checkin
        carried = None
        if today is None:
            carried = worst_pain_after(self.runs_on(self.as_of - timedelta(days=1)))
        return pains_of_day(today, self.todays_runs, carried)

    @property
    def worst_pain(self) -> int:
        """The worst pain score of ``as_of`` (0 when none was recorded)."""
        return max((p.value for p in self.day_pains), default=0)
