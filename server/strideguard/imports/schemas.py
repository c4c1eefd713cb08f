"""Schemas of the import routes (multipart upload in, progress out)."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from strideguard.imports.models import ITEM_STATUSES, STATUSES


KEEP_FILE = fields.Boolean(load_default=False, metadata={
    "description": "Keep the uploaded file on the server after the import (default: deleted)"})


class UploadFormSchema(Schema):
    """The form field beside the file (read from the same multipart body)."""

    keep_file = KEEP_FILE


class UploadFileSchema(UploadFormSchema):
    """The multipart/form-data body: ``file`` and the optional ``keep_file``."""

    file = Upload(required=True, metadata={"description": "A .gpx, .tcx or .fit file (optionally .gz), "
                                                          "or a .zip (e.g. a Strava bulk export)"})


class ItemsQuerySchema(Schema):
    files = fields.Boolean(load_default=True, metadata={"description": "Include the per-file results"})


class FileErrorSchema(Schema):
    file = fields.String()
    reason = fields.String(allow_none=True)


class StrengthLoggedSchema(Schema):
    exercise = fields.String(metadata={"description": "The library's exercise id"})
    name = fields.String()
    sets = fields.Integer()


class StrengthOutsideSchema(Schema):
    exercise = fields.String()
    sets = fields.Integer()


class StrengthUnknownSchema(Schema):
    garmin = fields.String(metadata={"description": 'The watch\'s name of the exercise ("lunge", "deadlift: '
                                                    'barbell deadlift", "unknown exercise")'})
    sets = fields.Integer()


class StrengthSummarySchema(Schema):
    """What a strength workout's sets became (FIT ``set`` messages; never a run)."""

    sets = fields.Integer(metadata={"description": "Active sets in the file"})
    session_uuid = fields.String(allow_none=True, metadata={
        "description": "The exercise session they filled (GET /exercise-sessions?from=&to=), if any"})
    logged = fields.List(fields.Nested(StrengthLoggedSchema))
    not_in_programme = fields.List(fields.Nested(StrengthOutsideSchema), metadata={
        "description": "Sets of library exercises not in the programme (or general set) in force that day"})
    not_in_library = fields.List(fields.Nested(StrengthUnknownSchema), metadata={
        "description": "Sets of exercises the library does not hold or the watch did not recognise"})


class ItemSummarySchema(Schema):
    format = fields.String(allow_none=True)
    sport = fields.String(allow_none=True)
    date = fields.String(allow_none=True)
    started_at = fields.String(allow_none=True)
    distance_m = fields.Float(allow_none=True)
    moving_s = fields.Float(allow_none=True)
    elapsed_s = fields.Float(allow_none=True)
    elevation_gain_m = fields.Float(allow_none=True)
    device = fields.String(allow_none=True)
    local_start = fields.String(allow_none=True, metadata={
        "description": "The device's wall-clock start, when the file holds no UTC time (placed in the runner's zone)"})
    strength = fields.Nested(StrengthSummarySchema, metadata={
        "description": "A strength workout's sets (a Garmin strength activity): the exercise session they filled"})


class ItemSchema(Schema):
    id = fields.Integer()
    file = fields.String()
    session = fields.Integer()
    status = fields.String(validate=validate.OneOf(ITEM_STATUSES), metadata={
        "description": '"needs_answer": the file names no sport and is fast for a run; answer it with '
                       "POST /imports/{id}/files/{file_id}/answer"})
    reason = fields.String(allow_none=True)
    run_id = fields.String(allow_none=True, metadata={"description": "The run created, or the run it duplicates"})
    summary = fields.Nested(ItemSummarySchema)


class ImportSchema(Schema):
    id = fields.Integer()
    status = fields.String(validate=validate.OneOf(STATUSES))
    filename = fields.String()
    kind = fields.String()
    size_bytes = fields.Integer()
    keep_file = fields.Boolean()
    file_kept = fields.Boolean()
    total = fields.Integer()
    done = fields.Integer()
    created = fields.Integer()
    duplicates = fields.Integer()
    skipped = fields.Integer()
    failed = fields.Integer()
    held = fields.Integer(metadata={"description": "Files waiting for the runner's answer (status needs_answer)"})
    progress_pct = fields.Integer()
    error = fields.String(allow_none=True, metadata={"description": "Why the upload as a whole failed"})
    errors = fields.List(fields.Nested(FileErrorSchema))
    files = fields.List(fields.Nested(ItemSchema), metadata={"description": "What became of each file (with ?files=true, the default)"})
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)


class ImportEnvelopeSchema(Schema):
    import_ = fields.Nested(ImportSchema, data_key="import")


class AnswerSchema(Schema):
    """The runner's answer to a file held as "needs your answer"."""

    answer = fields.String(required=True, validate=validate.OneOf(("run", "skip")), metadata={
        "description": '"run": this was a run, import it (same checks and duplicate detection as any file); '
                       '"skip": it was not a run, leave it out'})


class AnswerResultSchema(Schema):
    import_ = fields.Nested(ImportSchema, data_key="import")
    file = fields.Nested(ItemSchema)
