"""Pure helpers of the benchmark harness: summaries, same-round ratios, goals, tables.

Nothing here starts a process or reads a clock, so tests/unit/test_bench_harness.py can
check it in milliseconds.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Spread:
    """Min / median / max of one figure over the rounds."""

    low: float
    median: float
    high: float
    n: int

    def fmt(self, digits: int = 0, suffix: str = "") -> str:
        """``median (min–max)`` with ``digits`` decimals."""
        f = f"{{:,.{digits}f}}"
        return f"{f.format(self.median)}{suffix} ({f.format(self.low)}–{f.format(self.high)})"


def spread(values: Iterable[float]) -> Spread:
    """Summarise the rounds of one figure; ``ValueError`` when there are none."""
    data = sorted(float(v) for v in values)
    if not data:
        raise ValueError("no values to summarise")
    return Spread(data[0], statistics.median(data), data[-1], len(data))


def ratio(value: float, ceiling: float) -> float:
    """``value / ceiling``; 0.0 when the ceiling is not positive (a broken round)."""
    return value / ceiling if ceiling > 0 else 0.0


def same_round_ratios(values: Sequence[float], ceilings: Sequence[float]) -> list[float]:
    """Each round's figure divided by the ceiling measured in the same round."""
    if len(values) != len(ceilings):
        raise ValueError(f"{len(values)} values but {len(ceilings)} ceilings")
    return [ratio(v, c) for v, c in zip(values, ceilings)]


def rate(count: int, seconds: float) -> float:
    """Items per second (0.0 for a zero-length interval)."""
    return count / seconds if seconds > 0 else 0.0


@dataclass(frozen=True, slots=True)
class Goal:
    """One line of the goals table: ``measured`` compared with ``target`` by ``op``."""

    figure: str
    target: float
    measured: float
    op: str  # ">=" or "<="
    unit: str = ""
    note: str = ""

    @property
    def met(self) -> bool:
        """True when the median meets the target."""
        if self.op == ">=":
            return self.measured >= self.target
        if self.op == "<=":
            return self.measured <= self.target
        raise ValueError(f"unknown operator {self.op!r}")


def _cell(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value * 100:.0f}%"
    if unit == "x":
        return f"{value:.2f}x"
    if abs(value) >= 100:
        return f"{value:,.0f}{unit}"
    return f"{value:.2f}{unit}"


def goal_rows(goals: Iterable[Goal]) -> list[list[str]]:
    """Rows of the goals table (figure, goal, measured, met)."""
    return [
        [g.figure, f"{g.op} {_cell(g.target, g.unit)}", _cell(g.measured, g.unit),
         ("met" if g.met else "**missed**") + (f" — {g.note}" if g.note else "")]
        for g in goals
    ]


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A GitHub-flavoured Markdown table; every row must have ``len(header)`` cells."""
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"row has {len(row)} cells, header has {len(header)}: {row!r}")
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |")
    return "\n".join(lines)
