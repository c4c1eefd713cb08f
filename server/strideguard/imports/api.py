"""``/api/v1/imports``: upload (multipart, 202), progress, history."""

from __future__ import annotations

from flask import request
from flask_smorest import Blueprint
from marshmallow import ValidationError

from strideguard.accounts import reimport
from strideguard.accounts.guard import current_user
from strideguard.errors import Invalid
from strideguard.imports import service
from strideguard.imports.schemas import (
    AnswerResultSchema,
    AnswerSchema,
    ImportEnvelopeSchema,
    ImportSchema,
    ItemsQuerySchema,
    UploadFileSchema,
    UploadFormSchema,
)

bp = Blueprint("imports", __name__, url_prefix="/api/v1",
               description="Import runs from GPX, TCX, FIT files and Strava bulk exports.")
UPLOAD_ENDPOINT = "imports.create_import"


@bp.before_request
def _upload_size() -> None:
    """Uploads may be larger than the API's 64 KB JSON limit (STRIDEGUARD_IMPORT_MAX_UPLOAD_MB)."""
    if request.endpoint == UPLOAD_ENDPOINT:
        request.max_content_length = service.upload_limit_bytes() + 64 * 1024
        if (request.content_length or 0) > request.max_content_length:
            raise service.UploadTooLarge(f"The upload is larger than {service.upload_limit_bytes() // service.MB} MB.")


@bp.route("/imports", methods=["POST"])
@bp.arguments(UploadFileSchema, location="files")
@bp.response(202, ImportEnvelopeSchema, description="Accepted: the import runs in the background")
@bp.alt_response(413, description="The upload is over STRIDEGUARD_IMPORT_MAX_UPLOAD_MB")
@bp.alt_response(201, schema=reimport.ExportImportedSchema,
                 description="A StrideGuard JSON export (.json) brought into this empty account at once")
@bp.alt_response(409, description="A JSON export sent to an account that already holds check-ins, runs or shoes")
def create_import(files: dict):
    """Upload one activity file or a zip (multipart/form-data field ``file``); follow the
    progress at ``GET /imports/{id}``. Moving servers: send the JSON file of ``GET /export``
    to a new, empty account (the CSV export is refused: it cannot be read back)."""
    # flask-smorest documents one location per body: the form field is read here.
    try:
        form = UploadFormSchema().load({k: v for k, v in request.form.items() if k == "keep_file"})
    except ValidationError as exc:
        raise Invalid(fields=exc.messages) from None
    if len(request.files.getlist("file")) > 1 or any(name != "file" for name in request.files):
        # Only one file part is read: a second one was silently left out.
        raise Invalid(fields={"file": ["Send one file per import: put several files in one zip."]})
    upload = files["file"]
    if reimport.is_export_name(upload.filename):
        return reimport.import_upload(current_user(), upload.stream)
    reimport.refuse_csv_export(upload.filename, upload.stream)
    imp = service.create_import(current_user(), upload.filename, upload.stream, form["keep_file"])
    return {"import_": service.import_out(imp)}


@bp.route("/imports", methods=["GET"])
@bp.response(200, ImportSchema(many=True))
def list_imports():
    """The runner's last 50 imports, newest first (without per-file results)."""
    return [service.import_out(i) for i in service.list_imports(current_user())]


@bp.route("/imports/<int:import_id>", methods=["GET"])
@bp.arguments(ItemsQuerySchema, location="query")
@bp.response(200, ImportEnvelopeSchema)
def get_import(query: dict, import_id: int):
    """Progress and results of one import (``?files=false`` while polling)."""
    imp = service.get_import(current_user(), import_id)
    return {"import_": service.import_out(imp, with_items=query["files"])}


@bp.route("/imports/<int:import_id>/files/<int:file_id>/answer", methods=["POST"])
@bp.arguments(AnswerSchema)
@bp.response(200, AnswerResultSchema)
@bp.alt_response(404, description="No such import or file (or not yours)")
@bp.alt_response(409, description="The file does not wait for an answer (answered already, or never held)")
def answer_file(body: dict, import_id: int, file_id: int):
    """Answer a file held as "needs your answer" (status ``needs_answer``: it names no sport
    and its speed is above the runner-plausible bound), or a ``possible_duplicate`` (it looked
    like a run already saved that day). ``run`` imports it as a run (for a possible duplicate:
    another run that day, under the file's own run id) through the same checks as any file,
    then the plan is replayed; ``skip`` leaves it out. 409 once answered, or for a file with
    any other result."""
    imp, item = service.answer_item(current_user(), import_id, file_id, body["answer"] == "run")
    return {"import_": service.import_out(imp), "file": service.item_out(item)}
