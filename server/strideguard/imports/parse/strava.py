"""The index of a Strava bulk export (``activities.csv``): which file is which activity.

Strava's CSV has one row per activity with (among ~80 columns) ``Activity ID``,
``Activity Name``, ``Activity Type`` ("Run", "Ride", ...) and ``Filename``
(``activities/123.fit.gz``; empty for activities entered by hand on Strava).
"""

from __future__ import annotations

import csv
import io
import posixpath
from dataclasses import dataclass

from strideguard.imports.parse import ParseError
from strideguard.imports.parse.sports import normalise

MAX_ROWS = 100_000


@dataclass(frozen=True)
class StravaActivity:
    activity_id: str
    name: str
    sport: str | None
    filename: str | None


def read_index(data: bytes) -> list[StravaActivity]:
    """Rows of ``activities.csv``. Raises ParseError when it is not Strava's index."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ParseError("activities.csv is not UTF-8 text.") from None
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise ParseError("activities.csv is empty.") from None
    columns = {name.strip(): i for i, name in reversed(list(enumerate(header)))}
    if not {"Activity ID", "Activity Type", "Filename"} <= set(columns):
        raise ParseError("activities.csv lacks Strava's columns (Activity ID, Activity Type, Filename).")
    rows = []
    try:
        for number, row in enumerate(reader):
            if number >= MAX_ROWS:
                raise ParseError(f"activities.csv has more than {MAX_ROWS:,} rows.")
            if not row:
                continue
            cell = lambda col: row[columns[col]].strip() if columns.get(col, 10**9) < len(row) else ""
            rows.append(StravaActivity(
                activity_id=cell("Activity ID"), name=cell("Activity Name")[:100],
                sport=normalise(cell("Activity Type")), filename=cell("Filename") or None,
            ))
    except csv.Error:
        raise ParseError("activities.csv cannot be read: request a new export from Strava and import that.") from None
    return rows


def by_file(rows: list[StravaActivity], prefix: str = "") -> dict[str, StravaActivity]:
    """Rows keyed by their file's path inside the archive (``prefix``: the export's folder)."""
    return {posixpath.normpath(posixpath.join(prefix, r.filename)): r for r in rows if r.filename}
