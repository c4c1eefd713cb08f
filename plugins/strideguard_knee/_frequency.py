"""A jump in runs per week at about the same weekly distance (PURE).

The seed's tendon section names running *more often*, not only farther, as a load that
brings on patellar tendon pain; the weekly distance rules cannot see 2 → 6 runs a week at the
same distance. The definition:

- **recent**: the runs of the last ``RECENT_DAYS`` days, ``as_of`` included (a rolling week:
  a jump shows on the day it happens, not only once a calendar week is complete);
- **before**: the mean runs per week of the ``BEFORE_WEEKS`` weeks just before it, shown at
  one decimal (``2.3``), only when the runner's history reaches back into the oldest of them
  (a runner's first weeks in the app are not a jump) and holds at least one run there (after
  a break the core's return rule speaks);
- **fires** when the recent count is at least ``MIN_EXTRA_RUNS`` above that mean *and* more
  than ``MAX_RISE_PCT`` above it (percent at display precision, strict as every limit here:
  4 → 6 is +50.0% and does not fire), while the weekly distance of the same windows rose by
  no more than the runner's weekly limit. When the distance rose by more than that too, it
  is a volume jump: the core's weekly cap and the evidence detectors name it, and this rule
  stays silent rather than add a second load card.

The thresholds are StrideGuard's own choice (no study gives a number for frequency alone).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from strideguard.guidance.snapshot import RunSnap
from strideguard.load.weekly import exact, exceeds, pct_change

#: The recent window, in days (``as_of`` and the six days before it).
RECENT_DAYS = 7
#: The weeks before the recent window whose mean is the runner's usual frequency.
BEFORE_WEEKS = 3
#: At least this many more runs than the usual weekly mean ...
MIN_EXTRA_RUNS = 2
#: ... and more than this percent above it.
MAX_RISE_PCT = 50
#: The usual runs per week are shown, and compared, at one decimal.
RUNS_QUANTUM = Decimal("0.1")


@dataclass(frozen=True, slots=True)
class FrequencyJump:
    """The figures behind a frequency jump, as the runner is shown them."""

    runs_recent: int
    runs_per_week_before: Decimal  # one decimal
    runs_pct: Decimal  # one decimal
    distance_recent_m: Decimal
    distance_per_week_before_m: Decimal
    distance_pct: Decimal  # one decimal


def frequency_jump(runs: Iterable[RunSnap], as_of: date, limit_pct: float) -> FrequencyJump | None:
    """The jump in runs per week on ``as_of``, or ``None`` (see the module's definition)."""
    recent_from = as_of - timedelta(days=RECENT_DAYS - 1)
    before_from = recent_from - timedelta(weeks=BEFORE_WEEKS)
    known = [r for r in runs if r.date <= as_of]
    oldest_week_end = before_from + timedelta(days=6)
    if not known or min(r.date for r in known) > oldest_week_end:
        return None
    recent = [r for r in known if r.date >= recent_from]
    before = [r for r in known if before_from <= r.date < recent_from]
    if not before:
        return None
    usual = (Decimal(len(before)) / BEFORE_WEEKS).quantize(RUNS_QUANTUM, rounding=ROUND_HALF_UP)
    runs_pct = pct_change(len(recent) * BEFORE_WEEKS, len(before))
    if len(recent) - usual < MIN_EXTRA_RUNS or not exceeds(runs_pct, MAX_RISE_PCT):
        return None
    distance_recent = sum((exact(r.distance_m) for r in recent), Decimal(0))
    distance_before = sum((exact(r.distance_m) for r in before), Decimal(0))
    distance_pct = pct_change(distance_recent * BEFORE_WEEKS, distance_before)
    if distance_pct is None or exceeds(distance_pct, limit_pct):
        return None
    if runs_pct is None:  # no runs in the weeks before: nothing to compare with (checked above)
        return None
    return FrequencyJump(
        runs_recent=len(recent),
        runs_per_week_before=usual,
        runs_pct=runs_pct,
        distance_recent_m=distance_recent,
        distance_per_week_before_m=distance_before / BEFORE_WEEKS,
        distance_pct=distance_pct,
    )
