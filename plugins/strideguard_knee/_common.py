"""Helpers shared by the built-in condition plugins (plain data in, plain dicts out)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from strideguard.guidance.snapshot import CheckinSnap, DaySnapshot

SEED = (
    "Physical-therapy clinic article on knee pain after running "
    "(StrideGuard seed; clinical advice, not a study)."
)
#: The patellofemoral pain consensus statements (expert groups weighing the trials).
PFP_CONSENSUS = (
    "Expert consensus statements on kneecap (patellofemoral) pain recommend exercise therapy, "
    "with hip and knee exercises combined, to ease pain and help function (Crossley et al., "
    "BJSM 2016; Collins et al., BJSM 2018). Consensus of reviewed trials, not one study's figure."
)


def todays_checkin(snapshot: DaySnapshot) -> CheckinSnap | None:
    """The check-in dated ``as_of``, if any (the snapshot's own definition)."""
    return snapshot.todays_checkin


def answer(snapshot: DaySnapshot, key: str) -> Any:
    """Today's answer to the plugin question ``key`` (``None`` when unanswered)."""
    checkin = todays_checkin(snapshot)
    return None if checkin is None else checkin.answers.get(key)


def todays_pain(snapshot: DaySnapshot) -> int:
    """The worst pain of the day, exactly as the core counts it (check-in, runs, and pain
    after yesterday's run when there is no check-in yet); 0 when none."""
    return snapshot.worst_pain


def plan_state(snapshot: DaySnapshot) -> str:
    """The care plan's state today: ``normal``, ``rest`` or ``return``."""
    return snapshot.plan.name if snapshot.plan is not None else "normal"


def relevant(snapshot: DaySnapshot, condition_id: str, locations: Sequence[str]) -> bool:
    """Chosen by the runner, today's pain location is typical, or a question answered yes."""
    if condition_id in snapshot.settings.conditions:
        return True
    checkin = todays_checkin(snapshot)
    if checkin is None:
        return False
    if checkin.location is not None and checkin.location in locations:
        return True
    prefix = f"{condition_id}."
    return any(key.startswith(prefix) and bool(value) for key, value in checkin.answers.items())


def advice(
    advice_id: str,
    action: str,
    severity: str,
    title: str,
    message: str,
    reasons: Iterable[tuple[str, Any, Any]] = (),
    evidence: str = SEED,
) -> dict[str, Any]:
    """One advice as the plain dict the host validates."""
    return {
        "id": advice_id,
        "action": action,
        "severity": severity,
        "title": title,
        "message": message,
        "reasons": [
            {"metric": metric, "value": value, "threshold": threshold}
            for metric, value, threshold in reasons
        ],
        "evidence": evidence,
    }


def questions_for(
    conditions: Sequence[str], condition_id: str, questions: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The condition's questions when it is among ``conditions``, else none."""
    if condition_id not in conditions:
        return []
    return [{**q, "condition": condition_id} for q in questions]


#: What every built-in starter set says at the end of its ``why``: general, not prescribed.
TAILOR = "A general start, not a prescription: have your therapist tailor it to your knee."


def starter_sets_for(
    conditions: Sequence[str],
    condition_id: str,
    items: Sequence[tuple[str, int, int | None, int | None]],
    why: str,
    sources: Sequence[str],
) -> list[dict[str, Any]]:
    """The condition's starter set (as the plain dict the host validates) when it is among
    ``conditions``, else none. ``items`` are ``(exercise id, sets, reps, seconds)``."""
    if condition_id not in conditions:
        return []
    return [
        {
            "condition": condition_id,
            "items": [
                {"exercise": exercise, "sets": sets, "reps": reps, "seconds": seconds}
                for exercise, sets, reps, seconds in items
            ],
            "why": f"{why} {TAILOR}",
            "sources": list(sources),
        }
    ]
