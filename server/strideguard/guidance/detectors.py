"""Evidence-labelled detectors beyond the seed (PURE; DESIGN §4).

They never sound louder than the seed's own rules: severity is at most ``caution`` and the
action is ``reduce_volume``, ``reduce_intensity`` or ``info``. Thresholds are strict.

The two load-rise detectors are quiet in rest and in a graded return, where the walk–run
phases grow by design and say how much to run. After the return the single-run detector is
live from the first normal day: a long run right after a comeback is what the seed warns of
most. The two-week detector waits until its current 14 days hold no return day: before
that it would compare the return's phases with each other (1 mile growing to 2 by design),
and the ramp's weekly cap already holds those first weeks to +10% a week.
"""

from __future__ import annotations

from datetime import date, timedelta

from strideguard.guidance.advice import Advice, Reason
from strideguard.guidance.rules import Rule, make
from strideguard.guidance.snapshot import DaySnapshot
from strideguard.guidance.wording import EVIDENCE, format_distance
from strideguard.load.weekly import exceeds, shown_pct_change, weekly_cap_m
from strideguard.plan.machine import NORMAL

#: A single run more than this much longer than the 30-day longest (Frandsen et al. 2025).
SINGLE_RUN_SPIKE_PCT = 10.0
#: A two-week distance increase above this (Nielsen et al. 2014).
TWO_WEEK_PCT = 30.0
#: Pain onset counts as "earlier" when it comes more than this much sooner than last time.
ONSET_EARLIER_PCT = 10.0


def _normal_since(snapshot: DaySnapshot, first: date) -> bool:
    """True when the plan is in ``normal`` and has been since ``first`` (no plan: True)."""
    plan = snapshot.plan
    if plan is None:
        return True
    return plan.name == NORMAL and (plan.state.since is None or plan.state.since <= first)


def single_run_spike(snapshot: DaySnapshot) -> list[Advice]:
    """Today's longest run is more than 10% longer than the longest of the previous 30 days."""
    if not _normal_since(snapshot, snapshot.as_of):
        return []
    longest_before = snapshot.load.longest_run_30d_m
    todays = [run.distance_m for run in snapshot.todays_runs]
    if not todays or not longest_before:
        return []
    today = max(todays)
    units = snapshot.settings.units
    spike_pct = shown_pct_change(today, longest_before, units)
    if not exceeds(spike_pct, SINGLE_RUN_SPIKE_PCT):
        return []
    cap_m = weekly_cap_m(longest_before, SINGLE_RUN_SPIKE_PCT, units)
    cap = format_distance(cap_m, units)
    return [
        make(
            "core.single_run_spike",
            "reduce_volume",
            "caution",
            f"Keep your next long run under {cap}",
            f"Today's run ({format_distance(today, units)}) was {spike_pct}% longer "
            f"than your longest in the previous 30 days ({format_distance(longest_before, units)}). "
            f"Grow your long run in smaller steps: up to {cap}.",
            [
                Reason("run_distance_m", round(today), None),
                Reason("longest_run_30d_m", round(longest_before), None),
                Reason("single_run_increase_pct", float(spike_pct), SINGLE_RUN_SPIKE_PCT),
            ],
            EVIDENCE["single_run"],
            kind="evidence",
        )
    ]


def two_week_increase(snapshot: DaySnapshot) -> list[Advice]:
    """The last 14 days hold more than 30% more distance than the 14 before."""
    change = snapshot.load.two_week_change_pct
    if not _normal_since(snapshot, snapshot.as_of - timedelta(days=13)):
        return []
    if change is None or not exceeds(change, TWO_WEEK_PCT):
        return []
    return [
        make(
            "core.two_week_increase",
            "reduce_volume",
            "caution",
            "Hold your distance steady for a while",
            f"This week and last held {change}% more distance than the two weeks before. "
            "Let the body adapt before you add more.",
            [Reason("two_week_change_pct", float(change), TWO_WEEK_PCT)],
            EVIDENCE["two_week"],
            kind="evidence",
        )
    ]


def pain_onset_earlier(snapshot: DaySnapshot) -> list[Advice]:
    """Pain started clearly earlier in today's run than in the last run that recorded an onset."""
    todays = [run.pain_onset_m for run in snapshot.todays_runs if run.pain_onset_m is not None]
    earlier = [
        run.pain_onset_m
        for run in snapshot.runs
        if run.date < snapshot.as_of and run.pain_onset_m is not None
    ]
    if not todays or not earlier:
        return []
    today, before = min(todays), earlier[-1]
    units = snapshot.settings.units
    sooner = shown_pct_change(today, before, units)
    if sooner is None or not exceeds(-sooner, ONSET_EARLIER_PCT):
        return []
    return [
        make(
            "core.pain_onset_earlier",
            "reduce_volume",
            "caution",
            "Shorten your runs: pain is starting sooner",
            f"Pain began after {format_distance(today, units)} today, earlier than the "
            f"{format_distance(before, units)} of your previous painful run. That usually means "
            "the knee is getting worse; cut back and tell your therapist.",
            [
                Reason("pain_onset_m", round(today), None),
                Reason("previous_pain_onset_m", round(before), None),
            ],
            EVIDENCE["onset"],
            kind="evidence",
        )
    ]


def morning_pain_worse(snapshot: DaySnapshot) -> list[Advice]:
    """This morning's pain or stiffness is higher than yesterday morning's, after a run
    yesterday: the knee did not settle from that load. Without a run yesterday there is no
    load to blame (a rise from 0 to 1 on a day off fired a caution that named "yesterday's
    load"), and a check-in older than yesterday is not "the morning before"."""
    checkin = snapshot.todays_checkin
    previous = snapshot.previous_checkin
    if checkin is None or previous is None or checkin.morning_pain is None:
        return []
    if previous.morning_pain is None or checkin.morning_pain <= previous.morning_pain:
        return []
    yesterday = snapshot.as_of - timedelta(days=1)
    if previous.date != yesterday or not snapshot.runs_on(yesterday):
        return []
    return [
        make(
            "core.morning_pain_worse",
            "reduce_intensity",
            "caution",
            "Go easier today: your knee did not settle overnight",
            f"Morning pain rose from {previous.morning_pain}/10 to {checkin.morning_pain}/10. "
            "Yesterday's load was more than the knee could take; keep today short and easy "
            "or take a day off.",
            [
                Reason("morning_pain", checkin.morning_pain, previous.morning_pain),
            ],
            EVIDENCE["morning"],
            kind="evidence",
        )
    ]


#: Detectors, in the order they are evaluated.
DETECTORS: tuple[Rule, ...] = (
    single_run_spike,
    two_week_increase,
    pain_onset_earlier,
    morning_pain_worse,
)


def detector_advice(snapshot: DaySnapshot) -> list[Advice]:
    """Run every detector and return what fired."""
    fired: list[Advice] = []
    for detector in DETECTORS:
        fired.extend(detector(snapshot))
    return fired
