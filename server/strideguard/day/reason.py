"""The number behind an advice or a plan event (PURE)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ReasonValue = float | int | str | bool | None


@dataclass(frozen=True, slots=True)
class Reason:
    """One number behind an advice: what was measured, its value, and the limit it crossed."""

    metric: str
    value: ReasonValue
    threshold: ReasonValue = None

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form for JSON."""
        return {"metric": self.metric, "value": self.value, "threshold": self.threshold}
