"""Training-load maths: pure functions over plain dataclasses (no Flask, no SQLAlchemy).

``weekly`` holds the one definition of a training week, the exact percent change and the
weekly cap; ``windows`` the week totals, the detectors' figures and the chart weeks.
"""

from strideguard.load.weekly import (
    METRES_PER_MILE,
    STARTING_CAP_M,
    exceeds,
    pct_change,
    shown_distance,
    speed_pct_change,
    week_start,
    weekly_cap_m,
)
from strideguard.load.windows import (
    HISTORY_DAYS,
    LoadSummary,
    RunPoint,
    WeekTotals,
    WindowTotals,
    compute_load,
    totals,
    window_start,
)

__all__ = [
    "HISTORY_DAYS",
    "METRES_PER_MILE",
    "STARTING_CAP_M",
    "LoadSummary",
    "RunPoint",
    "WeekTotals",
    "WindowTotals",
    "compute_load",
    "exceeds",
    "pct_change",
    "shown_distance",
    "speed_pct_change",
    "totals",
    "week_start",
    "weekly_cap_m",
    "window_start",
]
