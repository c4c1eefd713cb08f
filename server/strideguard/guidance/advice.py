"""Value types that cross the plugin boundary (PURE): Advice, Condition, Question.

Plain frozen dataclasses with no behaviour beyond ``to_dict``. Plugins may return these or
plain dicts with the same keys; the host validates either (see ``guidance.validation``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from strideguard.day.reason import Reason, ReasonValue  # noqa: F401  (re-exported: plugin API v1)

#: Every action an advice may ask for (DESIGN §3).
ACTIONS: tuple[str, ...] = (
    "rest",
    "stop_running",
    "reduce_volume",
    "reduce_intensity",
    "contact_pt",
    "contact_doctor",
    "return_gradually",
    "replace_shoes",
    "keep_running",
    "info",
)
#: Severities, quietest first.
SEVERITIES: tuple[str, ...] = ("info", "caution", "warning", "urgent")
SEVERITY_RANK: dict[str, int] = {name: rank for rank, name in enumerate(SEVERITIES)}

#: Actions that make the day's status ``stop``.
STOP_ACTIONS: frozenset[str] = frozenset({"stop_running", "rest", "contact_doctor"})
#: Actions that tell the runner to run (more, less, easier or gradually). Under a ``stop``
#: verdict none of them is shown.
RUN_ACTIONS: frozenset[str] = frozenset(
    {"keep_running", "reduce_volume", "reduce_intensity", "return_gradually"}
)
#: Actions that make the day's status ``caution`` (unless something says stop).
CAUTION_ACTIONS: frozenset[str] = frozenset(
    {"reduce_volume", "reduce_intensity", "contact_pt", "return_gradually", "replace_shoes"}
)

#: Pain locations a check-in may report (DESIGN §3).
LOCATIONS: tuple[str, ...] = (
    "around_kneecap",
    "on_kneecap",
    "below_kneecap",
    "outside",
    "inside_below_joint",
    "back_of_knee",
    "whole_knee",
)

#: Question types a plugin may ask.
QUESTION_TYPES: tuple[str, ...] = ("boolean", "scale", "choice")

#: Where an advice comes from, as the API and the PWA label it: ``clinic`` — a rule from the
#: clinic's article (the seed); ``plan`` — the runner's care plan (rest days, return
#: sessions, the weekly cap); ``evidence`` — a detector from research beyond the seed (never
#: louder than caution); ``plugin`` — a condition plugin.
SOURCE_KINDS: tuple[str, ...] = ("clinic", "plan", "evidence", "plugin")


@dataclass(frozen=True, slots=True)
class Source:
    """Who produced an advice: ``core`` or a plugin's name, its version, and its kind."""

    plugin: str
    version: str
    kind: str = "plugin"

    def to_dict(self) -> dict[str, str]:
        """Plain-dict form for JSON."""
        return {"plugin": self.plugin, "version": self.version, "kind": self.kind}


@dataclass(frozen=True, slots=True)
class Advice:
    """One piece of guidance for the day.

    ``id`` is a stable rule id (``core.pain_threshold``, ``runners_knee.sitting_pain``);
    ``title`` starts with the action ("Rest today"); ``reasons`` carry the numbers that fired
    it; ``evidence`` is a short note with its citation. The host fills in ``source`` for
    plugin advice, whatever the plugin put there.
    """

    id: str
    action: str
    severity: str
    title: str
    message: str
    reasons: tuple[Reason, ...] = ()
    evidence: str = ""
    source: Source = field(default_factory=lambda: Source("core", "0"))

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form matching DESIGN §3."""
        return {
            "id": self.id,
            "action": self.action,
            "severity": self.severity,
            "title": self.title,
            "message": self.message,
            "reasons": [reason.to_dict() for reason in self.reasons],
            "evidence": self.evidence,
            "source": self.source.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Condition:
    """A condition a plugin knows about. ``locations`` are typical pain locations, main first."""

    id: str
    name: str
    summary: str
    locations: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form for JSON."""
        return {
            "id": self.id,
            "name": self.name,
            "summary": self.summary,
            "locations": list(self.locations),
        }


@dataclass(frozen=True, slots=True)
class Question:
    """An extra check-in question. ``id`` is ``<prefix>.<name>``, the key of its answer.

    ``type`` is ``boolean``, ``scale`` (0–10) or ``choice`` (one of ``options``);
    ``condition`` names the condition it belongs to.
    """

    id: str
    prompt: str
    type: str
    options: tuple[str, ...] = ()
    condition: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form for JSON."""
        return {
            "id": self.id,
            "prompt": self.prompt,
            "type": self.type,
            "options": list(self.options),
            "condition": self.condition,
        }
