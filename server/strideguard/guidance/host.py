"""The plugin host: discovers, isolates, times and reports StrideGuard plugins.

Built on pluggy, but pluggy's hook caller runs every implementation in one go (one raising
aborts the rest), so the host calls each plugin's implementation on its own, times it against a
budget, validates what comes back, and disables a plugin after ``max_failures`` consecutive
failures. Create hosts with :func:`create_host` (a factory, never a module global, so tests get
a fresh one each).

Where a call runs: a plugin starts **on probation**, its calls on a thread of the host's pool
(one thread per hook call runs the probationers one after another; the caller waits for each
at most the budget from its own start and abandons a late one). Only a **built-in** plugin —
one StrideGuard ships itself (its entry point belongs to the ``strideguard`` distribution, or
the app registers it with ``builtin=True``) — is ever promoted: after ``inline_after`` calls
in a row that returned within the budget it is called **inline**, on the caller's thread, and
timed, because a thread hand-off costs more than a well-behaved plugin's whole call (and up to
a GIL switch interval in a busy threaded worker). An inline call that overruns the budget is a
failure, its result is dropped, and the plugin goes back to the pool for good.

A plugin from any other distribution stays on the pool with its budget for as long as the app
runs, however well it behaves. The caller may be inside a write transaction (a check-in
assesses the day while it holds SQLite's write lock): a third-party plugin that turned slow
there would hold every other runner's write up for its whole overrun. So the request waits
at most the budget for a third-party call, always; only our own plugins' code can delay one
request by an overrun, once. ``inline_after=0`` keeps every call on the pool.
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from strideguard.guidance import hookspecs
from strideguard.guidance.advice import Advice, Condition, Source
from strideguard.guidance.hookspecs import ENTRY_POINT_GROUP, PLUGIN_API_VERSION, PROJECT_NAME
from strideguard.guidance.snapshot import DaySnapshot
from strideguard.guidance.validation import (
    PluginOutputError,
    validate_advice,
    validate_conditions,
    validate_exercises,
    validate_questions,
    validate_starter_sets,
)
from strideguard.rehab.library import Exercise, StarterSet, library

log = logging.getLogger("strideguard.plugins")

ACTIVE, FAILED, DISABLED = "active", "failed", "disabled"
MAX_ERROR = 300
#: Timely calls in a row after which a plugin is called inline (the default probation).
INLINE_AFTER = 20


@dataclass
class PluginRecord:
    """What the host knows about one plugin (mutable, guarded by the host's lock)."""

    name: str
    version: str
    plugin: object | None = None
    api_version: int | None = None
    status: str = ACTIVE
    last_error: str | None = None
    builtin: bool = False  # shipped with StrideGuard: may be promoted to inline
    failures: int = 0
    abandoned: int = 0  # calls that ran past the budget and are still running
    timely: int = 0  # calls in a row that returned within the budget (probation)
    inline: bool = False  # called on the caller's thread (after probation)
    overran: bool = False  # overran the budget once: never called inline again
    conditions: tuple[Condition, ...] | None = None  # cached once a call succeeds
    exercises: tuple[Exercise, ...] | None = None  # cached once a call succeeds

    def report(self) -> dict[str, Any]:
        """Plain-dict form for ``GET /plugins`` and ``strideguard plugins list``."""
        return {
            "name": self.name,
            "version": self.version,
            "api_version": self.api_version,
            "status": self.status,
            "conditions": [c.id for c in self.conditions or ()],
            "last_error": self.last_error,
        }


@dataclass
class _Call:
    """One plugin's hook call."""

    record: PluginRecord
    function: Callable[..., Any]
    kwargs: dict[str, Any]
    started: float = 0.0
    ended: float = 0.0
    result: Any = None
    error: BaseException | None = None
    done: bool = False
    abandoned: bool = False
    inline: bool = False  # run on the caller's thread


@dataclass
class _Lane:
    """Calls run one after another on ONE pool thread: a hook call costs one hand-off to the
    pool, not one per plugin, and each call still has its own budget from its own start
    (the caller abandons a call that overruns and moves the calls not started yet to a new
    lane). Guarded by the host's lock."""

    calls: list[_Call]
    submitted: float
    next: int = 0  # the index of the next call to start
    current: _Call | None = None
    cancelled: bool = False
    finished: threading.Event = field(default_factory=threading.Event)


def _short(error: BaseException | str) -> str:
    """One line of at most ``MAX_ERROR`` characters: an error's own line breaks would split a
    log record and a row of ``strideguard plugins list``."""
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    text = " ".join(text.split())
    return text if len(text) <= MAX_ERROR else text[: MAX_ERROR - 1] + "…"


def _is_builtin(dist: metadata.Distribution | None) -> bool:
    """Whether an entry point's distribution is StrideGuard itself (the built-in conditions)."""
    if dist is None:
        return False
    name = dist.metadata["Name"] or ""
    return name.lower().replace("_", "-") == PROJECT_NAME


def _unmarked_hooks(plugin: object) -> list[str]:
    """Functions named like a hook (``strideguard_*``) that lack ``@hookimpl``: pluggy skips
    them, so the plugin would load ``active`` and silently contribute nothing."""
    unmarked = []
    for name in dir(plugin):
        if not name.startswith("strideguard_"):
            continue
        function = getattr(plugin, name, None)
        if inspect.isroutine(function) and not hasattr(function, f"{PROJECT_NAME}_impl"):
            unmarked.append(name)
    return unmarked


class PluginHost:
    """Loads plugins and calls their hooks, so that no plugin can break the app.

    Settings are plain values (the app maps ``STRIDEGUARD_PLUGINS_*`` onto them):
    ``allowlist`` (``None`` = every plugin; else only these names), ``blocklist`` (never these),
    ``budget_s`` (seconds per call; ``0`` = no budget, call inline), ``max_failures``
    (consecutive failures before a plugin is disabled), ``inline_after`` (timely calls in a
    row before a plugin is called inline; ``0`` = never, see the module doc) and ``trace``
    (log every hook call with its duration). ``observer``, when set, hears every call's duration and every failure
    (``call(plugin, hook, seconds)``, ``failure(plugin, hook, reason)``: the app's metrics).
    """

    observer: Any = None

    def __init__(
        self,
        *,
        allowlist: Iterable[str] | None = None,
        blocklist: Iterable[str] = (),
        budget_s: float = 0.5,
        max_failures: int = 3,
        trace: bool = False,
        inline_after: int = INLINE_AFTER,
    ) -> None:
        self.allowlist = frozenset(allowlist) if allowlist is not None else None
        self.blocklist = frozenset(blocklist)
        self.budget_s = budget_s
        self.max_failures = max(1, max_failures)
        self.trace = trace
        self.inline_after = max(0, inline_after)
        self._pm = pluggy.PluginManager(PROJECT_NAME)
        self._pm.add_hookspecs(hookspecs)
        self._records: dict[str, PluginRecord] = {}
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        #: Configuration problems found while loading (an allow/block name that matches no
        #: installed plugin): logged, and shown by ``strideguard plugins list``.
        self.warnings: list[str] = []
        #: Every failure this host has counted (never reset): a caller that stores what the
        #: plugins said compares it before and after, and keeps nothing a failure shaped.
        self.failures_seen = 0

    def _executor(self) -> ThreadPoolExecutor:
        """The host's thread pool (a thread per call cost up to 40% of a guidance request).

        Sized so that every plugin can have one call stuck past its budget (such a plugin is
        skipped until that call ends) and still leave room for the others.
        """
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(
                        max_workers=2 * len(self._records) + 4, thread_name_prefix="plugin"
                    )
        return self._pool

    # -- loading -------------------------------------------------------------------------

    def allowed(self, name: str) -> bool:
        """Whether configuration lets the plugin ``name`` load."""
        if name in self.blocklist:
            return False
        return self.allowlist is None or name in self.allowlist

    def load_entrypoints(self, group: str = ENTRY_POINT_GROUP) -> None:
        """Discover and load every entry point of ``group``, each on its own.

        A plugin that fails to import is recorded as ``failed`` with the error; one excluded by
        the allow/block lists is recorded as ``disabled`` without being imported.
        """
        for ep in sorted(metadata.entry_points(group=group), key=lambda e: e.name):
            if ep.name in self._records:
                continue  # the same distribution seen twice on sys.path
            version = ep.dist.version if ep.dist is not None else "0"
            builtin = _is_builtin(ep.dist)
            if not self.allowed(ep.name):
                self._records[ep.name] = PluginRecord(
                    ep.name, version, status=DISABLED, last_error="disabled by configuration",
                    builtin=builtin,
                )
                continue
            try:
                plugin = ep.load()
            except (Exception, SystemExit) as exc:  # a plugin's import must not stop the app
                log.error("plugin %s failed to import: %s", ep.name, _short(exc))
                self._records[ep.name] = PluginRecord(
                    ep.name, version, status=FAILED, last_error=f"import failed: {_short(exc)}",
                    builtin=builtin,
                )
                continue
            self.register(plugin, ep.name, version, builtin=builtin)
        self._warn_unmatched()

    def _warn_unmatched(self) -> None:
        """Log (and keep for ``plugins list``) every allow/block name that matches no
        installed plugin: a typo in the allowlist would otherwise disable every plugin,
        the built-in conditions included, without a word."""
        for setting, names in (("STRIDEGUARD_PLUGINS_ALLOW", self.allowlist or ()),
                               ("STRIDEGUARD_PLUGINS_BLOCK", self.blocklist)):
            for name in sorted(set(names) - set(self._records)):
                warning = f"{setting} names {name!r}, which matches no installed plugin"
                if warning not in self.warnings:
                    self.warnings.append(warning)
                    log.warning("plugin configuration: %s", warning)

    def register(
        self, plugin: object, name: str, version: str | None = None, *, builtin: bool = False
    ) -> PluginRecord:
        """Register a plugin object under ``name`` (used for entry points and by tests).

        ``builtin``: the plugin ships with StrideGuard itself, so it may be called inline
        after its probation (see the module doc); anything else stays on the pool.
        """
        version = version or str(getattr(plugin, "__version__", "0"))
        declared = getattr(plugin, "PLUGIN_API_VERSION", None)
        record = PluginRecord(name, version, plugin=plugin, api_version=declared, builtin=builtin)
        self._records[name] = record
        if not self.allowed(name):
            record.status, record.last_error = DISABLED, "disabled by configuration"
            return record
        if declared is not None and declared != PLUGIN_API_VERSION:
            record.status = FAILED
            record.last_error = (
                f"written for plugin API {declared!r}; this StrideGuard provides "
                f"{PLUGIN_API_VERSION}"
            )
            log.error("plugin %s not loaded: %s", name, record.last_error)
            return record
        unmarked = _unmarked_hooks(plugin)
        if unmarked:
            record.status = FAILED
            record.last_error = f"not marked @hookimpl: {', '.join(unmarked)}"
            log.error("plugin %s not loaded: %s", name, record.last_error)
            return record
        try:
            self._pm.register(plugin, name=name)
        except (ValueError, pluggy.PluginValidationError) as exc:
            record.status, record.last_error = FAILED, f"invalid plugin: {_short(exc)}"
            log.error("plugin %s not loaded: %s", name, record.last_error)
            return record
        unknown = [c.name for c in self._pm.get_hookcallers(plugin) or () if not c.has_spec()]
        if unknown:
            self._pm.unregister(plugin, name=name)
            record.status = FAILED
            record.last_error = f"unknown hook(s): {', '.join(sorted(unknown))}"
            log.error("plugin %s not loaded: %s", name, record.last_error)
            return record
        return record

    # -- calling -------------------------------------------------------------------------

    def _active(self) -> list[PluginRecord]:
        return [r for r in self._records.values() if r.status == ACTIVE]

    def _fail(self, record: PluginRecord, hook: str, message: str) -> None:
        with self._lock:
            record.failures += 1
            self.failures_seen += 1
            record.last_error = f"{hook}: {_short(message)}"
            if record.failures >= self.max_failures and record.status == ACTIVE:
                record.status = DISABLED
                log.error(
                    "plugin %s disabled after %d failures in a row", record.name, record.failures
                )
        log.warning("plugin %s failed in %s: %s", record.name, hook, _short(message))

    def _observe(self, record: PluginRecord, hook: str, seconds: float | None, failure: str | None) -> None:
        observer = self.observer
        if observer is None:
            return
        if seconds is not None:
            observer.call(record.name, hook, seconds)
        if failure is not None:
            observer.failure(record.name, hook, failure)

    def _succeed(self, record: PluginRecord) -> None:
        with self._lock:
            record.failures = 0

    def _run(self, call: _Call) -> None:
        try:
            call.result = call.function(**call.kwargs)
        except BaseException as exc:  # isolated: reported to the caller, never raised here
            call.error = exc
        finally:
            ended = time.perf_counter()
            with self._lock:
                call.ended = ended
                call.done = True
                if call.abandoned:
                    call.record.abandoned -= 1

    def _run_lane(self, lane: _Lane) -> None:
        """A pool thread's part: start the lane's calls in turn until none is left or the
        caller moved the rest elsewhere (after abandoning a late call)."""
        try:
            while True:
                with self._lock:
                    if lane.cancelled or lane.next >= len(lane.calls):
                        return
                    call = lane.calls[lane.next]
                    lane.next += 1
                    call.started = time.perf_counter()
                    lane.current = call
                self._run(call)
        finally:
            lane.finished.set()

    def _start_lane(self, calls: list[_Call]) -> _Lane:
        lane = _Lane(calls, time.perf_counter())
        self._executor().submit(self._run_lane, lane)
        return lane

    def _deadline(self, lane: _Lane) -> float:
        """When the lane's running call overruns (or, between calls, when the lane has made
        no progress for a whole budget). Called under the host's lock."""
        current = lane.current
        if current is None:
            return lane.submitted + self.budget_s
        return (current.ended if current.done else current.started) + self.budget_s

    def _await(self, lane: _Lane) -> None:
        """Wait until each of the lane's calls has returned or overrun its budget, measured
        from its own start. A call not started within the budget of the lane's last progress
        (every pool thread busy) is not run at all and counts as timed out."""
        while True:
            with self._lock:
                deadline = self._deadline(lane)
            if lane.finished.wait(max(deadline - time.perf_counter(), 0.0)):
                return
            rest: list[_Call] = []
            with self._lock:
                if self._deadline(lane) > time.perf_counter():
                    continue  # the lane moved on meanwhile: wait for its next call
                current = lane.current
                lane.cancelled = True
                if current is not None and not current.done:
                    current.abandoned = True  # still running: the plugin is skipped until it ends
                    current.record.abandoned += 1
                    rest = lane.calls[lane.next:]
                lane.next = len(lane.calls)
            if not rest:
                return
            lane = self._start_lane(rest)

    def _call_each(
        self, hook: str, kwargs: dict[str, Any], only: set[str] | None = None
    ) -> list[tuple[PluginRecord, Any]]:
        """Call ``hook`` on every active plugin, each on its own, within budget.

        With a budget the calls run one after another on a pool thread (one hand-off per hook
        call), each abandoned when it overruns; without one (``budget_s=0``) inline.
        Returns ``(record, result)`` for each plugin whose call succeeded; failures (raised,
        timed out, still stuck from an earlier call) are counted and logged.
        """
        calls: list[_Call] = []
        for impl in getattr(self._pm.hook, hook).get_hookimpls():
            record = self._records.get(impl.plugin_name)
            if record is None or record.status != ACTIVE:
                continue
            if only is not None and record.name not in only:
                continue
            if record.abandoned:
                self._fail(record, hook, "an earlier call is still running past its budget")
                self._observe(record, hook, None, "stuck")
                continue
            args = {name: kwargs[name] for name in impl.argnames}
            calls.append(_Call(record, impl.function, args))
        if not calls:
            return []
        if self.budget_s > 0:
            pooled = [call for call in calls if not call.record.inline]
            lane = self._start_lane(pooled) if pooled else None
            inline = [call for call in calls if call.record.inline]
        else:
            lane, inline = None, calls
        for call in inline:
            call.inline = True
            call.started = time.perf_counter()
            self._run(call)
        if lane is not None:
            self._await(lane)
        now = time.perf_counter()
        results: list[tuple[PluginRecord, Any]] = []
        for call in calls:
            with self._lock:
                timed_out = not call.done
                ended = call.ended if call.done else now
            seconds = ended - call.started if call.started else 0.0
            late = self.budget_s > 0 and (timed_out or seconds > self.budget_s)
            self._probation(call.record, late)
            if timed_out:
                outcome = f"timed out after {self.budget_s:g} s"
                self._fail(call.record, hook, outcome)
                self._observe(call.record, hook, seconds, "timeout")
            elif late and call.inline:  # returned after its budget: its result is dropped
                outcome = f"overran its {self.budget_s:g} s budget inline ({seconds:.2f} s)"
                self._fail(call.record, hook, outcome)
                self._observe(call.record, hook, seconds, "timeout")
            elif call.error is not None:
                outcome = f"raised {_short(call.error)}"
                self._fail(call.record, hook, outcome)
                self._observe(call.record, hook, seconds, "raised")
            else:
                outcome = "ok"
                results.append((call.record, call.result))
                self._observe(call.record, hook, seconds, None)
            if self.trace:
                log.info(
                    "plugin trace: %s.%s %.1f ms %s%s", call.record.name, hook, seconds * 1000,
                    outcome, " (inline)" if call.inline else "",
                )
        return results

    def _probation(self, record: PluginRecord, late: bool) -> None:
        """Count a call towards a built-in plugin's probation: ``inline_after`` timely calls
        in a row make it inline; one late call sends it back to the pool for good. Any other
        plugin is never promoted (see the module doc)."""
        if self.budget_s <= 0 or not self.inline_after or not record.builtin:
            return
        with self._lock:
            if late:
                record.timely, record.overran = 0, True
                if record.inline:
                    record.inline = False
                    log.warning("plugin %s overran its budget inline: called on the pool from now on",
                                record.name)
            elif not record.overran and not record.inline:
                record.timely += 1
                if record.timely >= self.inline_after:
                    record.inline = True

    def _validated(
        self,
        hook: str,
        kwargs: dict[str, Any],
        validate: Callable[[PluginRecord, Any], list[Any]],
        only: set[str] | None = None,
    ) -> list[tuple[PluginRecord, list[Any]]]:
        out = []
        for record, result in self._call_each(hook, kwargs, only):
            try:
                items = validate(record, result)
            except PluginOutputError as exc:
                self._fail(record, hook, f"returned invalid data: {exc}")
                self._observe(record, hook, None, "invalid")
                continue
            self._succeed(record)
            out.append((record, items))
        return out

    # -- the hooks, as the app uses them ---------------------------------------------------

    def _conditions_by_plugin(self) -> list[tuple[PluginRecord, tuple[Condition, ...]]]:
        missing = {r.name for r in self._active() if r.conditions is None}
        if missing:
            implementing = {
                impl.plugin_name for impl in self._pm.hook.strideguard_conditions.get_hookimpls()
            }
            for name in missing - implementing:
                self._records[name].conditions = ()
            self._validated(
                "strideguard_conditions", {}, self._claim_conditions, only=missing & implementing
            )
        return [(r, r.conditions or ()) for r in self._active()]

    def _claim_conditions(self, record: PluginRecord, result: Any) -> list[Condition]:
        """Validate a plugin's conditions and cache them as its own. A condition id another
        active plugin already declared is refused: the whole answer is invalid (a failure,
        asked again next time), never silently dropped or shadowed."""
        conditions = validate_conditions(result)
        owners = {c.id: r.name for r in self._active() if r is not record for c in r.conditions or ()}
        for condition in conditions:
            if condition.id in owners:
                raise PluginOutputError(
                    f"condition id {condition.id!r} is already declared by plugin {owners[condition.id]!r}"
                )
        record.conditions = tuple(conditions)
        return conditions

    def conditions(self, location: str | None = None) -> list[dict[str, Any]]:
        """Condition descriptors of active plugins, ranked by ``location`` when given.

        Conditions whose typical locations include ``location`` come first ("could be"),
        those listing it as their main location before the others; each dict carries the
        plugin name and ``match`` (whether the location is typical for it).
        """
        seen: set[str] = set()
        ranked: list[tuple[tuple[int, int], dict[str, Any]]] = []
        for record, conditions in self._conditions_by_plugin():
            for condition in conditions:
                if condition.id in seen:
                    continue
                seen.add(condition.id)
                match = location is not None and location in condition.locations
                key = (0, condition.locations.index(location)) if match else (1, 0)
                ranked.append(
                    (key, {**condition.to_dict(), "plugin": record.name, "match": match})
                )
        ranked.sort(key=lambda pair: pair[0])  # stable: plugin order within a rank
        return [descriptor for _, descriptor in ranked]

    def checkin_questions(self, conditions: Sequence[str]) -> list[dict[str, Any]]:
        """Extra check-in questions the active plugins ask for ``conditions``."""
        seen: set[str] = set()
        questions: list[dict[str, Any]] = []
        for record, items in self._validated(
            "strideguard_checkin_questions",
            {"conditions": tuple(conditions)},
            lambda r, res: validate_questions(res, owner=r.name),
        ):
            for question in items:
                if question.id not in seen:
                    seen.add(question.id)
                    questions.append({**question.to_dict(), "plugin": record.name})
        return questions

    def exercises(self) -> list[Exercise]:
        """Exercises the active plugins add to the library, validated, each with ``source``
        set to its plugin's name; the first plugin to use an id keeps it.

        Like the conditions, each plugin's answer is cached once a call succeeds (a plugin
        that failed is asked again next time).
        """
        missing = {r.name for r in self._active() if r.exercises is None}
        if missing:
            implementing = {
                impl.plugin_name for impl in self._pm.hook.strideguard_exercises.get_hookimpls()
            }
            for name in missing - implementing:
                self._records[name].exercises = ()
            for record, items in self._validated(
                "strideguard_exercises",
                {},
                lambda r, res: validate_exercises(res, source=r.name),
                only=missing & implementing,
            ):
                record.exercises = tuple(items)
        seen: set[str] = set()
        out: list[Exercise] = []
        for record in self._active():
            for exercise in record.exercises or ():
                if exercise.id not in seen:
                    seen.add(exercise.id)
                    out.append(exercise)
        return out

    def starter_sets(self, conditions: Sequence[str]) -> list[StarterSet]:
        """Starter sets the active plugins offer for ``conditions``, validated against the
        library (built-in and plugin exercises), each with ``source`` set to its plugin's name.

        A set for a condition not in ``conditions`` is dropped; a plugin naming an exercise
        the library does not know has its whole answer rejected and counted as a failure.
        """
        asked = tuple(conditions)
        known = library(self.exercises())
        out: list[StarterSet] = []
        for _, items in self._validated(
            "strideguard_starter_sets",
            {"conditions": asked},
            lambda r, res: validate_starter_sets(res, known, source=r.name),
        ):
            out.extend(s for s in items if s.condition in asked)
        return out

    def assess(self, snapshot: DaySnapshot) -> list[Advice]:
        """Advice from every active plugin for the day in ``snapshot``."""
        advice: list[Advice] = []
        for _, items in self._validated(
            "strideguard_assess",
            {"snapshot": snapshot},
            lambda r, res: validate_advice(res, Source(r.name, r.version)),
        ):
            advice.extend(items)
        return advice

    def fingerprint(self) -> tuple[tuple[str, str, str], ...]:
        """``(name, version, status)`` of every known plugin: what stored guidance was made
        with (a plugin disabled, added or upgraded makes it stale)."""
        return tuple((r.name, r.version, r.status) for _, r in sorted(self._records.items()))

    def plugins_report(self) -> list[dict[str, Any]]:
        """Every known plugin: name, version, api_version, status, conditions, last_error."""
        self._conditions_by_plugin()
        return [self._records[name].report() for name in sorted(self._records)]


def create_host(
    *,
    allowlist: Iterable[str] | None = None,
    blocklist: Iterable[str] = (),
    budget_s: float = 0.5,
    max_failures: int = 3,
    trace: bool = False,
    inline_after: int = INLINE_AFTER,
    load_entrypoints: bool = True,
) -> PluginHost:
    """Build a plugin host and (by default) load every ``strideguard.plugins`` entry point."""
    host = PluginHost(
        allowlist=allowlist,
        blocklist=blocklist,
        budget_s=budget_s,
        max_failures=max_failures,
        trace=trace,
        inline_after=inline_after,
    )
    if load_entrypoints:
        host.load_entrypoints()
    return host
