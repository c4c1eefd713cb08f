"""TCX (Garmin Training Center XML) with tcxreader (MIT, pure Python, kept up to date).

tcxreader reads an activity (sport, start, track points, ascent); it drops laps without
track points and does not expose the laps' timer totals or the device, so those come from
the same document's safety pass (``xmlsafe.scan``): distance = the laps' ``DistanceMeters``,
moving time = the laps' ``TotalTimeSeconds`` (the device's timer, which stops during pauses).

A file may hold several ``<Activity>`` elements (a Garmin Training Center history export):
each is read on its own (tcxreader would merge them) and becomes one Activity.

Some exporters (Strava's TCX among them) write the *elapsed* time as the lap time. When the
laps' time equals the first-to-last track point time, the track points decide: intervals
slower than 2 km/h (the GPX parser's stopped speed) are pauses, and moving time is the rest.
"""

from __future__ import annotations

import copy
import io
import re
import xml.etree.ElementTree as ET  # nosec B405 # builds and writes elements only; parsing is defusedxml's
from datetime import timezone

from defusedxml.ElementTree import fromstring
from gpxpy.geo import haversine_distance
from tcxreader.tcxreader import TCXReader

from strideguard.imports.parse import Activity, Limits, ParseError, unreadable
from strideguard.imports.parse.gpx import STOPPED_SPEED_KMH
from strideguard.imports.parse.sports import normalise
from strideguard.imports.parse.xmlsafe import ActivityFacts, leading_space_off, scan

#: Lap time within this share of the track's elapsed time is taken as elapsed, not timer, time.
ELAPSED_TOLERANCE = 0.01
STOPPED_MPS = STOPPED_SPEED_KMH / 3.6


def moving_from_points(points) -> float | None:
    """Seconds spent moving, from track points with times: an interval counts when its
    speed (the device's odometer, else the great-circle distance) is at least 2 km/h.
    None when fewer than two points have a time."""
    timed = [p for p in points if p.time is not None]
    if len(timed) < 2:
        return None
    moving = 0.0
    for a, b in zip(timed, timed[1:]):
        dt = (b.time - a.time).total_seconds()
        if dt <= 0:
            continue
        if a.distance is not None and b.distance is not None:
            dd = b.distance - a.distance
        elif None not in (a.latitude, a.longitude, b.latitude, b.longitude):
            dd = haversine_distance(a.latitude, a.longitude, b.latitude, b.longitude)
        else:
            moving += dt  # nothing says it stopped
            continue
        if dd / dt >= STOPPED_MPS:
            moving += dt
    return moving


#: The track's odometer beyond the laps' distance by more than this share: the laps are short.
LAPS_SHORT_TOLERANCE = 0.05


def _odometer(points) -> float | None:
    """The distance the device's odometer counted over the track points (last minus first),
    or None when the points carry none."""
    counted = [p.distance for p in points if p.distance is not None]
    return counted[-1] - counted[0] if len(counted) >= 2 else None


def _documents(data: bytes, count: int) -> list[bytes]:
    """The document as is (one activity), or one document per ``<Activity>``."""
    if count == 1:
        return [data]
    root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    found = []
    for activities in [c for c in root if c.tag.rsplit("}", 1)[-1] == "Activities"]:
        for activity in [c for c in activities if c.tag.rsplit("}", 1)[-1] == "Activity"]:
            single = ET.Element(root.tag, root.attrib)
            holder = ET.SubElement(single, activities.tag)
            holder.append(copy.deepcopy(activity))
            found.append(ET.tostring(single))
    return found


def _read(document: bytes, facts: ActivityFacts, creator: str | None, index: int) -> Activity:
    try:
        exercise = TCXReader().read(io.BytesIO(document), only_gps=False)
    except Exception:  # tcxreader raises whatever its field conversions raise
        raise unreadable("This TCX file has values that cannot be read.") from None
    start = exercise.start_time
    if start is not None and start.tzinfo is None:
        start = start.replace(tzinfo=timezone.utc)  # TCX times are UTC ("...Z")
    elapsed = (exercise.end_time - exercise.start_time).total_seconds() if exercise.end_time and exercise.start_time else None
    ascent = exercise.ascent if exercise.trackpoints and any(t.elevation is not None for t in exercise.trackpoints) else None
    moving, notes = float(sum(facts.lap_timer_s)), ()
    distance = float(sum(facts.lap_distance_m))
    track = _odometer(exercise.trackpoints)
    if track is not None and track > distance * (1 + LAPS_SHORT_TOLERANCE):
        # The laps' totals cover only part of the track (a Movescount file: 1,999 m of laps
        # over 2,909 m of track points): the track points decide distance and moving time.
        from_points = moving_from_points(exercise.trackpoints)
        if from_points is not None:
            notes = (f"the laps hold {distance:.0f} m of a {track:.0f} m track: distance and moving "
                     "time from the track points",)
            distance, moving = track, max(moving, from_points)
    elif elapsed and moving >= elapsed * (1 - ELAPSED_TOLERANCE):
        from_points = moving_from_points(exercise.trackpoints)
        if from_points is not None and from_points < moving:
            moving, notes = from_points, (f"lap time {sum(facts.lap_timer_s):.0f} s is the elapsed time: "
                                          f"moving time from the track points",)
    return Activity(
        format="tcx", sport=normalise(facts.sport),
        started_at=start.astimezone(timezone.utc) if start else None,
        distance_m=distance, moving_s=moving,
        elapsed_s=elapsed, elevation_gain_m=round(float(ascent), 1) if ascent is not None else None,
        device=re.sub(r"\s+Software Version.*$", "", facts.creator or creator or "")[:100] or None,
        index=index, notes=notes,
    )


def parse_tcx(data: bytes, limits: Limits) -> list[Activity]:
    data = leading_space_off(data)
    facts = scan(data, limits)  # refuses DTDs before any ElementTree sees the bytes
    if facts.root != "TrainingCenterDatabase":
        raise ParseError("It is XML but not TCX.")
    if not facts.activities:
        raise ParseError("It holds no activity.")
    if not facts.lap_timer_s:
        raise ParseError("It has no laps with a time, so there is nothing to import.")
    documents = _documents(data, len(facts.activities))
    if len(documents) != len(facts.activities):
        raise unreadable("Its activities are not where TCX puts them.")
    return [_read(doc, act, facts.creator, index)
            for index, (doc, act) in enumerate(zip(documents, facts.activities)) if act.lap_timer_s]
