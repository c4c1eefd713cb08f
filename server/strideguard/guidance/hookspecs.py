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

This module imports only pluggy, the standard library and the snapshot/advice dataclasses, so
importing it is cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pluggy

from strideguard.guidance.advice import Advice, Condition, Question
from strideguard.guidance.snapshot import DaySnapshot

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
    with ``id`` (lower-case ``snake_case``, unique), ``name`` (≤ 80 chars), ``summary``
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

    ``conditions`` is a tuple of condition ids (the runner's chosen conditions, plus any the
    app is asking about). Return only questions for conditions you know, each a
    :class:`Question` or a dict with ``id`` (``<prefix>.<name>``; it becomes the key of the
    answer in ``CheckinSnap.answers``), ``prompt`` (≤ 200 chars), ``type`` (``boolean``,
    ``scale`` for 0–10, or ``choice``), ``options`` (the choices, required for ``choice``) and
    ``condition`` (the condition id it belongs to). Return an empty list when none apply.

    Not first-result: the lists of all plugins are concatenated.
    """


@hookspec
def strideguard_assess(snapshot: DaySnapshot) -> Sequence[Advice | dict[str, Any]]:
    """Give advice for one runner's day.

    ``snapshot`` is a frozen :class:`DaySnapshot` (check-in, previous check-in, runs of the
    last 60 days, shoes, load summary, settings); never a database object. Return a list of
    :class:`Advice` or dicts with ``id`` (``<prefix>.<rule>``, stable; the ``core`` prefix is
    reserved), ``action``, ``severity``, ``title`` (≤ 120 chars, action first), ``message``
    (≤ 1000 chars), ``reasons`` (≤ 10 of ``{metric, value, threshold}``) and ``evidence``
    (≤ 500 chars). The host sets ``source`` to the plugin's name and version. Return an empty
    list when nothing applies. Must finish within the host's time budget (0.5 s by default).

    Not first-result: the lists of all plugins are concatenated, then de-duplicated by id.
    """
