"""THE red flags of a day and their words (PURE): one table, read by the care plan, the
core rules, the therapist's dashboard and alerts, and the push text.

A red flag is a check-in answer that needs more than load management: a fever, a swollen
knee, a knee that locks or gives way, a knee that will not straighten. The seed's rules:
swelling — no running until it is down; fever with a painful or swollen knee — a doctor
(it could be an infected bursa); a knee that locks, gives way or will not straighten — an
assessment by the therapist. A fever on its own is a stop for the day: nobody should run
with a fever, and a doctor is the next step if it lasts or the knee turns warm or swollen.

A knee red flag (fever with a painful or swollen knee, swelling, locking, giving way, not
straightening) is an ``urgent`` card for the runner and an urgent alert for the therapist: the
card shows whatever else the plan says (a rest's card does not replace it). A fever on its own
is a ``warning``.

``found(checkin, pains)`` lists the flags of a day, most urgent first. Each flag says what
it does to the plan (``rest_days``: the least rest it starts, 0 for none; ``stops_day``: no
running today; ``holds``: the rest lasts until the knee has been assessed), what the runner
reads (``title``/``message``, the advice id and action), what a therapist reads
(``therapist``) and sees on the dashboard (``urgent``), and the push (``push_title``,
``push_body``). Every sentence about a flag anywhere in the product comes from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from strideguard.day.values import CheckinSnap, Pain


@dataclass(frozen=True, slots=True)
class RedFlag:
    """One red flag and everything every layer says or does about it."""

    id: str  # the cause metric the plan stores, and the flag id the dashboard shows
    field: str  # the check-in field that reports it
    advice_id: str  # the core rule's advice id
    action: str  # the advice's action
    severity: str  # the advice's severity
    title: str  # the runner's card title: the action first
    message: str  # the runner's card text
    cause: str  # "Since Mon 1 Dec: <cause>." on the rest card
    therapist: str  # how a therapist reads it (dashboard, alerts)
    push_title: str
    push_body: str
    rest_days: int  # least rest it starts (0: none)
    stops_day: bool = True  # no running on the day it is reported
    holds: bool = False  # the rest holds until the knee has been assessed
    urgent: bool = True  # a therapist's urgent alert and the dashboard's top level
    with_fever: str | None = None  # the card's text on a day with a fever (no self-care tips)


FEVER_KNEE = RedFlag(
    id="fever", field="fever", advice_id="core.fever", action="contact_doctor", severity="urgent",
    title="Call a doctor today",
    message=("You have a fever and a painful or swollen knee. That could be an infection in the knee, "
             "which needs a doctor soon. Do not run."),
    cause="you had a fever with a painful or swollen knee",
    therapist="a fever with knee pain or swelling",
    push_title="Call a doctor today",
    push_body="You reported a fever with knee pain or swelling. Call a doctor today. Do not run.",
    rest_days=3,
)
FEVER = RedFlag(
    id="fever_alone", field="fever", advice_id="core.fever", action="stop_running", severity="warning",
    title="No running with a fever",
    message=("Rest until the fever is gone. See a doctor if it lasts more than two days, or if the knee "
             "turns warm, red or swollen."),
    cause="you had a fever",
    therapist="a fever (the knee not painful or swollen)",
    push_title="No running with a fever",
    push_body="You reported a fever. Rest today, and see a doctor if it lasts.",
    rest_days=0, urgent=False,
)
SWELLING = RedFlag(
    id="swelling", field="swelling", advice_id="core.swelling", action="rest", severity="urgent",
    title="Do not run until the swelling is down",
    message=("Your knee is swollen. Tell your physical therapist: swelling could be an irritated "
             "bursa, and they can check it. Run again only once it has gone down; gentle movement "
             "and compression usually help more than keeping still."),
    cause="your knee was swollen",
    therapist="a swollen knee",
    push_title="Rest your knee",
    push_body="You reported a swollen knee. No running until the swelling is down.",
    rest_days=2,
    with_fever=("Your knee is swollen and you have a fever: let a doctor see it before you try "
                "anything for the swelling. Tell your physical therapist too. No running until it "
                "has gone down."),
)
LOCKING = RedFlag(
    id="locking_or_giving_way", field="locking_or_giving_way", advice_id="core.mechanical",
    action="contact_pt", severity="urgent",
    title="See your physical therapist before you run again",
    message=("A knee that locks or gives way needs to be checked. No running until a therapist or "
             "doctor has seen it; then tell us in your check-in."),
    cause="your knee locked or gave way",
    therapist="a knee that locked or gave way",
    push_title="Get your knee checked",
    push_body="Your knee locked or gave way. No running until a therapist has checked it.",
    rest_days=3, holds=True,
)
STRAIGHTEN = RedFlag(
    id="hard_to_straighten", field="hard_to_straighten", advice_id="core.mechanical",
    action="contact_pt", severity="urgent",
    title="See your physical therapist before you run again",
    message=("A knee that will not straighten fully needs to be checked. No running until a therapist "
             "or doctor has seen it; then tell us in your check-in."),
    cause="your knee would not straighten fully",
    therapist="a knee that would not straighten",
    push_title="Get your knee checked",
    push_body="Your knee would not straighten. No running until a therapist has checked it.",
    rest_days=3, holds=True,
)

#: Every red flag, most urgent first (the plan's rest cause is the first one found).
TABLE: tuple[RedFlag, ...] = (FEVER_KNEE, LOCKING, STRAIGHTEN, SWELLING, FEVER)
BY_ID: dict[str, RedFlag] = {flag.id: flag for flag in TABLE}
#: The check-in fields that can report a red flag.
FIELDS: tuple[str, ...] = tuple(dict.fromkeys(flag.field for flag in TABLE))
#: The check-in answer with which a runner confirms that a professional has assessed the
#: knee after a flag that holds the plan.
ASSESSED_ANSWER = "core.knee_assessed"


def found(checkin: CheckinSnap | None, pains: Iterable[Pain] = ()) -> tuple[RedFlag, ...]:
    """The red flags of one day, most urgent first. A fever is ``FEVER_KNEE`` with any pain
    of the day above 0 or a swollen knee, and ``FEVER`` (a stop for the day) without."""
    if checkin is None:
        return ()
    knee = checkin.swelling or any(p.value > 0 for p in pains)
    out = []
    for flag in TABLE:
        if not getattr(checkin, flag.field):
            continue
        if flag is FEVER_KNEE and not knee or flag is FEVER and knee:
            continue
        out.append(flag)
    return tuple(out)


def flag_ids(checkin: CheckinSnap | None, pains: Iterable[Pain] = ()) -> tuple[str, ...]:
    """``found``'s ids (what the dashboard and the therapist's alerts store)."""
    return tuple(flag.id for flag in found(checkin, pains))
