"""Example StrideGuard plugin: pain behind the knee.

A template for third-party plugins. It adds one condition (pain at the back of the knee, which
none of the built-in conditions covers), one check-in question, one advice, one exercise for
the library and a starter set for its condition. Everything a
plugin needs is ``from strideguard import hookimpl``; it receives frozen snapshots and returns
plain dicts, which StrideGuard validates.
"""

from __future__ import annotations

from typing import Any

from strideguard import hookimpl

__version__ = "0.1.0"
#: The plugin API this module was written for; StrideGuard refuses to load a mismatch.
PLUGIN_API_VERSION = 1

CONDITION_ID = "back_of_knee"
LOCATIONS = ["back_of_knee"]
QUESTION_ID = f"{CONDITION_ID}.bending_pain"
EXERCISE_ID = f"{CONDITION_ID}.seated_hamstring_curl"


@hookimpl
def strideguard_conditions() -> list[dict[str, Any]]:
    """One condition descriptor, ranked first when the runner points at the back of the knee."""
    return [
        {
            "id": CONDITION_ID,
            "name": "Pain behind the knee",
            "summary": (
                "Could be a hamstring or calf tendon, or a fluid-filled swelling at the back "
                "of the knee. Your therapist can tell which."
            ),
            "locations": LOCATIONS,
        }
    ]


@hookimpl
def strideguard_checkin_questions(conditions: tuple[str, ...]) -> list[dict[str, Any]]:
    """Ask one question, only when the runner's conditions include ours."""
    if CONDITION_ID not in conditions:
        return []
    return [
        {
            "id": QUESTION_ID,
            "prompt": "Does the back of your knee hurt when you bend it fully?",
            "type": "boolean",
            "condition": CONDITION_ID,
        }
    ]


@hookimpl
def strideguard_assess(snapshot: Any) -> list[dict[str, Any]]:
    """Advise a therapist visit when today's pain sits behind the knee."""
    checkin = snapshot.checkin
    if checkin is None or checkin.date != snapshot.as_of:
        return []
    behind = checkin.location == "back_of_knee" or bool(checkin.answers.get(QUESTION_ID))
    if not behind or checkin.pain == 0:
        return []
    return [
        {
            "id": f"{CONDITION_ID}.see_pt",
            "action": "contact_pt",
            "severity": "caution",
            "title": "Ask your therapist about the back of your knee",
            "message": (
                "Pain behind the knee has several possible causes that need different care. "
                "Have it checked before you add distance."
            ),
            "reasons": [
                {"metric": "location", "value": checkin.location, "threshold": None},
                {"metric": "pain", "value": checkin.pain, "threshold": None},
            ],
            "evidence": "Example plugin: a template, not clinical guidance.",
        }
    ]


@hookimpl
def strideguard_exercises() -> list[dict[str, Any]]:
    """One exercise for the library, under this plugin's own id prefix."""
    return [
        {
            "id": EXERCISE_ID,
            "name": "Seated hamstring curl with band",
            "instructions": (
                "Sit on a chair with a loop band tied to something solid in front of you and "
                "around one ankle. Starting with the knee nearly straight, pull the heel back "
                "under the chair against the band, then let it return slowly."
            ),
            "trains": ["hamstrings"],
            "dose": "reps",
            "sets": 3,
            "reps": 12,
            "seconds": None,
            "sides": "each",
            "equipment": ["band", "chair"],
            "conditions": [CONDITION_ID],
        }
    ]


@hookimpl
def strideguard_starter_sets(conditions: tuple[str, ...]) -> list[dict[str, Any]]:
    """A starter set for our condition only: our exercise plus two built-in ones."""
    if CONDITION_ID not in conditions:
        return []
    return [
        {
            "condition": CONDITION_ID,
            "items": [
                {"exercise": EXERCISE_ID},  # no dose given: the exercise's default
                {"exercise": "core.calf_raise", "sets": 3, "reps": 15, "seconds": None},
                {"exercise": "core.glute_bridge", "sets": 3, "reps": 12, "seconds": None},
            ],
            "why": (
                "Gentle strength for the muscles behind the knee. A general start, not a "
                "prescription: have your therapist tailor it."
            ),
            "sources": ["Example plugin: a template, not clinical guidance."],
        }
    ]
