"""The guidance engine: core rules, evidence detectors and plugin advice → one day's Guidance.

Single entry point: :func:`assess_day`. Pure apart from calling the plugin host.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from strideguard.guidance.advice import CAUTION_ACTIONS, SEVERITY_RANK, STOP_ACTIONS, Advice
from strideguard.guidance.detectors import detector_advice
from strideguard.guidance.rules import all_clear, core_advice
from strideguard.guidance.snapshot import DaySnapshot

if TYPE_CHECKING:
    from strideguard.guidance.host import PluginHost

STATUSES = ("ok", "caution", "stop")


@dataclass(frozen=True)
class Guidance:
    """The day's guidance: overall status, ordered advice, and the plugins consulted."""

    as_of: date
    status: str
    advice: tuple[Advice, ...]
    plugins: tuple[dict[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form matching ``GET /guidance`` (DESIGN §3)."""
        return {
            "as_of": self.as_of.isoformat(),
            "status": self.status,
            "advice": [advice.to_dict() for advice in self.advice],
            "plugins": [dict(plugin) for plugin in self.plugins],
        }


def status_of(advice: Iterable[Advice]) -> str:
    """``stop`` if any advice stops running, rests or calls a doctor; ``caution`` for reduce,
    contact-PT, return-gradually or replace-shoes advice; ``ok`` otherwise."""
    actions = {item.action for item in advice}
    if actions & STOP_ACTIONS:
        return "stop"
    if actions & CAUTION_ACTIONS:
        return "caution"
    return "ok"


def dedupe(advice: Iterable[Advice]) -> list[Advice]:
    """Keep the first advice of each id (core before detectors before plugins)."""
    seen: set[str] = set()
    kept = []
    for item in advice:
        if item.id not in seen:
            seen.add(item.id)
            kept.append(item)
    return kept


def order(advice: Iterable[Advice]) -> list[Advice]:
    """Most severe first (urgent, warning, caution, info); ties keep their order."""
    return sorted(advice, key=lambda item: -SEVERITY_RANK[item.severity])


def assess_day(snapshot: DaySnapshot, host: PluginHost | None = None) -> Guidance:
    """Turn one runner's day into guidance.

    Runs the seed's core rules, then the evidence detectors, then every active plugin's
    ``strideguard_assess`` (a failing plugin only loses its own advice). The all-clear is
    added when nothing asks for a change. Advice is de-duplicated by id and ordered by
    severity; ``status`` follows from the actions.
    """
    fired = core_advice(snapshot) + detector_advice(snapshot)
    if host is not None:
        fired += host.assess(snapshot)
    fired = dedupe(fired)
    fired += all_clear(snapshot, fired)
    plugins: tuple[dict[str, str], ...] = ()
    if host is not None:
        plugins = tuple(
            {"name": p["name"], "status": p["status"]} for p in host.plugins_report()
        )
    ordered = order(fired)
    return Guidance(
        as_of=snapshot.as_of, status=status_of(ordered), advice=tuple(ordered), plugins=plugins
    )
