"""The printed summary's figures (PURE): the same numbers for the runner's "summary for your
therapist" and the therapist's one-page patient summary.

Every pain figure comes from :func:`strideguard.guidance.snapshot.worst_pains_by_day`: the
worst pain of a day is the worst of the check-in's pain and each run's pain during and
after, so a run that hurt more than the check-in said is never left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from strideguard.day import redflags
from strideguard.day.values import Pain, worst_pains_by_day


def red_flags_of(checkin: Any, runs: Iterable[Any] = ()) -> list[str]:
    """The red flags a check-in reports, from the one table (``day.redflags``): a fever with
    any knee pain of the day or swelling is ``fever``, a fever alone ``fever_alone``."""
    pains = [Pain("pain", checkin.pain)] + [
        Pain(name, getattr(run, name)) for run in runs for name in ("pain_during", "pain_after")
        if getattr(run, name, None) is not None]
    return list(redflags.flag_ids(checkin, pains))


def summarise(checkins: Iterable[Any], runs: Iterable[Any], *, first: date, last: date,
              pain_threshold: int) -> dict[str, Any]:
    """The figures of ``first`` .. ``last``: counts, the worst pain, the days above the
    pain limit (a day's worst pain above ``pain_threshold``), each day's worst pain, and
    the red flags reported. ``checkins`` / ``runs``: objects with the API's field names."""
    checkins = [c for c in checkins if first <= c.date <= last]
    runs = [r for r in runs if first <= r.date <= last]
    days = worst_pains_by_day(checkins, runs)
    return {
        "from": first,
        "to": last,
        "checkins": len(checkins),
        "runs": len(runs),
        "pain_threshold": pain_threshold,
        "worst_pain": max((p.value for p in days.values()), default=None),
        "days_above_limit": sum(1 for p in days.values() if p.value > pain_threshold),
        "days": [{"date": day, "pain": pain.value, "source": pain.field} for day, pain in days.items()],
        "red_flags": [{"date": c.date, "flags": flags} for c in sorted(checkins, key=lambda c: c.date)
                      if (flags := red_flags_of(c, [r for r in runs if r.date == c.date]))],
    }
