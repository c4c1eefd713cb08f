"""The plugin host: discovery, isolation, time budget, validation, disabling, reporting."""

from __future__ import annotations

import logging
import time
from datetime import date
from collections.abc import Callable
from typing import Any

import pytest

from strideguard_knee import CONDITIONS as KNEE
from strideguard.guidance.advice import Advice, Condition, Question, Reason, Source
from strideguard.guidance.builder import day_snapshot
from strideguard.guidance.engine import assess_day
from strideguard.guidance.hookspecs import PLUGIN_API_VERSION, hookimpl
from strideguard.guidance.host import PluginHost, create_host
from strideguard.guidance.snapshot import CheckinSnap, RunnerSettings

D = date(2025, 3, 12)
OUTSIDE = day_snapshot(D, checkin=CheckinSnap(date=D, pain=2, location="outside"))

OK_PLUGIN = """
    from strideguard import hookimpl

    @hookimpl
    def strideguard_assess(snapshot):
        return [{"id": "okplug.hello", "action": "info", "severity": "info",
                 "title": "Say hello", "message": "Hello from a plugin."}]
"""


def valid(**over: Any) -> dict[str, Any]:
    item = {"id": "fake.rule", "action": "info", "severity": "info", "title": "Do a thing",
            "message": "Because.", "reasons": [{"metric": "pain", "value": 2, "threshold": 3}],
            "evidence": "A note."}
    item.update(over)
    return item


class Returns:
    """A registered plugin object whose assess hook returns a fixed value."""

    def __init__(self, value: Any) -> None:
        self.value = value

    @hookimpl
    def strideguard_assess(self, snapshot):
        return self.value


class Raises:
    calls = 0

    @hookimpl
    def strideguard_assess(self, snapshot):
        self.calls += 1
        raise RuntimeError("plugin bug")


def names_by_status(host: PluginHost) -> dict[str, str]:
    return {p["name"]: p["status"] for p in host.plugins_report()}


# -- discovery -------------------------------------------------------------------------------


def test_builtin_conditions_load_through_the_entry_point_group() -> None:
    host = create_host(allowlist=KNEE)
    report = {p["name"]: p for p in host.plugins_report() if p["name"] in KNEE}
    assert sorted(report) == sorted(KNEE)
    for name, entry in report.items():
        assert entry["status"] == "active"
        assert entry["api_version"] == PLUGIN_API_VERSION
        assert entry["conditions"] == [name]
        assert entry["version"] and entry["last_error"] is None


def test_allowlist_and_blocklist(make_dist: Callable[[str, str], None]) -> None:
    make_dist("okplug", OK_PLUGIN)
    make_dist("importboom", "raise RuntimeError('must never be imported')\n")
    host = create_host(allowlist={"okplug", "runners_knee"}, blocklist={"runners_knee"})
    status = names_by_status(host)
    assert status["okplug"] == "active"
    assert status["runners_knee"] == "disabled"  # the blocklist wins over the allowlist
    assert status["importboom"] == "disabled"  # not allowed, so never imported (not failed)
    assert [a.id for a in host.assess(OUTSIDE)] == ["okplug.hello"]


def test_plugin_that_fails_to_import_is_failed_and_the_rest_load(make_dist: Callable[[str, str], None]) -> None:
    make_dist("okplug", OK_PLUGIN)
    make_dist("importboom", "raise RuntimeError('boom at import')\n")
    make_dist("exits", "import sys\nsys.exit(3)\n")
    host = create_host(allowlist={"okplug", "importboom", "exits"})
    report = {p["name"]: p for p in host.plugins_report()}
    assert report["importboom"]["status"] == "failed"
    assert "boom at import" in report["importboom"]["last_error"]
    assert report["exits"]["status"] == "failed"
    assert report["okplug"]["status"] == "active"
    assert report["okplug"]["version"] == "1.2.3"


def test_declared_api_version_must_match() -> None:
    class Future:
        PLUGIN_API_VERSION = 2

        @hookimpl
        def strideguard_assess(self, snapshot):
            return []

    host = PluginHost()
    host.register(Future(), "future")
    (entry,) = host.plugins_report()
    assert entry["status"] == "failed"
    assert entry["api_version"] == 2
    assert "plugin API 2" in entry["last_error"]


def test_unknown_hook_names_and_bad_signatures_are_refused() -> None:
    class Typo:
        @hookimpl
        def strideguard_asess(self, snapshot):
            return []

    class BadArgs:
        @hookimpl
        def strideguard_assess(self, snapshot, database):
            return []

    host = PluginHost()
    host.register(Typo(), "typo")
    host.register(BadArgs(), "badargs")
    report = {p["name"]: p for p in host.plugins_report()}
    assert report["typo"]["status"] == "failed"
    assert "strideguard_asess" in report["typo"]["last_error"]
    assert report["badargs"]["status"] == "failed"
    assert host.assess(OUTSIDE) == []


# -- isolation -------------------------------------------------------------------------------

FAULTY = {
    "raiser": """
        from strideguard import hookimpl

        @hookimpl
        def strideguard_assess(snapshot):
            raise ValueError("bug in plugin")
    """,
    "garbage": """
        from strideguard import hookimpl

        @hookimpl
        def strideguard_assess(snapshot):
            return [{"id": "garbage.x", "action": "panic", "severity": "info",
                     "title": "t", "message": "m"}]
    """,
    "sleeper": """
        import time
        from strideguard import hookimpl

        @hookimpl
        def strideguard_assess(snapshot):
            time.sleep(3)
            return []
    """,
}


def test_faulty_plugins_end_up_failed_or_disabled_and_others_still_advise(
    make_dist: Callable[[str, str], None],
) -> None:
    make_dist("okplug", OK_PLUGIN)
    make_dist("importboom", "raise RuntimeError('boom at import')\n")
    for name, source in FAULTY.items():
        make_dist(name, source)
    host = create_host(
        allowlist={"okplug", "importboom", *FAULTY, *KNEE}, budget_s=0.3, max_failures=3
    )
    for _ in range(3):
        guidance = assess_day(OUTSIDE, host)  # a check-in's guidance never fails
        ids = {a.id for a in guidance.advice}
        assert {"okplug.hello", "it_band.call_early", "it_band.hips_core"} <= ids
    status = names_by_status(host)
    assert status["importboom"] == "failed"
    assert status["raiser"] == status["garbage"] == status["sleeper"] == "disabled"
    assert all(status[name] == "active" for name in (*KNEE, "okplug"))
    errors = {p["name"]: p["last_error"] for p in host.plugins_report()}
    assert "bug in plugin" in errors["raiser"]
    assert "action must be one of" in errors["garbage"]
    assert "still running" in errors["sleeper"] or "timed out" in errors["sleeper"]
    assert {p["name"]: p["status"] for p in guidance.to_dict()["plugins"]} == status


def test_time_budget_abandons_a_slow_call_and_recovers() -> None:
    class SlowOnce:
        calls = 0

        @hookimpl
        def strideguard_assess(self, snapshot):
            self.calls += 1
            if self.calls == 1:
                time.sleep(0.4)
            return [valid(id="slow.done")]

    host = PluginHost(budget_s=0.1, max_failures=3)
    slow = SlowOnce()
    host.register(slow, "slow")
    started = time.perf_counter()
    assert host.assess(OUTSIDE) == []
    assert time.perf_counter() - started < 0.35  # did not wait for the plugin
    assert "timed out after 0.1 s" in host.plugins_report()[0]["last_error"]
    assert host.assess(OUTSIDE) == []  # still busy: not called again, counted
    assert slow.calls == 1
    assert "still running" in host.plugins_report()[0]["last_error"]
    time.sleep(0.5)
    assert [a.id for a in host.assess(OUTSIDE)] == ["slow.done"]
    assert host.plugins_report()[0]["status"] == "active"


def test_failures_must_be_consecutive_to_disable() -> None:
    class Flaky:
        calls = 0

        @hookimpl
        def strideguard_assess(self, snapshot):
            self.calls += 1
            if self.calls % 3 == 0:
                return []
            raise RuntimeError("flaky")

    host = PluginHost(max_failures=3)
    host.register(Flaky(), "flaky")
    for _ in range(6):
        host.assess(OUTSIDE)
    assert host.plugins_report()[0]["status"] == "active"


def test_disabled_plugin_is_not_called_again() -> None:
    raiser = Raises()
    host = PluginHost(max_failures=2)
    host.register(raiser, "raiser")
    for _ in range(5):
        host.assess(OUTSIDE)
    assert raiser.calls == 2
    assert host.plugins_report()[0]["status"] == "disabled"


# -- validation ------------------------------------------------------------------------------

GARBAGE = {
    "not a list": "advice",
    "a dict": valid(),
    "an int item": [42],
    "bad action": [valid(action="panic")],
    "bad severity": [valid(severity="critical")],
    "bad id": [valid(id="No Dots")],
    "reserved core id": [valid(id="core.pain_threshold")],
    "empty title": [valid(title="  ")],
    "title too long": [valid(title="x" * 121)],
    "a megabyte message": [valid(message="x" * 1_000_000)],
    "evidence too long": [valid(evidence="x" * 501)],
    "reasons not a list": [valid(reasons="pain")],
    "reason metric bad": [valid(reasons=[{"metric": "Pain Score", "value": 1}])],
    "reason value NaN": [valid(reasons=[{"metric": "pain", "value": float("nan")}])],
    "reason value object": [valid(reasons=[{"metric": "pain", "value": {"a": 1}}])],
    "too many reasons": [valid(reasons=[{"metric": "pain", "value": 1}] * 11)],
    "too many items": [valid(id=f"fake.r{i}") for i in range(21)],
    "one bad among good": [valid(), valid(id="fake.two", action="nope")],
}


@pytest.mark.parametrize("output", GARBAGE.values(), ids=GARBAGE.keys())
def test_malformed_advice_is_rejected_and_counted(output: Any, knee_host: PluginHost) -> None:
    knee_host.register(Returns(output), "fake")
    ids = [a.id for a in knee_host.assess(OUTSIDE)]
    assert not any(i.startswith("fake.") for i in ids)
    assert "it_band.call_early" in ids
    fake = next(p for p in knee_host.plugins_report() if p["name"] == "fake")
    assert fake["status"] == "active" and "invalid data" in fake["last_error"]


def test_dataclasses_and_none_are_accepted_and_source_is_set_by_the_host() -> None:
    host = PluginHost()
    spoofed = Advice("dc.rule", "contact_pt", "caution", "Call", "Msg",
                     (Reason("pain", 5, 3),), "Note", Source("core", "9"))
    host.register(Returns([spoofed, valid(id="dc.other")]), "dc", "2.0")
    host.register(Returns(None), "nothing")
    advice = host.assess(OUTSIDE)
    assert [a.id for a in advice] == ["dc.rule", "dc.other"]
    assert {a.source for a in advice} == {Source("dc", "2.0")}
    assert advice[0].reasons == (Reason("pain", 5, 3),)
    assert names_by_status(host) == {"dc": "active", "nothing": "active"}


def test_trace_logs_every_hook_call_with_its_duration(
    caplog: pytest.LogCaptureFixture,
) -> None:
    host = PluginHost(trace=True)
    host.register(Returns([valid()]), "fake")
    host.register(Raises(), "raiser")
    with caplog.at_level(logging.INFO, logger="strideguard.plugins"):
        host.assess(OUTSIDE)
    traces = [r.getMessage() for r in caplog.records if "plugin trace" in r.getMessage()]
    assert any(t.startswith("plugin trace: fake.strideguard_assess") and t.endswith("ms ok")
               for t in traces)
    assert any("raiser.strideguard_assess" in t and "raised RuntimeError" in t for t in traces)


def test_no_trace_by_default(caplog: pytest.LogCaptureFixture) -> None:
    host = PluginHost()
    host.register(Returns([valid()]), "fake")
    with caplog.at_level(logging.INFO, logger="strideguard.plugins"):
        host.assess(OUTSIDE)
    assert not [r for r in caplog.records if "plugin trace" in r.getMessage()]


def test_hosts_do_not_share_state() -> None:
    first, second = PluginHost(max_failures=1), PluginHost()
    first.register(Raises(), "raiser")
    first.assess(OUTSIDE)
    assert names_by_status(first) == {"raiser": "disabled"}
    assert second.plugins_report() == []


# -- the three hooks, as the app calls them ------------------------------------------------


def test_hook_strideguard_conditions(knee_host: PluginHost) -> None:
    class Extra:
        @hookimpl
        def strideguard_conditions(self):
            return [Condition("back_of_knee", "Behind the knee", "Could be…", ("back_of_knee",))]

    class Broken:
        @hookimpl
        def strideguard_conditions(self):
            return [{"id": "broken", "name": "B", "summary": "s", "locations": ["elbow"]}]

    knee_host.register(Extra(), "extra")
    knee_host.register(Broken(), "broken")
    every = knee_host.conditions()
    assert [c["id"] for c in every] == [*KNEE, "back_of_knee"]
    assert not any(c["match"] for c in every)
    assert next(c for c in every if c["id"] == "it_band")["name"] == "IT band syndrome"
    assert [c["id"] for c in knee_host.conditions("back_of_knee")][0] == "back_of_knee"
    assert "locations must be" in names_last_error(knee_host, "broken")


def names_last_error(host: PluginHost, name: str) -> str:
    return next(p["last_error"] for p in host.plugins_report() if p["name"] == name)


@pytest.mark.parametrize(
    ("location", "first"),
    [
        ("outside", ["it_band"]),
        ("below_kneecap", ["patellar_tendinopathy"]),
        ("around_kneecap", ["runners_knee"]),
        ("on_kneecap", ["bursitis", "runners_knee"]),  # main location first
        ("inside_below_joint", ["bursitis", "meniscus_tear"]),
        ("whole_knee", ["meniscus_tear"]),
        ("back_of_knee", []),
    ],
)
def test_conditions_ranked_by_location(
    knee_host: PluginHost, location: str, first: list[str]
) -> None:
    ranked = knee_host.conditions(location)
    assert len(ranked) == len(KNEE)
    matching = [c["id"] for c in ranked if c["match"]]
    assert matching == first
    assert [c["id"] for c in ranked][: len(first)] == first


def test_hook_strideguard_checkin_questions(knee_host: PluginHost) -> None:
    class Choice:
        @hookimpl
        def strideguard_checkin_questions(self, conditions):
            return [Question("shoe.kind", "Which shoes today?", "choice", ("old", "new")),
                    {"id": "shoe.bad", "prompt": "?", "type": "choice", "options": ["one"]}]

    assert knee_host.checkin_questions([]) == []
    questions = knee_host.checkin_questions(["it_band", "bursitis", "unknown"])
    assert {q["condition"] for q in questions} == {"it_band", "bursitis"}
    assert all(q["id"].startswith(q["condition"] + ".") for q in questions)
    assert all(q["type"] in ("boolean", "scale", "choice") for q in questions)
    knee_host.register(Choice(), "shoe")
    assert not [q for q in knee_host.checkin_questions(["x"]) if q["plugin"] == "shoe"]
    assert "at least two options" in names_last_error(knee_host, "shoe")


def test_hook_strideguard_assess(knee_host: PluginHost) -> None:
    snap = day_snapshot(
        D,
        checkin=CheckinSnap(date=D, pain=2, location="below_kneecap"),
        settings=RunnerSettings(conditions=("runners_knee",)),
    )
    advice = knee_host.assess(snap)
    plugins = {a.source.plugin for a in advice}
    assert plugins == {"runners_knee", "patellar_tendinopathy"}
    assert all(a.source.version == "0.1.0" for a in advice)
    assert all(a.id.split(".")[0] == a.source.plugin for a in advice)
