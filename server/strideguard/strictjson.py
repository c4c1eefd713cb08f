"""Strict JSON in and out: the app's request class and JSON provider (:func:`init_app`).

In — the one loader of every request body (``request.get_json``; the guard calls it for
every API request before a view or webargs sees the body, see ``security``):

* RFC 8259 only: ``NaN``, ``Infinity`` and ``-Infinity`` (which Python's json accepts) are
  a 400, as is nesting deeper than :data:`MAX_DEPTH` (no body of ours is deeper than 3; a
  nesting Python's parser cannot follow is a 400 too, not a ``RecursionError``);
* unambiguous: an object that names a member twice (``{"pain": 1, "pain": 9}``) is a 400.
  RFC 8259 leaves its meaning to the parser (Python keeps the last, others the first), so a
  proxy, a log or a plugin could read another value than the one we would store;
* bounded: a body over :data:`MAX_BYTES` is a 413; an integer of more than
  :data:`MAX_INT_DIGITS` digits, a number that overflows to infinity (``1e400``) and a string
  with a lone UTF-16 surrogate (``"\\ud800"``, which no database driver, argon2 or UTF-8
  encoder accepts) are a 422 naming the top-level field.

These are :class:`~strideguard.errors.DomainError` subclasses, not ``ValueError``: they reach
the error envelope whether or not the caller asked ``get_json`` to be silent.

Out — every answer made with ``jsonify``/flask-smorest/``app.json.dumps``/:func:`dumps` is strict:
``allow_nan=False``. Nothing should compute a non-finite number (inputs are bounded and the
load maths guards its divisions); should one still appear, it is answered as ``null`` with a
warning in the log rather than as invalid JSON or a 500.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

from flask import Flask, Request
from flask.json.provider import DefaultJSONProvider

from strideguard.errors import BodyTooLarge, Invalid, MalformedJson

log = logging.getLogger(__name__)

#: Request bodies (the app's MAX_CONTENT_LENGTH is the same; this also holds where a route
#: raises its own limit, e.g. the import upload).
MAX_BYTES = 64 * 1024
#: Arrays and objects inside one another (the deepest body of the API has 3 levels).
MAX_DEPTH = 32
#: Digits of an integer: every id and count of the API fits in 10.
MAX_INT_DIGITS = 20


class _OutOfRange:
    """A number the parser met that no field can hold; reported with its field by :func:`_check`."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


_TOO_MANY_DIGITS = _OutOfRange(f"Use a number with at most {MAX_INT_DIGITS} digits.")
_NOT_FINITE = _OutOfRange("Use a finite number.")


def _bounded_int(text: str) -> int | _OutOfRange:
    if len(text) - text.startswith("-") > MAX_INT_DIGITS:
        return _TOO_MANY_DIGITS  # never int(): Python refuses 4,300 digits with a ValueError
    return int(text)


def _finite_float(text: str) -> float | _OutOfRange:
    value = float(text)
    return value if math.isfinite(value) else _NOT_FINITE


def _refuse_constant(name: str) -> Any:
    raise MalformedJson(f"The request body is not valid JSON: {name} is not a JSON number.")


def _unique_names(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        twice = next(name for name, _ in pairs if name in seen or seen.add(name))
        shown = json.dumps(twice[:40]) if not _has_lone_surrogate(twice) else "one member"
        raise MalformedJson(f"The request body names {shown} more than once in one object: send each name once.")
    return obj


def _has_lone_surrogate(text: str) -> bool:
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _check(value: Any) -> None:
    """Depth, out-of-range numbers and lone surrogates, without recursion (a 400 or a 422)."""
    problems: dict[str, list[str]] = {}
    stack: list[tuple[Any, int, str]] = [(value, 0, "_json")]
    while stack:
        item, depth, field = stack.pop()
        if isinstance(item, (dict, list)):
            if depth >= MAX_DEPTH:
                raise MalformedJson(f"The request body is nested too deeply (at most {MAX_DEPTH} levels).")
            if isinstance(item, dict):
                for key, sub in item.items():
                    bad_key = _has_lone_surrogate(key)
                    name = ("_json" if bad_key else key) if depth == 0 else field
                    if bad_key:
                        problems.setdefault(name, []).append(
                            "A name holds a character that is not valid text (a lone UTF-16 surrogate).")
                    stack.append((sub, depth + 1, name))
            else:
                stack.extend((sub, depth + 1, field) for sub in item)
        elif isinstance(item, _OutOfRange):
            problems.setdefault(field, []).append(item.message)
        elif isinstance(item, str) and _has_lone_surrogate(item):
            problems.setdefault(field, []).append("Use valid text (this holds a lone UTF-16 surrogate).")
    if problems:
        raise Invalid(fields={name: sorted(set(messages)) for name, messages in problems.items()})


def loads_request(data: str | bytes) -> Any:
    """A request body as Python values, or a 400/413/422 :class:`DomainError` (see the module)."""
    if len(data) > MAX_BYTES:
        raise BodyTooLarge()
    try:
        value = json.loads(data, parse_constant=_refuse_constant, parse_int=_bounded_int,
                           parse_float=_finite_float, object_pairs_hook=_unique_names)
    except RecursionError:
        raise MalformedJson(f"The request body is nested too deeply (at most {MAX_DEPTH} levels).") from None
    _check(value)
    return value


def finite(value: Any) -> Any:
    """``value`` with every non-finite float replaced by ``None`` (for the fallback in dumps)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(item) for item in value]
    return value


def dumps(obj: Any, **kwargs: Any) -> str:
    """``json.dumps`` that never writes ``NaN``/``Infinity`` (answers built by hand use it too:
    the export, the FHIR bundle)."""
    kwargs["allow_nan"] = False
    try:
        return json.dumps(obj, **kwargs)
    except ValueError as error:
        if "Out of range float" not in str(error):
            raise
        log.warning("a non-finite number in an answer was sent as null (%s)", error)
        return json.dumps(finite(obj), **kwargs)


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's provider with strict (``allow_nan=False``) output."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("default", self.default)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        return dumps(obj, **kwargs)


class _RequestJson:
    """The ``json_module`` of :class:`BoundedRequest`: what ``request.get_json`` parses with."""

    loads = staticmethod(loads_request)
    dumps = staticmethod(dumps)


class BoundedRequest(Request):
    """Flask's request whose ``get_json`` is :func:`loads_request` (responses, and any other
    caller of ``app.json.loads``, keep the ordinary parser)."""

    @property
    def json_module(self) -> type[_RequestJson]:
        return _RequestJson

    @json_module.setter
    def json_module(self, _provider: Any) -> None:
        """Flask's request context sets ``app.json`` here; request bodies keep the bounded loader."""


def init_app(app: Flask) -> None:
    app.request_class = BoundedRequest
    app.json = StrictJSONProvider(app)
