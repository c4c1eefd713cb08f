"""GPX 1.0/1.1 with gpxpy (Apache-2.0, the de-facto Python GPX library)."""

from __future__ import annotations

from datetime import timezone

import gpxpy
from gpxpy.gpx import GPXException

from strideguard.imports.parse import Activity, Limits, ParseError, unreadable
from strideguard.imports.parse.sports import normalise
from strideguard.imports.parse.xmlsafe import leading_space_off, scan

#: gpxpy's stopped-speed threshold (km/h): slower than this between two points is a pause.
#: 2 km/h is above GPS drift while standing and below any walk break of a run/walk session.
STOPPED_SPEED_KMH = 2.0


def parse_gpx(data: bytes, limits: Limits) -> list[Activity]:
    data = leading_space_off(data)
    facts = scan(data, limits)
    if facts.root != "gpx":
        raise ParseError("It is XML but not GPX.")
    try:
        gpx = gpxpy.parse(data.decode("utf-8-sig", errors="strict"))
    except UnicodeDecodeError:
        raise ParseError("It is not UTF-8 text.") from None
    except (GPXException, ValueError):
        raise unreadable("This GPX file has values that cannot be read.") from None
    points = [p for track in gpx.tracks for seg in track.segments for p in seg.points]
    if len(points) < 2:
        raise ParseError("It has no recorded track (a route or waypoints only).")
    if sum(p.time is not None for p in points) < 2:
        raise ParseError("Its track points have no times, so it is a planned route, not a recorded run.")
    if any(p.time is None for p in points):
        # A recording with a few points missing their time (one of 296 in a real file): the
        # timed points are the recording; refusing the whole run lost it.
        for track in gpx.tracks:
            for seg in track.segments:
                seg.points = [p for p in seg.points if p.time is not None]
        points = [p for p in points if p.time is not None]
    for p in points:
        if p.time.tzinfo is None:  # a time with no zone is UTC (GPX's), never the server's zone
            p.time = p.time.replace(tzinfo=timezone.utc)
    # raw: no speed-percentile filtering, so every interval of movement counts.
    moving = gpx.get_moving_data(stopped_speed_threshold=STOPPED_SPEED_KMH, raw=True)
    bounds = gpx.get_time_bounds()
    uphill = gpx.get_uphill_downhill().uphill if any(p.elevation is not None for p in points) else None
    types = {t.type.strip() for t in gpx.tracks if t.type and t.type.strip()}
    sport = normalise(types.pop()) if len(types) == 1 else None
    start = bounds.start_time.astimezone(timezone.utc) if bounds.start_time else None
    elapsed = (bounds.end_time - bounds.start_time).total_seconds() if bounds.start_time and bounds.end_time else None
    moving_s = float(moving.moving_time)
    if elapsed is not None and moving_s > elapsed:
        # Points out of time order: gpxpy adds their steps as absolute values (a real file
        # gave 6,753 s moving in 6,582 s); no run moves longer than it lasts.
        moving_s = float(elapsed)
    return [Activity(
        format="gpx", sport=sport, started_at=start, distance_m=float(gpx.length_2d()),
        moving_s=moving_s, elapsed_s=elapsed,
        elevation_gain_m=round(uphill, 1) if uphill is not None else None,
        device=(gpx.creator or "").strip()[:100] or None,
    )]
