"""Garmin's strength exercises as the library's built-in exercises (PURE): a small explicit table.

A Garmin watch names each set's exercise by the FIT profile's ``exercise_category`` and, when
it knows the exact exercise, a ``<category>_exercise_name`` subtype (see
``imports.parse.fit``). :data:`TABLE` says which of those are which built-in exercise.

The rules, so nothing is guessed:

- A set with a subtype is looked up by (category, subtype) only. A subtype the table does not
  list is *unmapped*, even when its category is listed: a "squat" category holds leg presses,
  thrusters and snatches, which are not a mini squat.
- A set with a category and no subtype (what auto-detection usually writes) is looked up by
  (category, None): only categories whose every member is the same movement as a built-in
  exercise are listed that way (a calf raise, a bridge, a plank, a lunge, a squat).
- The watch's "unknown" (65534), a set without a category, and anything not in the table are
  unmapped and reported, never matched to the nearest thing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from strideguard.imports.parse import StrengthSet

#: (FIT exercise_category, FIT exercise name or None for "category only") -> built-in exercise id.
TABLE: dict[tuple[str, str | None], str] = {
    # calf raises: standing on both feet / on one foot
    ("calf_raise", None): "core.calf_raise",
    ("calf_raise", "standing_calf_raise"): "core.calf_raise",
    ("calf_raise", "weighted_standing_calf_raise"): "core.calf_raise",
    ("calf_raise", "standing_dumbbell_calf_raise"): "core.calf_raise",
    ("calf_raise", "standing_barbell_calf_raise"): "core.calf_raise",
    ("calf_raise", "single_leg_standing_calf_raise"): "core.single_leg_calf_raise",
    ("calf_raise", "single_leg_standing_dumbbell_calf_raise"): "core.single_leg_calf_raise",
    ("banded_exercises", "calf_raises"): "core.calf_raise",
    # bridges (Garmin: hip raise) and the clamshell Garmin files under them
    ("hip_raise", None): "core.glute_bridge",
    ("hip_raise", "hip_raise"): "core.glute_bridge",
    ("hip_raise", "weighted_hip_raise"): "core.glute_bridge",
    ("hip_raise", "single_leg_hip_raise"): "core.single_leg_bridge",
    ("hip_raise", "weighted_single_leg_hip_raise"): "core.single_leg_bridge",
    ("hip_raise", "clams"): "core.clamshell",
    ("banded_exercises", "glute_bridge"): "core.glute_bridge",
    ("banded_exercises", "clam_shells"): "core.clamshell",
    # hip abduction
    ("hip_stability", "side_lying_leg_raise"): "core.side_lying_hip_abduction",
    ("hip_stability", "weighted_side_lying_leg_raise"): "core.side_lying_hip_abduction",
    ("hip_stability", "band_side_lying_leg_raise"): "core.side_lying_hip_abduction",
    ("hip_stability", "lateral_walks_with_band_at_ankles"): "core.banded_side_steps",
    ("banded_exercises", "lateral_band_walks"): "core.banded_side_steps",
    # planks
    ("plank", None): "core.plank",
    ("plank", "plank"): "core.plank",
    ("plank", "weighted_plank"): "core.plank",
    ("plank", "side_plank"): "core.side_plank",
    ("plank", "weighted_side_plank"): "core.side_plank",
    ("banded_exercises", "plank"): "core.plank",
    # split-stance knee work: a lunge is a split squat that steps
    ("lunge", None): "core.split_squat",
    ("lunge", "lunge"): "core.split_squat",
    ("lunge", "weighted_lunge"): "core.split_squat",
    ("lunge", "barbell_split_squat"): "core.split_squat",
    ("squat", "dumbbell_split_squat"): "core.split_squat",
    # squats: a plain squat (of any depth the watch cannot tell) is the library's mini squat
    ("squat", None): "core.mini_squat",
    ("squat", "squat"): "core.mini_squat",
    ("squat", "weighted_squat"): "core.mini_squat",
    ("squat", "air_squat"): "core.mini_squat",
    ("squat", "barbell_quarter_squat"): "core.mini_squat",
    ("squat", "body_weight_wall_squat"): "core.wall_sit",
    ("squat", "weighted_wall_squat"): "core.wall_sit",
    ("squat", "barbell_lateral_step_up"): "core.lateral_step_up",
    ("squat", "lateral_dumbbell_step_up"): "core.lateral_step_up",
    # straight-leg raise, single-leg Romanian deadlift
    ("leg_raise", "lying_straight_leg_raise"): "core.straight_leg_raise",
    ("leg_raise", "weighted_lying_straight_leg_raise"): "core.straight_leg_raise",
    ("deadlift", "single_leg_romanian_deadlift_with_dumbbell"): "core.single_leg_rdl",
    ("deadlift", "single_leg_barbell_deadlift"): "core.single_leg_rdl",
    ("deadlift", "single_leg_deadlift_with_barbell"): "core.single_leg_rdl",
}


def exercise_for(category: str | None, subtype: str | None) -> str | None:
    """The built-in exercise id of a Garmin exercise, or None (unmapped: report it)."""
    if category is None or category == "unknown":
        return None
    return TABLE.get((category, subtype))


def label(category: str | None, subtype: str | None) -> str:
    """A Garmin exercise in words: "lunge", "deadlift: barbell deadlift", "unknown exercise"."""
    if category is None or category == "unknown":
        return "unknown exercise"
    text = category if subtype is None else f"{category}: {subtype}"
    return text.replace("_", " ")


@dataclass(frozen=True)
class Mapped:
    """A strength activity's sets sorted: by built-in exercise (in the order first done), and
    those the table does not know (by Garmin's name, with how many sets)."""

    by_exercise: dict[str, tuple[StrengthSet, ...]]
    unmapped: dict[str, int]

    @property
    def unmapped_sets(self) -> int:
        return sum(self.unmapped.values())


def map_sets(sets: Iterable[StrengthSet]) -> Mapped:
    by_exercise: dict[str, list[StrengthSet]] = {}
    unmapped: dict[str, int] = {}
    for found in sets:
        key = exercise_for(found.category, found.subtype)
        if key is None:
            name = label(found.category, found.subtype)
            unmapped[name] = unmapped.get(name, 0) + 1
        else:
            by_exercise.setdefault(key, []).append(found)
    return Mapped({k: tuple(v) for k, v in by_exercise.items()}, unmapped)
