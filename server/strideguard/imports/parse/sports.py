"""Sport names of the formats (FIT enums, TCX attributes, GPX/Strava free text) in one vocabulary."""

from __future__ import annotations

import re

#: Strava's numeric GPX ``<type>`` codes that matter here (9 = Run); the rest are other sports.
STRAVA_CODES = {"9": "running", "1": "cycling", "10": "walking", "11": "hiking"}
RUN_WORDS = {"run", "running", "trailrun", "trail_running", "trail running", "virtualrun",
             "virtual run", "treadmill", "treadmill_running", "street_running", "track_running",
             "indoor_running", "jogging"}
CYCLE_WORDS = {"ride", "biking", "cycling", "bike", "virtualride", "ebikeride", "mountainbikeride"}


#: Names that say no sport at all (FIT's ``generic``, TCX's ``Other``): the file is judged as
#: one that names none (asked about when its speed is not a run's), not skipped as a sport.
NO_SPORT = {"generic", "other", "unknown", "all", "none"}


def normalise(value: str | None) -> str | None:
    """"Run", "running", "9", "Trail Run" -> "running"; "Biking" -> "cycling"; "generic",
    "Other" -> None (no sport named); another Strava number -> "sport code 16"; other text
    lower-cased."""
    if value is None:
        return None
    text = value.strip()
    if text in STRAVA_CODES:
        return STRAVA_CODES[text]
    if text.isdigit():
        return f"sport code {text}"  # "Not a run (16)" said nothing
    if text.lower() in NO_SPORT:
        return None
    key = text.lower()
    if key in RUN_WORDS or re.sub(r"[\s_-]", "", key) in {w.replace(" ", "").replace("_", "") for w in RUN_WORDS}:
        return "running"
    if key in CYCLE_WORDS:
        return "cycling"
    return key or None
