"""The bounded request-JSON loader, the strict writer, check-in answers and the load maths'
guards, piece by piece (the hostile suite in test_hostile.py drives them through the API)."""

from __future__ import annotations

import json
import math
from datetime import date
from decimal import Decimal

import pytest

from strideguard.errors import BodyTooLarge, Invalid, MalformedJson
from strideguard.guidance.validation import answer_problem
from strideguard.load import RunPoint, compute_load, speed_pct_change
from strideguard.load.weekly import pct_change
from strideguard.strictjson import MAX_BYTES, MAX_DEPTH, MAX_INT_DIGITS, dumps, loads_request


def refused(body: str | bytes, error: type) -> Exception:
    with pytest.raises(error) as caught:
        loads_request(body)
    return caught.value


def test_plain_json_loads_as_python_values() -> None:
    body = '{"pain": 3, "note": "Knee \u00e9 \U0001f3c3", "distance_m": 5000.5, "answers": {"a.b": [true, null]}}'
    assert loads_request(body.encode()) == json.loads(body)
    # A pair of surrogates as escapes is an ordinary character (an emoji), not a lone half.
    assert loads_request('"\\ud83c\\udfc3"') == "\U0001f3c3"


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", '{"x": NaN}', '[1, Infinity]'])
def test_nan_and_infinity_are_not_json(token: str) -> None:
    error = refused(token, MalformedJson)
    assert error.status == 400 and "not a JSON number" in error.message


@pytest.mark.parametrize("body, name", [
    ('{"pain": 1, "pain": 9}', '"pain"'),
    ('{"a": [{"x": 1, "y": 2, "x": 1}]}', '"x"'),  # nested, and the same value twice as well
    ('{"\\ud800": 1, "\\ud800": 2}', "one member"),  # a name that is not text is not echoed
])
def test_a_name_given_twice_in_one_object_is_a_400(body: str, name: str) -> None:
    error = refused(body, MalformedJson)
    assert error.status == 400 and f"names {name} more than once" in error.message
    # The same name in different objects is fine.
    assert loads_request('{"x": {"x": 1}, "y": [{"x": 2}, {"x": 3}]}') == {"x": {"x": 1}, "y": [{"x": 2}, {"x": 3}]}


def test_depth_is_bounded_before_anything_recurses() -> None:
    loads_request("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    for levels in (MAX_DEPTH + 1, 600, 30_000):  # 30,000: deeper than Python's parser can follow
        error = refused("[" * levels + "]" * levels, MalformedJson)
        assert "nested too deeply" in error.message
    refused('{"a":' * 600 + "1" + "}" * 600, MalformedJson)


def test_size_is_bounded() -> None:
    loads_request(json.dumps({"note": "x" * (MAX_BYTES - 20)}))
    assert refused(json.dumps({"note": "x" * MAX_BYTES}), BodyTooLarge).status == 413


def test_integers_and_floats_out_of_range_are_a_422_naming_the_field() -> None:
    assert loads_request('{"n": -%s}' % ("9" * MAX_INT_DIGITS)) == {"n": -int("9" * MAX_INT_DIGITS)}
    error = refused('{"pain": %s, "ok": 1}' % ("9" * 5000), Invalid)
    assert error.status == 422 and list(error.fields) == ["pain"]
    error = refused('{"therapist": {"distance": 1e400}}', Invalid)
    assert error.fields == {"therapist": ["Use a finite number."]}
    assert refused("1" * (MAX_INT_DIGITS + 1), Invalid).fields == {"_json": [f"Use a number with at most {MAX_INT_DIGITS} digits."]}


@pytest.mark.parametrize("body,field", [
    ('{"note": "a\\ud800b"}', "note"),
    ('{"note": "\\udfff"}', "note"),
    ('{"therapist": {"name": "\\ud800"}}', "therapist"),
    ('{"answers": {"a.b": ["x", "\\ud800"]}}', "answers"),
    ('{"answers": {"\\ud800": true}}', "answers"),
    ('{"\\ud800": 1}', "_json"),
    ('["\\ud800"]', "_json"),
])
def test_lone_surrogates_are_a_422_naming_the_field(body: str, field: str) -> None:
    assert list(refused(body, Invalid).fields) == [field]
    # Raw (invalid) UTF-8 bytes of a surrogate are refused the same way.
    raw = body.replace("\\ud800", "\ud800").replace("\\udfff", "\udfff").encode("utf-8", "surrogatepass")
    assert list(refused(raw, Invalid).fields) == [field]


def test_answers_are_null_booleans_finite_bounded_numbers_or_one_short_line() -> None:
    for good in (None, True, False, 0, 7, -3.5, 1000, "yes", "x" * 200):
        assert answer_problem(good) is None, good
    for bad in (math.nan, math.inf, -math.inf, 1e308, 1001, 10**30, "x" * 201, "two\nlines", "\ud800",
                [1], {"a": 1}, [[[]]]):
        assert answer_problem(bad), bad


def test_answers_never_carry_nan_or_infinity() -> None:
    assert json.loads(dumps({"a": [math.nan, math.inf, -math.inf, 1.5]})) == {"a": [None, None, None, 1.5]}
    assert dumps({"a": 1.5}, indent=2) == json.dumps({"a": 1.5}, indent=2)
    with pytest.raises(ValueError, match="Circular"):  # other ValueErrors are not hidden
        loop: list = []
        loop.append(loop)
        dumps(loop)


def test_load_maths_stay_finite_for_runs_stored_before_durations_were_bounded() -> None:
    day = date(2026, 11, 4)
    summary = compute_load([RunPoint(day, 5000.0, 5e-324)], day)
    assert summary.current.speed_mps is None
    assert speed_pct_change(5000, 5e-324, 5000, 1500) == Decimal("10000000.0")
    assert speed_pct_change(5000, 1500, 5e-324, 1500) == Decimal("10000000.0")
    assert speed_pct_change(5e-324, 1500, 5000, 1500) == Decimal("-100.0")
    assert pct_change(1e308, 5e-324) == Decimal("10000000.0")
    assert pct_change(33, 30) == Decimal("10.0")  # ordinary changes are untouched
