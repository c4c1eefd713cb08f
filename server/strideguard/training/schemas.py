"""Schemas for check-ins, runs, shoes and load (distances in metres, durations in seconds)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import g, has_app_context
from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from strideguard.guidance.advice import LOCATIONS
from strideguard.day.redflags import ASSESSED_ANSWER
from strideguard.guidance.validation import (
    MAX_ID,
    AnswerKind,
    answer_problem,
    is_question_id,
    typed_answer_problem,
)
from strideguard.plan.machine import BREAK_ANSWER, EXERCISE_ANSWER, EXERCISE_OPTIONS
from strideguard.plan.schemas import BaselineSchema as PlanBaselineSchema
from strideguard.training.service import EARLIEST_DAY, LATEST_DAY

SIDES = ("left", "right", "both")
SURFACES = ("road", "trail", "track", "treadmill", "grass", "mixed")
PAIN = validate.Range(min=0, max=10)
#: 1,000 km and 7 days: generous upper bounds that still catch unit mistakes.
MAX_DISTANCE_M = 1_000_000
MAX_DURATION_S = 7 * 24 * 3600
#: A run is at least a metre and a second long, and slower than the fastest sprint
#: (45 km/h): every speed and every change of speed computed from runs stays finite.
MIN_DISTANCE_M = 1
MIN_DURATION_S = 1
MAX_SPEED_MPS = 12.5
#: Dates a query may name (nothing is stored outside them; date arithmetic stays far from
#: year 1 and 9999).
QUERY_DAY = validate.Range(min=EARLIEST_DAY, max=LATEST_DAY, error="Use a date from {min} to {max}.")

#: A row's two timestamps are set apart by microseconds when it is created; a later PUT
#: (a correction) moves ``updated_at`` on by at least a request's round trip.
EDITED_AFTER = timedelta(seconds=1)


def was_edited(row: Any) -> bool:
    """True when the entry was replaced after it was first saved (``updated_at`` later than
    ``created_at`` by more than EDITED_AFTER)."""
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name, None)
    created, updated = get("created_at"), get("updated_at")
    return bool(created and updated and updated - created > EDITED_AFTER)


EDITED_DOC = {"type": "boolean", "description": "the entry was changed after it was first saved (updated_at later "
                             "than created_at)"}


def _answer_key(key: str) -> bool:
    """An ``answers`` key is a question id by the same rule plugins' question ids follow
    (``guidance.validation.is_question_id``): every question listed can be answered."""
    if not is_question_id(key):
        raise ValidationError(f"Use a question id: prefix.name in lower-case snake_case, at most {MAX_ID} characters.")
    return True


class CheckinInSchema(Schema):
    pain = fields.Integer(required=True, strict=True, validate=PAIN)
    morning_pain = fields.Integer(strict=True, allow_none=True, validate=PAIN)
    location = fields.String(allow_none=True, validate=validate.OneOf(LOCATIONS))
    side = fields.String(allow_none=True, validate=validate.OneOf(SIDES))
    swelling = fields.Boolean(load_default=False)
    fever = fields.Boolean(load_default=False)
    locking_or_giving_way = fields.Boolean(load_default=False)
    hard_to_straighten = fields.Boolean(load_default=False)
    note = fields.String(allow_none=True, validate=validate.Length(max=1000))
    answers = fields.Dict(
        keys=fields.String(validate=_answer_key),
        values=fields.Raw(allow_none=True),
        load_default=dict,
        validate=validate.Length(max=30),
    )

    @validates("answers")
    def _plain_values(self, value: dict, **_: object) -> None:
        kinds = answer_kinds() if value else CORE_ANSWERS
        for key, answer in value.items():
            problem = answer_problem(answer) or known_answer_problem(key, answer, kinds)
            if problem:
                raise ValidationError(f"{key}: {problem}")


#: The core questions' answers, by id: a boolean, or one of the options (null always clears).
#: An answer of another type was stored and never read ("yes" to "back from a break?" kept the
#: plan in normal running): a 422 instead.
CORE_ANSWERS: dict[str, AnswerKind] = {
    BREAK_ANSWER: bool, ASSESSED_ANSWER: bool, EXERCISE_ANSWER: EXERCISE_OPTIONS,
}


_KINDS_KEY = "strideguard_answer_kinds"


def answer_kinds() -> dict[str, AnswerKind]:
    """What each known question's answer must be: the core questions', and — in a request —
    those the active plugins ask (an answer a plugin cannot read made its hook raise, and
    after three such check-ins it was disabled for every runner). Answers to questions no
    plugin asks stay free-form, within ``answer_problem``. Asked once per request (an
    account re-import loads many check-ins)."""
    if not has_app_context():
        return CORE_ANSWERS
    kinds = g.get(_KINDS_KEY)
    if kinds is None:
        from strideguard.guidance.service import plugin_answer_kinds

        kinds = {**plugin_answer_kinds(), **CORE_ANSWERS}
        setattr(g, _KINDS_KEY, kinds)
    return kinds


def known_answer_problem(key: str, answer: Any, kinds: dict[str, AnswerKind] = CORE_ANSWERS) -> str | None:
    """Why ``answer`` does not fit the type of the question ``key`` (from ``kinds``), or
    ``None``; an unknown question's answer is not typed."""
    kind = kinds.get(key)
    return None if kind is None else typed_answer_problem(kind, answer)


class CheckinSchema(CheckinInSchema):
    date = fields.Date(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)
    edited = fields.Function(was_edited, dump_only=True, metadata=EDITED_DOC)


class RunInSchema(Schema):
    date = fields.Date(required=True)
    distance_m = fields.Float(required=True, validate=validate.Range(min=MIN_DISTANCE_M, max=MAX_DISTANCE_M))
    duration_s = fields.Float(required=True, validate=validate.Range(min=MIN_DURATION_S, max=MAX_DURATION_S), metadata={
        "description": f"at least distance_m / {MAX_SPEED_MPS} (a speed of at most {MAX_SPEED_MPS} m/s)"})
    pain_during = fields.Integer(strict=True, allow_none=True, validate=PAIN)
    pain_after = fields.Integer(strict=True, allow_none=True, validate=PAIN)
    pain_onset_m = fields.Float(allow_none=True, validate=validate.Range(min=0, max=MAX_DISTANCE_M))
    surface = fields.String(allow_none=True, validate=validate.OneOf(SURFACES))
    shoe_id = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=2**31 - 1))
    note = fields.String(allow_none=True, validate=validate.Length(max=1000))

    @validates_schema
    def _plausible_speed(self, data: dict, **_: object) -> None:
        if data.get("distance_m", 0) > MAX_SPEED_MPS * data.get("duration_s", MAX_DURATION_S):
            raise ValidationError(f"Check the distance and the time: that is faster than "
                                  f"{MAX_SPEED_MPS * 3.6:.0f} km/h.", "duration_s")


class RunSchema(RunInSchema):
    id = fields.String(dump_only=True, attribute="uuid")
    source = fields.String(dump_only=True, metadata={"description": '"manual", or the imported format: "gpx", "tcx", "fit"'})
    device = fields.String(dump_only=True, allow_none=True)
    elevation_gain_m = fields.Float(dump_only=True, allow_none=True)
    started_at = fields.DateTime(dump_only=True, allow_none=True)
    import_id = fields.Integer(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)
    edited = fields.Function(was_edited, dump_only=True, metadata=EDITED_DOC)


class ShoeInSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    limit_m = fields.Float(load_default=800_000.0, validate=validate.Range(min=1, max=MAX_DISTANCE_M * 10))
    retired = fields.Boolean(load_default=False)


class ShoePatchSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    limit_m = fields.Float(validate=validate.Range(min=1, max=MAX_DISTANCE_M * 10))
    retired = fields.Boolean()


class ShoeSchema(ShoeInSchema):
    id = fields.Integer(dump_only=True)
    distance_m = fields.Float(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class RangeQuerySchema(Schema):
    from_ = fields.Date(data_key="from", validate=QUERY_DAY)
    to = fields.Date(validate=QUERY_DAY)


class DateQuerySchema(Schema):
    date = fields.Date(validate=QUERY_DAY)


class WindowSchema(Schema):
    distance_m = fields.Float()
    duration_s = fields.Float()
    runs = fields.Integer()
    speed_mps = fields.Float(allow_none=True)


class ChangeSchema(Schema):
    distance_pct = fields.Float(allow_none=True)
    speed_pct = fields.Float(allow_none=True)


class WeekSchema(Schema):
    week_start = fields.Date()
    distance_m = fields.Float()
    duration_s = fields.Float()
    runs = fields.Integer()


class LoadSchema(Schema):
    as_of = fields.Date()
    week_start = fields.Date(metadata={"description": "Monday of the calendar week of as_of"})
    current = fields.Nested(WindowSchema, metadata={"description": "this calendar week up to as_of"})
    previous = fields.Nested(WindowSchema, metadata={"description": "the calendar week before"})
    change = fields.Nested(ChangeSchema, metadata={
        "description": "this week against the baseline week (distance) and the speed reference "
                       "week, in percent at one decimal, as the rules compare them"})
    baseline = fields.Nested(PlanBaselineSchema, allow_none=True, metadata={
        "description": "the last clean week (spent in normal, within its cap); null before one"})
    plan_state = fields.String(metadata={"enum": ["normal", "rest", "return"]})
    cap_m = fields.Integer(metadata={"description": "this week's cap from the baseline (or the "
                                                    "starting cap)"})
    next_week_cap_m = fields.Integer(allow_none=True, metadata={
        "description": "next week's cap if this week ended now; null outside normal"})
    weekly_increase_pct = fields.Float()
    speed_increase_pct = fields.Float()
    longest_run_30d_m = fields.Float(allow_none=True)
    two_week_change_pct = fields.Float(allow_none=True)
    acwr = fields.Float(allow_none=True)
    weeks = fields.List(fields.Nested(WeekSchema))
