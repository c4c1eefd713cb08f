"""The graded return to running (PURE): six walk–run phases and the rules that move between them.

Source: the standard return-to-run programme for overuse knee injuries in Trials 2023
(doi 10.1186/s13063-023-07502-x, Table 1): six phases from walk 2 min / run 3 min over
1.0 mile at an easy effort to continuous running over 2.0 miles; each phase at least
twice; at least one rest day between runs; level ground; no progress while there is
swelling, stiffness or more pain during or after running.

Progress and step-back follow the soreness rules used in clinics (low evidence, clinic
practice; see also the University of Delaware progression, Ann Jt 2018;3:40, after Adams
et al., JOSPT 2012): a session counts when pain stayed at or under 2/10 during and after
it, did not rise by the next morning, and the knee did not swell; a session that breaks
that rule (pain 3/10 up to the runner's limit, or a worse morning) drops one phase.
Pain above the limit, swelling or a red flag ends the return and starts a rest.
"""

from __future__ import annotations

from dataclasses import dataclass

from strideguard.day.units import format_distance
from strideguard.load.weekly import METRES_PER_MILE


@dataclass(frozen=True, slots=True)
class Phase:
    """One walk–run phase: intervals in minutes, the session's total distance, the effort."""

    number: int
    walk_min: int
    run_min: int | None  # None: continuous running
    distance_m: int
    effort: int  # rate of perceived exertion, 0–10

    @property
    def continuous(self) -> bool:
        return self.run_min is None


def _mi(miles: float) -> int:
    return round(miles * METRES_PER_MILE)


#: Trials 2023, Table 1.
PHASES: tuple[Phase, ...] = (
    Phase(1, 2, 3, _mi(1.0), 3),
    Phase(2, 2, 3, _mi(1.5), 3),
    Phase(3, 2, 4, _mi(1.5), 4),
    Phase(4, 2, 4, _mi(2.0), 4),
    Phase(5, 1, 4, _mi(2.0), 5),
    Phase(6, 0, None, _mi(2.0), 5),
)
LAST_PHASE = len(PHASES)
#: Clean sessions needed in a phase before the next one ("each phase at least twice").
SESSIONS_PER_PHASE = 2
#: Highest pain during or after a session that still lets the plan move on.
SESSION_PAIN_MAX = 2
#: A run longer than this share of the phase's distance does not count as the session.
SESSION_DISTANCE_SLACK = 1.25
EFFORT_WORDS = {3: "easy", 4: "somewhat easy", 5: "somewhat hard"}


def phase(number: int) -> Phase:
    """Phase ``number`` (1-based, clamped to the programme)."""
    return PHASES[min(max(number, 1), LAST_PHASE) - 1]


def session_pain_max(pain_threshold: int) -> int:
    """The pain a session may reach and still count: 2/10, or the runner's limit if lower."""
    return min(SESSION_PAIN_MAX, pain_threshold)


def too_long(distance_m: float, number: int) -> bool:
    """True when a run was clearly more than the phase's session."""
    return distance_m > phase(number).distance_m * SESSION_DISTANCE_SLACK


def session_text(phase: Phase, units: str) -> str:
    """``"Walk 2 min · run 3 min for 1.6 km, easy"`` (or ``"Run 3.2 km without walking"``)."""
    effort = EFFORT_WORDS.get(phase.effort, f"effort {phase.effort}/10")
    distance = format_distance(phase.distance_m, units)
    if phase.continuous:
        return f"Run {distance} without walking, {effort}"
    return f"Walk {phase.walk_min} min · run {phase.run_min} min for {distance}, {effort}"
