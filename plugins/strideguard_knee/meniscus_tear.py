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
    starter_sets_for,
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


HEEL_SLIDE = f"{ID}.heel_slide"
EXERCISES = (
    {
        "id": HEEL_SLIDE,
        "name": "Heel slide",
        "instructions": (
            "Lie on your back with both legs straight. Slowly slide one heel along the floor "
            "towards your buttock, bending the knee as far as is comfortable, then slide it "
            "back until the knee is straight again. Move smoothly and stop short of a pinching "
            "pain."
        ),
        "trains": ["flexibility"],
        "dose": "reps",
        "sets": 2,
        "reps": 15,
        "seconds": None,
        "sides": "each",
        "equipment": [],
        "conditions": [ID],
    },
)
STARTER = (
    ("core.quad_set", 2, 10, 5),
    ("core.straight_leg_raise", 3, 12, None),
    (HEEL_SLIDE, 2, 15, None),
    ("core.mini_squat", 3, 12, None),
    ("core.glute_bridge", 3, 12, None),
    ("core.single_leg_balance", 3, None, 30),
)
STARTER_WHY = (
    "For a worn (degenerative) meniscus, a programme of strength and control exercise is the "
    "usual first step before surgery is considered. These start gently: thigh and hip "
    "strength, bending the knee, balance. A knee that locks, catches, gives way or will not "
    "straighten needs your therapist before any of them."
)
STARTER_SOURCES = (
    "Kise et al., BMJ 2016: in 140 adults aged 35-60 with a degenerative meniscal tear, 12 weeks "
    "of supervised exercise did as well at two years as keyhole surgery and built more thigh "
    "strength. Randomised trial; it does not cover sudden tears from a twist.",
    "Physical-therapy clinic article (StrideGuard seed): rest and ice ease a mild case but do "
    "not mend the tear; a recovery plan with the therapist can make surgery less likely. "
    "Clinical advice, not a study.",
)


@hookimpl
def strideguard_exercises() -> list[dict[str, Any]]:
    """The heel slide, for getting the knee to bend and straighten again."""
    return [dict(ex) for ex in EXERCISES]


@hookimpl
def strideguard_starter_sets(conditions: tuple[str, ...]) -> list[dict[str, Any]]:
    """Exercise therapy first, as for degenerative meniscal tears; locking goes to the therapist."""
    return starter_sets_for(conditions, ID, STARTER, STARTER_WHY, STARTER_SOURCES)


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
