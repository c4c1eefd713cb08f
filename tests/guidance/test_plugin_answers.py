"""A check-in's answers to plugin questions (``PUT /checkins/{date}``): every id a plugin may
ask can be answered, and an answer must fit its question's type before a plugin reads it."""

from __future__ import annotations

from typing import Any

import pytest

from strideguard.guidance.hookspecs import hookimpl
from strideguard.guidance.service import EXTENSION_KEY
from tests.conftest import Runner
from tests.support.envelope import assert_error

DAY = "2025-03-12"
URL = f"/api/v1/checkins/{DAY}"
#: Longer than 40 characters after the dot, and with two dots: a valid question id.
LONG = "asks.after_long_runs.pain_on_the_outside_of_the_knee_0_to_10"

QUESTIONS = [
    {"id": "asks.level", "prompt": "How much does it hurt?", "type": "scale"},
    {"id": "asks.side", "prompt": "Which side?", "type": "choice", "options": ["left", "right"]},
    {"id": "asks.stairs", "prompt": "Do stairs hurt?", "type": "boolean"},
    {"id": LONG, "prompt": "And after long runs?", "type": "scale"},
]


class Asks:
    """A plugin that asks four typed questions and does arithmetic with the scale answer."""

    @hookimpl
    def strideguard_checkin_questions(self, conditions):
        return QUESTIONS

    @hookimpl
    def strideguard_assess(self, snapshot):
        checkin = snapshot.todays_checkin
        level = checkin.answers.get("asks.level") if checkin is not None else None
        if level is None or level + 1 <= 5:  # a TypeError for "high"
            return []
        return [{"id": "asks.high", "action": "contact_pt", "severity": "caution",
                 "title": "Ask your therapist", "message": "It hurts a lot."}]


@pytest.fixture
def asks(app) -> Any:
    host = app.extensions[EXTENSION_KEY]
    host.register(Asks(), "asks")
    return host


def put(runner: Runner, answers: dict[str, Any]):
    return runner.put(URL, json={"pain": 1, "answers": answers})


def test_every_listed_question_can_be_answered(runner: Runner, asks) -> None:
    listed = [q["id"] for q in runner.get("/api/v1/checkin-questions").get_json()]
    assert LONG in listed
    assert put(runner, {LONG: 4, "asks.level": 2}).status_code == 201
    assert runner.get(URL).get_json()["answers"] == {LONG: 4, "asks.level": 2}


@pytest.mark.parametrize(("answers", "says"), [
    ({"asks.level": 999}, "whole number from 0 to 10"),
    ({"asks.level": -1}, "whole number from 0 to 10"),
    ({"asks.level": "high"}, "whole number from 0 to 10"),
    ({"asks.level": True}, "whole number from 0 to 10"),
    ({"asks.level": 2.5}, "whole number from 0 to 10"),
    ({LONG: 11}, "whole number from 0 to 10"),
    ({"asks.side": "middle"}, "one of: left, right"),
    ({"asks.side": 1}, "one of: left, right"),
    ({"asks.stairs": "yes"}, "true or false"),
])
def test_an_answer_that_does_not_fit_its_question_is_a_422(runner: Runner, asks, answers, says) -> None:
    (key,) = answers
    error = assert_error(put(runner, answers), 422, "validation_failed", "answers")
    assert error["fields"]["answers"][0].startswith(f"{key}: ")
    assert says in error["fields"]["answers"][0]
    assert runner.get(URL).status_code == 404


@pytest.mark.parametrize("answers", [
    {"asks.level": 0}, {"asks.level": 10}, {"asks.side": "right"}, {"asks.stairs": False},
    {"asks.level": None, "asks.side": None},  # null clears, as for the core questions
])
def test_an_answer_that_fits_is_stored(runner: Runner, asks, answers) -> None:
    assert put(runner, answers).status_code == 201
    assert runner.get(URL).get_json()["answers"] == answers


def test_an_answer_to_a_question_no_plugin_asks_stays_free_form(runner: Runner, asks) -> None:
    assert put(runner, {"gone.plugin_question": "anything short", "gone.level": 999}).status_code == 201
    assert_error(put(runner, {"Not A Key": True}), 422, "validation_failed", "answers")
    assert_error(put(runner, {"gone.note": "x" * 201}), 422, "validation_failed", "answers")


def test_one_runners_bad_answers_no_longer_disable_the_plugin_for_everyone(runner: Runner, asks) -> None:
    for _ in range(3):
        assert put(runner, {"asks.level": "high"}).status_code == 422
        runner.get(f"/api/v1/guidance?date={DAY}")
    assert {p["name"]: p["status"] for p in asks.plugins_report()}["asks"] == "active"
    assert put(runner, {"asks.level": 9}).status_code == 201
    advice = runner.get(f"/api/v1/guidance?date={DAY}").get_json()["advice"]
    assert "asks.high" in [a["id"] for a in advice]
