"""The exercise library: the built-in exercises keep their own rules, and every built-in
condition offers a starter set built on exercises that exist."""

from __future__ import annotations

import dataclasses
import importlib
import json
import re

import pytest

from strideguard.guidance.host import PluginHost
from strideguard.rehab.library import (
    CORE_EXERCISES,
    DOSES,
    SIDES,
    TRAINS,
    Exercise,
    StarterItem,
    StarterSet,
    exercise_problems,
    library,
    starter_set_problems,
)
from strideguard_knee import CONDITIONS as KNEE

BRIDGE = next(ex for ex in CORE_EXERCISES if ex.id == "core.glute_bridge")


@pytest.fixture
def knee_host() -> PluginHost:
    host = PluginHost(budget_s=2.0)
    for name in KNEE:
        host.register(importlib.import_module(f"strideguard_knee.{name}"), name, "0.1.0")
    return host


# -- the built-in exercises ----------------------------------------------------------------------


def test_about_twenty_five_built_in_exercises_with_unique_core_ids() -> None:
    ids = [ex.id for ex in CORE_EXERCISES]
    assert 22 <= len(ids) <= 30
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"core\.[a-z][a-z0-9_]*", i) for i in ids)
    assert {ex.source for ex in CORE_EXERCISES} == {"core"}


@pytest.mark.parametrize("ex", CORE_EXERCISES, ids=lambda ex: ex.id)
def test_every_built_in_exercise_keeps_the_rules(ex: Exercise) -> None:
    assert exercise_problems(ex) == []
    assert set(ex.conditions) <= set(KNEE)  # "commonly used for" names only known conditions
    assert ex.conditions, "each built-in names at least one condition it is commonly used for"


def test_the_built_ins_cover_every_trains_value_dose_and_side() -> None:
    assert {t for ex in CORE_EXERCISES for t in ex.trains} == set(TRAINS)
    assert {ex.dose for ex in CORE_EXERCISES} == set(DOSES)
    assert {ex.sides for ex in CORE_EXERCISES} == set(SIDES)
    for condition in KNEE:
        assert any(condition in ex.conditions for ex in CORE_EXERCISES), condition


def test_the_staples_the_issue_names_are_there() -> None:
    ids = {ex.id for ex in CORE_EXERCISES}
    assert {
        "core.side_lying_hip_abduction", "core.clamshell", "core.banded_side_steps",
        "core.glute_bridge", "core.single_leg_bridge", "core.step_down", "core.split_squat",
        "core.wall_sit", "core.spanish_squat", "core.quad_set", "core.straight_leg_raise",
        "core.terminal_knee_extension", "core.calf_raise", "core.single_leg_calf_raise",
        "core.plank", "core.side_plank", "core.bridge_walkout", "core.hamstring_stretch",
        "core.quad_stretch", "core.hip_flexor_stretch", "core.calf_stretch",
        "core.single_leg_balance", "core.single_leg_rdl", "core.short_foot",
        "core.lateral_step_up",
    } <= ids


def test_to_dict_is_json_ready_with_every_field() -> None:
    data = BRIDGE.to_dict()
    assert set(data) == {f.name for f in dataclasses.fields(Exercise)}
    assert data["trains"] == ["glutes", "hamstrings", "core"] and data["equipment"] == []
    assert json.loads(json.dumps(data)) == data
    starter = StarterSet("runners_knee", (StarterItem("core.glute_bridge", 3, 12, None),), "w", ("s",))
    assert json.loads(json.dumps(starter.to_dict()))["items"][0]["exercise"] == "core.glute_bridge"


# -- the rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"id": "bridge"}, "id must look like"),
        ({"id": "Core.Bridge"}, "id must look like"),
        ({"name": ""}, "name must be non-empty"),
        ({"name": "x" * 81}, "more than 80"),
        ({"instructions": "x" * 1001}, "more than 1000"),
        ({"trains": ()}, "trains must list"),
        ({"trains": ("knees",)}, "trains must list"),
        ({"trains": ("hips", "hips")}, "duplicates"),
        ({"dose": "sets"}, "dose must be one of"),
        ({"sets": 0}, "sets must be"),
        ({"sets": 11}, "sets must be"),
        ({"sets": True}, "sets must be"),
        ({"reps": None}, "reps must be"),
        ({"reps": 101}, "reps must be"),
        ({"seconds": 30}, "seconds must be empty for a 'reps' dose"),
        ({"dose": "hold"}, "seconds must be a whole number"),
        ({"dose": "hold", "seconds": 601}, "seconds must be a whole number"),
        ({"dose": "time", "seconds": 30}, "reps must be empty for a 'time' dose"),
        ({"dose": "time", "reps": None, "seconds": 2.5}, "seconds must be a whole number"),
        ({"sides": "left"}, "sides must be one of"),
        ({"equipment": ("Resistance Band",)}, "equipment must be"),
        ({"conditions": ["runners_knee"]}, "conditions must be a list"),
    ],
)
def test_exercise_problems_find_what_is_inconsistent(change: dict, problem: str) -> None:
    problems = exercise_problems(dataclasses.replace(BRIDGE, **change))
    assert any(problem in p for p in problems), problems


def test_consistent_doses_of_each_type_pass() -> None:
    assert exercise_problems(dataclasses.replace(BRIDGE, dose="hold", reps=5, seconds=45)) == []
    assert exercise_problems(dataclasses.replace(BRIDGE, dose="time", reps=None, seconds=30)) == []


def test_library_puts_the_built_ins_first_and_never_lets_them_be_replaced() -> None:
    mine = Exercise("custom.1", "Mine", "Do it.", ("core",), "time", 1, None, 60, "both", source="therapist")
    impostor = dataclasses.replace(BRIDGE, name="Not a bridge", source="evil")
    lib = library([mine, impostor])
    assert list(lib) == [ex.id for ex in CORE_EXERCISES] + ["custom.1"]
    assert lib["core.glute_bridge"] is BRIDGE
    assert library() == {ex.id: ex for ex in CORE_EXERCISES}


def test_starter_set_problems() -> None:
    items = tuple(StarterItem(i, 3, 10, None) for i in ("core.clamshell", "core.glute_bridge", "core.step_down"))
    good = StarterSet("runners_knee", items, "Why.", ("A source.",))
    lib = library()
    assert starter_set_problems(good, lib) == [] and starter_set_problems(good, set(lib)) == []
    unknown = dataclasses.replace(good, items=(*items, StarterItem("core.nope", 3, 10, None)))
    assert "unknown exercise 'core.nope'" in starter_set_problems(unknown, lib)
    too_few = dataclasses.replace(good, items=items[:2])
    assert any("3 to 8" in p for p in starter_set_problems(too_few, lib))
    wrong_dose = dataclasses.replace(good, items=(*items[:2], StarterItem("core.plank", 3, 10, None)))
    assert any(p.startswith("core.plank: ") for p in starter_set_problems(wrong_dose, lib))
    twice = dataclasses.replace(good, items=(*items, items[0]))
    assert any("listed twice" in p for p in starter_set_problems(twice, lib))
    assert any("sources" in p for p in starter_set_problems(dataclasses.replace(good, sources=()), lib))


# -- every built-in condition has a starter set ----------------------------------------------------


def test_each_built_in_condition_has_a_starter_set_on_existing_exercises(knee_host: PluginHost) -> None:
    sets = knee_host.starter_sets(KNEE)
    assert sorted(s.condition for s in sets) == sorted(KNEE)
    lib = library(knee_host.exercises())
    for starter in sets:
        assert starter.source == starter.condition  # each built-in plugin offers its own
        assert starter_set_problems(starter, lib) == []
        assert all(item.exercise in lib for item in starter.items)
        assert "therapist" in starter.why
        assert starter.sources
    assert knee_host.failures_seen == 0


def test_the_plugins_add_exercises_of_their_own(knee_host: PluginHost) -> None:
    added = knee_host.exercises()
    assert {ex.source for ex in added} >= {"it_band", "patellar_tendinopathy"}
    assert all(ex.id.split(".")[0] == ex.source for ex in added)
    assert all(exercise_problems(ex) == [] for ex in added)
    used = {item.exercise for s in knee_host.starter_sets(KNEE) for item in s.items}
    assert any(ex.id in used for ex in added)  # a starter set really uses a plugin's exercise
