"""The engine: status, ordering, de-duplication, the all-clear and the JSON shape."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from strideguard.guidance.advice import ACTIONS, RUN_ACTIONS, Advice, Source
from strideguard.guidance.builder import day_snapshot
from strideguard.guidance.engine import assess_day, dedupe, order, status_of
from strideguard.guidance.hookspecs import hookimpl
from strideguard.guidance.host import PluginHost
from strideguard.guidance.snapshot import CheckinSnap, RunnerSettings, RunSnap

D = date(2025, 3, 12)


def advice(aid: str, action: str = "info", severity: str = "info") -> Advice:
    return Advice(aid, action, severity, "Title", "Message", source=Source("core", "1"))


def run(days_ago: int, metres: float, **kw) -> RunSnap:
    return RunSnap(id=f"r{days_ago}", date=D - timedelta(days=days_ago), distance_m=metres,
                   duration_s=metres / 3, **kw)


STATUS = {
    "rest": "stop", "stop_running": "stop", "contact_doctor": "stop",
    "reduce_volume": "caution", "reduce_intensity": "caution", "contact_pt": "caution",
    "return_gradually": "caution", "replace_shoes": "caution",
    "keep_running": "ok", "info": "ok",
}


def test_status_table_covers_every_action() -> None:
    assert set(STATUS) == set(ACTIONS)


@pytest.mark.parametrize(("action", "status"), sorted(STATUS.items()))
def test_status_follows_the_actions(action: str, status: str) -> None:
    assert status_of([advice("a.b", "info"), advice("a.c", action)]) == status
    assert status_of([]) == "ok"


def test_stop_beats_caution() -> None:
    assert status_of([advice("a.b", "reduce_volume"), advice("a.c", "rest")]) == "stop"


def test_order_is_most_severe_first_and_stable() -> None:
    items = [advice("x.info", severity="info"), advice("x.caution1", severity="caution"),
             advice("x.urgent", severity="urgent"), advice("x.caution2", severity="caution"),
             advice("x.warning", severity="warning")]
    assert [a.id for a in order(items)] == [
        "x.urgent", "x.warning", "x.caution1", "x.caution2", "x.info"
    ]


def test_dedupe_keeps_the_first_of_each_id() -> None:
    first, second = advice("x.same", "rest"), advice("x.same", "info")
    assert dedupe([first, advice("x.other"), second]) == [first, advice("x.other")]


def test_a_jump_week_with_pain_4_stops_with_the_plan_and_the_numbers() -> None:
    """Stop: ONE verdict card (rest day 1 of 2, carrying the pain), the therapist — and no
    "run less" advice under the stop."""
    history = [RunSnap(id="w", date=D - timedelta(days=8), distance_m=10000, duration_s=3300)]
    snap = day_snapshot(D, checkin=CheckinSnap(date=D, pain=4), runs=history + [run(2, 11200)])
    guidance = assess_day(snap)
    assert guidance.status == "stop"
    by_id = {a.id: a for a in guidance.advice}
    assert "core.pain_threshold" not in by_id  # the rest card says it: no second card
    assert by_id["core.rest_day"].title == "Rest day 1 of 2: no running"
    assert by_id["core.pain_contact_pt"].action == "contact_pt"
    assert ("pain", 4, 3) in {(r.metric, r.value, r.threshold) for r in by_id["core.rest_day"].reasons}
    assert [a.id for a in guidance.advice if a.source.kind == "plan"] == ["core.rest_day"]
    assert "core.distance_jump" not in by_id  # the plan is in rest: no weekly cap advice
    assert "core.all_clear" not in by_id
    assert not [a for a in guidance.advice if a.action in RUN_ACTIONS]


def test_a_jump_week_without_pain_holds_the_cap() -> None:
    history = [RunSnap(id="w", date=D - timedelta(days=9), distance_m=10000, duration_s=3300)]
    guidance = assess_day(day_snapshot(D, runs=history + [run(2, 11200)]))
    assert guidance.status == "caution"
    jump = {a.id: a for a in guidance.advice}["core.distance_jump"]
    assert jump.title.startswith("Over this week's cap: ") and jump.title.endswith(" of 11.0 km")
    assert {r.metric: r.value for r in jump.reasons}["distance_pct"] == 12.0


def test_a_quiet_day_is_ok_with_the_all_clear_and_a_calm_note() -> None:
    history = [RunSnap(id="w", date=D - timedelta(days=8), distance_m=10000, duration_s=3300)]
    snap = day_snapshot(D, checkin=CheckinSnap(date=D, pain=1), runs=history + [run(2, 10000)])
    guidance = assess_day(snap)
    assert guidance.status == "ok"
    assert [a.id for a in guidance.advice] == ["core.mild_pain", "core.all_clear"]


@pytest.mark.parametrize(("morning", "fires"), [(3, False), (4, True), (10, True)])
def test_a_morning_above_the_limit_is_never_an_all_clear(morning: int, fires: bool) -> None:
    # Found trying it: pain 0 and a morning of 10/10 ("could barely walk") read "Keep running.
    # Nothing in your check-in or runs needs a change."
    history = [RunSnap(id="w", date=D - timedelta(days=9), distance_m=10000, duration_s=3300)]
    snap = day_snapshot(D, checkin=CheckinSnap(date=D, pain=0, morning_pain=morning), runs=history)
    guidance = assess_day(snap)
    ids = [a.id for a in guidance.advice]
    assert ("core.morning_pain" in ids) is fires
    assert ("core.all_clear" in ids) is not fires
    assert guidance.status == ("caution" if fires else "ok")
    if fires:
        card = {a.id: a for a in guidance.advice}["core.morning_pain"]
        assert (card.action, card.title) == ("contact_pt", "Tell your therapist about your mornings")
        assert [(r.metric, r.value, r.threshold) for r in card.reasons] == [("morning_pain", morning, 3)]
        assert "could" in card.message and snap.plan.name == "normal"  # not pain for the plan


def test_fever_comes_first() -> None:
    snap = day_snapshot(D, checkin=CheckinSnap(date=D, pain=5, fever=True, swelling=True))
    guidance = assess_day(snap)
    assert guidance.advice[0].id == "core.fever"
    assert guidance.advice[0].severity == "urgent"
    assert guidance.status == "stop"


def test_detector_alone_gives_caution_not_stop() -> None:
    runs = [run(20, 5000), run(18, 5000), run(16, 5000), run(15, 5000), run(9, 5000), run(8, 5000)]
    snap = day_snapshot(D, runs=runs + [run(0, 5600)])
    guidance = assess_day(snap)
    assert [a.id for a in guidance.advice] == ["core.single_run_spike"]
    assert guidance.status == "caution"


def test_to_dict_matches_the_design_contract() -> None:
    snap = day_snapshot(D, checkin=CheckinSnap(date=D, pain=4), settings=RunnerSettings())
    data = assess_day(snap, PluginHost()).to_dict()
    assert set(data) == {"as_of", "status", "advice", "plugins", "plan", "reconciled"}
    assert data["plan"]["state"] == "rest" and data["plan"]["today"]["verdict"] == data["status"]
    assert data["as_of"] == "2025-03-12"
    assert data["plugins"] == []
    first = data["advice"][0]
    assert set(first) == {
        "id", "action", "severity", "title", "message", "reasons", "evidence", "source"
    }
    assert set(first["reasons"][0]) == {"metric", "value", "threshold"}
    assert set(first["source"]) == {"plugin", "version", "kind"}


class Twice:
    """Two plugins returning the same advice id: the first registered wins."""

    def __init__(self, title: str) -> None:
        self.title = title

    @hookimpl
    def strideguard_assess(self, snapshot):
        return [{"id": "dup.same", "action": "info", "severity": "info", "title": f"{self.title} {n}",
                 "message": "m"} for n in (1, 2)]


def test_plugin_advice_is_merged_deduplicated_and_listed() -> None:
    # A plugin's ids are its own (``<plugin>.<rule>``): one plugin saying the same card twice
    # shows it once (the first, at equal severity); another plugin's card stays beside it.
    host = PluginHost()
    host.register(Twice("first"), "dup")
    host.register(Twice("second"), "other")
    guidance = assess_day(day_snapshot(D), host)
    dups = [a for a in guidance.advice if a.id == "dup.same"]
    assert [a.title for a in dups] == ["first 1"]
    assert dups[0].source == Source("dup", "0", "plugin")
    assert [p["name"] for p in guidance.plugins] == ["dup", "other"]
    # "other" used an id not its own: its answer is refused (a failure), nothing of it shown
    assert not [a for a in guidance.advice if a.source.plugin == "other"]
    assert host.failures_seen
    # plugin info advice does not suppress the all-clear
    assert "core.all_clear" in {a.id for a in guidance.advice}


class KeepRunning:
    """A plugin that always says "keep running" — and once a "reduce" that still says run."""

    @hookimpl
    def strideguard_assess(self, snapshot):
        return [
            {"id": "eager.keep_running", "action": "keep_running", "severity": "info",
             "title": "Keep running!", "message": "A little pain is fine."},
            {"id": "eager.run_less", "action": "reduce_volume", "severity": "caution",
             "title": "Run a bit less", "message": "Shorter runs for now."},
        ]


class SaysRest:
    @hookimpl
    def strideguard_assess(self, snapshot):
        return [{"id": "careful.rest", "action": "rest", "severity": "warning",
                 "title": "Rest today", "message": "Our question says the knee locked."}]


def test_a_plugin_cannot_say_run_under_a_stop() -> None:
    host = PluginHost()
    host.register(KeepRunning(), "eager")
    guidance = assess_day(day_snapshot(D, checkin=CheckinSnap(date=D, pain=6)), host)
    assert guidance.status == "stop"
    assert not [a for a in guidance.advice if a.action in RUN_ACTIONS]
    assert {(r.advice.id, r.reason) for r in guidance.reconciled} == {
        ("eager.keep_running", "verdict_stop"), ("eager.run_less", "verdict_stop")}
    assert {r["id"] for r in guidance.to_dict()["reconciled"]} == {"eager.keep_running", "eager.run_less"}


def test_on_a_normal_day_the_plugins_advice_stays() -> None:
    host = PluginHost()
    host.register(KeepRunning(), "eager")
    guidance = assess_day(day_snapshot(D), host)
    assert {"eager.keep_running", "eager.run_less"} <= {a.id for a in guidance.advice}
    assert guidance.status == "caution" and guidance.reconciled == ()


def test_in_the_return_a_plugins_keep_running_gives_way_to_the_session() -> None:
    host = PluginHost()
    host.register(KeepRunning(), "eager")
    snap = day_snapshot(D, runs=[run(20, 5000)])  # 20 days without a run: graded return
    guidance = assess_day(snap, host)
    assert snap.plan.name == "return" and guidance.status == "caution"
    assert [r.advice.id for r in guidance.reconciled] == ["eager.keep_running"]
    assert "core.return_session" in {a.id for a in guidance.advice}


def test_a_plugin_can_make_the_day_stricter_never_looser() -> None:
    host = PluginHost()
    host.register(SaysRest(), "careful")
    guidance = assess_day(day_snapshot(D), host)
    assert guidance.status == "stop"  # the plan says normal; the plugin's rest raises it
    assert guidance.plan.name == "normal"
    assert guidance.to_dict()["plan"]["today"]["verdict"] == "stop"
    assert "core.all_clear" not in {a.id for a in guidance.advice}


def test_below_the_kneecap_under_a_stop_no_advice_says_run() -> None:
    """The issue's case: pain 5/10 below the kneecap showed "Stop running for now" and the
    tendon plugin's "Stop running only if the pain is severe" on one screen."""
    from strideguard.guidance.host import create_host

    host = create_host()  # the installed plugins, loaded through their entry points
    snap = day_snapshot(D, checkin=CheckinSnap(date=D, pain=5, location="below_kneecap"),
                        settings=RunnerSettings(conditions=("patellar_tendinopathy", "bursitis")))
    guidance = assess_day(snap, host)
    assert guidance.status == "stop"
    texts = " ".join(a.title + " " + a.message for a in guidance.advice)
    assert "only if the pain is severe" not in texts
    assert not [a for a in guidance.advice if a.action in RUN_ACTIONS]
