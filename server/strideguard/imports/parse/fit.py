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
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import fitdecode
from fitdecode.exceptions import FitError

from strideguard.imports.parse import Activity, Limits, ParseError, unreadable
from strideguard.imports.parse.sports import normalise

#: FIT ``sport`` values that are running (sub sports like treadmill, trail, track are runs too).
RUN_SPORTS = {"running"}
#: FIT profile, type date_time: values below this are seconds since the device's power-on.
SYSTEM_TIME_MAX = 0x10000000
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


def parse_fit(data: bytes, limits: Limits) -> list[Activity]:
    sessions = []
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
    except fitdecode.FitEOFError:
        raise ParseError("The FIT file is truncated (it ends before its last record).") from None
    except fitdecode.FitCRCError:
        raise ParseError("The FIT file is damaged (its checksum does not match).") from None
    except (FitError, ValueError, KeyError, IndexError, TypeError):
        raise unreadable("This FIT file breaks the FIT format, so it cannot be read.") from None
    if file_type not in (None, "activity"):
        raise ParseError(f"It is a FIT {str(file_type).replace('_', ' ')} file, not an activity.")
    if not sessions:
        raise ParseError("The FIT file has no session summary (no activity recorded).")
    clock = Clock(correlation, local)
    found = []
    for index, s in enumerate(sessions):
        raw = s["start_time"]
        start, wall = clock.utc(raw), None
        if start is None and _relative(raw):
            wall = clock.wall(raw)
            if wall is None:
                raise unreadable(NO_CLOCK)
        sport = normalise(str(s["sport"])) if s["sport"] is not None else None
        found.append(Activity(
            format="fit", sport=sport, started_at=start, local_start=wall,
            distance_m=float(s["total_distance"] or 0.0), moving_s=float(s["total_timer_time"] or 0.0),
            elapsed_s=float(s["total_elapsed_time"]) if s["total_elapsed_time"] is not None else None,
            elevation_gain_m=float(s["total_ascent"]) if s["total_ascent"] is not None else None,
            device=device, index=index,
            notes=(f"sub sport: {s['sub_sport']}",) if s["sub_sport"] not in (None, "generic") else (),
        ))
    return found
