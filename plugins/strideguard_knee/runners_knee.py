"""Runner's knee (patellofemoral pain): pain around the kneecap."""

from __future__ import annotations

from typing import Any

from strideguard import hookimpl
from strideguard.guidance.snapshot import DaySnapshot
from strideguard_knee._common import (
    PFP_CONSENSUS,
    advice,
    answer,
    questions_for,
    relevant,
    starter_sets_for,
    todays_pain,
)

PLUGIN_API_VERSION = 1
ID = "runners_knee"
LOCATIONS = ("around_kneecap", "on_kneecap")

QUESTIONS = (
    {
        "id": f"{ID}.sitting_pain",
        "prompt": "Did your knee ache after sitting for a while with your knees bent?",
        "type": "boolean",
    },
    {
        "id": f"{ID}.stairs_pain",
        "prompt": "Did stairs, squats or hills hurt around the kneecap?",
        "type": "boolean",
    },
)


@hookimpl
def strideguard_conditions() -> list[dict[str, Any]]:
    """Describe runner's knee."""
    return [
        {
            "id": ID,
            "name": "Runner's knee (patellofemoral pain)",
            "summary": (
                "Could be runner's knee if the ache sits around the kneecap and gets worse on "
                "stairs, in squats or after sitting with bent knees. It is the most common "
                "knee complaint in runners. Your therapist can tell for sure."
            ),
            "locations": list(LOCATIONS),
        }
    ]


@hookimpl
def strideguard_checkin_questions(conditions: tuple[str, ...]) -> list[dict[str, Any]]:
    """Ask about pain after sitting and on stairs."""
    return questions_for(conditions, ID, QUESTIONS)


STARTER = (
    ("core.side_lying_hip_abduction", 3, 12, None),
    ("core.clamshell", 3, 15, None),
    ("core.glute_bridge", 3, 12, None),
    ("core.wall_sit", 1, 3, 30),
    ("core.step_down", 3, 10, None),
)
STARTER_WHY = (
    "Kneecap pain often eases with strength work for the hips and the thigh together. These "
    "start gently: two exercises for the side of the hip, a bridge, a wall sit and a low "
    "step-down. Stop any that brings on sharp pain."
)
STARTER_SOURCES = (
    "Crossley et al., BJSM 2016: patellofemoral pain consensus statement (part 2, physical "
    "interventions) recommends exercise therapy, hip and knee exercises combined. Expert "
    "consensus weighing randomised trials.",
    "Collins et al., BJSM 2018: consensus statement on exercise therapy for patellofemoral "
    "pain recommends combining hip and knee exercises. Expert consensus weighing randomised "
    "trials.",
)


@hookimpl
def strideguard_starter_sets(conditions: tuple[str, ...]) -> list[dict[str, Any]]:
    """Hip and knee strength work, as the kneecap pain consensus statements recommend."""
    return starter_sets_for(conditions, ID, STARTER, STARTER_WHY, STARTER_SOURCES)


@hookimpl
def strideguard_assess(snapshot: DaySnapshot) -> list[dict[str, Any]]:
    """Kneecap pain after sitting or on stairs: a strength plan from the therapist."""
    if not relevant(snapshot, ID, LOCATIONS):
        return []
    out = []
    sitting = bool(answer(snapshot, f"{ID}.sitting_pain"))
    stairs = bool(answer(snapshot, f"{ID}.stairs_pain"))
    if sitting or stairs:
        out.append(
            advice(
                f"{ID}.sitting_pain",
                "contact_pt",
                "caution",
                "Ask your therapist for a kneecap strength plan",
                "Pain after sitting with bent knees or on stairs could come from the kneecap. "
                "The cause often lies at the hip or at the foot and ankle; your therapist can "
                "check and suggest strength work. When you sit for long, straighten your legs "
                "now and then.",
                [("sitting_pain", sitting, None), ("stairs_pain", stairs, None)],
            )
        )
    pain = todays_pain(snapshot)
    if pain > 0:
        out.append(
            advice(
                f"{ID}.strength",
                "info",
                "info",
                "Strengthen hips and knees with a therapist's plan",
                "Tight muscles, poor running form or a kneecap that tracks off line can add "
                "pressure on the kneecap. For kneecap pain, hip and knee exercises together "
                "are what expert groups recommend: ask your therapist for a plan.",
                [("pain", pain, None)],
                PFP_CONSENSUS,
            )
        )
    return out
