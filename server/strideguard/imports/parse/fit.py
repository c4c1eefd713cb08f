"""FIT with fitdecode (MIT; what FitTrackee and Endurain use). Garmin's own garmin-fit-sdk is
not used: its licence excludes uses where a failure could lead to personal injury.

Distance and moving time come from the session summary (``total_distance``,
``total_timer_time``, which stops while paused), so treadmill runs without GPS import too.
Developer fields (Stryd, Connect IQ) are decoded by fitdecode and ignored here.
"""

from __future__ import annotations

import io
from datetime import timezone

import fitdecode
from fitdecode.exceptions import FitError

from strideguard.imports.parse import Activity, Limits, ParseError
from strideguard.imports.parse.sports import normalise

#: FIT ``sport`` values that are running (sub sports like treadmill, trail, track are runs too).
RUN_SPORTS = {"running"}


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
    try:
        with fitdecode.FitReader(io.BytesIO(data), check_crc=fitdecode.CrcCheck.RAISE,
                                 error_handling=fitdecode.ErrorHandling.RAISE) as reader:
            for frame in reader:
                if not isinstance(frame, fitdecode.FitDataMessage):
                    continue
                if frame.name == "file_id":
                    file_type = _value(frame, "type")
                    device = device or _device_name(frame)
                elif frame.name == "session":
                    sessions.append({n: _value(frame, n) for n in (
                        "sport", "sub_sport", "start_time", "total_distance", "total_timer_time",
                        "total_elapsed_time", "total_ascent")})
    except fitdecode.FitEOFError:
        raise ParseError("The FIT file is truncated (it ends before its last record).") from None
    except fitdecode.FitCRCError:
        raise ParseError("The FIT file is damaged (its checksum does not match).") from None
    except (FitError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise ParseError(f"fitdecode could not read it: {str(exc)[:150]}") from None
    if file_type not in (None, "activity"):
        raise ParseError(f"It is a FIT {str(file_type).replace('_', ' ')} file, not an activity.")
    if not sessions:
        raise ParseError("The FIT file has no session summary (no activity recorded).")
    found = []
    for index, s in enumerate(sessions):
        start = s["start_time"]
        if start is not None and start.tzinfo is None:
            start = start.replace(tzinfo=timezone.utc)
        sport = normalise(str(s["sport"])) if s["sport"] is not None else None
        found.append(Activity(
            format="fit", sport=sport, started_at=start.astimezone(timezone.utc) if start else None,
            distance_m=float(s["total_distance"] or 0.0), moving_s=float(s["total_timer_time"] or 0.0),
            elapsed_s=float(s["total_elapsed_time"]) if s["total_elapsed_time"] is not None else None,
            elevation_gain_m=float(s["total_ascent"]) if s["total_ascent"] is not None else None,
            device=device, index=index,
            notes=(f"sub sport: {s['sub_sport']}",) if s["sub_sport"] not in (None, "generic") else (),
        ))
    return found
