"""IT band syndrome: pain on the outside of the knee."""

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
    todays_pain,
)

PLUGIN_API_VERSION = 1
ID = "it_band"
LOCATIONS = ("outside",)

QUESTIONS = (
    {
        "id": f"{ID}.outside_pain",
        "prompt": "Did the outside of your knee hurt during or after your run?",
        "type": "boolean",
    },
    {
        "id": f"{ID}.foam_rolling",
        "prompt": "Have you been foam rolling the outside of your thigh for it?",
        "type": "boolean",
    },
)


@hookimpl
def strideguard_conditions() -> list[dict[str, Any]]:
    """Describe IT band syndrome."""
    return [
        {
            "id": ID,
            "name": "IT band syndrome",
            "summary": (
                "Could be IT band syndrome if the pain is on the outside of the knee, often "
                "building up on longer runs. The band runs from the hip to just below the "
                "knee. Your therapist can tell for sure."
            ),
            "locations": list(LOCATIONS),
        }
    ]


@hookimpl
def strideguard_checkin_questions(conditions: tuple[str, ...]) -> list[dict[str, Any]]:
    """Ask about outside-of-knee pain and foam rolling."""
    return questions_for(conditions, ID, QUESTIONS)


HIP_HIKE = f"{ID}.hip_hike"
EXERCISES = (
    {
        "id": HIP_HIKE,
        "name": "Hip hike (pelvic drop)",
        "instructions": (
            "Stand side-on at the edge of a step on one leg, the other foot hanging free, both "
            "knees straight. Let the free side of your pelvis drop a few centimetres, then lift "
            "it back up past level using the side of the standing hip. Keep your trunk upright: "
            "only the pelvis moves. Hold a wall for balance."
        ),
        "trains": ["hips", "glutes"],
        "dose": "reps",
        "sets": 3,
        "reps": 12,
        "seconds": None,
        "sides": "each",
        "equipment": ["step"],
        "conditions": [ID, "runners_knee"],
    },
)
STARTER = (
    ("core.side_lying_hip_abduction", 3, 12, None),
    (HIP_HIKE, 3, 12, None),
    ("core.banded_side_steps", 3, 10, None),
    ("core.single_leg_bridge", 3, 10, None),
    ("core.side_plank", 3, None, 20),
)
STARTER_WHY = (
    "Runners with pain on the outside of the knee often have weaker hip muscles on that side. "
    "The usual rehab builds the muscles that keep the pelvis level: the side of the hip, the "
    "buttocks and the trunk. The evidence is thin (small studies without a control group), "
    "but it matches what therapists commonly do. Leave out foam rolling the band."
)
STARTER_SOURCES = (
    "Fredericson et al., Clin J Sport Med 2000: 24 distance runners with IT band syndrome had "
    "weaker hip abductors on the painful side; after six weeks of hip abductor strengthening "
    "most were back running without pain. Small study, no control group.",
    "Baker, Souza & Fredericson, PM&R 2011: review of IT band syndrome; hip and trunk strength "
    "and control are central to rehab. Narrative review, expert opinion.",
    "Beers et al., Physiotherapy Canada 2008: in 16 patients, hip abductor strength rose over a "
    "six-week programme and went with better function. Observational, no control group.",
)


@hookimpl
def strideguard_exercises() -> list[dict[str, Any]]:
    """The hip hike, a hip-abductor exercise the built-in library lacks."""
    return [dict(ex) for ex in EXERCISES]


@hookimpl
def strideguard_starter_sets(conditions: tuple[str, ...]) -> list[dict[str, Any]]:
    """Hip abductor and trunk strength for the outside of the knee."""
    return starter_sets_for(conditions, ID, STARTER, STARTER_WHY, STARTER_SOURCES)


@hookimpl
def strideguard_assess(snapshot: DaySnapshot) -> list[dict[str, Any]]:
    """Outside-of-knee pain: call early, skip the foam roller, build hips and core."""
    if not relevant(snapshot, ID, LOCATIONS):
        return []
    out = []
    pain = todays_pain(snapshot)
    outside = bool(answer(snapshot, f"{ID}.outside_pain"))
    if pain > 0 or outside:
        out.append(
            advice(
                f"{ID}.call_early",
                "contact_pt",
                "caution",
                "Call your therapist early",
                "If it is the IT band, pain on the outside of the knee can become long-lasting "
                "and take a month or two of rehab. Having it checked now is the quicker way back.",
                [("pain", pain, None), ("outside_pain", outside, None)],
            )
        )
    if answer(snapshot, f"{ID}.foam_rolling"):
        out.append(
            advice(
                f"{ID}.foam_rolling",
                "info",
                "info",
                "Skip foam rolling the IT band",
                "Rolling the IT band rarely helps and can make it worse. Painkillers only hide "
                "the pain; it tends to come back when you run again unless the cause is found.",
                [("foam_rolling", True, None)],
            )
        )
    out.append(
        advice(
            f"{ID}.hips_core",
            "info",
            "info",
            "Ask about hip and core strength work",
            "Weak hips or core can tilt the pelvis and add load on the band. Ask your therapist "
            "whether strength work and a look at your running form would help.",
        )
    )
    return out
