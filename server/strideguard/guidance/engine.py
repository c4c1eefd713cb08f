"""The guidance engine (PURE): core rules, evidence detectors and plugin advice → one day's Guidance.

Single entry point: :func:`assess_day`. Pure apart from calling the plugin host. One verdict
per day, decided by the core from the care plan; plugin advice is reconciled against it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from strideguard.guidance.advice import (
    CAUTION_ACTIONS,
    RUN_ACTIONS,
    SEVERITY_RANK,
    STOP_ACTIONS,
    Advice,
)
from strideguard.guidance.detectors import detector_advice
from strideguard.guidance import plancards, rules
from strideguard.guidance.plancards import all_clear
from strideguard.guidance.snapshot import DaySnapshot, RunnerSettings
from strideguard.plan.machine import PlanDay
from strideguard.plan.view import plan_view

if TYPE_CHECKING:
    from strideguard.guidance.host import PluginHost

STATUSES = ("ok", "caution", "stop")
#: The seed's red flags and pain first, then the plan's cards, then the quieter clinic rules.
CORE_RULES = (rules.fever, rules.pain_threshold, rules.swelling, rules.mechanical, *plancards.PLAN_CARDS,
              rules.mild_pain, rules.morning_pain, rules.shoe_limit)


def core_advice(snapshot: DaySnapshot) -> list[Advice]:
    """Run every core rule and plan card (without the all-clear) and return what fired."""
    fired: list[Advice] = []
    for rule in CORE_RULES:
        fired.extend(rule(snapshot))
    return fired
_RANK = {name: rank for rank, name in enumerate(STATUSES)}


@dataclass(frozen=True)
class Reconciled:
    """An advice left out because it contradicted the day's verdict, and why."""

    advice: Advice
    reason: str  # "verdict_stop" | "plan_return" | "plan_rest"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.advice.id, "action": self.advice.action,
                "source": self.advice.source.to_dict(), "reason": self.reason}


@dataclass(frozen=True)
class Guidance:
    """The day's guidance: the verdict (``status``), ordered advice, the plugins consulted,
    the care plan of the day, and what was reconciled away."""

    as_of: date
    status: str
    advice: tuple[Advice, ...]
    plugins: tuple[dict[str, str], ...] = ()
    plan: PlanDay | None = None
    settings: RunnerSettings | None = None
    reconciled: tuple[Reconciled, ...] = ()

    @property
    def verdict(self) -> str:
        """One verdict per day: ``stop``, ``caution`` or ``ok``."""
        return self.status

    def plan_dict(self, history=None) -> dict[str, Any] | None:
        """The plan view of the day (``GET /plan``'s body), with this verdict."""
        if self.plan is None or self.settings is None:
            return None
        return plan_view(self.plan, self.settings, self.status, history)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form matching ``GET /guidance``."""
        return {
            "as_of": self.as_of.isoformat(),
            "status": self.status,
            "advice": [advice.to_dict() for advice in self.advice],
            "plugins": [dict(plugin) for plugin in self.plugins],
            "plan": self.plan_dict(),
            "reconciled": [item.to_dict() for item in self.reconciled],
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


def decide(plan: PlanDay | None, advice: Iterable[Advice]) -> str:
    """The day's one verdict: the plan's (rest → stop, return → caution), raised — never
    lowered — by what the rules and plugins found today."""
    found = status_of(advice)
    base = plan.verdict if plan is not None else "ok"
    return found if _RANK[found] > _RANK[base] else base


def reconcile(
    advice: Iterable[Advice], verdict: str, plan: PlanDay | None
) -> tuple[list[Advice], list[Reconciled]]:
    """Drop what contradicts the verdict. Under ``stop`` no advice may tell the runner to
    run (keep running, run less, run easier, build up); in rest or return a plugin's "keep
    running" is dropped too (the plan's session or rest days say how much to run); a plugin's
    card with the action of one of the clinic's urgent red-flag cards repeats it and is
    dropped (``core_red_flag``)."""
    advice = list(advice)
    kept: list[Advice] = []
    dropped: list[Reconciled] = []
    state = plan.name if plan is not None else None
    # A red flag speaks once: the clinic's urgent card ("Call a doctor today") stands for a
    # plugin's card of the same action ("Call a doctor today about the fever").
    urgent = {item.action for item in advice if item.source.plugin == "core" and item.severity == "urgent"}
    for item in advice:
        if verdict == "stop" and item.action in RUN_ACTIONS:
            dropped.append(Reconciled(item, "verdict_stop"))
        elif item.source.kind == "plugin" and item.action in urgent:
            dropped.append(Reconciled(item, "core_red_flag"))
        elif (item.action == "keep_running" and item.source.plugin != "core"
              and state in ("rest", "return")):
            dropped.append(Reconciled(item, f"plan_{state}"))
        else:
            kept.append(item)
    return kept, dropped


def _weight(item: Advice) -> tuple[int, int]:
    """How severe an advice is: its severity, then how far its action moves the verdict."""
    return SEVERITY_RANK[item.severity], _RANK[status_of((item,))]


def dedupe(advice: Iterable[Advice]) -> list[Advice]:
    """One advice per id: the most severe of them (ties: the first, core before detectors
    before plugins), in the place of the first. Keeping the first alone let an ``info`` card
    hide an ``urgent`` one of the same id and loosen the day's verdict."""
    kept: dict[str, Advice] = {}
    for item in advice:
        first = kept.get(item.id)
        if first is None or _weight(item) > _weight(first):
            kept[item.id] = item
    return list(kept.values())


def order(advice: Iterable[Advice]) -> list[Advice]:
    """Most severe first (urgent, warning, caution, info); ties keep their order."""
    return sorted(advice, key=lambda item: -SEVERITY_RANK[item.severity])


def assess_day(snapshot: DaySnapshot, host: PluginHost | None = None) -> Guidance:
    """Turn one runner's day into guidance.

    Runs the core rules (the seed's, read through the care plan), then the evidence
    detectors, then every active plugin's ``strideguard_assess`` (a failing plugin only loses
    its own advice). The verdict comes from the plan and is only ever raised by today's
    advice; advice contradicting it is reconciled away (and listed). The all-clear is added
    when nothing asks for a change. Advice is de-duplicated by id and ordered by severity.
    """
    fired = core_advice(snapshot) + detector_advice(snapshot)
    if host is not None:
        fired += host.assess(snapshot)
    fired = dedupe(fired)
    verdict = decide(snapshot.plan, fired)
    fired, dropped = reconcile(fired, verdict, snapshot.plan)
    fired += all_clear(snapshot, fired)
    plugins: tuple[dict[str, str], ...] = ()
    if host is not None:
        plugins = tuple(
            {"name": p["name"], "status": p["status"]} for p in host.plugins_report()
        )
    return Guidance(
        as_of=snapshot.as_of, status=verdict, advice=tuple(order(fired)), plugins=plugins,
        plan=snapshot.plan, settings=snapshot.settings, reconciled=tuple(dropped),
    )
