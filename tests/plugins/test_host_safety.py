"""What a third-party plugin may not do: run on the request's thread, speak for another plugin,
take another's condition, hide stricter advice; and what the host reports instead of staying
silent (unmarked hooks, unknown allow/block names, multi-line errors)."""

from __future__ import annotations

import importlib
import json
import logging
import threading
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from strideguard.guidance.builder import day_snapshot
from strideguard.guidance.engine import assess_day
from strideguard.guidance.hookspecs import hookimpl
from strideguard.guidance.host import PluginHost, create_host
from strideguard.guidance.snapshot import CheckinSnap
from strideguard_knee import CONDITIONS as KNEE

D = date(2025, 3, 12)
BELOW = day_snapshot(D, checkin=CheckinSnap(date=D, pain=2, location="below_kneecap"))

FAST = """
    import threading
    from strideguard import hookimpl

    THREADS = []

    @hookimpl
    def strideguard_assess(snapshot):
        THREADS.append(threading.get_ident())
        return [{"id": "fastplug.said", "action": "info", "severity": "info",
                 "title": "Said", "message": "m."}]
"""


def card(plugin: str, rule: str = "said", **over: Any) -> dict[str, Any]:
    item = {"id": f"{plugin}.{rule}", "action": "info", "severity": "info", "title": "Said",
            "message": "Said so."}
    item.update(over)
    return item


class Says:
    """A plugin object whose hooks return fixed answers."""

    def __init__(self, advice: Any = (), questions: Any = (), conditions: Any = ()) -> None:
        self.advice, self.questions, self.conditions = list(advice), list(questions), list(conditions)

    @hookimpl
    def strideguard_assess(self, snapshot):
        return self.advice

    @hookimpl
    def strideguard_checkin_questions(self, conditions):
        return self.questions

    @hookimpl
    def strideguard_conditions(self):
        return self.conditions


def entry(host: PluginHost, name: str) -> dict[str, Any]:
    return next(p for p in host.plugins_report() if p["name"] == name)


# -- 1. only StrideGuard's own plugins are ever called inline ----------------------------------


def test_a_third_party_plugin_is_never_promoted_to_inline(make_dist: Callable[[str, str], None]) -> None:
    make_dist("fastplug", FAST)
    host = create_host(allowlist={"fastplug", "it_band"}, budget_s=0.5, inline_after=2)
    me = threading.get_ident()
    for _ in range(6):
        assert "fastplug.said" in {a.id for a in host.assess(BELOW)}
    threads = importlib.import_module("sgtest_fastplug").THREADS
    assert len(threads) == 6 and me not in threads  # every call on the pool, with its budget
    assert not host._records["fastplug"].inline
    # The built-in conditions come from the strideguard distribution itself: promoted.
    assert host._records["it_band"].builtin and host._records["it_band"].inline


def test_a_plugin_registered_without_builtin_stays_on_the_pool() -> None:
    class Recorder:
        def __init__(self) -> None:
            self.threads: list[int] = []

        @hookimpl
        def strideguard_assess(self, snapshot):
            self.threads.append(threading.get_ident())
            return [card("timely")]

    host = PluginHost(budget_s=0.5, inline_after=1)
    plugin = Recorder()
    host.register(plugin, "timely")
    for _ in range(5):
        assert [a.id for a in host.assess(BELOW)] == ["timely.said"]
    assert threading.get_ident() not in plugin.threads
    assert not host._records["timely"].inline


# -- 2. a plugin's ids are its own --------------------------------------------------------------


def test_a_plugin_cannot_replace_another_plugins_card() -> None:
    host = PluginHost(budget_s=2.0)
    host.register(Says([card("patellar_tendinopathy", "unload", title="All fine, run on")]), "aaa_shadow")
    for name in KNEE:  # after the shadow, as entry points load in name order
        host.register(importlib.import_module(f"strideguard_knee.{name}"), name, "0.1.0")
    guidance = assess_day(BELOW, host)
    unload = next(a for a in guidance.advice if a.id == "patellar_tendinopathy.unload")
    assert unload.source.plugin == "patellar_tendinopathy" and unload.action == "reduce_volume"
    assert guidance.status == "caution"
    assert "aaa_shadow" not in {a.source.plugin for a in guidance.advice}
    assert "must start with the plugin's own name 'aaa_shadow.'" in entry(host, "aaa_shadow")["last_error"]


def test_a_plugin_cannot_ask_another_plugins_question(knee_host: PluginHost) -> None:
    other = {"id": "it_band.outside_pain", "prompt": "Sure?", "type": "scale", "condition": "it_band"}
    knee_host.register(Says(questions=[other]), "aaa_shadow")
    asked = knee_host.checkin_questions(["it_band"])
    assert [q["plugin"] for q in asked if q["id"] == "it_band.outside_pain"] == ["it_band"]
    assert next(q for q in asked if q["id"] == "it_band.outside_pain")["type"] == "boolean"
    assert "own name" in entry(knee_host, "aaa_shadow")["last_error"]


def test_a_condition_id_declared_twice_is_refused_and_reported(knee_host: PluginHost) -> None:
    twin = {"id": "it_band", "name": "IT band, mine", "summary": "Could be.", "locations": ["outside"]}
    knee_host.register(Says(conditions=[twin]), "twin", "1.0")
    ids = [c["id"] for c in knee_host.conditions()]
    assert ids.count("it_band") == 1
    report = entry(knee_host, "twin")
    assert report["conditions"] == []
    assert "condition id 'it_band' is already declared by plugin 'it_band'" in report["last_error"]
    for _ in range(2):
        knee_host.conditions()  # asked again each time, and refused each time
    assert entry(knee_host, "twin")["status"] == "disabled"


# -- 3. the most severe of one id wins ------------------------------------------------------------


def test_the_most_severe_card_of_an_id_is_kept_and_sets_the_verdict() -> None:
    host = PluginHost()
    host.register(Says([card("twice", "knee"),
                        card("twice", "knee", action="contact_doctor", severity="urgent",
                             title="Call a doctor today")]), "twice")
    guidance = assess_day(day_snapshot(D, checkin=CheckinSnap(date=D, pain=1)), host)
    (kept,) = [a for a in guidance.advice if a.id == "twice.knee"]
    assert (kept.action, kept.severity) == ("contact_doctor", "urgent")
    assert guidance.status == "stop"


# -- 7. a Decimal reason is a number ------------------------------------------------------------


def test_a_decimal_reason_is_accepted_and_written_as_a_json_number() -> None:
    host = PluginHost()
    reasons = [{"metric": "two_week_change_pct", "value": Decimal("12.5"), "threshold": Decimal("10")}]
    host.register(Says([card("loady", reasons=reasons)]), "loady")
    (advice,) = host.assess(BELOW)
    assert json.loads(json.dumps(advice.to_dict()))["reasons"] == [
        {"metric": "two_week_change_pct", "value": 12.5, "threshold": 10.0}]
    assert entry(host, "loady")["last_error"] is None


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_a_non_finite_decimal_reason_is_rejected(bad: Decimal) -> None:
    host = PluginHost()
    host.register(Says([card("loady", reasons=[{"metric": "x", "value": bad}])]), "loady")
    assert host.assess(BELOW) == []
    assert "invalid data" in entry(host, "loady")["last_error"]


# -- 11. plugin text is plain text -------------------------------------------------------------

HIDDEN = {
    "bidi override in a title": [card("txt", title="Rest \u202etoday")],
    "escape in a message": [card("txt", message="Run \x1b[31mmore\x1b[0m.")],
    "line break in a title": [card("txt", title="Rest\ntoday")],
    "isolate in evidence": [card("txt", evidence="Source \u2066x\u2069")],
    "bidi in a reason text": [card("txt", reasons=[{"metric": "where", "value": "out\u202eside"}])],
    "C1 control in a message": [card("txt", message="Stop\x85now.")],
}


@pytest.mark.parametrize("output", HIDDEN.values(), ids=HIDDEN.keys())
def test_plugin_advice_with_control_or_bidi_characters_is_invalid(output: Any) -> None:
    host = PluginHost()
    host.register(Says(output), "txt")
    assert host.assess(BELOW) == []
    assert "control or bidirectional characters" in entry(host, "txt")["last_error"]


def test_plugin_questions_and_conditions_with_hidden_characters_are_invalid() -> None:
    host = PluginHost()
    host.register(Says(questions=[{"id": "txt.q", "prompt": "Sore\u202e?", "type": "boolean"}],
                       conditions=[{"id": "txt", "name": "T\u0007", "summary": "Could be.",
                                    "locations": []}]), "txt")
    host.register(Says(questions=[{"id": "opt.q", "prompt": "Which?", "type": "choice",
                                   "options": ["left", "ri\u202eght"]}]), "opt")
    assert host.checkin_questions([]) == []
    assert host.conditions() == []
    assert "control or bidirectional" in entry(host, "txt")["last_error"]
    assert "options must be" in entry(host, "opt")["last_error"]


def test_accented_text_and_emoji_stay_valid() -> None:
    host = PluginHost()
    host.register(Says([card("txt", title="Repos aujourd'hui \U0001f3c3\u200d\u2640\ufe0f",
                             message="Genou gonflé: évitez la course.")]), "txt")
    assert [a.id for a in host.assess(BELOW)] == ["txt.said"]


# -- 8, 9, 10. what the host reports --------------------------------------------------------------


def test_hook_functions_without_hookimpl_make_the_plugin_failed(make_dist: Callable[[str, str], None]) -> None:
    make_dist("unmarked", """
        def strideguard_assess(snapshot):  # no @hookimpl: pluggy would skip it
            return [{"id": "unmarked.x", "action": "info", "severity": "info",
                     "title": "t", "message": "m"}]
    """)
    host = create_host(allowlist={"unmarked"})
    report = entry(host, "unmarked")
    assert report["status"] == "failed"
    assert report["last_error"] == "not marked @hookimpl: strideguard_assess"


def test_a_multi_line_error_is_reported_on_one_line() -> None:
    class Raises:
        @hookimpl
        def strideguard_assess(self, snapshot):
            raise ValueError("first line\n  second line\r\n\tthird")

    host = PluginHost()
    host.register(Raises(), "raises")
    host.assess(BELOW)
    assert entry(host, "raises")["last_error"] == (
        "strideguard_assess: raised ValueError: first line second line third")


def test_allow_and_block_names_that_match_no_plugin_are_warned_about(
    make_dist: Callable[[str, str], None], caplog: pytest.LogCaptureFixture,
) -> None:
    make_dist("okplug", FAST.replace("fastplug", "okplug"))
    with caplog.at_level(logging.WARNING, logger="strideguard.plugins"):
        host = create_host(allowlist={"runnersknee", "okplug"}, blocklist={"it_bnad"})
    assert host.warnings == [
        "STRIDEGUARD_PLUGINS_ALLOW names 'runnersknee', which matches no installed plugin",
        "STRIDEGUARD_PLUGINS_BLOCK names 'it_bnad', which matches no installed plugin",
    ]
    logged = [r.getMessage() for r in caplog.records]
    assert any("'runnersknee', which matches no installed plugin" in m for m in logged)
    assert entry(host, "runners_knee")["status"] == "disabled"


def test_a_host_with_matching_names_has_no_warnings() -> None:
    assert create_host(allowlist=set(KNEE), blocklist={"it_band"}).warnings == []


@pytest.mark.parametrize("app", [{"PLUGINS_ALLOW": ["runners_knee", "runersknee"]}], indirect=True)
def test_plugins_list_shows_the_unmatched_name_and_one_line_per_plugin(app) -> None:
    result = app.test_cli_runner().invoke(args=["plugins", "list"])
    assert result.exit_code == 0, result.output
    assert "warning: STRIDEGUARD_PLUGINS_ALLOW names 'runersknee', which matches no installed plugin" in result.output
    rows = [line for line in result.output.splitlines() if not line.startswith("warning:")]
    assert {line.split()[0] for line in rows} >= set(KNEE)
