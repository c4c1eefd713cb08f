"""Response schemas of the care plan (``GET /api/v1/plan``, and ``plan`` in guidance)."""

from __future__ import annotations

from marshmallow import Schema, fields

STATES = ["normal", "rest", "return"]
VERDICTS = ["ok", "caution", "stop"]


def _date(**kw) -> fields.String:
    """A local calendar date, already ISO-formatted by the pure plan view."""
    return fields.String(metadata={"format": "date", **kw.pop("metadata", {})}, **kw)


class ReasonSchema(Schema):
    """One number behind an advice or a plan change: the metric, its value, the limit."""

    metric = fields.String()
    value = fields.Raw(allow_none=True)
    threshold = fields.Raw(allow_none=True)


class PhaseSchema(Schema):
    phase = fields.Integer()
    walk_min = fields.Integer(metadata={"description": "walk interval; 0 in the continuous phase"})
    run_min = fields.Integer(allow_none=True, metadata={"description": "run interval; null: continuous"})
    distance_m = fields.Integer(metadata={"description": "the session's total distance"})
    effort = fields.Integer(metadata={"description": "rate of perceived exertion, 0-10"})
    text = fields.String(metadata={"example": "Walk 2 min · run 3 min for 1.6 km, easy"})


class SessionSchema(PhaseSchema):
    of_phases = fields.Integer()
    sessions_done = fields.Integer()
    sessions_needed = fields.Integer()
    today = fields.String(metadata={"enum": ["session", "rest_day", "done", "no_session"]})
    next_session = _date(allow_none=True, metadata={"description": "the first day from tomorrow a session may be run"})
    pain_ceiling = fields.Integer(metadata={"description": "the most pain a session may reach and still count"})


class TodaySchema(Schema):
    date = _date()
    verdict = fields.String(metadata={"enum": VERDICTS})
    session = fields.Nested(SessionSchema, allow_none=True)
    cap_m = fields.Integer(metadata={"description": "most to run: 0 in rest, the session's "
                                                    "distance in return, the week's cap in normal"})
    cap_text = fields.String()


class CleanWeekSchema(Schema):
    week_start = _date()
    distance_m = fields.Integer()


class BaselineSchema(Schema):
    week_start = _date(metadata={"description": "the latest clean week"})
    distance_m = fields.Integer(metadata={"description": "the larger of the latest clean week and the mean of the last four clean weeks (m)"})
    weeks = fields.List(fields.Nested(CleanWeekSchema), metadata={
        "description": "the clean weeks (up to 4) whose mean the baseline is at least, oldest first"})


class PlanWeekSchema(Schema):
    week_start = _date(allow_none=True)
    distance_m = fields.Integer()
    duration_s = fields.Integer()
    runs = fields.Integer()
    cap_m = fields.Integer(allow_none=True, metadata={
        "description": "the week's cap in normal running; null in a rest or a return (today.cap_m stands)"})
    baseline = fields.Nested(BaselineSchema, allow_none=True)
    ramp_m = fields.Integer(allow_none=True, metadata={
        "description": "after a return: what this week's cap grows from until it meets the baseline"})
    distance_pct = fields.Float(allow_none=True)
    speed_pct = fields.Float(allow_none=True)


class ReturnSchema(Schema):
    phase = fields.Integer()
    of_phases = fields.Integer()
    sessions_done = fields.Integer()
    sessions_needed = fields.Integer()
    phases = fields.List(fields.Nested(PhaseSchema))


class EndConditionSchema(Schema):
    days_left = fields.Integer()
    checkins_within_ceiling = fields.Integer(metadata={"description": "daily check-ins in a row so far"})
    checkins_needed = fields.Integer()
    pain_threshold = fields.Integer()
    pain_ceiling = fields.Integer(metadata={"description": "the pain those check-ins may show at most"})
    awaiting_assessment = fields.Boolean(metadata={
        "description": "held until a therapist (or the runner, in a check-in) records that the knee was assessed"})


class HistorySchema(Schema):
    at = _date()
    from_ = fields.String(data_key="from", attribute="from", metadata={"enum": STATES})
    to = fields.String(metadata={"enum": STATES})
    kind = fields.String(metadata={"enum": [
        "rest_started", "rest_extended", "return_started", "phase_up", "phase_down",
        "return_completed", "over_cap", "speed_over", "ran_during_rest", "session_too_long",
        "session_early", "recurrence", "assessed", "phase_held", "session_unconfirmed",
        "return_restarted"]})
    reason = fields.Nested(ReasonSchema)
    detail = fields.Dict()


class PlanSchema(Schema):
    state = fields.String(metadata={"enum": STATES})
    since = _date(allow_none=True)
    day = fields.Integer(allow_none=True, metadata={"description": "day N of the state"})
    of_days = fields.Integer(allow_none=True, metadata={"description": "length of a rest"})
    ends_when = fields.String(allow_none=True)
    end_condition = fields.Nested(EndConditionSchema, allow_none=True)
    cause = fields.Nested(ReasonSchema, allow_none=True)
    today = fields.Nested(TodaySchema)
    week = fields.Nested(PlanWeekSchema)
    return_ = fields.Nested(ReturnSchema, data_key="return", attribute="return", allow_none=True)


class PlanWithHistorySchema(PlanSchema):
    history = fields.List(fields.Nested(HistorySchema))


class PlanQuerySchema(Schema):
    date = fields.Date()
