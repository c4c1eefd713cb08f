"""Pure tables: when is an imported run a possible duplicate, and which zip entry names are refused."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from strideguard.imports.archive import unsafe_name
from strideguard.imports.dedupe import RunKey, find_duplicate, same_run

DAY = date(2026, 11, 2)
START = datetime(2026, 11, 2, 7, 0, tzinfo=timezone.utc)
OLD = RunKey("old", DAY, 10_000.0, START)


@pytest.mark.parametrize("new,expected", [
    (RunKey("n", DAY, 10_000.0, START), True),
    (RunKey("n", DAY, 10_300.0, START), True),                      # 2.9% of the longer: within 3%
    (RunKey("n", DAY, 10_310.0, START), False),                     # 3.0% + : not the same run
    (RunKey("n", DAY, 9_700.0, START), True),
    (RunKey("n", DAY, 9_690.0, START), False),
    (RunKey("n", DAY, 10_000.0, START + timedelta(minutes=30)), True),
    (RunKey("n", DAY, 10_000.0, START + timedelta(minutes=31)), False),  # a second run that day
    (RunKey("n", DAY, 10_000.0, None), True),                       # start unknown: date + distance decide
    (RunKey("n", DAY + timedelta(days=1), 10_000.0, START + timedelta(days=1)), False),
])
def test_same_run(new, expected):
    assert same_run(new, OLD) is expected


def test_a_typed_run_without_a_start_matches_on_date_and_distance():
    typed = RunKey("typed", DAY, 8_000.0, None)
    assert find_duplicate(RunKey("n", DAY, 8_100.0, START), [OLD, typed]) == typed
    assert find_duplicate(RunKey("typed", DAY, 8_000.0, None), [typed]) is None  # itself is not a copy


@pytest.mark.parametrize("name,refused", [
    ("activities/123.fit.gz", False), ("export/activities/a b.gpx", False), ("..hidden.gpx", False),
    ("../evil.gpx", True), ("a/../../evil.gpx", True), ("a\\..\\evil.tcx", True), ("/etc/passwd.gpx", True),
    ("\\\\server\\share.fit", True), ("C:\\Users\\x.fit", True), ("c:evil.fit", True), ("a\x00.fit", True),
])
def test_unsafe_entry_names(name, refused):
    assert (unsafe_name(name) is not None) is refused
