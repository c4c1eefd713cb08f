"""The StrideGuard plugin API (PURE): every hook a plugin may implement, in one place.

Plugin authors import the marker from the package root::

    from strideguard import hookimpl

    @hookimpl
    def strideguard_conditions():
        return [{"id": "my_condition", "name": "…", "summary": "…", "locations": ["outside"]}]

A plugin is a module (or any object) exposing ``@hookimpl`` functions, registered through an
entry point in the ``strideguard.plugins`` group. It may declare the API version it was written
for with a module attribute ``PLUGIN_API_VERSION = 1``; a plugin declaring another version is
not loaded. Every hook is called for each plugin on its own, results from all plugins are
collected (no hook is ``firstresult``), and the host validates whatever comes back. The full
guide is ``plugins/README.md``.

``strideguard_exercises`` and ``strideguard_starter_sets`` were added later within version 1:
additions only, so a plugin written before them still loads unchanged.

This module imports only pluggy, the standard library and the snapshot/advice dataclasses, so
importing it is cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pluggy

from strideguard.guidance.advice import Advice, Condition, Question
from strideguard.guidance.snapshot import DaySnapshot
from strideguard.rehab.library import Exercise, StarterSet

#: Version of the hook API described in this file.
PLUGIN_API_VERSION = 1
#: Entry-point group plugins register under.
ENTRY_POINT_GROUP = "strideguard.plugins"
#: Name pluggy uses to pair specs and implementations.
PROJECT_NAME = "strideguard"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def strideguard_conditions() -> Sequence[Condition | dict[str, Any]]:
    """Describe the conditions this plugin knows about.

    Called with no arguments. Return a list of conditions, each a :class:`Condition` or a dict
    with ``id`` (lower-case ``snake_case``; an id another plugin already declared makes the
    whole answer invalid), ``name`` (≤ 80 chars), ``summary``
    (≤ 500 chars, plain words, "could be" — never a diagnosis) and ``locations`` (the typical
    pain locations, main one first, each one of ``around_kneecap, on_kneecap, below_kneecap,
    outside, inside_below_joint, back_of_knee, whole_knee``). The host ranks conditions by the
    runner's pain location for ``GET /conditions?location=``.

    Not first-result: the lists of all plugins are concatenated.
    """


@hookspec
def strideguard_checkin_questions(
    conditions: tuple[str, ...],
) -> Sequence[Question | dict[str, Any]]:
    """Offer extra check-in questions for the given conditions.

    ``conditions`` is a tuple of the condition ids the app is asking about: the runner's
    chosen conditions (every known condition when they chose none) for
    ``GET /checkin-questions``, and every known condition when a check-in's answers are
    checked against their questions' types. Return only questions for conditions you know,
    each a :class:`Question` or a dict with ``id`` (``<plugin name>.<name>``: your plugin's
    name is the prefix; it becomes the key of the answer in ``CheckinSnap.answers``),
    ``prompt`` (≤ 200 chars), ``type`` (``boolean``, ``scale`` for a whole number 0–10, or
    ``choice``), ``options`` (the choices, required for ``choice``) and ``condition`` (the
    condition id it belongs to). Return an empty list when none apply. A check-in whose
    answer does not fit its question's type is refused (422) before your plugin sees it.

    Not first-result: the lists of all plugins are concatenated.
    """


@hookspec
def strideguard_assess(snapshot: DaySnapshot) -> Sequence[Advice | dict[str, Any]]:
    """Give advice for one runner's day.

    ``snapshot`` is a frozen :class:`DaySnapshot` (check-in, previous check-in, runs of the
    last 60 days, shoes, load summary, settings); never a database object. Return a list of
    :class:`Advice` or dicts with ``id`` (``<plugin name>.<rule>``, stable: your plugin's name
    is the prefix, so no plugin can replace another's advice), ``action``, ``severity``, ``title`` (≤ 120 chars, action first), ``message``
    (≤ 1000 chars), ``reasons`` (≤ 10 of ``{metric, value, threshold}``) and ``evidence``
    (≤ 500 chars). The host sets ``source`` to the plugin's name and version. Return an empty
    list when nothing applies. Must finish within the host's time budget (0.5 s by default).
    Text may not hold control or bidirectional characters.

    Not first-result: the lists of all plugins are concatenated, then de-duplicated by id
    (the most severe advice of an id is kept).
    """


@hookspec
def strideguard_exercises() -> Sequence[Exercise | dict[str, Any]]:
    """Add exercises to the exercise library.

    Called with no arguments. Return a list of exercises (at most 20), each a
    :class:`~strideguard.rehab.library.Exercise` or a dict with ``id`` (``<prefix>.<name>``,
    your plugin's own prefix; ``core.`` and ``custom.`` are reserved), ``name`` (≤ 80 chars),
    ``instructions`` (≤ 1000 chars, plain steps in your own words), ``trains`` (one or more of
    ``hips, glutes, quadriceps, hamstrings, calves, core, feet_ankles, balance,
    flexibility``), ``dose`` (``reps``: sets × ``reps``; ``hold``: sets × ``reps`` holds of
    ``seconds`` each; ``time``: sets of ``seconds``), the default ``sets`` (1–10), ``reps``
    (1–100, ``None`` for ``time``) and ``seconds`` (1–600, ``None`` for ``reps``), ``sides``
    (``each`` or ``both``), ``equipment`` (short names such as ``band``, ``step``; empty for
    none) and ``conditions`` (condition ids it is commonly used for — never a diagnosis). The
    host sets ``source`` to the plugin's name. Return an empty list when you add none.

    Not first-result: the lists of all plugins are concatenated after the built-in
    exercises; an id already taken keeps its first exercise. The host calls this hook until it
    succeeds once, then caches the result.
    """


@hookspec
def strideguard_starter_sets(
    conditions: tuple[str, ...],
) -> Sequence[StarterSet | dict[str, Any]]:
    """Offer starter sets — general exercises for a condition — for the given conditions.

    ``conditions`` is a tuple of condition ids (the runner's chosen conditions; every known
    condition when they chose none). Return a
    starter set only for conditions among them that you know, at most one per condition, each
    a :class:`~strideguard.rehab.library.StarterSet` or a dict with ``condition`` (the
    condition id), ``items`` (3–8 of ``{exercise, sets, reps, seconds}``; ``exercise`` is an id
    in the library — built-in, yours or another plugin's; leave the dose out to take the
    exercise's default), ``why`` (≤ 500 chars, plain words: why these exercises, and that a
    therapist should tailor them) and ``sources`` (1–6 citations, each saying how strong the
    evidence is). The host sets ``source`` to the plugin's name. Return an empty list when none
    apply.

    Not first-result: the lists of all plugins are concatenated (a condition may get a set
    from more than one plugin); sets for conditions not asked about are dropped.
    """
