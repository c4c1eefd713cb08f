"""``POST /api/v1/clinic/patients/{id}/assessment``: a therapist records that they assessed
the patient's knee, which lifts the care plan's hold after a knee that locked, gave way or
would not straighten (``day.redflags``). Registered on the clinic's blueprint."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from strideguard.accounts.guard import current_user
from strideguard.clinic import sharing
from strideguard.clinic.api import _documented, clinic_bp
from strideguard.plan.schemas import PlanSchema


class AssessmentInSchema(Schema):
    date = fields.Date(load_default=None, metadata={
        "description": "the patient's local date of the assessment (default: their today; at most 30 days back)"})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class AssessmentOutSchema(Schema):
    date = fields.Date()
    therapist = fields.String()
    note = fields.String(allow_none=True)
    plan = fields.Nested(PlanSchema, metadata={"description": "the patient's care plan today, after it"})


@clinic_bp.route("/patients/<int:patient_id>/assessment", methods=["POST"])
@_documented()
@clinic_bp.arguments(AssessmentInSchema)
@clinic_bp.response(201, AssessmentOutSchema)
def record_assessment(data: dict, patient_id: int):
    """You assessed this patient's knee. After a knee that locked, gave way or would not
    straighten, the care plan holds the rest until a therapist records an assessment (or the
    patient confirms one in a check-in); this lets it go on. Recorded with your name and the
    date, and in the patient's access log."""
    return sharing.record_assessment(current_user(), patient_id, data.get("date"), data.get("note"))
