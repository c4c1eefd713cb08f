"""The exercise library's hooks: strideguard_exercises and strideguard_starter_sets, as the app
calls them through the host — validated, isolated per plugin, sourced by plugin name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from strideguard.guidance.hookspecs import hookimpl
from strideguard.guidance.host import PluginHost, create_host
from strideguard.rehab.library import CORE_EXERCISES, Exercise, StarterItem, StarterSet, library
from strideguard_knee import CONDITIONS as KNEE


def exercise(**over: Any) -> dict[str, Any]:
    item = {"id": "extra.wall_push", "name": "Wall push", "instructions": "Push the wall.",
            "trains": ["quadriceps"], "dose": "hold", "sets": 1, "reps": 5, "seconds": 30,
            "sides": "both", "equipment": ["wall"], "conditions": ["runners_knee"]}
    item.update(over)
    return item


def starter(**over: Any) -> dict[str, Any]:
    item = {"condition": "runners_knee",
            "items": [{"exercise": "core.clamshell", "sets": 3, "reps": 15, "seconds": None},
                      {"exercise": "core.glute_bridge"},
                      {"exercise": "core.plank", "sets": 2, "reps": None, "seconds": 20}],
            "why": "Because the hips matter.", "sources": ["A consensus statement."]}
    item.update(over)
    return item


class Gives:
    """A plugin object returning fixed exercises and starter sets, counting its calls."""

    def __init__(self, exercises: Any = (), starters: Any = ()) -> None:
        self.exercises, self.starters, self.calls = exercises, starters, 0

    @hookimpl
    def strideguard_exercises(self):
        self.calls += 1
        return self.exercises

    @hookimpl
    def strideguard_starter_sets(self, conditions):
        return self.starters


def last_error(host: PluginHost, name: str) -> str:
    return next(p["last_error"] for p in host.plugins_report() if p["name"] == name) or ""


def test_hook_strideguard_exercises(knee_host: PluginHost) -> None:
    dataclass_one = Exercise("extra.step_hold", "Step hold", "Hold it.", ("balance",), "time",
                             2, None, 20, "each", source="whatever")
    extra = Gives([exercise(), dataclass_one, exercise(id="extra.third", dose="reps", seconds=None)])
    clash = Gives([exercise(name="Second wall push")])  # an id already taken: the first keeps it
    knee_host.register(extra, "extra")
    knee_host.register(clash, "clash")
    added = {ex.id: ex for ex in knee_host.exercises()}
    assert {"it_band.hip_hike", "patellar_tendinopathy.decline_squat_hold",
            "meniscus_tear.heel_slide", "extra.wall_push", "extra.step_hold", "extra.third"} == set(added)
    assert added["extra.wall_push"].name == "Wall push"
    assert added["extra.wall_push"].trains == ("quadriceps",)  # lists become tuples
    assert added["extra.step_hold"].source == "extra"  # the host names the source
    assert added["it_band.hip_hike"].source == "it_band"
    knee_host.exercises()
    assert extra.calls == 1  # cached once it succeeded
    assert not set(added) & {ex.id for ex in CORE_EXERCISES}
    assert knee_host.failures_seen == 0


def test_hook_strideguard_starter_sets(knee_host: PluginHost) -> None:
    knee_host.register(Gives([exercise()], [starter(condition="back_of_knee", items=[
        {"exercise": "extra.wall_push"}, {"exercise": "it_band.hip_hike"},  # another plugin's
        {"exercise": "core.calf_raise"},
    ]), starter(condition="not_asked")]), "extra")
    knee_host.register(Gives(starters=[StarterSet(
        "runners_knee",
        (StarterItem("core.clamshell", 2, 10, None), StarterItem("core.wall_sit", 1, 3, 30),
         StarterItem("core.step_down", 3, 8, None)),
        "Dataclasses work too.", ("Source.",), source="ignored",
    )]), "dataclass")
    assert knee_host.starter_sets([]) == []
    assert knee_host.starter_sets(["unknown"]) == []
    sets = knee_host.starter_sets(["runners_knee", "back_of_knee", "it_band"])
    by = {(s.condition, s.source): s for s in sets}
    assert set(by) == {("runners_knee", "runners_knee"), ("it_band", "it_band"),
                       ("back_of_knee", "extra"), ("runners_knee", "dataclass")}
    mine = by[("back_of_knee", "extra")]
    assert mine.items[0] == StarterItem("extra.wall_push", 1, 5, 30)  # the exercise's default dose
    assert by[("runners_knee", "runners_knee")].sources[0].startswith("Crossley et al., BJSM 2016")
    known = library(knee_host.exercises())
    assert all(item.exercise in known for s in sets for item in s.items)
    assert knee_host.failures_seen == 0


BAD_EXERCISES = {
    "core prefix": ([exercise(id="core.bridge")], "reserved prefix 'core.'"),
    "custom prefix": ([exercise(id="custom.7")], "reserved prefix 'custom.'"),
    "bad dose": ([exercise(dose="hold", seconds=None)], "seconds must be a whole number"),
    "reps on a time dose": ([exercise(dose="time")], "reps must be empty"),
    "unknown trains": ([exercise(trains=["knees"])], "trains must list"),
    "a string": ("exercise", "expected a list"),
    "twice": ([exercise(), exercise()], "returned twice"),
}


@pytest.mark.parametrize("name", sorted(BAD_EXERCISES))
def test_bad_exercises_are_rejected_and_others_are_unharmed(name: str, knee_host: PluginHost) -> None:
    output, message = BAD_EXERCISES[name]
    bad = Gives(output)
    knee_host.register(bad, "bad")
    before = knee_host.failures_seen
    added = [ex.id for ex in knee_host.exercises()]
    assert added == ["it_band.hip_hike", "meniscus_tear.heel_slide",
                     "patellar_tendinopathy.decline_squat_hold"]
    assert knee_host.failures_seen == before + 1
    assert message in last_error(knee_host, "bad")
    knee_host.exercises()
    assert bad.calls == 2  # a failed answer is not cached: asked again
    assert {p["name"]: p["status"] for p in knee_host.plugins_report()}["it_band"] == "active"


BAD_STARTERS = {
    "unknown exercise": ([starter(items=[{"exercise": "core.nope"}] * 3)], "unknown exercise 'core.nope'"),
    "too few": ([starter(items=starter()["items"][:2])], "3 to 8"),
    "dose of the wrong type": (
        [starter(items=[*starter()["items"][:2], {"exercise": "core.plank", "sets": 3, "reps": 10, "seconds": None}])],
        "core.plank: ",
    ),
    "no sources": ([starter(sources=[])], "sources must cite"),
    "two for one condition": ([starter(), starter()], "two starter sets"),
}


@pytest.mark.parametrize("name", sorted(BAD_STARTERS))
def test_bad_starter_sets_are_rejected_and_others_are_unharmed(name: str, knee_host: PluginHost) -> None:
    output, message = BAD_STARTERS[name]
    knee_host.register(Gives(starters=output), "bad")
    before = knee_host.failures_seen
    sets = knee_host.starter_sets(KNEE)
    assert sorted(s.source for s in sets) == sorted(KNEE)
    assert knee_host.failures_seen == before + 1
    assert message in last_error(knee_host, "bad")
    assert len(knee_host.exercises()) == 3


def test_a_raising_exercises_hook_is_isolated(knee_host: PluginHost) -> None:
    class Raises:
        @hookimpl
        def strideguard_exercises(self):
            raise RuntimeError("library bug")

    knee_host.register(Raises(), "raises")
    assert len(knee_host.exercises()) == 3
    assert "library bug" in last_error(knee_host, "raises")


def test_a_plugin_written_before_these_hooks_still_loads(make_dist: Callable[[str, str], None]) -> None:
    make_dist("oldplug", """
        from strideguard import hookimpl
        PLUGIN_API_VERSION = 1

        @hookimpl
        def strideguard_conditions():
            return [{"id": "old_one", "name": "Old", "summary": "Could be old.", "locations": []}]
    """)
    host = create_host(allowlist={"oldplug"})
    assert host.exercises() == [] and host.starter_sets(["old_one"]) == []
    assert {p["name"]: p["status"] for p in host.plugins_report()}["oldplug"] == "active"
    assert host.failures_seen == 0
