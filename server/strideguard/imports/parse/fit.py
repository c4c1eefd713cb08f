"""FIT with fitdecode (MIT; what FitTrackee and Endurain use). Garmin's own garmin-fit-sdk is
not used: its licence excludes uses where a failure could lead to personal injury.

Distance and moving time come from the session summary (``total_distance``,
``total_timer_time``, which stops while paused), so treadmill runs without GPS import too.
Developer fields (Stryd, Connect IQ) are decoded by fitdecode and ignored here.

Device-relative times (FIT profile, type ``date_time``: a value below 0x10000000 is "system
time", seconds since the device was switched on, not seconds since the FIT epoch; fitdecode
leaves such values as plain ints). They are resolved, in this order, against:

1. a ``timestamp_correlation`` message (its UTC ``timestamp`` and the same instant's
   ``system_timestamp``): exact UTC;
2. the ``activity`` message's ``local_timestamp`` (the device's wall clock, always a clock
   time) paired with its own relative ``timestamp``: the wall-clock start, placed in the
   runner's time zone by the import (older Garmin watches such as the Forerunner 70 write
   files like this);

and the file is refused with a plain sentence when neither exists.

Strength activities (Garmin: sport ``training``, sub sport ``strength_training``) carry their
sets as ``set`` messages (FIT message 225): active and rest sets, each with repetitions,
weight (kg), duration and the exercise as arrays of the watch's ranked guesses
(``category``, ``category_subtype``). The active sets are kept, with the first guess only,
named by the FIT profile; each goes to the session it started in.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import fitdecode
from fitdecode.exceptions import FitError
from fitdecode.profile import FIELD_TYPES

from strideguard.imports.parse import Activity, Limits, ParseError, StrengthSet, unreadable
from strideguard.imports.parse.sports import normalise

#: FIT ``sport`` values that are running (sub sports like treadmill, trail, track are runs too).
RUN_SPORTS = {"running"}
#: FIT profile, type date_time: values below this are seconds since the device's power-on.
SYSTEM_TIME_MAX = 0x10000000
#: More active sets than this in one file is not a workout (a damaged or hostile file).
MAX_SETS = 1000
#: FIT profile: exercise_category 65534 is "unknown" (the watch could not tell).
CATEGORIES: dict[int, str] = dict(FIELD_TYPES["exercise_category"].enum)
NO_CLOCK = ("Its times count from when the watch was switched on and it holds no clock time, "
            "so its date is unknown.")


def _relative(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < SYSTEM_TIME_MAX


def _naive(value) -> datetime | None:
    """A ``local_date_time`` as a naive wall-clock time (fitdecode labels it UTC)."""
    return value.replace(tzinfo=None) if isinstance(value, datetime) else None


class Clock:
    """Turns a FIT date_time (absolute, or relative to power-on) into UTC or wall-clock time."""

    def __init__(self, correlation: tuple[datetime, int] | None, local: tuple[datetime, int] | None):
        self.correlation = correlation  # (UTC time, the same instant's system time)
        self.local = local  # (wall-clock time, the same instant's system time)

    def utc(self, value) -> datetime | None:
        if isinstance(value, datetime):
            return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
        if _relative(value) and self.correlation:
            at, system = self.correlation
            return at + timedelta(seconds=value - system)
        return None

    def wall(self, value) -> datetime | None:
        if _relative(value) and self.local:
            at, system = self.local
            return at + timedelta(seconds=value - system)
        return None


def _value(frame, name):
    try:
        return frame.get_value(name, fallback=None)
    except (KeyError, ValueError):
        return None


def _device_name(frame) -> str | None:
    maker = _value(frame, "manufacturer")
    product = _value(frame, "product_name") or _value(frame, "garmin_product") or _value(frame, "product")
    parts = [str(p) for p in (maker, product) if p not in (None, "")]
    if not parts:
        return None
    text = " ".join(parts).replace("_", " ")
    return text[:1].upper() + text[1:]


def _first(value):
    """The first of a FIT array field's values (the watch's best guess), or a scalar."""
    if isinstance(value, (tuple, list)):
        return value[0] if value else None
    return value


def _category(value) -> str | None:
    value = _first(value)
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return CATEGORIES.get(int(value), f"category_{int(value)}")


def _subtype(category: str | None, value) -> str | None:
    value = _first(value)
    if value is None or category in (None, "unknown"):
        return None
    if isinstance(value, str):
        return value
    names = FIELD_TYPES.get(f"{category}_exercise_name")
    return (names.enum.get(int(value)) if names is not None else None) or f"subtype_{int(value)}"


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _set(frame) -> dict | None:
    """An active set's fields (rest sets and sets of no type are left out)."""
    if _value(frame, "set_type") != "active":
        return None
    category = _category(_value(frame, "category"))
    reps = _number(_value(frame, "repetitions"))
    return {"category": category, "subtype": _subtype(category, _value(frame, "category_subtype")),
            "repetitions": int(reps) if reps is not None else None, "weight_kg": _number(_value(frame, "weight")),
            "duration_s": _number(_value(frame, "duration")), "start": _value(frame, "start_time")}


def _owner(starts: list[datetime | None], at: datetime | None) -> int:
    """The session a set belongs to: the last one that started at or before it (else the first)."""
    owner = 0
    if at is not None:
        for index, start in enumerate(starts):
            # A UTC time and a wall-clock one (a file with both kinds) cannot be compared.
            if start is not None and (start.tzinfo is None) == (at.tzinfo is None) and start <= at:
                owner = index
    return owner


def parse_fit(data: bytes, limits: Limits) -> list[Activity]:
    sessions = []
    sets = []
    serial = None
    device = None
    file_type = None
    correlation = local = None
    try:
        with fitdecode.FitReader(io.BytesIO(data), check_crc=fitdecode.CrcCheck.RAISE,
                                 error_handling=fitdecode.ErrorHandling.RAISE) as reader:
            for frame in reader:
                if not isinstance(frame, fitdecode.FitDataMessage):
                    continue
                if frame.name == "file_id":
                    file_type = _value(frame, "type")
                    device = device or _device_name(frame)
                    number = _value(frame, "serial_number")
                    serial = serial or (number if isinstance(number, int) and not isinstance(number, bool) else None)
                elif frame.name == "timestamp_correlation" and correlation is None:
                    at, system = _value(frame, "timestamp"), _value(frame, "system_timestamp")
                    if isinstance(at, datetime) and _relative(system):
                        correlation = (at.replace(tzinfo=at.tzinfo or timezone.utc), system)
                elif frame.name == "activity" and local is None:
                    at, wall = _value(frame, "timestamp"), _naive(_value(frame, "local_timestamp"))
                    if _relative(at) and wall is not None:
                        local = (wall, at)
                elif frame.name == "session":
                    sessions.append({n: _value(frame, n) for n in (
                        "sport", "sub_sport", "start_time", "total_distance", "total_timer_time",
                        "total_elapsed_time", "total_ascent")})
                elif frame.name == "set":
                    found_set = _set(frame)
                    if found_set is not None:
                        sets.append(found_set)
                        if len(sets) > MAX_SETS:
                            raise ParseError(f"The FIT file holds more than {MAX_SETS} exercise sets.")
    except fitdecode.FitEOFError:
        raise ParseError("The FIT file is truncated (it ends before its last record).") from None
    except fitdecode.FitCRCError:
        raise ParseError("The FIT file is damaged (its checksum does not match).") from None
    except (FitError, ValueError, KeyError, IndexError, TypeError):
        if not sessions:
            raise unreadable("This FIT file breaks the FIT format, so it cannot be read.") from None
        # Broken after its session summary (a Strava app's file: "local message 11 not
        # defined" further on): the summary read whole is the activity; what follows is lost.
        damaged = True
    else:
        damaged = False
    if file_type not in (None, "activity"):
        raise ParseError(f"It is a FIT {str(file_type).replace('_', ' ')} file, not an activity.")
    if not sessions:
        raise ParseError("The FIT file has no session summary (no activity recorded).")
    clock = Clock(correlation, local)
    starts = [clock.utc(s["start_time"]) or clock.wall(s["start_time"]) for s in sessions]
    by_session: list[list[StrengthSet]] = [[] for _ in sessions]
    for raw_set in sets:
        raw = raw_set.pop("start")
        at = clock.utc(raw)
        owner = _owner(starts, at or clock.wall(raw))
        by_session[owner].append(StrengthSet(**raw_set, started_at=at))
    found = []
    for index, s in enumerate(sessions):
        raw = s["start_time"]
        start, wall = clock.utc(raw), None
        if start is None and _relative(raw):
            wall = clock.wall(raw)
            if wall is None:
                raise unreadable(NO_CLOCK)
        sport = normalise(str(s["sport"])) if s["sport"] is not None else None
        sub_sport = str(s["sub_sport"]) if s["sub_sport"] is not None else None
        found.append(Activity(
            format="fit", sport=sport, started_at=start, local_start=wall,
            # No timer total (some exporters write only the elapsed one): the elapsed time.
            distance_m=float(s["total_distance"] or 0.0),
            moving_s=float(s["total_timer_time"] or s["total_elapsed_time"] or 0.0),
            elapsed_s=float(s["total_elapsed_time"]) if s["total_elapsed_time"] is not None else None,
            elevation_gain_m=float(s["total_ascent"]) if s["total_ascent"] is not None else None,
            device=device, index=index,
            notes=((f"sub sport: {s['sub_sport']}",) if s["sub_sport"] not in (None, "generic") else ())
            + (("the file breaks the FIT format after its session summary: read up to there",) if damaged else ()),
            sub_sport=sub_sport, sets=tuple(by_session[index]), serial=serial,
        ))
    return found
