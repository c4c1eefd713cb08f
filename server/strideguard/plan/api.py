"""HTTP route of the care plan: ``GET /api/v1/plan``."""

from __future__ import annotations

from flask_smorest import Blueprint

from strideguard.accounts.guard import current_user
from strideguard.guidance.service import guidance_for
from strideguard.plan import models  # noqa: F401  (the tables belong to the app's metadata)
from strideguard.plan import service
from strideguard.plan.schemas import PlanQuerySchema, PlanWithHistorySchema
from strideguard.training.service import asked_day

bp = Blueprint("plan", __name__, url_prefix="/api/v1", description="The runner's care plan.")


@bp.route("/plan", methods=["GET"])
@bp.arguments(PlanQuerySchema, location="query")
@bp.response(200, PlanWithHistorySchema)
def get_plan(query: dict):
    """The care plan for a local date (default today): state, day N of M, how it ends, the
    day's verdict, session or cap, this week against the baseline, and the history of
    every transition with the number that caused it."""
    user = current_user()
    guidance = guidance_for(user, asked_day(user, query.get("date")))
    return guidance.plan_dict(history=service.history(user))
