"""HTTP routes of the rehab half: the exercise library, the runner's programme, day and
sessions, adherence; and the therapist's own exercises and their patients' programmes
(registered on the clinic's blueprint: therapist accounts only). Thin: schema in, service
call, schema out."""

from __future__ import annotations

from flask_smorest import Blueprint

from strideguard.accounts.guard import current_user
from strideguard.clinic.api import _documented, clinic_bp
from strideguard.rehab import service
from strideguard.rehab.schemas import (
    AdherenceQuerySchema,
    AdherenceSchema,
    CustomExerciseInSchema,
    CustomExercisePatchSchema,
    ExerciseSchema,
    ExerciseSessionSchema,
    ExerciseTodaySchema,
    LibraryQuerySchema,
    MyProgrammeSchema,
    ProgrammeInSchema,
    SessionInSchema,
    SessionResultSchema,
    TodayQuerySchema,
)
from strideguard.training.schemas import RangeQuerySchema
from strideguard.training.service import date_range, parse_uuid

bp = Blueprint("rehab", __name__, url_prefix="/api/v1",
               description="Exercises: the library, the programme your therapist prescribed, your sessions.")


@bp.route("/exercises", methods=["GET"])
@bp.arguments(LibraryQuerySchema, location="query")
@bp.response(200, ExerciseSchema(many=True))
def list_exercises(query: dict):
    """The exercise library: built-in knee-rehab staples, those the installed plugins add,
    and (for a therapist) their own, retired ones marked."""
    return service.list_library(current_user(), query.get("condition"))


@bp.route("/me/programme", methods=["GET"])
@bp.response(200, MyProgrammeSchema)
def my_programme():
    """Your exercise programme as your therapist prescribed it (current version, what changed,
    every version) — or, without one, general starter sets for your conditions."""
    return service.my_programme(current_user())


@bp.route("/me/programme/today", methods=["GET"])
@bp.arguments(TodayQuerySchema, location="query")
@bp.response(200, ExerciseTodaySchema)
def programme_today(query: dict):
    """Your exercises of a day (default today): each with its dose and whether it is done;
    paused when a red flag stops them; cautions for pain above a ceiling."""
    return service.today(current_user(), query.get("date"))


@bp.route("/exercise-sessions/<string:session_id>", methods=["PUT"])
@bp.arguments(SessionInSchema)
@bp.response(200, SessionResultSchema, description="Replaced the session with that UUID")
@bp.alt_response(201, schema=SessionResultSchema, description="Created")
def put_session(data: dict, session_id: str):
    """Log an exercise session under the client's UUID (a replay never duplicates): per
    exercise the sets done (repetitions or seconds, load) and the pain during it."""
    user = current_user()
    session, created = service.put_session(user, parse_uuid(session_id), data)
    body = {"session": session, "cautions": [c for c in service.cautions(user.id, session["date"], session["date"])],
            "today": service.today(user, session["date"])}
    return body, 201 if created else 200


@bp.route("/exercise-sessions", methods=["GET"])
@bp.arguments(RangeQuerySchema, location="query")
@bp.response(200, ExerciseSessionSchema(many=True))
def list_sessions(query: dict):
    """Your exercise sessions between ``from`` and ``to`` (default the last 90 days)."""
    user = current_user()
    first, last = date_range(user, query.get("from_"), query.get("to"))
    return service.list_sessions(user.id, first, last)


@bp.route("/exercise-sessions/<string:session_id>", methods=["GET"])
@bp.response(200, ExerciseSessionSchema)
def get_session(session_id: str):
    """One exercise session by its UUID."""
    return service.get_session(current_user(), parse_uuid(session_id))


@bp.route("/exercise-sessions/<string:session_id>", methods=["DELETE"])
@bp.response(204)
def delete_session(session_id: str):
    """Delete an exercise session."""
    service.delete_session(current_user(), parse_uuid(session_id))


@bp.route("/me/adherence", methods=["GET"])
@bp.arguments(AdherenceQuerySchema, location="query")
@bp.response(200, AdherenceSchema)
def my_adherence(query: dict):
    """How much of your programme you did: per calendar week and exercise, over the last 7 and
    28 days, and any exercise pain above its ceiling."""
    return service.adherence_of(current_user(), query["weeks"])


# --- the therapist --------------------------------------------------------------------------


@clinic_bp.route("/exercises", methods=["POST"])
@_documented(patient=False)
@clinic_bp.arguments(CustomExerciseInSchema)
@clinic_bp.response(201, ExerciseSchema)
def create_exercise(data: dict):
    """Add an exercise of your own to the library (only you see it, as ``custom.<n>``)."""
    return service.create_custom(current_user(), data)


@clinic_bp.route("/exercises/<string:exercise_id>", methods=["PATCH"])
@_documented(patient=False)
@clinic_bp.arguments(CustomExercisePatchSchema(partial=True))
@clinic_bp.response(200, ExerciseSchema)
@clinic_bp.alt_response(404, description="Not one of your exercises")
def patch_exercise(changes: dict, exercise_id: str):
    """Edit one of your own exercises. Programmes already prescribed keep the text they had;
    the next version you save copies the new one."""
    return service.patch_custom(current_user(), exercise_id, changes)


@clinic_bp.route("/exercises/<string:exercise_id>", methods=["DELETE"])
@_documented(patient=False)
@clinic_bp.response(204)
@clinic_bp.alt_response(404, description="Not one of your exercises")
def retire_exercise(exercise_id: str):
    """Retire one of your own exercises: gone from the library for new programmes."""
    service.retire_custom(current_user(), exercise_id)


@clinic_bp.route("/patients/<int:patient_id>/programme", methods=["GET"])
@_documented()
@clinic_bp.response(200, MyProgrammeSchema)
def get_programme(patient_id: int):
    """The patient's exercise programme: the current version and every earlier one."""
    return service.programme_for_therapist(current_user(), patient_id)


@clinic_bp.route("/patients/<int:patient_id>/programme", methods=["PUT"])
@_documented()
@clinic_bp.arguments(ProgrammeInSchema)
@clinic_bp.response(200, MyProgrammeSchema)
def put_programme(data: dict, patient_id: int):
    """Prescribe the patient's programme: the whole list of exercises, each with its dose,
    load, side, schedule and pain ceiling. Every save is a new version (who, when, what
    changed); an empty list ends the programme. Logged in the patient's access log."""
    return service.put_programme(current_user(), patient_id, data)


@clinic_bp.route("/patients/<int:patient_id>/adherence", methods=["GET"])
@_documented()
@clinic_bp.arguments(AdherenceQuerySchema, location="query")
@clinic_bp.response(200, AdherenceSchema)
def patient_adherence(query: dict, patient_id: int):
    """The patient's adherence per calendar week and exercise, the last 7 and 28 days, and
    exercise pain above its ceiling."""
    return service.adherence_for_therapist(current_user(), patient_id, query["weeks"])


@clinic_bp.route("/patients/<int:patient_id>/exercise-sessions", methods=["GET"])
@_documented()
@clinic_bp.arguments(RangeQuerySchema, location="query")
@clinic_bp.response(200, ExerciseSessionSchema(many=True))
def patient_sessions(query: dict, patient_id: int):
    """The patient's logged exercise sessions between ``from`` and ``to`` (default 90 days)."""
    return service.sessions_for_therapist(current_user(), patient_id, query.get("from_"), query.get("to"))
