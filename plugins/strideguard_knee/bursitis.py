"""Knee bursitis: pes anserine (inside, just below the joint) or prepatellar (on the kneecap)."""

from __future__ import annotations

from typing import Any

from strideguard import hookimpl
from strideguard.guidance.snapshot import DaySnapshot
from strideguard_knee._common import (
    advice,
    answer,
    plan_state,
    questions_for,
    relevant,
    starter_sets_for,
    todays_checkin,
    todays_pain,
)

PLUGIN_API_VERSION = 1
ID = "bursitis"
LOCATIONS = ("inside_below_joint", "on_kneecap")

QUESTIONS = (
    {
        "id": f"{ID}.kneecap_swelling",
        "prompt": "Is there a soft, puffy swelling right on the kneecap?",
        "type": "boolean",
    },
    {
        "id": f"{ID}.inner_tender",
        "prompt": "Is the inside of the knee, just below the joint, tender to touch?",
        "type": "boolean",
    },
)


@hookimpl
def strideguard_conditions() -> list[dict[str, Any]]:
    """Describe knee bursitis."""
    return [
        {
            "id": ID,
            "name": "Knee bursitis",
            "summary": (
                "Could be an irritated bursa (a small fluid cushion) if the pain sits on the "
                "inside just below the joint, or right on the kneecap with a soft swelling. "
                "It often follows more distance or speed. Your therapist can tell for sure."
            ),
            "locations": list(LOCATIONS),
        }
    ]


@hookimpl
def strideguard_checkin_questions(conditions: tuple[str, ...]) -> list[dict[str, Any]]:
    """Ask about swelling on the kneecap and tenderness on the inside."""
    return questions_for(conditions, ID, QUESTIONS)


STARTER = (
    ("core.quad_set", 2, 10, 5),
    ("core.straight_leg_raise", 3, 12, None),
    ("core.side_lying_hip_abduction", 3, 12, None),
    ("core.mini_squat", 3, 12, None),
    ("core.hamstring_stretch", 1, 3, 30),
    ("core.calf_stretch", 1, 3, 30),
)
STARTER_WHY = (
    "For an irritated bursa, the usual care is gentle strength and movement that keeps the "
    "knee working without pressing on the sore spot, with light stretches for the back of the "
    "thigh and the calf. Avoid kneeling while the kneecap is swollen. With a fever, or a hot, "
    "red knee, contact your doctor instead."
)
STARTER_SOURCES = (
    "Clinical practice and expert opinion: gentle strengthening and stretching for pes "
    "anserine and prepatellar bursitis. We found no controlled trial of these exercises for "
    "knee bursitis.",
    "Physical-therapy clinic article (StrideGuard seed): compression, early movement and gentle "
    "exercise usually work best; a fever needs a doctor. Clinical advice, not a study.",
)


@hookimpl
def strideguard_starter_sets(conditions: tuple[str, ...]) -> list[dict[str, Any]]:
    """Gentle strength and stretching (clinical practice; no trial to cite)."""
    return starter_sets_for(conditions, ID, STARTER, STARTER_WHY, STARTER_SOURCES)


@hookimpl
def strideguard_assess(snapshot: DaySnapshot) -> list[dict[str, Any]]:
    """Fever: doctor. Swelling: wait until it is down. Otherwise running may go on."""
    if not relevant(snapshot, ID, LOCATIONS):
        return []
    checkin = todays_checkin(snapshot)
    fever = bool(checkin and checkin.fever)
    swollen = bool(checkin and checkin.swelling) or bool(answer(snapshot, f"{ID}.kneecap_swelling"))
    out = []
    if fever:
        out.append(
            advice(
                f"{ID}.fever",
                "contact_doctor",
                "urgent",
                "Call a doctor today about the fever",
                "Do not run until a doctor has seen the knee. A fever with a sore or swollen "
                "knee could mean an infected bursa, which needs a doctor and often antibiotics.",
                [("fever", True, None)],
            )
        )
    if swollen:
        out.append(
            advice(
                f"{ID}.swelling",
                "rest",
                "warning",
                "Wait for the swelling to go down before you run",
                "Until then, compression, gentle movement and light exercise tend to help most; "
                "ice if it eases the pain. Ask your therapist for a plan: if it is a bursa, "
                "treating it early makes injections or surgery less likely.",
                [("swelling", True, None)],
            )
        )
    pain = todays_pain(snapshot)
    # Only from a check-in of today: with none, "no swelling" and "mild pain" were never said.
    if (checkin is not None and not fever and not swollen and pain <= snapshot.settings.pain_threshold
            and plan_state(snapshot) == "normal"):
        out.append(
            advice(
                f"{ID}.run_if_not_swollen",
                "keep_running",
                "info",
                "Keep running while the knee is not swollen",
                "Without swelling, running on through mild pain may be fine. Check with your "
                "therapist, and stop if the knee swells.",
                [("swelling", False, None), ("pain", pain, snapshot.settings.pain_threshold)],
            )
        )
    return out
