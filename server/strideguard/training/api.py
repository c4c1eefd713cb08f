"""HTTP routes for check-ins, runs, shoes and load."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from strideguard.accounts.guard import current_user
from strideguard.guidance.schemas import GuidanceSchema
from strideguard.training import service
from strideguard.training.schemas import (
    CheckinInSchema,
    CheckinSchema,
    DateQuerySchema,
    LoadSchema,
    RangeQuerySchema,
    RunInSchema,
    RunSchema,
    ShoeInSchema,
    ShoePatchSchema,
    ShoeSchema,
)

bp = Blueprint("training", __name__, url_prefix="/api/v1", description="Check-ins, runs, shoes and load.")


class CheckinResultSchema(Schema):
    checkin = fields.Nested(CheckinSchema)
    guidance = fields.Nested(GuidanceSchema)


class RunResultSchema(Schema):
    run = fields.Nested(RunSchema)
    guidance = fields.Nested(GuidanceSchema)


#: The PUT bodies' schemas, made once: given a class, webargs makes a schema per request (a
#: marshmallow schema copies its declared fields when made); marshmallow 4 schemas keep no
#: per-load state, so one serves every request.
CHECKIN_IN = CheckinInSchema()
RUN_IN = RunInSchema()


def _created(body: dict, created: bool) -> tuple[dict, int]:
    return body, 201 if created else 200


@bp.route("/checkins/<string:day>", methods=["PUT"])
@bp.arguments(CHECKIN_IN)
@bp.response(200, CheckinResultSchema, description="Replaced the check-in of that date")
@bp.alt_response(201, schema=CheckinResultSchema, description="Created")
def put_checkin(data: dict, day: str):
    """Save the daily check-in for a local date (a later PUT replaces it) and return guidance."""
    user = current_user()
    checkin, created, guidance = service.record_checkin(user, service.parse_day(day), data)
    return _created({"checkin": checkin, "guidance": guidance.to_dict()}, created)


@bp.route("/checkins", methods=["GET"])
@bp.arguments(RangeQuerySchema, location="query")
@bp.response(200, CheckinSchema(many=True))
def list_checkins(query: dict):
    """Check-ins between ``from`` and ``to`` (inclusive; default the last 90 days; at most 400)."""
    user = current_user()
    first, last = service.date_range(user, query.get("from_"), query.get("to"))
    return service.list_checkins(user, first, last)


@bp.route("/checkins/<string:day>", methods=["GET"])
@bp.response(200, CheckinSchema)
def get_checkin(day: str):
    """One check-in by its local date."""
    return service.get_checkin(current_user(), service.parse_day(day))


@bp.route("/checkins/<string:day>", methods=["DELETE"])
@bp.response(204)
def delete_checkin(day: str):
    """Delete the check-in of a local date."""
    service.delete_checkin(current_user(), service.parse_day(day))


@bp.route("/runs/<string:run_id>", methods=["PUT"])
@bp.arguments(RUN_IN)
@bp.response(200, RunResultSchema, description="Replaced the run with that UUID")
@bp.alt_response(201, schema=RunResultSchema, description="Created")
def put_run(data: dict, run_id: str):
    """Save a run under the client's UUID (replays never duplicate) and return guidance."""
    user = current_user()
    run, created, guidance = service.record_run(user, service.parse_uuid(run_id), data)
    return _created({"run": run, "guidance": guidance.to_dict()}, created)


@bp.route("/runs", methods=["GET"])
@bp.arguments(RangeQuerySchema, location="query")
@bp.response(200, RunSchema(many=True))
def list_runs(query: dict):
    """Runs between ``from`` and ``to`` (inclusive; default the last 90 days; at most 400)."""
    user = current_user()
    first, last = service.date_range(user, query.get("from_"), query.get("to"))
    return service.list_runs(user, first, last)


@bp.route("/runs/<string:run_id>", methods=["GET"])
@bp.response(200, RunSchema)
def get_run(run_id: str):
    """One run by its UUID."""
    return service.get_run(current_user(), service.parse_uuid(run_id))


@bp.route("/runs/<string:run_id>", methods=["DELETE"])
@bp.response(204)
def delete_run(run_id: str):
    """Delete a run."""
    service.delete_run(current_user(), service.parse_uuid(run_id))


@bp.route("/shoes", methods=["GET"])
@bp.response(200, ShoeSchema(many=True))
def list_shoes():
    """The runner's shoes with the distance run in each."""
    return service.list_shoes(current_user())


@bp.route("/shoes", methods=["POST"])
@bp.arguments(ShoeInSchema)
@bp.response(201, ShoeSchema)
def create_shoe(data: dict):
    """Add a pair of shoes (default replacement limit 800 km)."""
    return service.create_shoe(current_user(), data)


@bp.route("/shoes/<int:shoe_id>", methods=["PATCH"])
@bp.arguments(ShoePatchSchema)
@bp.response(200, ShoeSchema)
def patch_shoe(changes: dict, shoe_id: int):
    """Rename, change the limit or retire a pair of shoes."""
    return service.patch_shoe(current_user(), shoe_id, changes)


@bp.route("/shoes/<int:shoe_id>", methods=["DELETE"])
@bp.response(204)
def delete_shoe(shoe_id: int):
    """Delete a pair of shoes (runs keep their data, without the shoe)."""
    service.delete_shoe(current_user(), shoe_id)


@bp.route("/load", methods=["GET"])
@bp.arguments(DateQuerySchema, location="query")
@bp.response(200, LoadSchema)
def get_load(query: dict):
    """Training load for a local date (default: today in the runner's time zone)."""
    user = current_user()
    return service.load_for(user, service.asked_day(user, query.get("date")))
