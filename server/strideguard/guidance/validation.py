"""Validation of what plugins return: dicts or dataclasses in, trusted dataclasses out.

Anything malformed — wrong type, unknown action or severity, a bad id, oversized text, text
with control or bidi characters, too many items — raises :class:`PluginOutputError`; the host
rejects the whole result of that call and counts a failure.

Ids are namespaced: a plugin's advice and question ids start with its own name
(``<plugin>.<rule>``). Advice is de-duplicated by id, so a plugin using another's prefix
could replace that plugin's stricter card; the host passes ``owner`` and such a card is
invalid. The check-in side uses the same id rule for ``answers`` keys
(:func:`is_question_id`) and checks an answer against its question's type
(:func:`typed_answer_problem`).
"""

from __future__ import annotations

import dataclasses
import math
import re
import unicodedata
from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Any

from strideguard.guidance.advice import (
    ACTIONS,
    LOCATIONS,
    QUESTION_TYPES,
    SEVERITIES,
    Advice,
    Condition,
    Question,
    Reason,
    Source,
)
from strideguard.accounts.text import BIDI_CONTROLS
from strideguard.rehab.library import (
    ID_RE,
    MAX_INSTRUCTIONS,
    MAX_WHY,
    RESERVED_PREFIXES as RESERVED_EXERCISE_PREFIXES,
    STARTER_ITEMS,
    Exercise,
    StarterItem,
    StarterSet,
    exercise_problems,
    starter_set_problems,
)

#: Size caps: a plugin returning a megabyte of text is rejected, not shown.
MAX_ITEMS = 20
MAX_REASONS = 10
MAX_OPTIONS = 12
MAX_ID = 64
MAX_NAME = 80
MAX_TITLE = 120
MAX_PROMPT = 200
MAX_SUMMARY = 500
MAX_EVIDENCE = 500
MAX_MESSAGE = 1000
MAX_SHORT = 64

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
DOTTED_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
RESERVED_PREFIX = "core"


class PluginOutputError(ValueError):
    """A plugin returned data the host cannot accept."""


def is_question_id(value: Any) -> bool:
    """Whether ``value`` is a question id (``prefix.name``, lower-case snake_case, at most
    ``MAX_ID`` characters): the one rule for plugin question ids and check-in ``answers``
    keys, so every question ``GET /checkin-questions`` lists can be answered."""
    return isinstance(value, str) and len(value) <= MAX_ID and DOTTED_RE.match(value) is not None


def hidden_characters(value: str) -> bool:
    """Whether text holds characters that forge lines or disguise what it says: control
    characters (C0, DEL, C1), lone surrogates and bidirectional controls (U+202E and
    friends, ``accounts.text.BIDI_CONTROLS``). The same rule for a runner's answers and for
    every text a plugin shows a runner."""
    return any(
        ch in BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Cs") for ch in value
    )


def _as_mapping(item: Any, what: str) -> Mapping[str, Any]:
    if dataclasses.is_dataclass(item) and not isinstance(item, type):
        return {f.name: getattr(item, f.name) for f in dataclasses.fields(item)}
    if isinstance(item, Mapping):
        return item
    raise PluginOutputError(f"{what} must be a dict or dataclass, got {type(item).__name__}")


def _items(result: Any, what: str) -> list[Any]:
    if result is None:
        return []
    if isinstance(result, (str, bytes, Mapping)) or not isinstance(result, (list, tuple)):
        raise PluginOutputError(f"expected a list of {what}, got {type(result).__name__}")
    if len(result) > MAX_ITEMS:
        raise PluginOutputError(f"too many {what}: {len(result)} > {MAX_ITEMS}")
    return list(result)


def _text(data: Mapping[str, Any], key: str, limit: int, *, required: bool = True) -> str:
    value = data.get(key, None if required else "")
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise PluginOutputError(f"{key} must be text")
    value = value.strip()
    if required and not value:
        raise PluginOutputError(f"{key} must not be empty")
    if len(value) > limit:
        raise PluginOutputError(f"{key} is {len(value)} characters, more than {limit}")
    _plain(value, key)
    return value


def _plain(value: str, what: str) -> str:
    if hidden_characters(value):
        raise PluginOutputError(f"{what} holds control or bidirectional characters")
    return value


def _dotted_id(data: Mapping[str, Any], owner: str | None, key: str = "id") -> str:
    """A ``prefix.name`` id; with ``owner`` (the plugin's name) the prefix must be it."""
    value = data.get(key)
    if not is_question_id(value):
        raise PluginOutputError(f"{key} must look like 'prefix.name' in lower-case snake_case")
    prefix = value.split(".", 1)[0]
    if prefix == RESERVED_PREFIX:
        raise PluginOutputError(f"{key} may not use the reserved prefix '{RESERVED_PREFIX}.'")
    if owner is not None and prefix != owner:
        raise PluginOutputError(f"{key} {value!r} must start with the plugin's own name '{owner}.'")
    return value


def _choice(data: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> str:
    value = data.get(key)
    if value not in allowed:
        raise PluginOutputError(f"{key} must be one of {', '.join(allowed)}")
    return value


def _reason_value(value: Any, key: str) -> Any:
    """A reason's value or threshold. A ``Decimal`` (the snapshot hands plugins some, such as
    ``load.two_week_change_pct``) becomes a float: JSON writes it as a number, not a string."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise PluginOutputError(f"reason {key} must be a finite number")
        value = float(value)
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise PluginOutputError(f"reason {key} must be a finite number")
        return value
    if isinstance(value, str) and len(value) <= MAX_SHORT:
        return _plain(value, f"reason {key}")
    raise PluginOutputError(f"reason {key} must be a number, short text, boolean or null")


def _reasons(raw: Any) -> tuple[Reason, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, (list, tuple)) or len(raw) > MAX_REASONS:
        raise PluginOutputError(f"reasons must be a list of at most {MAX_REASONS}")
    reasons = []
    for item in raw:
        data = _as_mapping(item, "a reason")
        metric = data.get("metric")
        if not isinstance(metric, str) or not NAME_RE.match(metric):
            raise PluginOutputError("reason metric must be a short snake_case name")
        reasons.append(
            Reason(
                metric,
                _reason_value(data.get("value"), "value"),
                _reason_value(data.get("threshold"), "threshold"),
            )
        )
    return tuple(reasons)


def validate_advice(result: Any, source: Source) -> list[Advice]:
    """Validate a ``strideguard_assess`` result; every advice gets ``source``, and every id
    must start with ``source.plugin`` (a plugin cannot stand in for another's card)."""
    advice = []
    for item in _items(result, "advice"):
        data = _as_mapping(item, "advice")
        advice.append(
            Advice(
                id=_dotted_id(data, source.plugin),
                action=_choice(data, "action", ACTIONS),
                severity=_choice(data, "severity", SEVERITIES),
                title=_text(data, "title", MAX_TITLE),
                message=_text(data, "message", MAX_MESSAGE),
                reasons=_reasons(data.get("reasons")),
                evidence=_text(data, "evidence", MAX_EVIDENCE, required=False),
                source=source,
            )
        )
    return advice


def validate_conditions(result: Any) -> list[Condition]:
    """Validate a ``strideguard_conditions`` result."""
    conditions = []
    for item in _items(result, "conditions"):
        data = _as_mapping(item, "condition")
        cid = data.get("id")
        if not isinstance(cid, str) or not NAME_RE.match(cid) or cid == RESERVED_PREFIX:
            raise PluginOutputError("condition id must be lower-case snake_case")
        locations = data.get("locations") or ()
        if not isinstance(locations, (list, tuple)) or any(
            loc not in LOCATIONS for loc in locations
        ):
            raise PluginOutputError(f"locations must be a list of: {', '.join(LOCATIONS)}")
        conditions.append(
            Condition(
                id=cid,
                name=_text(data, "name", MAX_NAME),
                summary=_text(data, "summary", MAX_SUMMARY),
                locations=tuple(locations),
            )
        )
    return conditions


#: A check-in answer (``answers`` of ``PUT /checkins/{date}``): questions are yes/no, a
#: 0–10 scale or a choice among short options (``QUESTION_TYPES``).
MAX_ANSWER_TEXT = 200
MAX_ANSWER_NUMBER = 1000


def answer_problem(value: Any) -> str | None:
    """Why a runner's answer to a check-in question cannot be stored, or ``None``: an answer
    is null, a boolean, a finite number within ±1000 or a line of text up to 200 characters
    (no nested lists or objects, no NaN or Infinity, no control characters)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value) or abs(value) > MAX_ANSWER_NUMBER:
            return f"answer with a number from -{MAX_ANSWER_NUMBER} to {MAX_ANSWER_NUMBER}."
        return None
    if isinstance(value, str):
        if len(value) > MAX_ANSWER_TEXT or hidden_characters(value):
            return f"answer with one line of text of at most {MAX_ANSWER_TEXT} characters."
        return None
    return "answer must be a boolean, number or short text."


#: The answers a ``scale`` question takes: a whole number from 0 to 10.
SCALE = range(0, 11)
#: What an answer must be: ``bool``, a whole number in a ``range``, or one of the options.
AnswerKind = type | range | tuple[str, ...]


def answer_kind(qtype: str, options: Collection[str] = ()) -> AnswerKind:
    """What an answer to a question of type ``qtype`` must be (``QUESTION_TYPES``)."""
    if qtype == "boolean":
        return bool
    if qtype == "scale":
        return SCALE
    return tuple(options)


def typed_answer_problem(kind: AnswerKind, value: Any) -> str | None:
    """Why ``value`` does not answer a question of ``kind``, or ``None`` (null always clears
    an answer). A plugin reads the answer it asked for: ``999``, ``"high"`` or ``true`` to a
    0–10 scale made its hook raise, and three such check-ins disabled it for everyone."""
    if value is None:
        return None
    if kind is bool:
        return None if isinstance(value, bool) else "answer with true or false."
    if isinstance(kind, range):
        fits = isinstance(value, int) and not isinstance(value, bool) and value in kind
        return None if fits else f"answer with a whole number from {kind.start} to {kind.stop - 1}."
    fits = isinstance(value, str) and value in kind
    return None if fits else f"answer with one of: {', '.join(kind)}."


def validate_questions(result: Any, owner: str | None = None) -> list[Question]:
    """Validate a ``strideguard_checkin_questions`` result; with ``owner`` (the plugin's
    name) every question id must start with it (the answer's key is the question's id)."""
    questions = []
    for item in _items(result, "questions"):
        data = _as_mapping(item, "question")
        qtype = _choice(data, "type", QUESTION_TYPES)
        options = data.get("options") or ()
        if not isinstance(options, (list, tuple)) or len(options) > MAX_OPTIONS or any(
            not isinstance(o, str) or not o.strip() or len(o) > MAX_SHORT or hidden_characters(o)
            for o in options
        ):
            raise PluginOutputError(f"options must be at most {MAX_OPTIONS} short texts")
        if qtype == "choice" and len(options) < 2:
            raise PluginOutputError("a choice question needs at least two options")
        condition = data.get("condition")
        if condition is not None and (not isinstance(condition, str) or not NAME_RE.match(condition)):
            raise PluginOutputError("condition must be a condition id")
        questions.append(
            Question(
                id=_dotted_id(data, owner),
                prompt=_text(data, "prompt", MAX_PROMPT),
                type=qtype,
                options=tuple(options) if qtype == "choice" else (),
                condition=condition,
            )
        )
    return questions


# -- the exercise library's hooks --------------------------------------------------------------


def _names(data: Mapping[str, Any], key: str, *, required: bool = False) -> tuple[Any, ...]:
    value = data.get(key)
    if value is None and not required:
        return ()
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise PluginOutputError(f"{key} must be a list")
    return tuple(value)


def _exercise_id(data: Mapping[str, Any]) -> str:
    value = data.get("id")
    if not isinstance(value, str) or not ID_RE.match(value):
        raise PluginOutputError("id must look like 'prefix.name' in lower-case snake_case")
    prefix = value.split(".", 1)[0]
    if prefix in RESERVED_EXERCISE_PREFIXES:
        raise PluginOutputError(f"id may not use the reserved prefix '{prefix}.'")
    return value


def validate_exercises(result: Any, source: str = "plugin") -> list[Exercise]:
    """Validate a ``strideguard_exercises`` result; every exercise gets ``source``.

    The rules are the library's own (``rehab.library.exercise_problems``); on top, a plugin's
    ids may not use the reserved prefixes ``core.`` and ``custom.``, and may not repeat.
    """
    exercises: list[Exercise] = []
    seen: set[str] = set()
    for item in _items(result, "exercises"):
        data = _as_mapping(item, "exercise")
        ex = Exercise(
            id=_exercise_id(data),
            name=_text(data, "name", MAX_NAME),
            instructions=_text(data, "instructions", MAX_INSTRUCTIONS),
            trains=_names(data, "trains", required=True),
            dose=data.get("dose"),  # type: ignore[arg-type]  # checked just below
            sets=data.get("sets"),  # type: ignore[arg-type]
            reps=data.get("reps"),
            seconds=data.get("seconds"),
            sides=data.get("sides"),  # type: ignore[arg-type]
            equipment=_names(data, "equipment"),
            conditions=_names(data, "conditions"),
            source=source,
        )
        problems = exercise_problems(ex)
        if problems:
            raise PluginOutputError(f"exercise {ex.id}: {'; '.join(problems)}")
        if ex.id in seen:
            raise PluginOutputError(f"exercise {ex.id} is returned twice")
        seen.add(ex.id)
        exercises.append(ex)
    return exercises


def _starter_item(raw: Any, known: Mapping[str, Exercise] | Collection[str]) -> StarterItem:
    data = _as_mapping(raw, "a starter item")
    exercise = data.get("exercise")
    if not isinstance(exercise, str) or exercise not in known:
        raise PluginOutputError(f"unknown exercise {exercise!r} in a starter set")
    default = known[exercise] if isinstance(known, Mapping) else None
    # a plugin may leave the dose out and take the exercise's default one
    sets, reps, seconds = (
        data.get(key, getattr(default, key)) if default is not None else data.get(key)
        for key in ("sets", "reps", "seconds")
    )
    return StarterItem(exercise, sets, reps, seconds)  # type: ignore[arg-type]  # checked later


def validate_starter_sets(
    result: Any, known_ids: Mapping[str, Exercise] | Collection[str], source: str = "plugin"
) -> list[StarterSet]:
    """Validate a ``strideguard_starter_sets`` result against the library; each set gets
    ``source``.

    ``known_ids`` is the library's ids — or, better, the id → exercise mapping
    (``rehab.library.library(...)``), which also checks each item's dose against its
    exercise's dose type and lets an item leave its dose out to take the default. An
    exercise id the library does not know makes the whole result invalid, as do two sets for
    one condition.
    """
    sets: list[StarterSet] = []
    seen: set[str] = set()
    for item in _items(result, "starter sets"):
        data = _as_mapping(item, "starter set")
        raw_items = data.get("items")
        if isinstance(raw_items, (str, bytes, Mapping)) or not isinstance(raw_items, (list, tuple)):
            raise PluginOutputError("items must be a list of starter items")
        if len(raw_items) > STARTER_ITEMS[1]:
            raise PluginOutputError(f"a starter set holds at most {STARTER_ITEMS[1]} exercises")
        starter = StarterSet(
            condition=data.get("condition"),  # type: ignore[arg-type]  # checked just below
            items=tuple(_starter_item(raw, known_ids) for raw in raw_items),
            why=_text(data, "why", MAX_WHY),
            sources=_names(data, "sources", required=True),
            source=source,
        )
        problems = starter_set_problems(starter, known_ids)
        if problems:
            raise PluginOutputError(f"starter set for {starter.condition}: {'; '.join(problems)}")
        if starter.condition in seen:
            raise PluginOutputError(f"two starter sets for {starter.condition}")
        seen.add(starter.condition)
        sets.append(starter)
    return sets
