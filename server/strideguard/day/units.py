"""Distances, paces and dates in the runner's unit (PURE): the precision every comparison
uses (``load.weekly``) is the precision every sentence shows."""

from __future__ import annotations

from datetime import date

from strideguard.load.weekly import METRES_PER_MILE, shown_distance


def format_distance(metres: float, units: str) -> str:
    """``24349`` → ``"24.3 km"`` (or miles when ``units`` is ``"mi"``): one decimal, half up —
    the precision every comparison uses (``load.weekly``)."""
    return f"{shown_distance(metres, units)} {'mi' if units == 'mi' else 'km'}"


def format_pace(speed_mps: float | None, units: str) -> str:
    """Average speed as a pace: ``3.03`` m/s → ``"5:30 /km"`` (or ``/mi``)."""
    if not speed_mps:
        return "–"
    unit_m = METRES_PER_MILE if units == "mi" else 1000.0
    seconds = round(unit_m / speed_mps)
    return f"{seconds // 60}:{seconds % 60:02d} /{'mi' if units == 'mi' else 'km'}"


def format_day(day: date) -> str:
    """``date(2026, 9, 28)`` → ``"Mon 28 Sep"``."""
    return day.strftime("%a %-d %b")


_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def count_word(n: int) -> str:
    """Small counts in words, as a sentence says them (``2`` → ``"two"``); digits from 11."""
    return _WORDS[n] if 0 <= n < len(_WORDS) else str(n)
