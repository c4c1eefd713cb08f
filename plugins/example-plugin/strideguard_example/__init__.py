"""Example StrideGuard plugin: pain behind the knee.

A template for third-party plugins. It adds one condition (pain at the back of the knee, which
none of the built-in conditions covers), one check-in question and one advice. Everything a
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
