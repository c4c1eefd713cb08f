"""Plugin faults through the whole app: plugins that hang (5 s), raise, or return 1 MB of text
never delay a check-in past the time budget, the other plugins' advice is intact, and after
``PLUGIN_MAX_FAILURES`` calls the bad plugins are reported ``disabled`` by GET /plugins."""

from __future__ import annotations

import time

import pytest

from strideguard.guidance.hookspecs import hookimpl
from strideguard.guidance.service import EXTENSION_KEY
from tests.conftest import Runner
from tests.security.backends import SQLITE_ONLY

pytestmark = SQLITE_ONLY  # the plugin host sits above the database

BUDGET_S = 0.5
MAX_FAILURES = 3
HANG_S = 5.0
#: A PUT with faulty plugins may take the budget once (the calls run in parallel) plus the
#: normal work of a check-in; the bound is far below the 5 s hang and tolerant of a busy CI box.
BOUND_S = BUDGET_S * 3 + 0.5
MEGABYTE = "x" * (1024 * 1024)


class Hangs:
    @hookimpl
    def strideguard_assess(self, snapshot):
        time.sleep(HANG_S)
        return []


class Raises:
    @hookimpl
    def strideguard_assess(self, snapshot):
        raise RuntimeError("plugin bug " + "y" * 5000)


class Floods:
    @hookimpl
    def strideguard_assess(self, snapshot):
        return [{"id": "floods.big", "action": "info", "severity": "info",
                 "title": "Big", "message": MEGABYTE}]


class FloodsWithAString:
    @hookimpl
    def strideguard_assess(self, snapshot):
        return MEGABYTE


class Fine:
    @hookimpl
    def strideguard_assess(self, snapshot):
        return [{"id": "fine.hello", "action": "info", "severity": "info",
                 "title": "Keep your log going", "message": "A plugin that behaves."}]


BAD = {"hangs": Hangs, "raises": Raises, "floods": Floods, "floods_str": FloodsWithAString}
SETTINGS = {"PLUGIN_BUDGET_S": BUDGET_S, "PLUGIN_MAX_FAILURES": MAX_FAILURES}


@pytest.fixture
def faulty_app(app):
    host = app.extensions[EXTENSION_KEY]
    for name, cls in {**BAD, "fine": Fine}.items():
        host.register(cls(), name, "9.9.9")
    return app


def plugin_status(runner: Runner) -> dict[str, str]:
    response = runner.get("/api/v1/plugins")
    assert response.status_code == 200
    assert len(response.get_data()) < 50_000  # the 1 MB never reaches a response
    return {p["name"]: p["status"] for p in response.get_json()}


@pytest.mark.parametrize("app", [SETTINGS], indirect=True)
def test_faulty_plugins_never_delay_a_check_in_and_end_disabled(faulty_app) -> None:
    runner = Runner(faulty_app)
    baseline_names = {n: s for n, s in plugin_status(runner).items() if n not in {*BAD, "fine"}}
    assert baseline_names and set(baseline_names.values()) == {"active"}

    timings = []
    for i in range(MAX_FAILURES + 2):
        day = f"2026-10-{10 + i:02d}"
        started = time.perf_counter()
        response = runner.put(f"/api/v1/checkins/{day}", json={"pain": 5, "location": "outside"})
        timings.append(time.perf_counter() - started)
        assert response.status_code in (200, 201), response.get_json()
        body = response.get_json()
        assert len(response.get_data()) < 100_000
        ids = {a["id"] for a in body["guidance"]["advice"]}
        assert "fine.hello" in ids  # the well-behaved plugin still advises
        assert any(a.startswith("core.") for a in ids)  # and so do the core rules
        assert not any(a.startswith("floods.") for a in ids)
    print(f"\nplugin faults: PUT check-in seconds {[round(t, 3) for t in timings]} "
          f"(budget {BUDGET_S} s, hang {HANG_S} s)")
    assert max(timings) < BOUND_S, timings

    status = plugin_status(runner)
    assert {name: status[name] for name in BAD} == {name: "disabled" for name in BAD}
    assert status["fine"] == "active"
    assert {n: status[n] for n in baseline_names} == baseline_names  # built-ins untouched
    report = {p["name"]: p for p in faulty_app.extensions[EXTENSION_KEY].plugins_report()}
    assert "timed out" in report["hangs"]["last_error"] or "still running" in report["hangs"]["last_error"]
    assert "plugin bug" in report["raises"]["last_error"] and len(report["raises"]["last_error"]) < 400
    assert len(report["floods"]["last_error"]) < 400

    # Disabled plugins are not called any more: the next check-ins cost no budget at all.
    started = time.perf_counter()
    assert runner.put("/api/v1/checkins/2026-10-30", json={"pain": 1}).status_code == 201
    assert time.perf_counter() - started < BUDGET_S + 0.5


@pytest.mark.parametrize("app", [SETTINGS], indirect=True)
def test_guidance_reports_the_plugin_statuses_with_each_answer(faulty_app) -> None:
    runner = Runner(faulty_app)
    for i in range(MAX_FAILURES):
        response = runner.put(f"/api/v1/checkins/2026-10-{10 + i:02d}", json={"pain": 2})
        assert response.status_code == 201
    reported = {p["name"]: p["status"] for p in response.get_json()["guidance"]["plugins"]}
    assert all(reported[name] == "disabled" for name in BAD)
    assert reported["fine"] == "active"
    guidance = runner.get("/api/v1/guidance?date=2026-10-12")
    assert guidance.status_code == 200
    assert "fine.hello" in {a["id"] for a in guidance.get_json()["advice"]}
