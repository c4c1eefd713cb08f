"""The engine: status, ordering, de-duplication, the all-clear and the JSON shape."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from strideguard.guidance.advice import ACTIONS, Advice, Source
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


def test_done_when_a_12_percent_week_with_pain_4() -> None:
    """The issue's acceptance case: stop, rest, therapist and a capped week, with numbers."""
    snap = day_snapshot(
        D,
        checkin=CheckinSnap(date=D, pain=4),
        runs=[run(9, 10000), run(2, 11200)],
    )
    guidance = assess_day(snap)
    assert guidance.status == "stop"
    by_id = {a.id: a for a in guidance.advice}
    assert by_id["core.pain_threshold"].action == "stop_running"
    assert by_id["core.pain_rest"].action == "rest"
    assert by_id["core.pain_contact_pt"].action == "contact_pt"
    jump = by_id["core.distance_jump"]
    assert jump.title == "Keep the next 7 days under 12.3 km"
    assert {r.metric: r.value for r in jump.reasons}["distance_pct"] == 12.0
    assert {(r.metric, r.value, r.threshold) for r in by_id["core.pain_threshold"].reasons} == {
        ("pain", 4, 3)
    }
    assert "core.all_clear" not in by_id


def test_a_quiet_day_is_ok_with_the_all_clear_only() -> None:
    snap = day_snapshot(D, checkin=CheckinSnap(date=D, pain=1), runs=[run(9, 10000), run(2, 10000)])
    guidance = assess_day(snap)
    assert guidance.status == "ok"
    assert [a.id for a in guidance.advice] == ["core.all_clear"]


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
    assert set(data) == {"as_of", "status", "advice", "plugins"}
    assert data["as_of"] == "2025-03-12"
    assert data["plugins"] == []
    first = data["advice"][0]
    assert set(first) == {
        "id", "action", "severity", "title", "message", "reasons", "evidence", "source"
    }
    assert set(first["reasons"][0]) == {"metric", "value", "threshold"}
    assert set(first["source"]) == {"plugin", "version"}


class Twice:
    """Two plugins returning the same advice id: the first registered wins."""

    def __init__(self, title: str) -> None:
        self.title = title

    @hookimpl
    def strideguard_assess(self, snapshot):
        return [{"id": "dup.same", "action": "info", "severity": "info", "title": self.title,
                 "message": "m"}]


def test_plugin_advice_is_merged_deduplicated_and_listed() -> None:
    host = PluginHost()
    host.register(Twice("first"), "a_first")
    host.register(Twice("second"), "b_second")
    guidance = assess_day(day_snapshot(D), host)
    dups = [a for a in guidance.advice if a.id == "dup.same"]
    assert [a.title for a in dups] == ["first"]
    assert dups[0].source == Source("a_first", "0")
    assert guidance.plugins == (
        {"name": "a_first", "status": "active"}, {"name": "b_second", "status": "active"}
    )
    # plugin info advice does not suppress the all-clear
    assert "core.all_clear" in {a.id for a in guidance.advice}
