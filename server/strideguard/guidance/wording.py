"""The evidence notes the advice cites (PURE) (the unit formatting lives in ``day.units``, the
session text in ``plan.phases``; both are re-exported here)."""

from __future__ import annotations

from strideguard.day.units import format_day, format_distance, format_pace  # noqa: F401  (re-exported)
from strideguard.plan.phases import SESSION_PAIN_MAX, session_text  # noqa: F401  (re-exported)

SEED = (
    "Physical-therapy clinic article on knee pain after running "
    "(project seed; clinical advice, not a study)"
)

#: Short evidence notes, each with its citation. A study is named for what it is: who took
#: part, what was measured, the effect with its 95% confidence interval where the paper
#: gives one, and whether it was about the knee. Figures checked against the abstracts.
EVIDENCE = {
    "pain": (
        "The clinic article draws the line at pain above 3/10 before, during or after a run: "
        f"stop and see a physical therapist. {SEED}."
    ),
    "rest": (
        "The clinic article advises a short rest first, a few days to a week by severity, "
        f"then finding the cause with a therapist. {SEED}."
    ),
    "weekly": (
        "The clinic article warns that raising weekly distance or speed by more than 10% puts "
        f"the knee at risk. {SEED}. The rule alone is no guarantee: in a trial of 532 novice "
        "runners preparing for a 6.7 km race, a 13-week plan built on it had about as many "
        "injuries as a standard 8-week plan (20.8% vs 20.3%; Buist et al., AJSM 2008). So pain "
        "is watched too."
    ),
    "swelling": (
        f"The clinic article advises running again only once the swelling has gone down. {SEED}."
    ),
    "fever": (
        "The clinic article sends a runner with knee bursitis and a fever to a doctor: the "
        f"bursa can become infected and need antibiotics. {SEED}."
    ),
    "mechanical": (
        "The clinic article lists a knee that is hard to straighten fully among the signs of a "
        "meniscus tear, and sends it to the therapist. StrideGuard treats locking and giving "
        f"way the same way, as its own precaution. {SEED}."
    ),
    "break": (
        "The clinic article names coming back after a break (an illness, a pregnancy, another "
        f"injury) as a risky time for knee pain. {SEED}."
    ),
    "shoes": f"The clinic article notes that old or ill-fitting shoes can shift stress onto the knees. {SEED}.",
    "all_clear": (
        f"The clinic article advises raising weekly distance and speed by no more than 10%. {SEED}."
    ),
    "mild_pain": (
        f"The clinic article advises checking any knee pain after running with a therapist. {SEED}."
    ),
    "morning_pain": (
        "The clinic article advises checking any knee pain after running with a therapist. "
        f"{SEED}. Morning stiffness is not counted toward the pain limit (it tells whether the "
        "knee settled overnight); a morning above that limit is StrideGuard's own cue to ask, "
        "not a figure from a study."
    ),
    "start_cap": (
        "The clinic article warns against raising weekly distance by more than 10% a week. "
        f"{SEED}. With no earlier weeks to compare with, the low starting cap is StrideGuard's "
        "own cautious choice, not a figure from a study."
    ),
    "rest_plan": (
        "The clinic article advises a short rest first, a few days to a week by severity, then "
        f"finding the cause. {SEED}. Waiting for calm check-ins before running again follows "
        "clinic soreness rules (little evidence) and the pain-monitoring model from a trial in "
        "38 people with Achilles tendinopathy (Silbernagel et al., AJSM 2007); its use for the "
        "knee is by analogy."
    ),
    "return_plan": (
        "Six walk–run phases, each at least twice, a rest day between runs, level ground, no "
        "progress with swelling, stiffness or more pain: the standard return-to-run programme "
        "of a trial protocol for soldiers with overuse knee injuries (Trials 2023, doi "
        "10.1186/s13063-023-07502-x), not itself the treatment tested. The soreness rules "
        f"(pain at or under {SESSION_PAIN_MAX}/10, settled by the next morning) are clinic "
        "practice with little evidence."
    ),
    "single_run": (
        "In an 18-month study of 5,205 adult runners with Garmin watches, a run more than 10% "
        "and up to 30% longer than their longest of the previous 30 days came with more overuse "
        "injuries (hazard rate ratio 1.64, 95% CI 1.31 to 2.05); a run more than twice as long, "
        "2.28 (1.50 to 3.48). An observed link, not proof of cause. Frandsen et al., BJSM 2025."
    ),
    "two_week": (
        "In a one-year study of 874 novice runners with GPS watches, those who raised their "
        "distance by more than 30% over two weeks had more distance-related injuries, such as "
        "runner's knee, IT band syndrome and patellar tendinopathy, than those who raised it by "
        "under 10% (hazard ratio 1.59, 95% CI 0.96 to 2.66). The range includes no effect, so "
        "it is a warning sign, not a firm result. Nielsen et al., JOSPT 2014."
    ),
    "onset": (
        "The clinic article describes tendon pain that comes on earlier in each run as a sign it "
        f"is getting worse. {SEED}."
    ),
    "recurrence": (
        f"When knee pain keeps coming back, the clinic article advises having your running form "
        f"assessed. {SEED}."
    ),
    "morning": (
        "Pain from a session should have settled by the next morning. This pain-monitoring model "
        "comes from a trial in 38 people with Achilles tendinopathy: those who kept running and "
        "jumping under it improved no less than those who stopped for six weeks, though a trial "
        "this small can miss a difference (Silbernagel et al., AJSM 2007). Its use for the knee "
        "is by analogy."
    ),
}
