"""Response schemas for guidance, conditions, questions and plugins (DESIGN §3)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from strideguard.guidance.advice import LOCATIONS, SOURCE_KINDS
from strideguard.plan.schemas import PlanSchema, ReasonSchema


class SourceSchema(Schema):
    plugin = fields.String()
    version = fields.String()
    kind = fields.String(metadata={
        "enum": list(SOURCE_KINDS),
        "description": "clinic: the seed article's rules; plan: the care plan; evidence: "
                       "research beyond the seed (never louder than caution); plugin",
    })


class AdviceSchema(Schema):
    id = fields.String()
    action = fields.String()
    severity = fields.String()
    title = fields.String()
    message = fields.String()
    reasons = fields.List(fields.Nested(ReasonSchema))
    evidence = fields.String(allow_none=True)
    source = fields.Nested(SourceSchema)


class PluginStatusSchema(Schema):
    name = fields.String()
    status = fields.String()


class ReconciledSchema(Schema):
    id = fields.String()
    action = fields.String()
    source = fields.Nested(SourceSchema)
    reason = fields.String(metadata={"enum": ["verdict_stop", "plan_rest", "plan_return", "core_red_flag"]})


class GuidanceSchema(Schema):
    as_of = fields.String(metadata={"format": "date"})
    status = fields.String(metadata={
        "enum": ["ok", "caution", "stop"],
        "description": "the day's one verdict, decided by the core from the care plan"})
    advice = fields.List(fields.Nested(AdviceSchema))
    plugins = fields.List(fields.Nested(PluginStatusSchema))
    plan = fields.Nested(PlanSchema, allow_none=True)
    reconciled = fields.List(fields.Nested(ReconciledSchema), metadata={
        "description": "advice left out because it contradicted the verdict"})


class ConditionSchema(Schema):
    id = fields.String()
    name = fields.String()
    summary = fields.String()
    locations = fields.List(fields.String())
    plugin = fields.String()
    match = fields.Boolean(metadata={
        "description": "the location asked about is one of the condition's typical locations"})


class QuestionSchema(Schema):
    id = fields.String()
    prompt = fields.String()
    type = fields.String()
    options = fields.List(fields.Raw())
    condition = fields.String(allow_none=True)


class PluginSchema(Schema):
    name = fields.String()
    version = fields.String()
    api_version = fields.Integer(allow_none=True)
    status = fields.String(metadata={"enum": ["active", "failed", "disabled"]})
    conditions = fields.List(fields.String())


class GuidanceQuerySchema(Schema):
    date = fields.Date()


class ConditionQuerySchema(Schema):
    location = fields.String(validate=validate.OneOf(LOCATIONS))
