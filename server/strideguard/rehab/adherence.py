"""Adherence, pain ceilings and what is due today, for a runner's exercise programme (PURE).

All dates are the runner's local dates; weeks are calendar weeks, Monday first (the same
weeks as the weekly distance). Time zones and daylight-saving changes never enter here: a
session belongs to the local date the runner logged it on.

**Prescribed.** An exercise on chosen weekdays is prescribed on each of those days. An
exercise "n days a week" is prescribed ``n/7`` of a time on each day, and a window's count is
the whole part of their sum: a full week gives ``n``, the first three days of a week with
``n = 3`` give 1 (the runner still has the rest of the week). Days before the programme's
start, days its version does not list the exercise, and days a red flag paused the rehab
(``paused``) prescribe nothing.

**Done.** The distinct dates in the window with at least one set of the exercise logged,
never more than prescribed (an extra session does not make up for a missed exercise).

**Adherence** = done ÷ prescribed, per exercise and over all, in whole percent rounded half
up — the number the runner and the therapist are shown, and the one the minimum for the
return compares with (80% against a minimum of 80% is enough).

**Pain ceiling.** Pain during an exercise above its ceiling (the therapist's, else the
runner's pain limit, stored with the entry) is an exceedance; 5 against a ceiling of 5 is
within. The second exceedance within seven days (the two dates at most six days apart)
alerts the therapist once; a third inside the same seven days does not alert again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from strideguard.day.reason import Reason

DAY = timedelta(days=1)
WEEK_DAYS = 7
#: Two exceedances whose dates are at most this many days apart alert the therapist.
ALERT_WINDOW_DAYS = 7
#: Days of adherence the return's minimum looks back on (the seven days before a check-in).
MINIMUM_WINDOW_DAYS = 7


@dataclass(frozen=True, slots=True)
class ItemPlan:
    """One prescribed exercise: ``per_week`` days a week, or on ``weekdays`` (ISO, 1 = Monday)."""

    exercise: str
    name: str
    per_week: int | None = None
    weekdays: tuple[int, ...] = ()
    pain_ceiling: int | None = None

    def share_on(self, day: date) -> Fraction:
        """How much of a session ``day`` prescribes."""
        if self.weekdays:
            return Fraction(1) if day.isoweekday() in self.weekdays else Fraction(0)
        return Fraction(self.per_week or 0, WEEK_DAYS)


@dataclass(frozen=True, slots=True)
class VersionPlan:
    """One programme version: its items apply from ``effective_from`` until the next version's."""

    version: int
    starts_on: date
    effective_from: date
    items: tuple[ItemPlan, ...] = ()
    min_adherence_pct: int | None = None


@dataclass(frozen=True, slots=True)
class Logged:
    """One exercise of a logged session: the sets done, the pain during it, its ceiling then."""

    date: date
    exercise: str
    sets_done: int
    pain: int | None = None
    ceiling: int | None = None

    @property
    def above_ceiling(self) -> bool:
        return self.pain is not None and self.ceiling is not None and self.pain > self.ceiling


def pct(done: int, prescribed: int) -> int | None:
    """``done`` ÷ ``prescribed`` in whole percent, rounded half up (``None``: nothing prescribed)."""
    if prescribed <= 0:
        return None
    return int((Decimal(done) * 100 / Decimal(prescribed)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def version_on(versions: Sequence[VersionPlan], day: date) -> VersionPlan | None:
    """The version in force on ``day``: the latest made whose ``effective_from`` is on or
    before it (versions are numbered in the order they were made)."""
    found = None
    for version in versions:
        if version.effective_from <= day and version.starts_on <= day and (
                found is None or version.version > found.version):
            found = version
    return found


def programme_start(versions: Sequence[VersionPlan]) -> date | None:
    """The first date any version applies to."""
    return min((max(v.starts_on, v.effective_from) for v in versions), default=None)


@dataclass(frozen=True, slots=True)
class Count:
    exercise: str
    name: str
    done: int
    prescribed: int

    @property
    def pct(self) -> int | None:
        return pct(self.done, self.prescribed)

    def to_dict(self) -> dict:
        return {"exercise": self.exercise, "name": self.name, "done": self.done,
                "prescribed": self.prescribed, "pct": self.pct}


@dataclass(frozen=True, slots=True)
class Window:
    """Adherence over ``first``..``last`` (inclusive), per exercise and over all."""

    first: date
    last: date
    items: tuple[Count, ...] = ()

    @property
    def done(self) -> int:
        return sum(c.done for c in self.items)

    @property
    def prescribed(self) -> int:
        return sum(c.prescribed for c in self.items)

    @property
    def pct(self) -> int | None:
        return pct(self.done, self.prescribed)

    def to_dict(self) -> dict:
        return {"from": self.first, "to": self.last, "done": self.done,
                "prescribed": self.prescribed, "pct": self.pct,
                "exercises": [c.to_dict() for c in self.items]}


def window(versions: Sequence[VersionPlan], logged: Iterable[Logged], first: date, last: date,
           paused: frozenset[date] | set[date] = frozenset()) -> Window:
    """Adherence over ``first``..``last`` (see the module doc)."""
    shares: dict[str, Fraction] = {}
    names: dict[str, str] = {}
    day = first
    while day <= last:
        version = version_on(versions, day)
        if version is not None and day not in paused:
            for item in version.items:
                shares[item.exercise] = shares.get(item.exercise, Fraction(0)) + item.share_on(day)
                names.setdefault(item.exercise, item.name)
        day += DAY
    days_done: dict[str, set[date]] = {}
    for entry in logged:
        if first <= entry.date <= last and entry.sets_done > 0:
            days_done.setdefault(entry.exercise, set()).add(entry.date)
    counts = []
    for exercise, share in shares.items():
        prescribed = int(share)  # the whole part
        counts.append(Count(exercise, names[exercise], min(len(days_done.get(exercise, ())), prescribed),
                            prescribed))
    return Window(first, last, tuple(counts))


def week_monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly(versions: Sequence[VersionPlan], logged: Sequence[Logged], as_of: date, weeks: int,
           paused: frozenset[date] | set[date] = frozenset()) -> list[Window]:
    """Adherence per calendar week, the last ``weeks`` weeks through ``as_of`` (oldest first;
    the current week counts through ``as_of``; weeks before the programme are left out)."""
    start = programme_start(versions)
    if start is None or start > as_of:
        return []
    out = []
    monday = week_monday(as_of) - timedelta(weeks=weeks - 1)
    for _ in range(weeks):
        first, last = max(monday, start), min(monday + timedelta(days=6), as_of)
        if first <= last:
            out.append(window(versions, logged, first, last, paused))
        monday += timedelta(weeks=1)
    return out


def rolling(versions: Sequence[VersionPlan], logged: Sequence[Logged], as_of: date, days: int,
            paused: frozenset[date] | set[date] = frozenset()) -> Window | None:
    """Adherence over the last ``days`` days through ``as_of`` (from the programme's start)."""
    start = programme_start(versions)
    if start is None or start > as_of:
        return None
    return window(versions, logged, max(start, as_of - timedelta(days=days - 1)), as_of, paused)


def below_minimum(versions: Sequence[VersionPlan], logged: Sequence[Logged], day: date,
                  paused: frozenset[date] | set[date] = frozenset(), since: date | None = None) -> Reason | None:
    """Why the return may not advance a phase on ``day``: the version in force the day before
    sets a minimum and the adherence of the seven days before ``day`` (from ``since`` on,
    when given) is below it. Nothing prescribed in those days holds nothing."""
    version = version_on(versions, day - DAY)
    if version is None or version.min_adherence_pct is None or not version.items:
        return None
    start = programme_start(versions)
    first = max(d for d in (day - timedelta(days=MINIMUM_WINDOW_DAYS), start, since) if d is not None)
    if first > day - DAY:
        return None
    found = window(versions, logged, first, day - DAY, paused)
    if found.pct is None or found.pct >= version.min_adherence_pct:
        return None
    return Reason("exercise_adherence_pct", found.pct, version.min_adherence_pct)


@dataclass(frozen=True, slots=True)
class Rehab:
    """A runner's programme versions and logged exercises, as the care plan's replay reads
    them (shared by every day of one replay, never copied)."""

    versions: tuple[VersionPlan, ...]
    logged: tuple[Logged, ...]

    def short(self, day: date, since: date | None) -> Reason | None:
        """:func:`below_minimum` on ``day``, counting only days from ``since`` on (the
        return's start: the rest before it paused nothing the runner could have done)."""
        return below_minimum(self.versions, self.logged, day, since=since)


def exceedances(logged: Iterable[Logged]) -> list[Logged]:
    """Entries with pain above their ceiling, oldest first."""
    return sorted((e for e in logged if e.above_ceiling), key=lambda e: (e.date, e.exercise))


def alert_dates(logged: Iterable[Logged]) -> list[date]:
    """The dates an exceedance alerts the therapist: the second exceedance within
    ``ALERT_WINDOW_DAYS`` days, unless an alert already went out within those days."""
    out: list[date] = []
    seen: list[date] = []
    span = timedelta(days=ALERT_WINDOW_DAYS - 1)
    for entry in exceedances(logged):
        recent = [d for d in seen if entry.date - d <= span]
        seen.append(entry.date)
        if recent and not any(entry.date - d <= span for d in out) and entry.date not in out:
            out.append(entry.date)
    return out


@dataclass(frozen=True, slots=True)
class Due:
    """An exercise due on a day: ``done`` when a set of it is logged that day."""

    item: ItemPlan
    done: bool
    left_this_week: int | None  # "n days a week": sessions still open this week


def due_on(version: VersionPlan | None, logged: Sequence[Logged], day: date) -> list[Due]:
    """The exercises due on ``day``: those scheduled on its weekday, and the "n days a week"
    ones while the week's sessions are not all done (one done today stays listed, ticked)."""
    if version is None:
        return []
    monday = week_monday(day)
    out = []
    for item in version.items:
        today = any(e.date == day and e.exercise == item.exercise and e.sets_done > 0 for e in logged)
        if item.weekdays:
            if day.isoweekday() in item.weekdays:
                out.append(Due(item, today, None))
            continue
        week_days = {e.date for e in logged
                     if monday <= e.date <= day and e.exercise == item.exercise and e.sets_done > 0}
        left = max(0, (item.per_week or 0) - len(week_days))
        if today or left > 0:
            out.append(Due(item, today, left))
    return out
