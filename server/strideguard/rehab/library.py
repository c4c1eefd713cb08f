"""The exercise library (PURE): the built-in knee-rehab exercises and the rules every exercise keeps.

An :class:`Exercise` carries a default dose — ``reps`` (sets × repetitions), ``hold`` (sets ×
holds of ``seconds`` each) or ``time`` (sets of ``seconds``) — that a therapist's prescription
starts from. :data:`CORE_EXERCISES` are StrideGuard's own write-ups of common knee-rehab
staples; plugins add theirs through ``strideguard_exercises`` and per-condition
:class:`StarterSet` s through ``strideguard_starter_sets``; a therapist's own are
``custom.<n>``. ``conditions`` says what an exercise is *commonly used for*, never what a
runner has.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from strideguard.rehab.core_exercises import CORE_ROWS

#: Dose types: ``reps`` — sets × repetitions; ``hold`` — sets × holds of ``seconds`` each;
#: ``time`` — sets of ``seconds`` (a plank, a balance).
DOSES: tuple[str, ...] = ("reps", "hold", "time")
#: ``each`` — one side, then the other; ``both`` — both legs together.
SIDES: tuple[str, ...] = ("each", "both")
#: What an exercise trains.
TRAINS: tuple[str, ...] = (
    "hips",
    "glutes",
    "quadriceps",
    "hamstrings",
    "calves",
    "core",
    "feet_ankles",
    "balance",
    "flexibility",
)
#: Id prefixes no plugin may use: the built-ins, and a therapist's own exercises.
CORE_PREFIX = "core"
CUSTOM_PREFIX = "custom"
RESERVED_PREFIXES: tuple[str, ...] = (CORE_PREFIX, CUSTOM_PREFIX)

#: Size and range caps, shared by the plugin validation and the therapist's own exercises.
MAX_ID = 64
MAX_NAME = 80
MAX_INSTRUCTIONS = 1000
MAX_WHY = 500
MAX_SOURCE_TEXT = 300
MAX_SOURCES = 6
MAX_TAGS = 8  # equipment names, condition ids
SETS = (1, 10)
REPS = (1, 100)
SECONDS = (1, 600)
STARTER_ITEMS = (3, 8)

ID_RE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z0-9_]+$")
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@dataclass(frozen=True, slots=True)
class Exercise:
    """One exercise with its default dose.

    ``reps`` is repetitions per set (``reps``) or holds per set (``hold``), ``None`` for
    ``time``; ``seconds`` is each hold (``hold``) or each set (``time``), ``None`` for ``reps``.
    ``source`` is ``core``, the contributing plugin's name, or ``therapist``.
    """

    id: str
    name: str
    instructions: str
    trains: tuple[str, ...]
    dose: str
    sets: int
    reps: int | None
    seconds: int | None
    sides: str
    equipment: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    source: str = "core"

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form for JSON (lists, not tuples)."""
        return {
            "id": self.id,
            "name": self.name,
            "instructions": self.instructions,
            "trains": list(self.trains),
            "dose": self.dose,
            "sets": self.sets,
            "reps": self.reps,
            "seconds": self.seconds,
            "sides": self.sides,
            "equipment": list(self.equipment),
            "conditions": list(self.conditions),
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class StarterItem:
    """One exercise of a starter set, with its dose (``reps``/``seconds`` as in :class:`Exercise`)."""

    exercise: str
    sets: int
    reps: int | None
    seconds: int | None

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form for JSON."""
        return {"exercise": self.exercise, "sets": self.sets, "reps": self.reps, "seconds": self.seconds}


@dataclass(frozen=True, slots=True)
class StarterSet:
    """General exercises for one condition, to show a runner who has no therapist yet — never
    a prescription. ``why`` says in plain words why these; ``sources`` cite the evidence and
    say how strong it is. ``source`` is the plugin that offered it (set by the host)."""

    condition: str
    items: tuple[StarterItem, ...]
    why: str
    sources: tuple[str, ...]
    source: str = "core"

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form for JSON."""
        return {
            "condition": self.condition,
            "items": [item.to_dict() for item in self.items],
            "why": self.why,
            "sources": list(self.sources),
            "source": self.source,
        }


# -- the rules ---------------------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _in_range(value: Any, bounds: tuple[int, int]) -> bool:
    return _is_int(value) and bounds[0] <= value <= bounds[1]


def _text_problem(key: str, value: Any, limit: int) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return f"{key} must be non-empty text"
    if len(value) > limit:
        return f"{key} is {len(value)} characters, more than {limit}"
    return None


def _names_problem(key: str, values: Any) -> str | None:
    if not isinstance(values, tuple) or len(values) > MAX_TAGS:
        return f"{key} must be a list of at most {MAX_TAGS} names"
    if any(not isinstance(v, str) or not NAME_RE.match(v) for v in values):
        return f"{key} must be lower-case snake_case names"
    if len(set(values)) != len(values):
        return f"{key} has duplicates"
    return None


def dose_problems(dose: str, sets: Any, reps: Any, seconds: Any) -> list[str]:
    """Why ``sets``/``reps``/``seconds`` do not fit the dose type ``dose`` (empty when they do)."""
    problems = []
    if not _in_range(sets, SETS):
        problems.append(f"sets must be a whole number from {SETS[0]} to {SETS[1]}")
    if dose in ("reps", "hold"):
        if not _in_range(reps, REPS):
            problems.append(f"reps must be a whole number from {REPS[0]} to {REPS[1]} for a '{dose}' dose")
    elif reps is not None:
        problems.append("reps must be empty for a 'time' dose")
    if dose in ("hold", "time"):
        if not _in_range(seconds, SECONDS):
            problems.append(
                f"seconds must be a whole number from {SECONDS[0]} to {SECONDS[1]} for a '{dose}' dose"
            )
    elif seconds is not None:
        problems.append("seconds must be empty for a 'reps' dose")
    return problems


def exercise_problems(ex: Exercise) -> list[str]:
    """Everything wrong with ``ex`` (empty when it is sound): id shape, text sizes, ``trains``
    among :data:`TRAINS`, a dose type with the matching ``reps``/``seconds``, sides, equipment
    and condition names. Reserved id prefixes are the caller's business (a plugin may not use
    ``core.``; the built-ins must)."""
    problems = []
    if not isinstance(ex.id, str) or len(ex.id) > MAX_ID or not ID_RE.match(ex.id):
        problems.append("id must look like 'prefix.name' in lower-case snake_case")
    for key, limit in (("name", MAX_NAME), ("instructions", MAX_INSTRUCTIONS)):
        if (problem := _text_problem(key, getattr(ex, key), limit)) is not None:
            problems.append(problem)
    trains = ex.trains
    if not isinstance(trains, tuple) or not trains or any(t not in TRAINS for t in trains):
        problems.append(f"trains must list at least one of: {', '.join(TRAINS)}")
    elif len(set(trains)) != len(trains):
        problems.append("trains has duplicates")
    if ex.dose not in DOSES:
        problems.append(f"dose must be one of {', '.join(DOSES)}")
    else:
        problems.extend(dose_problems(ex.dose, ex.sets, ex.reps, ex.seconds))
    if ex.sides not in SIDES:
        problems.append(f"sides must be one of {', '.join(SIDES)}")
    for key in ("equipment", "conditions"):
        if (problem := _names_problem(key, getattr(ex, key))) is not None:
            problems.append(problem)
    return problems


def starter_set_problems(
    starter: StarterSet, known: Mapping[str, Exercise] | Collection[str]
) -> list[str]:
    """Everything wrong with ``starter`` (empty when it is sound). ``known`` is the library
    (its ids, or the id → :class:`Exercise` mapping; with the mapping each item's dose is
    checked against its exercise's dose type)."""
    problems = []
    if not isinstance(starter.condition, str) or not NAME_RE.match(starter.condition):
        problems.append("condition must be a condition id")
    items = starter.items
    if not isinstance(items, tuple) or not STARTER_ITEMS[0] <= len(items) <= STARTER_ITEMS[1]:
        problems.append(f"items must hold {STARTER_ITEMS[0]} to {STARTER_ITEMS[1]} exercises")
        items = items if isinstance(items, tuple) else ()
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, StarterItem):
            problems.append("items must be starter items")
            continue
        if item.exercise not in known:
            problems.append(f"unknown exercise {item.exercise!r}")
            continue
        if item.exercise in seen:
            problems.append(f"exercise {item.exercise!r} is listed twice")
        seen.add(item.exercise)
        if isinstance(known, Mapping):
            dose = known[item.exercise].dose
        else:  # ids only: infer the dose type from what is given
            dose = "reps" if item.seconds is None else "time" if item.reps is None else "hold"
        problems.extend(
            f"{item.exercise}: {p}" for p in dose_problems(dose, item.sets, item.reps, item.seconds)
        )
    if (problem := _text_problem("why", starter.why, MAX_WHY)) is not None:
        problems.append(problem)
    sources = starter.sources
    if not isinstance(sources, tuple) or not 1 <= len(sources) <= MAX_SOURCES or any(
        _text_problem("a source", s, MAX_SOURCE_TEXT) for s in sources
    ):
        problems.append(f"sources must cite 1 to {MAX_SOURCES} sources, each at most {MAX_SOURCE_TEXT} characters")
    return problems


#: The built-in exercises (their text lives in ``rehab.core_exercises``), ids ``core.<name>``.
CORE_EXERCISES: tuple[Exercise, ...] = tuple(Exercise(**row) for row in CORE_ROWS)


def library(extra: Iterable[Exercise] = ()) -> dict[str, Exercise]:
    """The built-in exercises and then ``extra``, by id, in that order; the first of an id
    wins, so a built-in is never replaced."""
    out: dict[str, Exercise] = {}
    for ex in (*CORE_EXERCISES, *extra):
        out.setdefault(ex.id, ex)
    return out

