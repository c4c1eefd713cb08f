"""TCX (Garmin Training Center XML) with tcxreader (MIT, pure Python, kept up to date).

tcxreader reads the activity (sport, start, track points, ascent); it drops laps without
track points and does not expose the laps' timer totals or the device, so those come from
the same document's safety pass (``xmlsafe.scan``): distance = the laps' ``DistanceMeters``,
moving time = the laps' ``TotalTimeSeconds`` (the device's timer, which stops during pauses).
"""

from __future__ import annotations

import io
import re
from datetime import timezone

from tcxreader.tcxreader import TCXReader

from strideguard.imports.parse import Activity, Limits, ParseError
from strideguard.imports.parse.sports import normalise
from strideguard.imports.parse.xmlsafe import scan


def parse_tcx(data: bytes, limits: Limits) -> list[Activity]:
    facts = scan(data, limits)  # refuses DTDs before tcxreader's ElementTree sees the bytes
    if facts.root != "TrainingCenterDatabase":
        raise ParseError("It is XML but not TCX.")
    if len(facts.sports) != 1:
        raise ParseError("It holds no activity." if not facts.sports else
                         f"It holds {len(facts.sports)} activities: export them one per file.")
    if not facts.lap_timer_s:
        raise ParseError("It has no laps with a time, so there is nothing to import.")
    try:
        exercise = TCXReader().read(io.BytesIO(data), only_gps=False)
    except Exception as exc:  # tcxreader raises whatever its field conversions raise
        raise ParseError(f"tcxreader could not read it: {type(exc).__name__}: {str(exc)[:120]}") from None
    start = exercise.start_time
    if start is not None and start.tzinfo is None:
        start = start.replace(tzinfo=timezone.utc)  # TCX times are UTC ("...Z")
    elapsed = (exercise.end_time - exercise.start_time).total_seconds() if exercise.end_time and exercise.start_time else None
    ascent = exercise.ascent if exercise.trackpoints and any(t.elevation is not None for t in exercise.trackpoints) else None
    return [Activity(
        format="tcx", sport=normalise(facts.sports[0]),
        started_at=start.astimezone(timezone.utc) if start else None,
        distance_m=float(sum(facts.lap_distance_m)), moving_s=float(sum(facts.lap_timer_s)),
        elapsed_s=elapsed, elevation_gain_m=round(float(ascent), 1) if ascent is not None else None,
        device=re.sub(r"\s+Software Version.*$", "", facts.creator or "")[:100] or None,
    )]
