"""Shared wording: distance formatting in the runner's unit and the evidence notes we cite."""

from __future__ import annotations

METRES_PER_MILE = 1609.344

SEED = "Physical-therapy clinic article on knee pain after running (project seed)"

#: Short evidence notes, each with its citation.
EVIDENCE = {
    "pain": f"Pain above 3/10 before, during or after a run means stop and see a therapist. {SEED}.",
    "rest": f"Start with a short rest, a few days to a week by severity, then find the cause. {SEED}.",
    "weekly": (
        f"Raising weekly distance or speed by more than 10% raises the risk of knee pain. {SEED}. "
        "A 10% plan alone did not prevent injuries (Buist et al., AJSM 2008), so watch pain too."
    ),
    "swelling": f"Run only once the swelling has gone down. {SEED}.",
    "fever": f"Fever with a painful or swollen knee can mean an infected bursa, which needs a doctor. {SEED}.",
    "mechanical": (
        f"A knee that locks, gives way or will not straighten fully needs a proper assessment. {SEED}."
    ),
    "break": (
        f"Coming back after a break (illness, pregnancy, injury) is a common time to get hurt. {SEED}."
    ),
    "shoes": f"Old or ill-fitting shoes shift stress to the knees. {SEED}.",
    "all_clear": f"Keep each week within your increase limit. {SEED}.",
    "single_run": (
        "One run more than 10% longer than your longest in the previous 30 days raised injury risk "
        "(hazard ratio 1.64 for 10–30% longer). Frandsen et al., BJSM 2025."
    ),
    "two_week": (
        "Runners who raised distance by more than 30% over two weeks had more distance-related "
        "injuries. Nielsen et al., JOSPT 2014."
    ),
    "onset": (
        f"Tendon pain that starts earlier in each run is a sign it is getting worse. {SEED}."
    ),
    "morning": (
        "Pain from a session should settle by the next morning; if it does not, the load was too "
        "high. Pain-monitoring model, Silbernagel et al., AJSM 2007."
    ),
}


def format_distance(metres: float, units: str) -> str:
    """``24300`` → ``"24.3 km"`` (or miles when ``units`` is ``"mi"``), one decimal."""
    if units == "mi":
        return f"{metres / METRES_PER_MILE:.1f} mi"
    return f"{metres / 1000:.1f} km"

