"""The values of one runner's day (PURE): check-in, run, shoe, the runner's limits, and the
day's pains — THE definitions the care plan, the core rules, the clinic and the plugins share.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class CheckinSnap:
    """One daily check-in. ``answers`` maps ``<plugin>.<question>`` to the runner's answer."""

    date: date
    pain: int
    morning_pain: int | None = None
    location: str | None = None
    side: str | None = None
    swelling: bool = False
    fever: bool = False
    locking_or_giving_way: bool = False
    hard_to_straighten: bool = False
    answers: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunSnap:
    """One logged run (distances in metres, durations in seconds)."""

    id: str
    date: date
    distance_m: float
    duration_s: float
    pain_during: int | None = None
    pain_after: int | None = None
    pain_onset_m: float | None = None
    surface: str | None = None
    shoe_id: int | None = None


@dataclass(frozen=True)
class ShoeSnap:
    """A pair of shoes and the distance run in them so far."""

    id: int
    name: str
    limit_m: float
    distance_m: float
    retired: bool = False


#: The clinic's lines (the seed): pain above 3/10 stops running; no more than 10% more a
#: week. The most a runner may allow themselves; only a linked therapist may set looser.
CLINIC_PAIN_THRESHOLD = 3
CLINIC_INCREASE_PCT = 10.0


@dataclass(frozen=True)
class RunnerSettings:
    """The runner's own limits (a therapist may set other values than the seed's)."""

    pain_threshold: int = CLINIC_PAIN_THRESHOLD
    weekly_increase_pct: float = CLINIC_INCREASE_PCT
    #: Average-speed increase limit per week (the seed: the same 10% as distance).
    speed_increase_pct: float = CLINIC_INCREASE_PCT
    conditions: tuple[str, ...] = ()
    units: str = "km"
    #: Names of the limits a therapist set (the runner cannot change those); empty: none.
    locked: tuple[str, ...] = ()
    #: A short instruction from the therapist, shown to the runner with the guidance.
    instruction: str | None = None


@dataclass(frozen=True, slots=True)
class Pain:
    """One pain score of a day and the field it came from (``pain``, ``pain_during``,
    ``pain_after``, or ``pain_after_yesterday`` when carried into a day with no check-in)."""

    field: str
    value: int


def pains_of_day(
    checkin: CheckinSnap | None,
    runs: Iterable[RunSnap],
    carried_after: int | None = None,
) -> tuple[Pain, ...]:
    """Every pain score that counts for one day — THE definition the core rules, the care
    plan and the plugins share.

    The check-in's ``pain`` (the worst knee pain of the last 24 hours) and each run's
    ``pain_during`` / ``pain_after``. With no check-in that day, the worst ``pain_after`` of
    the day before is carried over (``carried_after``): pain after last night's run does not
    vanish because the runner has not checked in yet. Morning stiffness (``morning_pain``) is
    not pain for the threshold; it only tells whether the knee settled overnight.
    """
    pains: list[Pain] = []
    if checkin is not None:
        pains.append(Pain("pain", checkin.pain))
    elif carried_after is not None:
        pains.append(Pain("pain_after_yesterday", carried_after))
    for run in runs:
        if run.pain_during is not None:
            pains.append(Pain("pain_during", run.pain_during))
        if run.pain_after is not None:
            pains.append(Pain("pain_after", run.pain_after))
    return tuple(pains)


def worst_pain_after(runs: Iterable[RunSnap]) -> int | None:
    """The highest ``pain_after`` of some runs (what a day carries into the next)."""
    return max((r.pain_after for r in runs if r.pain_after is not None), default=None)


def worst_pain_of_day(checkin: CheckinSnap | None, runs: Iterable[RunSnap]) -> Pain | None:
    """The worst pain of one day as every summary shows it (the 12-week table and chart,
    the therapist's sparkline and urgency, the printed summaries): the worst of the
    check-in's pain and each run's pain during and after (:func:`pains_of_day`, nothing
    carried from the day before); the check-in's on a tie. ``None``: no pain recorded.

    Only ``pain`` of the check-in and ``pain_during`` / ``pain_after`` of the runs are read,
    so any objects with those attributes will do (database rows, API dicts' namespaces)."""
    return max(pains_of_day(checkin, runs), key=lambda pain: pain.value, default=None)


def worst_pains_by_day(checkins: Iterable[Any], runs: Iterable[Any]) -> dict[date, Pain]:
    """:func:`worst_pain_of_day` for every date with a check-in or a run pain, in date
    order. ``checkins`` and ``runs`` need ``date`` besides their pain attributes."""
    by_checkin = {c.date: c for c in checkins}
    by_day: dict[date, list[Any]] = {}
    for run in runs:
        by_day.setdefault(run.date, []).append(run)
    out: dict[date, Pain] = {}
    for day in sorted(by_checkin.keys() | by_day.keys()):
        worst = worst_pain_of_day(by_checkin.get(day), by_day.get(day, ()))
        if worst is not None:
            out[day] = worst
    return out
