"""HTTP routes for guidance, the care plan (``GET /plan``), conditions, check-in questions and
plugins."""

from __future__ import annotations

from flask import Response
from flask_smorest import Blueprint

from strideguard.accounts.guard import current_user
from strideguard.guidance import service, stored
from strideguard.plan import service as plan_service
from strideguard.plan.schemas import PlanQuerySchema, PlanWithHistorySchema
from strideguard.guidance.schemas import (
    ConditionQuerySchema,
    ConditionSchema,
    GuidanceQuerySchema,
    GuidanceSchema,
    PluginSchema,
    QuestionSchema,
)
from strideguard.training.service import asked_day

bp = Blueprint("guidance", __name__, url_prefix="/api/v1", description="Guidance, the care plan and plugins.")


@bp.route("/guidance", methods=["GET"])
@bp.arguments(GuidanceQuerySchema, location="query")
@bp.response(200, GuidanceSchema)
def get_guidance(query: dict):
    """Advice for a local date (default today), each with the numbers that fired it.

    Served as stored while none of the runner's data, limits, plan or plugins changed."""
    user = current_user()
    body = stored.guidance_json(user, asked_day(user, query.get("date")), service.host())
    return Response(body, mimetype="application/json")


@bp.route("/plan", methods=["GET"])
@bp.arguments(PlanQuerySchema, location="query")
@bp.response(200, PlanWithHistorySchema)
def get_plan(query: dict):
    """The care plan for a local date (default today): state, day N of M, how it ends, the
    day's verdict, session or cap, this week against the baseline, and the history of
    every transition with the number that caused it."""
    user = current_user()
    guidance = service.guidance_for(user, asked_day(user, query.get("date")))
    return guidance.plan_dict(history=plan_service.history(user))


@bp.route("/conditions", methods=["GET"])
@bp.arguments(ConditionQuerySchema, location="query")
@bp.response(200, ConditionSchema(many=True))
def list_conditions(query: dict):
    """Conditions the plugins describe; with ``location``, those it could be come first."""
    return service.host().conditions(query.get("location"))


@bp.route("/checkin-questions", methods=["GET"])
@bp.response(200, QuestionSchema(many=True))
def list_questions():
    """Extra check-in questions: core ones and those of the runner's conditions."""
    return service.checkin_questions(current_user())


@bp.route("/plugins", methods=["GET"])
@bp.response(200, PluginSchema(many=True))
def list_plugins():
    """Every plugin with its version, API version and status."""
    return service.host().plugins_report()
