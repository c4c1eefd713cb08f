"""IT band syndrome: pain on the outside of the knee."""

from __future__ import annotations

from typing import Any

from strideguard import hookimpl
from strideguard.guidance.snapshot import DaySnapshot
from strideguard_knee._common import advice, answer, questions_for, relevant, todays_pain

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
