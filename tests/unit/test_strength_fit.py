"""A Garmin strength workout's sets, parsed (PURE) from two real Forerunner 965 files, and
mapped to the library by the explicit table of ``rehab.garmin``.

The expected sets were read with fitdecode's own reader, message by message, not through
our parser (``set`` messages of ``set_type`` active; ``category``/``category_subtype`` are
arrays of the watch's three ranked guesses, the first is the one counted; 65534 is the FIT
profile's "unknown"). Each test reads them that way again and compares.
"""

from __future__ import annotations

import io
from collections import Counter
from datetime import datetime, timezone

import fitdecode
import pytest

from strideguard.imports.parse import StrengthSet, parse_activity_file
from strideguard.rehab import garmin
from strideguard.rehab.core_exercises import CORE_ROWS
from tests.imports.support import fixture

STRENGTH = "garmin-fr965-strength.fit"
BIKE_THEN_STRENGTH = "garmin-fr965-bike-then-strength.fit"


def raw_active_sets(name: str) -> list[dict]:
    """The active ``set`` messages as fitdecode reads them (first guess of each array)."""
    out = []
    with fitdecode.FitReader(io.BytesIO(fixture(name))) as reader:
        for frame in reader:
            if isinstance(frame, fitdecode.FitDataMessage) and frame.name == "set" \
                    and frame.get_value("set_type") == "active":
                out.append({"category": frame.get_value("category")[0],
                            "subtype": frame.get_value("category_subtype")[0],
                            "reps": frame.get_value("repetitions"), "kg": frame.get_value("weight"),
                            "s": frame.get_value("duration"), "start": frame.get_value("start_time")})
    return out


def test_a_strength_workout_is_never_a_run_and_carries_its_sets() -> None:
    [act] = parse_activity_file(STRENGTH, fixture(STRENGTH))
    assert (act.sport, act.sub_sport) == ("training", "strength_training")
    assert act.is_strength and not act.is_run
    assert act.distance_m == 0.0
    assert act.serial == 3486647825
    assert act.started_at == datetime(2025, 9, 23, 10, 8, 29, tzinfo=timezone.utc)
    # fitdecode, message by message: 38 active sets (and 38 rest sets, left out).
    raw = raw_active_sets(STRENGTH)
    assert len(act.sets) == len(raw) == 38
    assert [(s.repetitions, s.weight_kg, s.duration_s, s.started_at) for s in act.sets] == \
        [(r["reps"], r["kg"], r["s"], r["start"]) for r in raw]
    # 279 repetitions: also the session summary's own count (total_cycles 279).
    assert sum(s.repetitions for s in act.sets) == sum(r["reps"] for r in raw) == 279
    # The first guesses, named by the FIT profile (27 sit_up, 30 triceps_extension, 23 row,
    # 29 total_body / 0 burpee, 17 lunge, 21 pull_up / 13 lat_pulldown, 65534 unknown).
    assert Counter((s.category, s.subtype) for s in act.sets) == {
        ("unknown", None): 23, ("sit_up", None): 4, ("triceps_extension", None): 4, ("row", None): 2,
        ("total_body", "burpee"): 2, ("lunge", None): 1, (None, None): 1, ("pull_up", "lat_pulldown"): 1}
    assert Counter(r["category"] for r in raw)[65534] == 23
    lunge = next(s for s in act.sets if s.category == "lunge")
    assert lunge == StrengthSet("lunge", None, 10, 0.0, 42.592, datetime(2025, 9, 23, 10, 16, 59, tzinfo=timezone.utc))


def test_sets_go_to_the_session_they_were_done_in() -> None:
    bike, strength = parse_activity_file(BIKE_THEN_STRENGTH, fixture(BIKE_THEN_STRENGTH))
    assert (bike.sport, bike.sub_sport, bike.sets, bike.is_strength) == ("cycling", "indoor_cycling", (), False)
    assert (strength.sport, strength.sub_sport, strength.index) == ("training", "strength_training", 1)
    assert strength.started_at == datetime(2025, 10, 20, 10, 21, 30, tzinfo=timezone.utc)
    raw = raw_active_sets(BIKE_THEN_STRENGTH)
    assert len(strength.sets) == len(raw) == 41
    squats = [(s.repetitions, s.weight_kg) for s in strength.sets if (s.category, s.subtype) == ("squat", None)]
    assert squats == [(r["reps"], r["kg"]) for r in raw if (r["category"], r["subtype"]) == (28, None)]
    assert squats == [(6, 20.0), (6, 20.0), (8, 131.0), (12, 0.0), (8, 60.0), (8, 60.0)]
    assert [(s.repetitions, s.weight_kg) for s in strength.sets if s.category == "lunge"] == [(12, 15.0)]


def test_the_table_maps_only_what_it_lists() -> None:
    [act] = parse_activity_file(STRENGTH, fixture(STRENGTH))
    mapped = garmin.map_sets(act.sets)
    assert {k: len(v) for k, v in mapped.by_exercise.items()} == {"core.split_squat": 1}
    assert mapped.unmapped_sets == 37
    assert mapped.unmapped["unknown exercise"] == 24  # 23 "unknown" and one set naming no exercise
    assert mapped.unmapped["pull up: lat pulldown"] == 1
    _bike, strength = parse_activity_file(BIKE_THEN_STRENGTH, fixture(BIKE_THEN_STRENGTH))
    mapped = garmin.map_sets(strength.sets)
    assert {k: len(v) for k, v in mapped.by_exercise.items()} == {"core.mini_squat": 6, "core.split_squat": 1}
    assert mapped.unmapped_sets == 34
    assert mapped.unmapped["deadlift: barbell deadlift"] == 5


@pytest.mark.parametrize("category,subtype,expected", [
    ("calf_raise", None, "core.calf_raise"),
    ("calf_raise", "single_leg_standing_calf_raise", "core.single_leg_calf_raise"),
    ("hip_raise", None, "core.glute_bridge"),
    ("hip_raise", "single_leg_hip_raise", "core.single_leg_bridge"),
    ("plank", "side_plank", "core.side_plank"),
    ("squat", None, "core.mini_squat"),
    ("squat", "body_weight_wall_squat", "core.wall_sit"),
    # A subtype the table does not list is not its category's exercise: a leg press is no mini squat.
    ("squat", "leg_press", None),
    ("squat", "thrusters", None),
    ("hip_stability", None, None),  # too broad a category (dead bugs, fire hydrants, ...)
    ("leg_curl", None, None),
    ("unknown", None, None),
    (None, None, None),
])
def test_exercise_for(category, subtype, expected) -> None:
    assert garmin.exercise_for(category, subtype) == expected


def test_every_target_is_a_built_in_exercise() -> None:
    ids = {row["id"] for row in CORE_ROWS}
    assert set(garmin.TABLE.values()) <= ids


def test_a_set_goes_to_the_last_session_started_before_it() -> None:
    from strideguard.imports.parse.fit import _owner

    utc = timezone.utc
    starts = [datetime(2025, 1, 1, 10, tzinfo=utc), datetime(2025, 1, 1, 11, tzinfo=utc)]
    assert _owner(starts, datetime(2025, 1, 1, 10, 30, tzinfo=utc)) == 0
    assert _owner(starts, datetime(2025, 1, 1, 11, 30, tzinfo=utc)) == 1
    assert _owner(starts, datetime(2025, 1, 1, 9, tzinfo=utc)) == 0  # before any: the first
    assert _owner(starts, None) == 0
    # A wall-clock time (no zone) is never compared with a UTC one.
    assert _owner(starts, datetime(2025, 1, 1, 11, 30)) == 0
