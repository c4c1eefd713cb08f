"""Where plugin calls run: on probation in a lane of the host's pool (one thread per hook call,
each call with its own budget); a built-in plugin inline on the caller's thread after
``inline_after`` timely calls, and back on the pool for good after one overrun; a third-party
plugin on the pool for good."""

from __future__ import annotations

import threading
import time
from datetime import date
from typing import Any

from strideguard.guidance.builder import day_snapshot
from strideguard.guidance.hookspecs import hookimpl
from strideguard.guidance.host import PluginHost
from strideguard.guidance.snapshot import CheckinSnap

D = date(2025, 3, 12)
SNAP = day_snapshot(D, checkin=CheckinSnap(date=D, pain=2, location="outside"))


def advice(plugin: str) -> dict[str, Any]:
    return {"id": f"{plugin}.said", "action": "info", "severity": "info", "title": "Said", "message": "m."}


class Recorder:
    """Returns one advice item and remembers the thread of every call; sleeps ``delays[i]``
    seconds on call ``i`` (0 when not listed)."""

    def __init__(self, name: str, delays: dict[int, float] | None = None) -> None:
        self.name = name
        self.delays = delays or {}
        self.threads: list[int] = []

    @hookimpl
    def strideguard_assess(self, snapshot):
        call = len(self.threads)
        self.threads.append(threading.get_ident())
        time.sleep(self.delays.get(call, 0.0))
        return [advice(self.name)]


def ids(host: PluginHost) -> list[str]:
    return sorted(a.id for a in host.assess(SNAP))


def record(host: PluginHost, name: str) -> Any:
    return host._records[name]


def test_a_plugin_on_probation_runs_on_a_pool_thread_then_inline() -> None:
    host = PluginHost(budget_s=0.5, inline_after=3)
    plugin = Recorder("fast")
    host.register(plugin, "fast", builtin=True)
    me = threading.get_ident()
    for _ in range(5):
        assert ids(host) == ["fast.said"]
    assert all(t != me for t in plugin.threads[:3])  # probation: the pool
    assert plugin.threads[3:] == [me, me]  # then inline, on the caller's thread
    assert record(host, "fast").inline and host.plugins_report()[0]["status"] == "active"


def test_inline_after_zero_keeps_every_call_on_the_pool() -> None:
    host = PluginHost(budget_s=0.5, inline_after=0)
    plugin = Recorder("fast")
    host.register(plugin, "fast", builtin=True)
    for _ in range(30):
        assert ids(host) == ["fast.said"]
    assert threading.get_ident() not in plugin.threads
    assert not record(host, "fast").inline


def test_an_inline_call_that_overruns_fails_drops_its_result_and_returns_to_the_pool() -> None:
    host = PluginHost(budget_s=0.1, inline_after=2, max_failures=3)
    plugin = Recorder("turns_slow", delays={2: 0.2, 3: 0.3})
    other = Recorder("steady")
    host.register(plugin, "turns_slow", builtin=True)
    host.register(other, "steady", builtin=True)
    me = threading.get_ident()
    assert ids(host) == ids(host) == ["steady.said", "turns_slow.said"]  # probation
    # Call 3 runs inline (after 2 timely calls) and takes 0.2 s: a failure, its advice dropped.
    started = time.perf_counter()
    assert ids(host) == ["steady.said"]
    assert plugin.threads[2] == me
    assert time.perf_counter() - started >= 0.2  # inline: the caller waited for it
    state = record(host, "turns_slow")
    assert (state.inline, state.overran, state.failures) == (False, True, 1)
    assert "overran its 0.1 s budget inline" in state.last_error
    # Back on the pool for good: call 4 (0.3 s) is abandoned at the budget, not waited for.
    started = time.perf_counter()
    assert ids(host) == ["steady.said"]
    assert time.perf_counter() - started < 0.28  # the call takes 0.3 s
    assert plugin.threads[3] != me
    assert "timed out after 0.1 s" in record(host, "turns_slow").last_error
    time.sleep(0.35)  # the abandoned call ends
    for _ in range(5):  # timely again, but it overran once: never inline again
        assert ids(host) == ["steady.said", "turns_slow.said"]
    assert all(t != me for t in plugin.threads[4:])
    assert record(host, "steady").inline and not record(host, "turns_slow").inline


def test_a_plugin_that_overran_on_probation_is_never_called_inline() -> None:
    host = PluginHost(budget_s=0.1, inline_after=2, max_failures=5)
    plugin = Recorder("late_once", delays={0: 0.2})
    host.register(plugin, "late_once", builtin=True)
    assert ids(host) == []
    time.sleep(0.2)
    for _ in range(6):
        assert ids(host) == ["late_once.said"]
    assert threading.get_ident() not in plugin.threads
    assert record(host, "late_once").overran and not record(host, "late_once").inline


def test_each_call_in_a_lane_has_its_own_budget_and_a_late_one_does_not_hold_up_the_rest() -> None:
    host = PluginHost(budget_s=0.15, inline_after=0)
    first, hangs, last = Recorder("a_first", {0: 0.1}), Recorder("b_hangs", {0: 1.0}), Recorder("c_last", {0: 0.1})
    for plugin in (first, hangs, last):
        host.register(plugin, plugin.name)
    started = time.perf_counter()
    said = set(ids(host))  # (sorted: the hook order is pluggy's, last registered first)
    elapsed = time.perf_counter() - started
    # 0.1 s + 0.1 s in one lane is over one budget, yet neither is late; the hang is abandoned
    # at its own budget and the call after it still runs (on a new lane).
    assert said == {"a_first.said", "c_last.said"}
    assert elapsed < 0.1 + 0.15 + 0.1 + 0.25, elapsed
    assert len(first.threads) == len(hangs.threads) == len(last.threads) == 1
    assert "timed out after 0.15 s" in record(host, "b_hangs").last_error
    assert record(host, "a_first").failures == record(host, "c_last").failures == 0


def test_a_lane_runs_the_plugins_of_one_hook_call_on_one_thread() -> None:
    host = PluginHost(budget_s=0.5, inline_after=0)
    plugins = [Recorder(f"p{i}") for i in range(4)]
    for plugin in plugins:
        host.register(plugin, plugin.name)
    assert len(ids(host)) == 4
    assert len({p.threads[0] for p in plugins}) == 1  # one hand-off, not four
    assert plugins[0].threads[0] != threading.get_ident()
