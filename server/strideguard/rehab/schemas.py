"""Schemas of the exercise library, programmes, exercise sessions and adherence."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from strideguard.rehab.library import DOSES, SIDES, TRAINS
from strideguard.training.schemas import PAIN, QUERY_DAY

ITEM_SIDES = ("each", "both", "left", "right")
LOADS = ("bodyweight", "kg", "band")
KEY = validate.Regexp(r"^[a-z0-9_]{1,40}\.[a-z0-9_]{1,40}$", error="Use an exercise id from GET /exercises.")
SETS = validate.Range(min=1, max=10)
REPS = validate.Range(min=1, max=100)
SECONDS = validate.Range(min=1, max=600)


def _dose_problems(data: dict[str, Any]) -> dict[str, list[str]]:
    """The dose fields a dose type needs: reps for ``reps``; reps and seconds for ``hold``;
    seconds for ``time``."""
    dose = data.get("dose")
    problems: dict[str, list[str]] = {}
    if dose in ("reps", "hold") and data.get("reps") is None:
        problems["reps"] = ["Give the repetitions (holds) per set."]
    if dose in ("hold", "time") and data.get("seconds") is None:
        problems["seconds"] = ["Give the seconds of each hold or set."]
    if dose == "reps" and data.get("seconds") is not None:
        problems["seconds"] = ["A repetitions dose has no seconds."]
    if dose == "time" and data.get("reps") is not None:
        problems["reps"] = ["A timed dose has no repetitions."]
    return problems


class ExerciseSchema(Schema):
    id = fields.String(metadata={"description": "core.<name>, <plugin prefix>.<name>, or custom.<n> (a therapist's own)"})
    name = fields.String()
    instructions = fields.String()
    trains = fields.List(fields.String(metadata={"enum": list(TRAINS)}))
    dose = fields.String(metadata={"enum": list(DOSES),
                                   "description": "reps: sets × reps; hold: sets × reps holds of `seconds`; time: sets × `seconds`"})
    sets = fields.Integer()
    reps = fields.Integer(allow_none=True)
    seconds = fields.Integer(allow_none=True)
    sides = fields.String(metadata={"enum": list(SIDES)})
    equipment = fields.List(fields.String())
    conditions = fields.List(fields.String())
    source = fields.String(metadata={"description": "core, the plugin's name, or therapist"})
    retired = fields.Boolean(metadata={"description": "a therapist's own exercise they retired (their list only)"})


class LibraryQuerySchema(Schema):
    condition = fields.String(load_default=None, validate=validate.Length(max=40),
                              metadata={"description": "only exercises commonly used for this condition id"})


class CustomExerciseInSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    instructions = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    trains = fields.List(fields.String(validate=validate.OneOf(TRAINS)), required=True,
                         validate=validate.Length(min=1, max=len(TRAINS)))
    dose = fields.String(required=True, validate=validate.OneOf(DOSES))
    sets = fields.Integer(required=True, strict=True, validate=SETS)
    reps = fields.Integer(strict=True, allow_none=True, load_default=None, validate=REPS)
    seconds = fields.Integer(strict=True, allow_none=True, load_default=None, validate=SECONDS)
    sides = fields.String(required=True, validate=validate.OneOf(SIDES))
    equipment = fields.List(fields.String(validate=validate.Length(min=1, max=40)), load_default=list,
                            validate=validate.Length(max=10))
    conditions = fields.List(fields.String(validate=validate.Length(min=1, max=40)), load_default=list,
                             validate=validate.Length(max=10))

    @validates_schema
    def _dose(self, data: dict[str, Any], **_: Any) -> None:
        problems = _dose_problems(data)
        if problems:
            raise ValidationError(problems)


class CustomExercisePatchSchema(CustomExerciseInSchema):
    """Every field optional (used as ``CustomExercisePatchSchema(partial=True)``); the result
    must still be a whole exercise (checked on the merged result)."""

    @validates_schema
    def _dose(self, data: dict[str, Any], **_: Any) -> None:  # checked on the merged result
        return None


class ItemInSchema(Schema):
    exercise = fields.String(required=True, validate=KEY)
    sets = fields.Integer(strict=True, load_default=None, validate=SETS,
                          metadata={"description": "default: the exercise's"})
    reps = fields.Integer(strict=True, allow_none=True, load_default=None, validate=REPS)
    seconds = fields.Integer(strict=True, allow_none=True, load_default=None, validate=SECONDS)
    load = fields.String(load_default="bodyweight", validate=validate.OneOf(LOADS))
    load_kg = fields.Float(allow_none=True, load_default=None, validate=validate.Range(min=0.5, max=300),
                           metadata={"description": "kg, stored to one decimal"})
    band = fields.String(allow_none=True, load_default=None, validate=validate.Length(min=1, max=40))
    side = fields.String(load_default=None, validate=validate.OneOf(ITEM_SIDES),
                         metadata={"description": "default: the exercise's sides (each, both); left or right for one leg"})
    per_week = fields.Integer(strict=True, allow_none=True, load_default=None, validate=validate.Range(min=1, max=7),
                              metadata={"description": "days a week (or give weekdays)"})
    weekdays = fields.List(fields.Integer(strict=True, validate=validate.Range(min=1, max=7)), allow_none=True,
                           load_default=None, validate=validate.Length(min=1, max=7),
                           metadata={"description": "ISO weekdays, 1 = Monday (or give per_week)"})
    pain_ceiling = fields.Integer(strict=True, allow_none=True, load_default=None, validate=PAIN,
                                  metadata={"description": "pain during the exercise above this is too much; default the runner's pain limit"})
    note = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=500))

    @validates_schema
    def _item(self, data: dict[str, Any], **_: Any) -> None:
        problems: dict[str, list[str]] = {}
        if (data.get("per_week") is None) == (data.get("weekdays") is None):
            problems["per_week"] = ["Give either per_week (days a week) or weekdays."]
        if data.get("load") == "kg" and data.get("load_kg") is None:
            problems["load_kg"] = ["Give the load in kg."]
        if data.get("load") != "kg" and data.get("load_kg") is not None:
            problems["load_kg"] = ["A load in kg needs load: kg."]
        if data.get("load") == "band" and not data.get("band"):
            problems["band"] = ["Name the band (for example: red, medium)."]
        if problems:
            raise ValidationError(problems)


class ProgrammeInSchema(Schema):
    items = fields.List(fields.Nested(ItemInSchema), required=True, validate=validate.Length(max=20),
                        metadata={"description": "an empty list ends the programme"})
    starts_on = fields.Date(load_default=None, validate=QUERY_DAY,
                            metadata={"description": "default: the current start, else the patient's today; "
                                                     "at most 90 days back (a paper prescription)"})
    min_adherence_pct = fields.Integer(strict=True, allow_none=True, load_default=None,
                                       validate=validate.Range(min=1, max=100),
                                       metadata={"description": "below it (last 7 days), the return to running holds its phase"})
    note = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=1000))


class ProgrammeItemSchema(Schema):
    exercise = fields.String()
    name = fields.String()
    instructions = fields.String()
    dose = fields.String(metadata={"enum": list(DOSES)})
    sets = fields.Integer()
    reps = fields.Integer(allow_none=True)
    seconds = fields.Integer(allow_none=True)
    load = fields.String(metadata={"enum": list(LOADS)})
    load_kg = fields.Float(allow_none=True)
    band = fields.String(allow_none=True)
    side = fields.String(metadata={"enum": list(ITEM_SIDES)})
    per_week = fields.Integer(allow_none=True)
    weekdays = fields.List(fields.Integer(), allow_none=True)
    pain_ceiling = fields.Integer(allow_none=True)
    ceiling = fields.Integer(metadata={"description": "the ceiling in force: pain_ceiling, else the runner's pain limit"})
    dose_text = fields.String(metadata={"description": "the dose in words: 3 × 10 each side, band red"})
    schedule_text = fields.String()
    note = fields.String(allow_none=True)


class ProgrammeChangeSchema(Schema):
    kind = fields.String(metadata={"enum": ["added", "removed", "changed", "programme"]})
    exercise = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    text = fields.String()


class ProgrammeSchema(Schema):
    version = fields.Integer()
    therapist = fields.String()
    created_at = fields.DateTime()
    starts_on = fields.Date()
    effective_from = fields.Date()
    min_adherence_pct = fields.Integer(allow_none=True)
    note = fields.String(allow_none=True)
    items = fields.List(fields.Nested(ProgrammeItemSchema))
    changes = fields.List(fields.Nested(ProgrammeChangeSchema), metadata={"description": "what changed from the version before"})


class VersionSummarySchema(Schema):
    version = fields.Integer()
    therapist = fields.String()
    created_at = fields.DateTime()
    effective_from = fields.Date()
    items = fields.Integer()
    changes = fields.List(fields.Nested(ProgrammeChangeSchema))


class StarterItemSchema(Schema):
    exercise = fields.Nested(ExerciseSchema)
    sets = fields.Integer()
    reps = fields.Integer(allow_none=True)
    seconds = fields.Integer(allow_none=True)
    dose_text = fields.String()


class StarterSetSchema(Schema):
    condition = fields.String()
    condition_name = fields.String(allow_none=True)
    why = fields.String()
    sources = fields.List(fields.String())
    source = fields.String()
    items = fields.List(fields.Nested(StarterItemSchema))


class MyProgrammeSchema(Schema):
    prescribed = fields.Boolean(metadata={"description": "a therapist prescribed a programme (else: general starter sets)"})
    programme = fields.Nested(ProgrammeSchema, allow_none=True)
    versions = fields.List(fields.Nested(VersionSummarySchema))
    starter_sets = fields.List(fields.Nested(StarterSetSchema))
    general_note = fields.String(allow_none=True)


class DueSchema(Schema):
    exercise = fields.String()
    name = fields.String()
    instructions = fields.String()
    dose = fields.String()
    sets = fields.Integer()
    reps = fields.Integer(allow_none=True)
    seconds = fields.Integer(allow_none=True)
    load = fields.String()
    load_kg = fields.Float(allow_none=True)
    band = fields.String(allow_none=True)
    side = fields.String()
    ceiling = fields.Integer()
    dose_text = fields.String()
    schedule_text = fields.String()
    note = fields.String(allow_none=True)
    done = fields.Boolean()
    left_this_week = fields.Integer(allow_none=True)


class CautionSchema(Schema):
    date = fields.Date()
    exercise = fields.String()
    name = fields.String()
    pain = fields.Integer()
    ceiling = fields.Integer()
    title = fields.String()
    message = fields.String()


class PausedSchema(Schema):
    reason = fields.String()
    title = fields.String()
    message = fields.String()


class ExerciseTodaySchema(Schema):
    date = fields.Date()
    kind = fields.String(metadata={"enum": ["prescribed", "general", "none"]})
    version = fields.Integer(allow_none=True)
    count = fields.Integer(metadata={"description": "exercises still to do today"})
    items = fields.List(fields.Nested(DueSchema))
    paused = fields.Nested(PausedSchema, allow_none=True,
                           metadata={"description": "a red flag pauses the exercises: see your therapist"})
    cautions = fields.List(fields.Nested(CautionSchema))
    session_uuid = fields.String(allow_none=True, metadata={"description": "today's logged session, if any"})


class TodayQuerySchema(Schema):
    date = fields.Date(load_default=None, validate=QUERY_DAY)


class SetSchema(Schema):
    reps = fields.Integer(strict=True, allow_none=True, load_default=None, validate=validate.Range(min=0, max=200))
    seconds = fields.Integer(strict=True, allow_none=True, load_default=None, validate=validate.Range(min=0, max=3600))
    load_kg = fields.Float(allow_none=True, load_default=None, validate=validate.Range(min=0, max=300))


class EntryInSchema(Schema):
    exercise = fields.String(required=True, validate=KEY)
    sets = fields.List(fields.Nested(SetSchema), required=True, validate=validate.Length(max=20))
    pain = fields.Integer(strict=True, allow_none=True, load_default=None, validate=PAIN,
                          metadata={"description": "pain during the exercise, 0–10"})


class SessionInSchema(Schema):
    date = fields.Date(required=True, validate=QUERY_DAY)
    entries = fields.List(fields.Nested(EntryInSchema), required=True, validate=validate.Length(min=1, max=30))
    note = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=500))

    @validates_schema
    def _unique(self, data: dict[str, Any], **_: Any) -> None:
        keys = [e["exercise"] for e in data.get("entries", ())]
        if len(keys) != len(set(keys)):
            raise ValidationError({"entries": ["List each exercise once."]})


class EntrySchema(Schema):
    exercise = fields.String()
    name = fields.String()
    sets = fields.List(fields.Dict())
    sets_done = fields.Integer()
    pain = fields.Integer(allow_none=True)
    ceiling = fields.Integer()
    above_ceiling = fields.Boolean()


class ExerciseSessionSchema(Schema):
    uuid = fields.String()
    date = fields.Date()
    general = fields.Boolean(metadata={"description": "logged against a general starter set, not a prescription"})
    version = fields.Integer(allow_none=True)
    note = fields.String(allow_none=True)
    entries = fields.List(fields.Nested(EntrySchema))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class SessionResultSchema(Schema):
    session = fields.Nested(ExerciseSessionSchema)
    cautions = fields.List(fields.Nested(CautionSchema))
    today = fields.Nested(ExerciseTodaySchema)


class AdherenceWindowSchema(Schema):
    from_ = fields.Date(data_key="from", attribute="from")
    to = fields.Date()
    done = fields.Integer()
    prescribed = fields.Integer()
    pct = fields.Integer(allow_none=True)
    exercises = fields.List(fields.Dict())


class AdherenceSchema(Schema):
    weeks = fields.List(fields.Nested(AdherenceWindowSchema), metadata={"description": "calendar weeks, oldest first"})
    last_7_days = fields.Nested(AdherenceWindowSchema, allow_none=True)
    last_28_days = fields.Nested(AdherenceWindowSchema, allow_none=True)
    min_adherence_pct = fields.Integer(allow_none=True)
    exceedances = fields.List(fields.Nested(CautionSchema))


class AdherenceQuerySchema(Schema):
    weeks = fields.Integer(load_default=8, validate=validate.Range(min=1, max=52))
