"""Pure activity-file parsing: bytes in, plain dataclasses out (no Flask, no SQLAlchemy).

Every parser returns a list of :class:`Activity` (a FIT file may hold several sessions) or
raises :class:`ParseError` with a sentence a runner can read. Nothing is partial: a file
either parses completely or fails.
"""

from __future__ import annotations

import gzip
import io
import zlib
from dataclasses import dataclass, field
from datetime import datetime

#: Formats by file name ending (a trailing ``.gz`` is a gzip stream of the same format).
FORMATS = {".gpx": "gpx", ".tcx": "tcx", ".fit": "fit"}
RUNNING = "running"
STRENGTH = "strength_training"


class ParseError(Exception):
    """The file cannot be imported; ``str(error)`` says why, in plain words."""


#: What a runner can do when a file cannot be read (never the parser's own error text).
TRY_INSTEAD = ("Export the activity again from the watch's or app's website as a GPX or TCX file "
               "and import that one.")


def unreadable(what: str) -> ParseError:
    """A ParseError for a file the parser stopped on: what happened, then what to try instead."""
    return ParseError(f"{what} {TRY_INSTEAD}")


@dataclass(frozen=True)
class Limits:
    """What one activity file may cost (the defaults are the app's STRIDEGUARD_IMPORT_* settings)."""

    max_file_bytes: int = 16 * 1024 * 1024
    max_points: int = 100_000
    max_ratio: int = 100


@dataclass(frozen=True)
class StrengthSet:
    """One active set of a strength activity (FIT ``set`` message, ``set_type`` active).

    ``category`` and ``subtype`` are the FIT profile's names (``exercise_category`` and
    ``<category>_exercise_name``), e.g. ("lunge", None) or ("hip_raise", "single_leg_hip_raise"):
    the first of the watch's ranked guesses, never a lower-ranked one. ``category`` is
    "unknown" when the watch could not tell and None when the set names none; a subtype the
    profile does not list is kept as its number ("subtype_117").
    """

    category: str | None
    subtype: str | None
    repetitions: int | None
    weight_kg: float | None  # the FIT value is always kilograms (display unit aside)
    duration_s: float | None
    started_at: datetime | None  # timezone-aware UTC


@dataclass(frozen=True)
class Activity:
    """One recorded activity: what a run is made of, before it is a run.

    ``moving_s`` excludes pauses: FIT ``total_timer_time`` and TCX ``TotalTimeSeconds`` are
    the device's timer (stopped while paused or auto-paused); GPX has no timer, so moving
    time is gpxpy's moving time (intervals slower than 2 km/h and gaps between track
    segments do not count).
    """

    format: str
    sport: str | None  # normalised: "running", "cycling", ... or None when the file does not say
    started_at: datetime | None  # timezone-aware UTC
    distance_m: float
    moving_s: float
    elapsed_s: float | None = None
    elevation_gain_m: float | None = None
    device: str | None = None
    index: int = 0  # the session within the file (FIT multisport files hold several)
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: The device's wall-clock start when the file gives no UTC time (a FIT file whose times
    #: are counted from power-on and whose only clock time is ``local_timestamp``).
    local_start: datetime | None = None
    #: FIT only: the sub sport ("strength_training", "treadmill", ...) and, for a strength
    #: activity, its active sets in order; the recording device's serial number (with the
    #: start, it names the activity whatever file it is exported in).
    sub_sport: str | None = None
    sets: tuple[StrengthSet, ...] = ()
    serial: int | None = None

    @property
    def is_run(self) -> bool:
        return self.sport == RUNNING

    @property
    def is_strength(self) -> bool:
        """A strength activity (FIT sub sport strength_training, or any non-run with sets)."""
        return not self.is_run and (self.sub_sport == STRENGTH or bool(self.sets))


def format_of(name: str) -> tuple[str | None, bool]:
    """(format, gzipped) from a file name: ``run.fit.gz`` -> ("fit", True); unknown -> (None, ...)."""
    lower = name.lower()
    gz = lower.endswith(".gz")
    if gz:
        lower = lower[:-3]
    for ending, fmt in FORMATS.items():
        if lower.endswith(ending):
            return fmt, gz
    return None, gz


def gunzip(data: bytes, limits: Limits) -> bytes:
    """Decompress a gzip stream, refusing more than ``max_file_bytes`` or a bomb ratio."""
    if data[:2] != b"\x1f\x8b":
        raise ParseError("It is named .gz but is not gzip-compressed.")
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            out = stream.read(limits.max_file_bytes + 1)
    except (OSError, EOFError, zlib.error):
        raise ParseError("The gzip stream is damaged or truncated: compress the file again, or import it "
                         "uncompressed.") from None
    if len(out) > limits.max_file_bytes:
        raise ParseError(f"Uncompressed it is larger than {limits.max_file_bytes // (1024 * 1024)} MB.")
    if len(out) > 1024 * 1024 and len(out) > limits.max_ratio * max(len(data), 1):
        raise ParseError(f"It expands more than {limits.max_ratio} times: refused as a compression bomb.")
    return out


def sniff(data: bytes) -> str | None:
    """The format the content looks like: "fit", "gpx", "tcx", "gzip", "zip" or None."""
    if len(data) >= 12 and data[8:12] == b".FIT":
        return "fit"
    if data[:2] == b"\x1f\x8b":
        return "gzip"
    if data[:4] == b"PK\x03\x04":
        return "zip"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<"):
        if b"<gpx" in head:
            return "gpx"
        if b"<trainingcenterdatabase" in head:
            return "tcx"
        return "xml"
    return None


def parse_activity_file(name: str, data: bytes, limits: Limits = Limits()) -> list[Activity]:
    """Parse one file by its name's format (gzip streams decoded first). Raises ParseError."""
    fmt, gz = format_of(name)
    if fmt is None:
        raise ParseError("Not an activity file: use .gpx, .tcx or .fit (optionally .gz).")
    if not data:
        raise ParseError("The file is empty (0 bytes).")
    if len(data) > limits.max_file_bytes:
        raise ParseError(f"The file is larger than {limits.max_file_bytes // (1024 * 1024)} MB.")
    if gz:
        data = gunzip(data, limits)
        if not data:
            raise ParseError("The file is empty once uncompressed.")
    looks = sniff(data)
    if looks != fmt:
        names = {None: "something else", "xml": "another XML document", "gzip": "a gzip stream"}
        what = names[looks] if looks in names else str(looks).upper()
        raise ParseError(f"It is named .{fmt} but its content is {what}.")
    if fmt == "fit":
        from strideguard.imports.parse.fit import parse_fit

        return parse_fit(data, limits)
    if fmt == "gpx":
        from strideguard.imports.parse.gpx import parse_gpx

        return parse_gpx(data, limits)
    from strideguard.imports.parse.tcx import parse_tcx

    return parse_tcx(data, limits)
