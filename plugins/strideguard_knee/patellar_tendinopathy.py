"""Patellar tendinopathy (jumper's knee): pain just below the kneecap."""

from __future__ import annotations

from typing import Any

from strideguard import hookimpl
from strideguard.guidance.snapshot import DaySnapshot
from strideguard_knee._common import advice, answer, plan_state, questions_for, relevant, todays_pain

PLUGIN_API_VERSION = 1
ID = "patellar_tendinopathy"
LOCATIONS = ("below_kneecap",)

QUESTIONS = (
    {
        "id": f"{ID}.jump_pain",
        "prompt": "Did jumping, squats or stairs hurt just below the kneecap?",
        "type": "boolean",
    },
    {
        "id": f"{ID}.stretching",
        "prompt": "Have you been stretching to ease the pain below the kneecap?",
        "type": "boolean",
    },
)


@hookimpl
def strideguard_conditions() -> list[dict[str, Any]]:
    """Describe patellar tendinopathy."""
    return [
        {
            "id": ID,
            "name": "Patellar tendinopathy (jumper's knee)",
            "summary": (
                "Could be the patellar tendon if the pain sits just below the kneecap, "
                "where the tendon joins the shin. It often follows running more or more "
                "often. Your therapist can tell for sure."
            ),
            "locations": list(LOCATIONS),
        }
    ]


@hookimpl
def strideguard_checkin_questions(conditions: tuple[str, ...]) -> list[dict[str, Any]]:
    """Ask about jumping/stair pain and stretching."""
    return questions_for(conditions, ID, QUESTIONS)


def _onsets(snapshot: DaySnapshot) -> tuple[float | None, float | None]:
    """Today's earliest pain onset and the previous recorded onset, in metres."""
    today = [r.pain_onset_m for r in snapshot.todays_runs if r.pain_onset_m is not None]
    before = [
        r.pain_onset_m
        for r in snapshot.runs
        if r.date < snapshot.as_of and r.pain_onset_m is not None
    ]
    return (min(today) if today else None, before[-1] if before else None)


@hookimpl
def strideguard_assess(snapshot: DaySnapshot) -> list[dict[str, Any]]:
    """Unload the tendon without long rest; watch for pain arriving earlier in runs."""
    if not relevant(snapshot, ID, LOCATIONS):
        return []
    out = []
    pain = todays_pain(snapshot)
    threshold = snapshot.settings.pain_threshold
    today, before = _onsets(snapshot)
    if today is not None and before is not None and today < before:
        out.append(
            advice(
                f"{ID}.onset_earlier",
                "contact_pt",
                "caution",
                "Tell your therapist: pain starts earlier in your runs",
                f"Pain began after {round(today)} m today, sooner than the {round(before)} m "
                "of your previous painful run. If it is the tendon, pain that comes on sooner "
                "can mean it is getting worse.",
                [("pain_onset_m", round(today), None), ("previous_pain_onset_m", round(before), None)],
            )
        )
    state = plan_state(snapshot)
    if state == "rest":
        out.append(
            advice(
                f"{ID}.avoid_long_rest",
                "info",
                "info",
                "Keep the rest short and the knee working",
                "If it is the tendon, long rest lets the muscles weaken, and the pain then tends "
                "to come back sooner. Ask your therapist for strength work for these rest days.",
                [("plan_state", state, None)],
            )
        )
    elif pain > 0 and state == "normal":
        out.append(
            advice(
                f"{ID}.unload",
                "reduce_volume",
                "caution",
                "Cut back distance and pace for now",
                "Run shorter, easier and less often for now: if it is the tendon, that lets it "
                "settle. Your plan stops running when the pain passes your limit.",
                [("pain", pain, threshold)],
            )
        )
    elif state == "normal" and snapshot.load.current.runs == 0:
        out.append(
            advice(
                f"{ID}.avoid_long_rest",
                "info",
                "info",
                "Avoid long rest: keep the knee working",
                "Long rest weakens the muscles, and tendon pain then tends to return sooner "
                "once you run again. Ask your therapist for strength work that keeps the tendon "
                "loaded.",
                [("runs_this_week", 0, None)],
            )
        )
    if answer(snapshot, f"{ID}.stretching"):
        out.append(
            advice(
                f"{ID}.stretching",
                "info",
                "info",
                "Go easy on stretching",
                "If it is the tendon, stretching can irritate it further. Ask your therapist "
                "which exercises suit your knee.",
                [("stretching", True, None)],
            )
        )
    return out
