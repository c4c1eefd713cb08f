"""Response schemas for guidance, conditions, questions and plugins (DESIGN §3)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from strideguard.training.schemas import LOCATIONS


class ReasonSchema(Schema):
    metric = fields.String()
    value = fields.Raw(allow_none=True)
    threshold = fields.Raw(allow_none=True)


class SourceSchema(Schema):
    plugin = fields.String()
    version = fields.String()


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


class GuidanceSchema(Schema):
    as_of = fields.String(metadata={"format": "date"})
    status = fields.String(metadata={"enum": ["ok", "caution", "stop"]})
    advice = fields.List(fields.Nested(AdviceSchema))
    plugins = fields.List(fields.Nested(PluginStatusSchema))


class ConditionSchema(Schema):
    id = fields.String()
    name = fields.String()
    summary = fields.String()
    locations = fields.List(fields.String())
    plugin = fields.String()
    matches_location = fields.Boolean()


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
