"""Request and response schemas of the clinic routes (``/api/v1/me/…`` and ``/api/v1/clinic/…``)."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates

from strideguard.clinic.models import INSTRUCTION_MAX
from strideguard.clinic.rules import KINDS
from strideguard.day import redflags
from strideguard.guidance.schemas import GuidanceSchema
from strideguard.plan.schemas import STATES, VERDICTS, PlanWithHistorySchema, ReasonSchema
from strideguard.training.schemas import QUERY_DAY, CheckinSchema, LoadSchema, RunSchema

#: Every action of the access log (the PWA has words for each: client/js/sharing.js).
ACTIONS = ["access_granted", "access_revoked", "viewed_dashboard", "viewed_patient", "exported_fhir",
           "changed_limits", "recorded_assessment", "viewed_programme", "changed_programme",
           "viewed_adherence", "viewed_exercise_sessions"]
URGENCY_KINDS = ["red_flag", "rest", "pain_above_limit", "flag", "exercise_pain", "weekly_jump", "silent"]


def _one_decimal(value: float | None) -> None:
    if value is not None and Decimal(repr(value)).as_tuple().exponent < -1:
        raise ValidationError("Use at most one decimal, e.g. 7.5.")


# --- the runner's side ----------------------------------------------------------------------


class InvitationSchema(Schema):
    id = fields.Integer()
    code = fields.String(metadata={"description": "single use; shown once, only its hash is stored",
                                   "example": "K7QX-M2PD-9FTB"})
    url = fields.String(metadata={"description": "opens the app's accept screen with the code: absolute from "
                                                  "STRIDEGUARD_PUBLIC_URL, else relative to the app's address "
                                                  "(never taken from the Host header)"})
    created_at = fields.DateTime()
    expires_at = fields.DateTime(metadata={"description": "7 days after creation; valid strictly before"})


class OpenInvitationSchema(Schema):
    id = fields.Integer()
    created_at = fields.DateTime()
    expires_at = fields.DateTime()


class LimitsSchema(Schema):
    """A therapist's limits for one patient. Each ``null``: not set (the runner's own applies)."""

    pain_threshold = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=0, max=9),
                                    metadata={"description": "advice to stop starts ABOVE this (5: pain 6 stops)"})
    weekly_increase_pct = fields.Float(allow_none=True, load_default=None, validate=[validate.Range(min=0, max=100), _one_decimal])
    speed_increase_pct = fields.Float(allow_none=True, load_default=None, validate=[validate.Range(min=0, max=100), _one_decimal])
    conditions = fields.List(fields.String(validate=validate.Length(max=64)), allow_none=True, load_default=None,
                             validate=validate.Length(max=20))
    instruction = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=INSTRUCTION_MAX),
                                metadata={"description": "shown to the runner with their guidance"})

    @validates("conditions")
    def _unique(self, value: list[str] | None, **_: object) -> None:
        if value is not None and len(set(value)) != len(value):
            raise ValidationError("List each condition once.")

    @validates("instruction")
    def _text(self, value: str | None, **_: object) -> None:
        if value is not None and any(ord(ch) < 32 and ch not in "\n" for ch in value):
            raise ValidationError("Use plain text.")


class CareTeamMemberSchema(Schema):
    id = fields.Integer()
    name = fields.String(allow_none=True)
    email = fields.String()
    since = fields.DateTime()
    limits = fields.Nested(LimitsSchema)
    limits_updated_at = fields.DateTime(allow_none=True)


class AccessLogQuerySchema(Schema):
    before = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1),
                            metadata={"description": "an entry id: the page of older entries"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class AccessLogEntrySchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    therapist_id = fields.Integer(allow_none=True, metadata={"description": "null once the therapist's account is gone"})
    therapist = fields.String(attribute="therapist_label")
    action = fields.String(metadata={"enum": ACTIONS})
    detail = fields.Dict(metadata={"description": "changed_limits / access_revoked: "
                                                  "{changes: {field: {old, new}}}"})


# --- the therapist's side -------------------------------------------------------------------


class AcceptSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))


class PatientRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    email = fields.String()


class AcceptedSchema(Schema):
    patient = fields.Nested(PatientRefSchema)


class UrgencyReasonSchema(ReasonSchema):
    kind = fields.String(metadata={"enum": URGENCY_KINDS})
    date = fields.String(allow_none=True, metadata={
        "format": "date", "description": "the local date it was reported (silent: the last check-in, null if none)"})
    exercise = fields.String(metadata={"description": "exercise_pain: the exercise's id"})
    name = fields.String(metadata={"description": "exercise_pain: the exercise's name"})
    count = fields.Integer(metadata={"description": "exercise_pain: exercises above their ceiling in those days"})


class UrgencySchema(Schema):
    level = fields.Integer(metadata={"description": "4 red flag, 3 plan rest, 2 pain above limit (a day's or an "
                                                    "exercise's), 1 weekly jump or silent (in a rest or a return, no check-in for 7 days), 0 none"})
    reasons = fields.List(fields.Nested(UrgencyReasonSchema))


class DatedPainSchema(Schema):
    date = fields.Date()
    pain = fields.Integer(allow_none=True)


class PatientWeekSchema(Schema):
    week_start = fields.Date(allow_none=True)
    distance_m = fields.Integer()
    runs = fields.Integer()
    cap_m = fields.Integer(allow_none=True, metadata={
        "description": "this week's cap in normal running; null in a rest or a return (the plan decides)"})
    distance_pct = fields.Float(allow_none=True, metadata={"description": "against the baseline week; null outside normal"})
    speed_pct = fields.Float(allow_none=True, metadata={"description": "against the pace reference week; null outside normal"})


class PatientPlanSchema(Schema):
    state = fields.String(metadata={"enum": STATES})
    since = fields.Date(allow_none=True)
    day = fields.Integer(allow_none=True)
    of_days = fields.Integer(allow_none=True)
    verdict = fields.String(metadata={"enum": VERDICTS})
    cause = fields.Nested(ReasonSchema, allow_none=True)


class LimitsInForceSchema(LimitsSchema):
    locked = fields.List(fields.String(), metadata={"description": "the limits a therapist set"})


class RehabWindowSchema(Schema):
    from_ = fields.Date(data_key="from", attribute="from")
    to = fields.Date()
    done = fields.Integer(metadata={"description": "sessions of the exercises done (a day per exercise)"})
    prescribed = fields.Integer()
    pct = fields.Integer(allow_none=True, metadata={"description": "null: nothing prescribed in those days"})


class ExercisePainSchema(Schema):
    date = fields.Date()
    exercise = fields.String()
    name = fields.String()
    pain = fields.Integer()
    ceiling = fields.Integer()


class RehabRowSchema(Schema):
    """The exercise programme on the dashboard (``rehab.adherence``'s numbers)."""

    version = fields.Integer(metadata={"description": "the programme's latest version"})
    items = fields.Integer(metadata={"description": "exercises in the version in force today (0: ended)"})
    last_7_days = fields.Nested(RehabWindowSchema, allow_none=True)
    last_28_days = fields.Nested(RehabWindowSchema, allow_none=True)
    min_adherence_pct = fields.Integer(allow_none=True)
    exceedances = fields.List(fields.Nested(ExercisePainSchema), metadata={
        "description": "exercise pain above its ceiling in the last 7 days, newest first"})


class PatientRowSchema(Schema):
    patient = fields.Nested(PatientRefSchema)
    today = fields.Date(metadata={"description": "the patient's local date"})
    urgency = fields.Nested(UrgencySchema)
    last_checkin = fields.Nested(DatedPainSchema, allow_none=True)
    pain_trend = fields.List(fields.Nested(DatedPainSchema), metadata={
        "description": "each day's worst pain (check-in or run, during or after), last 28 days"})
    week = fields.Nested(PatientWeekSchema, allow_none=True)
    plan = fields.Nested(PatientPlanSchema, allow_none=True)
    limits = fields.Nested(LimitsInForceSchema)
    alerts_unseen = fields.Integer(metadata={"description": "the badge: alerts since the patient page was last opened"})
    muted = fields.Boolean()
    rehab = fields.Nested(RehabRowSchema, allow_none=True, metadata={"description": "null: never had a programme"})


class PatientLimitsSchema(Schema):
    mine = fields.Nested(LimitsSchema)
    in_force = fields.Nested(LimitsInForceSchema)
    own = fields.Nested(LimitsInForceSchema, metadata={"description": "the runner's own settings"})
    set_by_me = fields.List(fields.String())


class ExceedanceSchema(Schema):
    date = fields.String(metadata={"format": "date"})  # stored with the alert as ISO text
    exercise = fields.String()
    name = fields.String()
    pain = fields.Integer()
    ceiling = fields.Integer()


class TherapistAlertSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"enum": list(KINDS)})
    local_date = fields.Date()
    created_at = fields.DateTime()
    status = fields.String()
    reasons = fields.List(fields.String())
    flags = fields.List(fields.String())
    flares = fields.Integer(allow_none=True, metadata={"description": "patient_recurrence: flares within six weeks"})
    exceedances = fields.List(fields.Nested(ExceedanceSchema), metadata={
        "description": "patient_rehab: the exercise pains above their ceiling that fired it, oldest first"})


class LimitChangeSchema(Schema):
    at = fields.DateTime()
    action = fields.String()
    changes = fields.Dict()


class DayPainSchema(Schema):
    date = fields.Date()
    pain = fields.Integer(metadata={"description": "the worst of the check-in's pain and each run's pain during and after"})
    source = fields.String(metadata={"enum": ["pain", "pain_during", "pain_after"],
                                     "description": "the field the worst pain came from"})


class RedFlagDaySchema(Schema):
    date = fields.Date()
    flags = fields.List(fields.String(metadata={"enum": [flag.id for flag in redflags.TABLE]}))


class SummarySchema(Schema):
    """The printed summary's figures. A day's pain is its worst: the check-in's or a run's
    (during or after), whichever is higher."""

    from_ = fields.Date(data_key="from", attribute="from")
    to = fields.Date()
    checkins = fields.Integer()
    runs = fields.Integer()
    pain_threshold = fields.Integer(metadata={"description": "the pain limit in force"})
    worst_pain = fields.Integer(allow_none=True, metadata={"description": "null: no pain recorded"})
    days_above_limit = fields.Integer(metadata={"description": "days whose worst pain is above the limit"})
    days = fields.List(fields.Nested(DayPainSchema), metadata={"description": "each day with a pain, oldest first"})
    red_flags = fields.List(fields.Nested(RedFlagDaySchema))


class SummaryQuerySchema(Schema):
    from_ = fields.Date(data_key="from", validate=QUERY_DAY, metadata={"description": "default: 27 days before 'to'"})
    to = fields.Date(validate=QUERY_DAY, metadata={"description": "default: today (the runner's local date)"})


class ExerciseCountSchema(Schema):
    exercise = fields.String()
    name = fields.String()
    done = fields.Integer()
    prescribed = fields.Integer()
    pct = fields.Integer(allow_none=True)


class RehabWeekSchema(RehabWindowSchema):
    exercises = fields.List(fields.Nested(ExerciseCountSchema))


class ExercisePainDaySchema(Schema):
    date = fields.Date()
    pain = fields.Integer(metadata={"description": "the day's worst exercise pain"})
    ceiling = fields.Integer(metadata={"description": "the ceiling of that exercise"})
    above = fields.Boolean(metadata={"description": "any exercise of the day above its ceiling"})
    exercises = fields.List(fields.Nested(ExercisePainSchema))


class PlanSpanSchema(Schema):
    state = fields.String(metadata={"enum": ["rest", "return"]})
    from_ = fields.Date(data_key="from", attribute="from")
    to = fields.Date()


class PatientPageSchema(PatientRowSchema):
    limits = fields.Nested(PatientLimitsSchema)
    load = fields.Nested(LoadSchema)
    checkins = fields.List(fields.Nested(CheckinSchema))
    runs = fields.List(fields.Nested(RunSchema))
    guidance = fields.Nested(GuidanceSchema)
    plan = fields.Nested(PlanWithHistorySchema, allow_none=True)
    alerts = fields.List(fields.Nested(TherapistAlertSchema))
    limit_history = fields.List(fields.Nested(LimitChangeSchema))
    summary = fields.Nested(SummarySchema, metadata={"description": "the 12 weeks' figures (the table, chart and print)"})
    since = fields.DateTime()
    timezone = fields.String()
    plan_spans = fields.List(fields.Nested(PlanSpanSchema), metadata={
        "description": "the care plan's rest and return as date spans within the 12 weeks (the chart's shading)"})
    rehab_weeks = fields.List(fields.Nested(RehabWeekSchema), metadata={
        "description": "adherence per calendar week and exercise, the last 12 weeks (from the programme's start)"})
    exercise_pains = fields.List(fields.Nested(ExercisePainDaySchema), metadata={
        "description": "each day of the 12 weeks with an exercise pain logged, oldest first"})


class PatientPatchSchema(Schema):
    muted = fields.Boolean(required=True, metadata={"description": "no push alerts about this patient"})


class LimitsResultSchema(Schema):
    limits = fields.Nested(PatientLimitsSchema)
    changed = fields.Dict(metadata={"description": "{field: {old, new}} of this request"})


class FhirQuerySchema(Schema):
    from_ = fields.Date(data_key="from", validate=QUERY_DAY)
    to = fields.Date(validate=QUERY_DAY)


class FhirBundleSchema(Schema):
    """The outline of the FHIR R4 Bundle (the full structure is FHIR's own)."""

    resourceType = fields.String(metadata={"enum": ["Bundle"]})
    id = fields.String()
    type = fields.String(metadata={"enum": ["collection"]})
    timestamp = fields.String(metadata={"format": "date-time"})
    meta = fields.Dict()
    entry = fields.List(fields.Dict(), metadata={
        "description": "{fullUrl, resource}: one Patient, then Observations (FHIR R4 resources)"})
