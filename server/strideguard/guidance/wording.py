"""The evidence notes the advice cites (PURE) (the unit formatting lives in ``day.units``, the
session text in ``plan.phases``; both are re-exported here)."""

from __future__ import annotations

from strideguard.day.units import format_day, format_distance, format_pace  # noqa: F401  (re-exported)
from strideguard.plan.phases import session_text  # noqa: F401  (re-exported)

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
    "mild_pain": f"Any knee pain after running is worth checking with a therapist. {SEED}.",
    "start_cap": (
        f"Raising weekly distance by more than 10% raises the risk of knee pain. {SEED}. "
        "With no earlier weeks to compare, the first weeks start at a low cap."
    ),
    "rest_plan": (
        f"Rest first, a few days to a week by severity, then find the cause. {SEED}. "
        "The rest ends once the knee has stayed at or under your limit for 48 hours "
        "(two daily check-ins), as in the soreness rules and the pain-monitoring model "
        "(Silbernagel et al., AJSM 2007)."
    ),
    "return_plan": (
        "Walk–run return in six phases, each at least twice, a rest day between runs, level "
        "ground; no progress with swelling, stiffness or more pain (standard return-to-run "
        "programme, Trials 2023, doi 10.1186/s13063-023-07502-x). Soreness rules: pain at or "
        f"under 2/10, settled by the next morning. {SEED}: coming back after a break is risky."
    ),
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
    "recurrence": (
        f"When knee pain keeps coming back, the clinic article advises having your running form "
        f"assessed. {SEED}."
    ),
    "morning": (
        "Pain from a session should settle by the next morning; if it does not, the load was too "
        "high. Pain-monitoring model, Silbernagel et al., AJSM 2007."
    ),
}
