"""Meniscus tear: pain around the whole knee, hard to straighten, often after a twist."""

from __future__ import annotations

from typing import Any

from strideguard import hookimpl
from strideguard.guidance.snapshot import DaySnapshot
from strideguard_knee._common import (
    advice,
    answer,
    questions_for,
    relevant,
    todays_checkin,
    todays_pain,
)

PLUGIN_API_VERSION = 1
ID = "meniscus_tear"
LOCATIONS = ("whole_knee", "inside_below_joint")

QUESTIONS = (
    {
        "id": f"{ID}.twisting",
        "prompt": "Did the pain start with a twist, a sudden stop or a quick turn?",
        "type": "boolean",
    },
)


@hookimpl
def strideguard_conditions() -> list[dict[str, Any]]:
    """Describe a meniscus tear."""
    return [
        {
            "id": ID,
            "name": "Meniscus tear",
            "summary": (
                "Could be a meniscus tear if the whole knee aches and swells, it is hard to "
                "straighten fully, or it began with a twist or sudden stop. Your therapist "
                "can tell for sure."
            ),
            "locations": list(LOCATIONS),
        }
    ]


@hookimpl
def strideguard_checkin_questions(conditions: tuple[str, ...]) -> list[dict[str, Any]]:
    """Ask whether a twist started it."""
    return questions_for(conditions, ID, QUESTIONS)


@hookimpl
def strideguard_assess(snapshot: DaySnapshot) -> list[dict[str, Any]]:
    """Mechanical signs or a twist: rest and ice; the therapist for a recovery plan."""
    if not relevant(snapshot, ID, LOCATIONS):
        return []
    out = []
    checkin = todays_checkin(snapshot)
    straighten = bool(checkin and checkin.hard_to_straighten)
    locking = bool(checkin and checkin.locking_or_giving_way)
    twisting = bool(answer(snapshot, f"{ID}.twisting"))
    if straighten or locking or twisting:
        out.append(
            advice(
                f"{ID}.rest_ice",
                "rest",
                "warning",
                "Stop running and have the knee checked",
                "Give the knee a break from running. A knee that will not straighten, locks or "
                "began to hurt after a twist could have a meniscus problem. Rest and ice can ease "
                "the pain, but only an assessment can tell what it is: see your therapist.",
                [
                    ("hard_to_straighten", straighten, None),
                    ("locking_or_giving_way", locking, None),
                    ("twisting", twisting, None),
                ],
            )
        )
    pain = todays_pain(snapshot)
    if pain > 0 or out:
        out.append(
            advice(
                f"{ID}.recovery_plan",
                "contact_pt",
                "caution",
                "Ask your therapist for a recovery plan",
                "Rest alone may not be enough for a knee like this. If it is the meniscus, a "
                "recovery plan with your therapist can make surgery less likely.",
                [("pain", pain, None)],
            )
        )
    out.append(
        advice(
            f"{ID}.avoid_twisting",
            "info",
            "info",
            "Avoid sudden stops and sharp turns",
            "Twisting and quick changes of direction put the most strain on the meniscus. "
            "Choose steady routes without tight turns while the knee settles.",
        )
    )
    return out
