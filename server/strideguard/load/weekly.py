"""Calendar weeks, percent change at the precision the runner is shown, and the weekly cap.

The one definition of a training week: the **calendar week in the runner's time zone,
Monday to Sunday** (runs carry their local date, so a week never shifts with DST). A week
is compared with the runner's *baseline* week (see ``strideguard.plan``), not with a
rolling window: moving Sunday's long run to Saturday stays inside one week and changes
nothing, where two rolling 7-day windows would read it as a jump of two thirds.

Clinical comparisons are exact: distances and durations become decimals (from the
shortest decimal form of the stored float, with 50 digits of working precision), the
percentage is rounded half-up to one decimal — what the runner is shown — and only then compared with the limit. "More than
10%" therefore never fires at 10.0% (30 → 33 km, 10 → 11 mi after the client's rounding to
whole metres, or an exact +10% in speed with whole-second durations), and always fires at
10.1%.
"""

from __future__ import annotations

from datetime import date, timedelta
import functools
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Context, Decimal

#: Metres in one mile (the unit conversion the client uses too).
METRES_PER_MILE = 1609.344
#: Metres in one displayed unit.
UNIT_METRES = {"km": Decimal(1000), "mi": Decimal("1609.344")}
#: Percentages are shown, and compared, at one decimal.
PCT_QUANTUM = Decimal("0.1")
#: Distances are shown at one decimal of the runner's unit (0.1 km, 0.1 mi).
DIST_QUANTUM = Decimal("0.1")
#: The cap of a week with no baseline yet: about three easy 5 km runs, where beginner
#: programmes end. With no history we cannot know what the knee tolerates, so the first
#: weeks start low; logging or importing earlier weeks gives the runner their own baseline.
STARTING_CAP_M = 15_000


def week_start(day: date) -> date:
    """The Monday of ``day``'s calendar week."""
    return day - timedelta(days=day.weekday())


#: Digits for the arithmetic below: far more than any distance or time needs, so a quotient
#: that is exactly on a rounding boundary (a terminating decimal) is computed exactly, and
#: one that is not cannot be rounded onto it.
_CTX = Context(prec=50, rounding=ROUND_HALF_UP)
_HUNDRED = Decimal(100)
_HALF_TENTH = Decimal("0.05")


def exact(value: float | int | Decimal) -> Decimal:
    """A stored number as an exact decimal (a float through its shortest decimal form)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(int(value)) if value.is_integer() else Decimal(repr(value))
    return Decimal(value)


#: The largest change shown, ±10 million percent: a ratio of implausible stored values (a run
#: of 5e-324 s, saved before durations were bounded) stays a finite, printable number.
PCT_CLAMP = Decimal(10_000_000)


def shown_pct(ratio_minus_one: Decimal) -> Decimal:
    """``0.10044`` → ``Decimal('10.0')``: a change as the runner sees it (half-up, 0.1)."""
    pct = _CTX.multiply(ratio_minus_one, _HUNDRED)
    if abs(pct) > PCT_CLAMP:
        pct = PCT_CLAMP.copy_sign(pct)
    return pct.quantize(PCT_QUANTUM, rounding=ROUND_HALF_UP)


def pct_change(current: float | int, previous: float | int) -> Decimal | None:
    """Percent change of ``current`` over ``previous`` at display precision; ``None`` when
    there is no previous amount to compare against."""
    before = exact(previous)
    if before <= 0:
        return None
    return shown_pct(_CTX.subtract(_CTX.divide(exact(current), before), 1))


def shown_pct_change(current_m: float | int, previous_m: float | int, units: str) -> Decimal | None:
    """Percent change of one distance over another *as the runner reads them* (each at 0.1 km
    or 0.1 mi, :func:`shown_distance`), at display precision: "33.0 km, 10.0% more than
    30.0 km" — never 10.1% beside two figures that make 10.0% (33.015 km is shown as 33.0)."""
    return pct_change(shown_distance(current_m, units), shown_distance(previous_m, units))


def speed_pct_change(
    distance_m: float, duration_s: float, base_distance_m: float, base_duration_s: float
) -> Decimal | None:
    """Percent change of average speed (distance ÷ time) at display precision, computed as
    the ratio ``(d · t₀) / (t · d₀)``; ``None`` when either side has no running."""
    d, t = exact(distance_m), exact(duration_s)
    d0, t0 = exact(base_distance_m), exact(base_duration_s)
    if d <= 0 or t <= 0 or d0 <= 0 or t0 <= 0:
        return None
    ratio = _CTX.divide(_CTX.multiply(d, t0), _CTX.multiply(t, d0))
    return shown_pct(_CTX.subtract(ratio, 1))


def limit_of(limit_pct: float | int | Decimal) -> Decimal:
    """A limit setting (``10`` or ``10.0``) at the same precision as the change."""
    return exact(limit_pct).quantize(PCT_QUANTUM, rounding=ROUND_HALF_UP)


def exceeds(pct: Decimal | None, limit_pct: float | int | Decimal) -> bool:
    """True when a shown change is *more than* the limit (10.0 vs 10 → False; 10.1 → True)."""
    return pct is not None and pct > limit_of(limit_pct)


def shown_distance(metres: float | int, units: str) -> Decimal:
    """A distance in the runner's unit as shown: ``24349`` m → ``Decimal('24.3')`` km."""
    return _CTX.divide(exact(metres), UNIT_METRES[units]).quantize(DIST_QUANTUM, rounding=ROUND_HALF_UP)


@functools.lru_cache(maxsize=4096)
def weekly_cap_m(baseline_m: float | int, limit_pct: float | int, units: str) -> int:
    """The most a week may hold after a baseline week of ``baseline_m``.

    The largest distance at display precision (0.1 km or 0.1 mi) whose change from the
    baseline, as shown, is not more than the limit — so a runner who runs exactly the cap
    they were shown never breaks it. Returned in whole metres (the client's rounding).
    """
    unit = UNIT_METRES[units]
    base = exact(baseline_m)
    if base <= 0:
        return 0
    # A change shown at one decimal is more than the limit exactly when the true change is
    # at least limit + 0.05 (half-up): every distance below this bound passes.
    bound = _CTX.multiply(base, 1 + (limit_of(limit_pct) + _HALF_TENTH) / _HUNDRED)
    tenths = int(_CTX.divide(bound * 10, unit).to_integral_value(rounding=ROUND_FLOOR)) + 1
    while tenths > 0:
        metres = int(_CTX.multiply(Decimal(tenths).scaleb(-1), unit).to_integral_value(rounding=ROUND_HALF_UP))
        if metres < bound:
            return metres
        tenths -= 1
    return 0


def over_cap(distance_m: float, cap_m: float, units: str) -> bool:
    """True when a week's distance, as shown, is more than its cap as shown."""
    return shown_distance(distance_m, units) > shown_distance(cap_m, units)
