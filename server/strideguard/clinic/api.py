"""HTTP routes of the therapist's side: the runner's sharing routes under ``/api/v1/me/…``
and the therapist's routes under ``/api/v1/clinic/…`` (therapist accounts only; the guard
checks the role). Thin: schema in, service call, schema out."""

from __future__ import annotations

from datetime import timedelta

from flask import Response, current_app
from flask_smorest import Blueprint

from strideguard.accounts.guard import current_user
from strideguard.clinic import dashboard, sharing
from strideguard.clinic import models  # noqa: F401  (the tables belong to the app's metadata)
from strideguard.clinic.fhir import bundle
from strideguard.clinic.schemas import (
    AcceptedSchema,
    AcceptSchema,
    AccessLogEntrySchema,
    AccessLogQuerySchema,
    FhirBundleSchema,
    FhirQuerySchema,
    InvitationSchema,
    LimitsResultSchema,
    LimitsSchema,
    OpenInvitationSchema,
    PatientPageSchema,
    PatientPatchSchema,
    PatientRowSchema,
    SummaryQuerySchema,
    SummarySchema,
    CareTeamMemberSchema,
)
from strideguard.extensions import db, limiter
from strideguard.strictjson import dumps as strict_dumps
from strideguard.timeutil import utcnow

sharing_bp = Blueprint("sharing", __name__, url_prefix="/api/v1/me",
                       description="The runner shares their data with a therapist, sees who has access, revokes it.")
clinic_bp = Blueprint("clinic", __name__, url_prefix="/api/v1/clinic",
                      description="The therapist's side (therapist accounts only).")


# --- the runner ---------------------------------------------------------------------------


def _runner_only(view):
    return sharing_bp.alt_response(403, description="A therapist account (sharing is a runner's)")(view)


@sharing_bp.route("/invitations", methods=["POST"])
@_runner_only
@sharing_bp.response(201, InvitationSchema)
@sharing_bp.alt_response(409, description="Five invitations are open already")
def create_invitation():
    """Invite a therapist: a single-use code and link, valid for 7 days.

    Give the code (or the link) to your therapist; it is shown only now. When they accept,
    they see your check-ins, runs and care plan until you revoke their access.
    """
    return sharing.create_invitation(current_user())


@sharing_bp.route("/invitations", methods=["GET"])
@_runner_only
@sharing_bp.response(200, OpenInvitationSchema(many=True))
def list_invitations():
    """Invitations not used yet and not expired (their codes are not stored, so not shown)."""
    return sharing.open_invitations(current_user())


@sharing_bp.route("/invitations/<int:invitation_id>", methods=["DELETE"])
@_runner_only
@sharing_bp.alt_response(404, description="No such open invitation of yours")
@sharing_bp.response(204)
def cancel_invitation(invitation_id: int):
    """Withdraw an invitation that was not used yet."""
    sharing.cancel_invitation(current_user(), invitation_id)


@sharing_bp.route("/therapists", methods=["GET"])
@_runner_only
@sharing_bp.response(200, CareTeamMemberSchema(many=True))
def list_therapists():
    """The therapists who have access to your data, and the limits each one set."""
    return sharing.therapists_of(current_user())


@sharing_bp.route("/therapists/<int:therapist_id>", methods=["DELETE"])
@_runner_only
@sharing_bp.alt_response(404, description="This therapist has no access to your data")
@sharing_bp.response(204)
def revoke_therapist(therapist_id: int):
    """Revoke a therapist's access. It ends with their next request; their limits stop
    applying and your own settings are back in force."""
    sharing.revoke(current_user(), therapist_id)


@sharing_bp.route("/access-log", methods=["GET"])
@_runner_only
@sharing_bp.arguments(AccessLogQuerySchema, location="query")
@sharing_bp.response(200, AccessLogEntrySchema(many=True))
def access_log(query: dict):
    """Every access by a therapist to your data, and every change of access, newest first."""
    return sharing.access_log(current_user(), query.get("before"), query["limit"])


@sharing_bp.route("/summary", methods=["GET"])
@_runner_only
@sharing_bp.arguments(SummaryQuerySchema, location="query")
@sharing_bp.response(200, SummarySchema)
def runner_summary(query: dict):
    """The figures of your printed summary for your therapist (default: the last 4 weeks):
    check-ins and runs, the worst pain, the days above your pain limit, each day's worst
    pain (check-in or run, during or after) and the red flags you reported."""
    from strideguard.training import service as training

    user = current_user()
    last = query.get("to") or training.today_for(user)
    first, last = training.date_range(user, query.get("from_") or last - timedelta(days=27), last)
    return dashboard.runner_summary(user, first, last)


# --- the therapist ------------------------------------------------------------------------


def _documented(*, patient: bool = True):
    """The clinic's shared answers in the OpenAPI document: 403 for a runner account, 404
    for a patient who never invited this therapist or revoked them."""
    def wrap(view):
        view = clinic_bp.alt_response(403, description="Not a therapist account")(view)
        if patient:
            view = clinic_bp.alt_response(404, description="Not your patient: never invited, or access revoked")(view)
        return view
    return wrap


def _accept_limit() -> str:
    return current_app.config["ACCEPT_RATE_LIMIT"]


def _account_key() -> str:
    return f"account:{current_user().id}"


@clinic_bp.route("/invitations/accept", methods=["POST"])
@limiter.limit(_accept_limit, deduct_when=lambda response: response.status_code != 200)
@limiter.limit(_accept_limit, key_func=_account_key, deduct_when=lambda response: response.status_code != 200)
@clinic_bp.arguments(AcceptSchema)
@clinic_bp.response(200, AcceptedSchema)
@clinic_bp.alt_response(403, description="Not a therapist account")
@clinic_bp.alt_response(404, description="Unknown, used or expired code (one answer for all three)")
@clinic_bp.alt_response(429, description="Too many wrong codes from this address or account")
def accept_invitation(data: dict):
    """Accept a patient's invitation code: their data becomes visible to you.

    Codes are single use and expire after 7 days. Wrong codes are throttled per address and
    per account.
    """
    patient = sharing.accept(current_user(), data["code"])
    return {"patient": {"id": patient.id, "name": sharing.patient_name(patient), "email": patient.email}}


@clinic_bp.route("/patients", methods=["GET"])
@_documented(patient=False)
@clinic_bp.response(200, PatientRowSchema(many=True))
def list_patients():
    """Your patients, most urgent first: red flags, care plan in rest, pain above their
    limit, a weekly jump — each with the numbers behind it, the last check-in, the pain of
    the last 28 days, this week's distance and the plan state."""
    return dashboard.dashboard(current_user())


@clinic_bp.route("/patients/<int:patient_id>", methods=["GET"])
@_documented()
@clinic_bp.response(200, PatientPageSchema)
def get_patient(patient_id: int):
    """One patient: the 12-week load, check-ins and runs of the last 12 weeks, today's
    guidance and care plan with its history and reasons, the limits, your alerts."""
    return dashboard.patient_page(current_user(), patient_id)


@clinic_bp.route("/patients/<int:patient_id>", methods=["PATCH"])
@_documented()
@clinic_bp.arguments(PatientPatchSchema)
@clinic_bp.response(204)
def patch_patient(data: dict, patient_id: int):
    """Mute or unmute push alerts about this patient (the dashboard keeps showing them)."""
    sharing.set_muted(current_user(), patient_id, data["muted"])


@clinic_bp.route("/patients/<int:patient_id>/alerts/seen", methods=["POST"])
@_documented()
@clinic_bp.response(204)
def mark_alerts_seen(patient_id: int):
    """You have read this patient's alerts: the dashboard badge clears."""
    sharing.mark_seen(current_user(), patient_id)


@clinic_bp.route("/patients/<int:patient_id>/limits", methods=["PUT"])
@_documented()
@clinic_bp.arguments(LimitsSchema)
@clinic_bp.response(200, LimitsResultSchema)
def put_limits(data: dict, patient_id: int):
    """Set this patient's limits (a field left out or null: not set by you). The runner sees
    them as set by their therapist and cannot change them; guidance and the care plan use
    them from the next check-in on. Every change is audited (who, when, old -> new)."""
    from strideguard.guidance.service import known_condition_ids

    link, patient, changed = sharing.change_limits(current_user(), patient_id, data, known_condition_ids())
    return {"limits": dashboard.limits_view(link, patient),
            "changed": changed}


def _fhir_programme(patient, first, last) -> dict | None:
    """The patient's current programme for the FHIR CarePlan, or None (none prescribed, or
    its period — start to end — misses the export's window). An ended programme (its last
    version has no items) is the last version with items, ``completed`` the day before."""
    from sqlalchemy import select

    from strideguard.accounts.limits import runner_settings
    from strideguard.rehab import service as rehab_service
    from strideguard.rehab.models import Programme, ProgrammeItem

    versions = list(db.session.execute(select(Programme).where(Programme.user_id == patient.id)
                                       .order_by(Programme.version)).scalars())
    items: dict[int, list[ProgrammeItem]] = {v.id: [] for v in versions}
    if versions:
        for item in db.session.execute(select(ProgrammeItem).where(ProgrammeItem.user_id == patient.id)
                                       .order_by(ProgrammeItem.programme_id, ProgrammeItem.position)).scalars():
            items.setdefault(item.programme_id, []).append(item)
    prescribed = [v for v in versions if items[v.id]]
    if not prescribed:
        return None
    shown, ends_on = prescribed[-1], None
    if shown is not versions[-1]:  # a later version without items ended the programme
        ends_on = max(shown.starts_on, versions[-1].effective_from - timedelta(days=1))
    if shown.starts_on > last or (ends_on is not None and ends_on < first):
        return None
    limit = runner_settings(patient).pain_threshold
    return {"version": shown.version, "status": "active" if ends_on is None else "completed",
            "starts_on": shown.starts_on, "ends_on": ends_on, "created_at": shown.created_at,
            "therapist": shown.therapist, "therapist_id": shown.therapist_id, "note": shown.note,
            "items": [rehab_service.item_out(i, limit) for i in items[shown.id]]}


@clinic_bp.route("/patients/<int:patient_id>/fhir", methods=["GET"])
@_documented()
@clinic_bp.arguments(FhirQuerySchema, location="query")
@clinic_bp.response(200, FhirBundleSchema, description=(
    "A FHIR R4 Bundle (type collection, application/fhir+json): the Patient, and Observations "
    "of pain severity (LOINC 72514-3, 0-10, UCUM {score}) per check-in and per run pain, with "
    "the body site: the knee region with its side (SNOMED CT 72696002, 82169009 left, 6757004 right, "
    "36701003 both) and, for a check-in with a side or spot, a contained BodyStructure with the spot "
    "and its laterality (R4 extension bodySite); running distance (LOINC 55412-1, m) and duration (LOINC "
    "55411-3, min), each with its effective date; the current exercise programme as a CarePlan "
    "(one activity per exercise with its dose and schedule) and each logged exercise as an Observation "
    "(sets done) with the pain during it (72514-3)."), content_type="application/fhir+json")
def get_fhir(query: dict, patient_id: int):
    """The patient's summary for a clinic's record system (default: the last 90 days)."""
    from strideguard.rehab import service as rehab_service
    from strideguard.training import service as training

    therapist = current_user()
    _link, patient = sharing.care_link(therapist, patient_id)
    first, last = training.date_range(patient, query.get("from_"), query.get("to"))
    checkins = training.list_checkins(patient, first, last)
    runs = training.list_runs(patient, first, last)
    body = bundle(
        instance=current_app.config.get("FHIR_INSTANCE_ID") or "strideguard",
        patient={"id": patient.id, "name": patient.display_name, "email": patient.email},
        checkins=[{"date": c.date, "pain": c.pain, "morning_pain": c.morning_pain, "side": c.side,
                   "location": c.location} for c in checkins],
        runs=[{"id": r.uuid, "date": r.date, "distance_m": r.distance_m, "duration_s": r.duration_s,
               "pain_during": r.pain_during, "pain_after": r.pain_after} for r in runs],
        generated_at=utcnow(),
        programme=_fhir_programme(patient, first, last),
        exercise_sessions=rehab_service.list_sessions(patient.id, first, last),
    )
    sharing.log(patient.id, therapist, "exported_fhir", **{"from": first.isoformat(), "to": last.isoformat()})
    db.session.commit()
    response = Response(strict_dumps(body), mimetype="application/fhir+json")
    response.headers["Content-Disposition"] = f'attachment; filename="patient-{patient.id}-fhir.json"'
    return response

from strideguard.clinic import assessment_api  # noqa: E402,F401  (registers its route on clinic_bp)
