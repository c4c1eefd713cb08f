"""Training-load maths: pure functions over plain dataclasses (no Flask, no SQLAlchemy)."""

from strideguard.load.windows import (
    HISTORY_DAYS,
    LoadSummary,
    RunPoint,
    WeekTotals,
    WindowTotals,
    compute_load,
    window_start,
)

__all__ = [
    "HISTORY_DAYS",
    "LoadSummary",
    "RunPoint",
    "WeekTotals",
    "WindowTotals",
    "compute_load",
    "window_start",
]
