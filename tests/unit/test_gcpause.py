"""The worker's batch passes pause the cyclic garbage collector and put it back as it was."""

from __future__ import annotations

import gc

import pytest

from strideguard import gcpause


@pytest.fixture(autouse=True)
def collector_restored():
    was = gc.isenabled()
    yield
    (gc.enable if was else gc.disable)()


def test_paused_inside_and_enabled_again_after():
    gc.enable()
    with gcpause.paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    with gcpause.paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_enabled_again_when_the_pass_fails():
    gc.enable()
    with pytest.raises(RuntimeError):
        with gcpause.paused():
            raise RuntimeError("the pass failed")
    assert gc.isenabled()


def test_as_a_decorator_each_call_pauses_anew():
    seen = []

    @gcpause.paused()
    def a_pass():
        seen.append(gc.isenabled())

    gc.enable()
    a_pass()
    a_pass()
    assert seen == [False, False] and gc.isenabled()


def test_the_planning_pass_and_the_nightly_step_run_paused(app, monkeypatch):
    from strideguard.plan import advance as plan_advance
    from strideguard.reminders import service
    from strideguard.timeutil import utcnow

    seen: list[tuple[str, bool]] = []

    def recording(name, real):
        def call(*args, **kwargs):
            seen.append((name, gc.isenabled()))
            return real(*args, **kwargs)
        return call

    # The first thing each pass does: build its candidates' clause / select who is behind.
    monkeypatch.setattr(service, "and_", recording("planning pass", service.and_))
    monkeypatch.setattr(plan_advance, "behind", recording("nightly step", plan_advance.behind))
    gc.enable()
    with app.app_context():
        service.plan_scheduled(utcnow())
        plan_advance.advance(utcnow())
    assert ("planning pass", False) in seen and ("nightly step", False) in seen
    assert all(not enabled for _, enabled in seen)
    assert gc.isenabled()
