"""Patellar tendinopathy (jumper's knee): pain just below the kneecap."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from strideguard import hookimpl
from strideguard.guidance.snapshot import DaySnapshot
from strideguard.load.weekly import shown_distance
from strideguard_knee._common import (
    SEED,
    advice,
    answer,
    plan_state,
    questions_for,
    relevant,
    starter_sets_for,
    todays_pain,
)
from strideguard_knee._frequency import (
    BEFORE_WEEKS,
    MAX_RISE_PCT,
    MIN_EXTRA_RUNS,
    RECENT_DAYS,
    FrequencyJump,
    frequency_jump,
)

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


DECLINE_HOLD = f"{ID}.decline_squat_hold"
EXERCISES = (
    {
        "id": DECLINE_HOLD,
        "name": "Decline squat hold",
        "instructions": (
            "Stand on a slant board with your heels higher than your toes (a firm wedge or a "
            "thick book under the heels will do). On one leg, or both to start, bend the knee "
            "to about a quarter squat and hold still with your body upright. It loads the "
            "tendon below the kneecap; your therapist sets how deep and how long."
        ),
        "trains": ["quadriceps"],
        "dose": "hold",
        "sets": 1,
        "reps": 5,
        "seconds": 30,
        "sides": "each",
        "equipment": ["decline_board"],
        "conditions": [ID],
    },
)
STARTER = (
    ("core.spanish_squat", 1, 5, 45),
    ("core.split_squat", 3, 8, None),
    ("core.single_leg_calf_raise", 3, 12, None),
    ("core.single_leg_bridge", 3, 10, None),
)
STARTER_WHY = (
    "Tendon rehab usually starts with long, heavy holds that load the tendon without moving "
    "the knee, then moves on to slow, heavy strength work as the tendon allows: do the split "
    "squats slowly, about three seconds down and three up. Leave out stretching the front of "
    "the thigh for now. Your therapist sets how much pain is acceptable during these."
)
STARTER_SOURCES = (
    "Rio et al., BJSM 2015: five 45-second heavy isometric holds eased patellar tendon pain for "
    "at least 45 minutes. Small crossover study (6 volleyball players).",
    "Holden et al., J Sci Med Sport 2020: in 21 people, heavy holds eased pain no more than "
    "slow moving repetitions did, and the effect was small and brief. Randomised crossover "
    "trial.",
    "Kongsgaard et al., Scand J Med Sci Sports 2009: heavy slow resistance training helped "
    "at 12 weeks and still at six months, unlike a steroid injection. Randomised trial, 39 "
    "men.",
    "Malliaras et al., JOSPT 2015: staged tendon loading, from isometric holds to slow heavy "
    "strength to faster, springier work. Clinical commentary, expert opinion.",
)


@hookimpl
def strideguard_exercises() -> list[dict[str, Any]]:
    """The decline squat hold, a classic tendon-loading hold the built-in library lacks."""
    return [dict(ex) for ex in EXERCISES]


@hookimpl
def strideguard_starter_sets(conditions: tuple[str, ...]) -> list[dict[str, Any]]:
    """Isometric holds first, then slow heavy strength (the tendon loading literature)."""
    return starter_sets_for(conditions, ID, STARTER, STARTER_WHY, STARTER_SOURCES)


def _onsets(snapshot: DaySnapshot) -> tuple[float | None, float | None]:
    """Today's earliest pain onset and the previous recorded onset, in metres."""
    today = [r.pain_onset_m for r in snapshot.todays_runs if r.pain_onset_m is not None]
    before = [
        r.pain_onset_m
        for r in snapshot.runs
        if r.date < snapshot.as_of and r.pain_onset_m is not None
    ]
    return (min(today) if today else None, before[-1] if before else None)


FREQUENCY_EVIDENCE = (
    "The clinic article names running more often, not only farther, among the loads that bring "
    f"on pain below the kneecap. The thresholds here ({MIN_EXTRA_RUNS} more runs a week and "
    f"over {MAX_RISE_PCT}% more) are StrideGuard's own. {SEED}"
)


def _number(value: Decimal) -> str:
    """``Decimal('2.0')`` → ``"2"``, ``Decimal('2.3')`` → ``"2.3"``."""
    return str(int(value)) if value == value.to_integral_value() else str(value)


def _frequency_advice(jump: FrequencyJump, snapshot: DaySnapshot) -> dict[str, Any]:
    """Name a jump in runs per week at about the same distance, with its numbers."""
    units = snapshot.settings.units
    limit = snapshot.settings.weekly_increase_pct
    unit = "mi" if units == "mi" else "km"
    now = f"{shown_distance(jump.distance_recent_m, units)} {unit}"
    before = f"{shown_distance(jump.distance_per_week_before_m, units)} {unit}"
    usual = _number(jump.runs_per_week_before)
    return advice(
        f"{ID}.frequency_jump",
        "reduce_volume",
        "caution",
        "Go back to fewer runs a week",
        f"You ran {jump.runs_recent} times in the last {RECENT_DAYS} days, up from {usual} a "
        f"week in the {BEFORE_WEEKS} weeks before, while your distance stayed within your "
        f"{limit:g}% limit ({now} against {before} a week). More runs mean fewer rest days "
        "between them, and running more often can bring on pain below the kneecap. Spread the "
        f"distance over fewer runs, back towards the {usual} a week you were used to, and add "
        "a run only once the knee stays calm.",
        [
            ("runs_last_7_days", jump.runs_recent, None),
            ("runs_per_week_before", float(jump.runs_per_week_before), None),
            ("runs_pct", float(jump.runs_pct), MAX_RISE_PCT),
            ("distance_last_7_days_m", round(jump.distance_recent_m), None),
            ("distance_per_week_before_m", round(jump.distance_per_week_before_m), None),
            ("distance_pct", float(jump.distance_pct), limit),
        ],
        FREQUENCY_EVIDENCE,
    )


def _ran_within(snapshot: DaySnapshot, days: int) -> bool:
    """Whether any run is dated in the last ``days`` days, ``as_of`` included."""
    first = snapshot.as_of - timedelta(days=days - 1)
    return any(first <= r.date <= snapshot.as_of for r in snapshot.runs)


@hookimpl
def strideguard_assess(snapshot: DaySnapshot) -> list[dict[str, Any]]:
    """Unload the tendon without long rest; watch for pain arriving earlier in runs and for
    a jump in runs per week at about the same distance."""
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
    elif state == "normal" and (
        jump := frequency_jump(snapshot.runs, snapshot.as_of, snapshot.settings.weekly_increase_pct)
    ) is not None:
        out.append(_frequency_advice(jump, snapshot))
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
    elif state == "normal" and not _ran_within(snapshot, RECENT_DAYS):
        out.append(
            advice(
                f"{ID}.avoid_long_rest",
                "info",
                "info",
                "Avoid long rest: keep the knee working",
                "Long rest weakens the muscles, and tendon pain then tends to return sooner "
                "once you run again. Ask your therapist for strength work that keeps the tendon "
                "loaded.",
                [("runs_last_7_days", 0, None)],
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
