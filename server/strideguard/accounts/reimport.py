"""Bring a StrideGuard JSON export (``GET /export``) into a new, empty account: the upload
route ``POST /imports`` hands a ``.json`` file here (a runner moving servers uses the same
Import screen as for activity files).

What comes over: the profile settings with the runner's own limits (not the email or
password), shoes, check-ins and runs (with their client UUIDs, so an offline outbox on the
runner's phone still updates the right run, and their created/updated times, so an edit
still reads as one), the deleted imported runs (so importing that file again still asks) and
the therapists' assessments of the knee (by name: a rest held for an assessment stays
lifted). The care plan is rebuilt from them. What does not: therapist links and invitations,
the exercise programme and its logged sessions (they follow a therapist's programme on the
old server), push subscriptions, reminders, the import history and the access log. Everything is checked before anything is written, and written in one
transaction: a refused export changes nothing.

The CSV export cannot come back (CSV loses the types); it is refused with a sentence that
says to use the JSON export.
"""

from __future__ import annotations

import json
import zipfile
from datetime import date
from typing import IO, Any

from flask import Response, jsonify
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from sqlalchemy import exists, select, update

from strideguard.accounts.models import User
from strideguard.accounts.schemas import ProfileSchema
from strideguard.accounts.service import apply_profile
from strideguard.errors import Conflict, Invalid
from strideguard.extensions import db
from strideguard.timeutil import local_today
from strideguard.plan.models import PlanAssessment
from strideguard.training.models import Checkin, DeletedRun, Run, Shoe
from strideguard.training.schemas import CheckinInSchema, RunInSchema, ShoeInSchema

#: Profile settings an export carries over (the email and role stay the new account's).
PROFILE_FIELDS = ("display_name", "timezone", "units", "reminder_time", "quiet_hours", "pain_threshold",
                  "weekly_increase_pct", "conditions", "therapist", "notification_detail")
NOT_CARRIED = ["therapist links and invitations", "exercise programme and logged exercise sessions",
               "push subscriptions", "reminders", "import history", "access log"]
MESSAGE = ("Your profile, shoes, check-ins and runs are here and your care plan is rebuilt. "
           "Invite your therapist again (they can prescribe your exercises again) and turn on "
           "reminders on this device.")
NOT_AN_EXPORT = "Send the JSON file that StrideGuard's export (Settings, Your data) gave you."
CSV_EXPORT = ("This is StrideGuard's CSV export, which cannot be imported. Download the JSON export "
              "from your old server (Settings, Your data, JSON) and import that file.")


class RunExtrasSchema(Schema):
    """What an imported run carries besides the fields a runner types."""

    class Meta:
        unknown = EXCLUDE

    source = fields.String(load_default="manual", validate=validate.OneOf(["manual", "gpx", "tcx", "fit"]))
    device = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=100))
    elevation_gain_m = fields.Float(allow_none=True, load_default=None, validate=validate.Range(min=0, max=20_000))
    started_at = fields.AwareDateTime(allow_none=True, load_default=None)


class ExportFileSchema(Schema):
    """The top level of an export: only the tables that come back are read."""

    class Meta:
        unknown = EXCLUDE

    exported_at = fields.String(required=True)
    profile = fields.Dict(required=True)
    shoes = fields.List(fields.Dict(), load_default=list, validate=validate.Length(max=1_000))
    checkins = fields.List(fields.Dict(), load_default=list, validate=validate.Length(max=20_000))
    runs = fields.List(fields.Dict(), load_default=list, validate=validate.Length(max=50_000))
    deleted_runs = fields.List(fields.Dict(), load_default=list, validate=validate.Length(max=50_000))
    plan_assessments = fields.List(fields.Dict(), load_default=list, validate=validate.Length(max=5_000))


class StampsSchema(Schema):
    """A row's created and updated times (kept: an edit still reads as an edit)."""

    class Meta:
        unknown = EXCLUDE

    created_at = fields.AwareDateTime(load_default=None, allow_none=True)
    updated_at = fields.AwareDateTime(load_default=None, allow_none=True)


class DeletedRunSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    uuid = fields.UUID(required=True)
    date = fields.Date(required=True)
    deleted_at = fields.AwareDateTime(required=True)
    distance_m = fields.Float(allow_none=True, load_default=None, validate=validate.Range(min=0, max=1_000_000))
    started_at = fields.AwareDateTime(allow_none=True, load_default=None)


class AssessmentSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    therapist = fields.String(required=True, validate=validate.Length(min=1, max=100))
    date = fields.Date(required=True)
    note = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=500))


def is_export_name(filename: str | None) -> bool:
    """A ``.json`` upload is an export to bring back (activity files are never JSON)."""
    return (filename or "").lower().endswith(".json")


def refuse_csv_export(filename: str | None, stream: IO[bytes]) -> None:
    """Refuse (422) a zip that is StrideGuard's CSV export (profile.json + checkins.csv);
    any other upload is left alone, the stream rewound."""
    if not (filename or "").lower().endswith(".zip"):
        return
    try:
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        names = set()
    finally:
        stream.seek(0)
    if {"profile.json", "checkins.csv"} <= names:
        raise Invalid(CSV_EXPORT, fields={"file": [CSV_EXPORT]})


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number")


#: An export of years of daily check-ins and runs is a few MB.
MAX_EXPORT_BYTES = 64 * 1024 * 1024


def read_export(stream: IO[bytes], limit: int = MAX_EXPORT_BYTES) -> dict[str, Any]:
    """The export's tables, checked for shape (422 with a sentence otherwise)."""
    raw = stream.read(limit + 1)
    if len(raw) > limit:
        raise Invalid(f"The file is larger than {limit // (1024 * 1024)} MB.", fields={"file": ["Too large."]})
    try:
        parsed = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise Invalid(NOT_AN_EXPORT, fields={"file": ["Not valid JSON."]}) from None
    if not isinstance(parsed, dict):
        raise Invalid(NOT_AN_EXPORT, fields={"file": ["Not a StrideGuard export."]})
    try:
        text = json.dumps(parsed, ensure_ascii=False)
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (\ud800): no database stores it
        raise Invalid(NOT_AN_EXPORT, fields={"file": ["It holds text that is not valid Unicode."]}) from None
    if "\\u0000" in text:  # a NUL: refused in the API's JSON too (PostgreSQL cannot store it)
        raise Invalid(NOT_AN_EXPORT, fields={"file": ["It holds a NUL character, which no field may hold."]})
    try:
        return ExportFileSchema().load(parsed)
    except ValidationError as exc:
        raise Invalid(NOT_AN_EXPORT, fields={"file": [f"Not a StrideGuard export: {', '.join(sorted(exc.messages))}."]}) from None


def _load(schema: Schema, row: dict, where: str, problems: dict[str, list[str]], drop: tuple[str, ...] = ()) -> dict:
    try:
        return schema.load({k: v for k, v in row.items() if k not in drop})
    except ValidationError as exc:
        for name, messages in exc.normalized_messages().items():
            problems[f"{where}.{name}"] = messages if isinstance(messages, list) else [str(messages)]
        return {}


def _day(value: Any, where: str, problems: dict[str, list[str]]) -> date | None:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        problems[f"{where}.date"] = ["Not a date (YYYY-MM-DD)."]
        return None


def _in_range(day: date | None, where: str, today: date | None, problems: dict[str, list[str]]) -> None:
    """A row's date within what the API takes: not before EARLIEST_DAY, not after today."""
    from strideguard.training.service import EARLIEST_DAY

    if day is None:
        return
    if day < EARLIEST_DAY:
        problems[f"{where}.date"] = [f"Use a date from {EARLIEST_DAY.isoformat()} on."]
    elif today is not None and day > today:
        problems[f"{where}.date"] = ["This date is in the future in your time zone."]


def _once(key: Any, seen: dict[Any, int], where: str, field: str, problems: dict[str, list[str]]) -> bool:
    """``key`` seen for the first time (else a problem naming the row it repeats)."""
    if key in seen:
        problems[f"{where}.{field}"] = [f"The same {field} as row {seen[key]}: each may appear once."]
        return False
    seen[key] = int(where.rsplit("[", 1)[1].rstrip("]"))
    return True


def _run_id(value: Any) -> str | None:
    """A run's id as the API takes it (``training.service.parse_uuid``), or ``None``."""
    from strideguard.training.service import parse_uuid

    try:
        return parse_uuid(value) if isinstance(value, str) else None
    except Invalid:
        return None


def check(data: dict[str, Any], today: date | None = None) -> dict[str, Any]:
    """Every row validated with the API's own input schemas, dates within what the API
    takes (``today``: the runner's), each check-in date, run id and shoe id once; all
    problems at once (422)."""
    problems: dict[str, list[str]] = {}
    profile_in = {k: v for k, v in data["profile"].items() if k in PROFILE_FIELDS}
    profile = _load(ProfileSchema(partial=True), profile_in, "profile", problems)
    shoes: dict[Any, dict] = {}
    seen: dict[Any, int] = {}
    for i, row in enumerate(data["shoes"]):
        where = f"shoes[{i}]"
        loaded = _load(ShoeInSchema(unknown=EXCLUDE), row, where, problems)
        shoe_id = row.get("id")
        if not isinstance(shoe_id, int) or isinstance(shoe_id, bool):
            problems[f"{where}.id"] = ["Missing or not a shoe id (a whole number)."]
        elif _once(shoe_id, seen, where, "id", problems):
            shoes[shoe_id] = loaded
    checkins: list[tuple[date, dict, dict]] = []
    seen = {}
    for i, row in enumerate(data["checkins"]):
        where = f"checkins[{i}]"
        day = _day(row.get("date"), where, problems)
        _in_range(day, where, today, problems)
        loaded = _load(CheckinInSchema(unknown=EXCLUDE), row, where, problems, drop=("date",))
        stamps = _load(StampsSchema(), row, where, problems)
        if day is not None and _once(day, seen, where, "date", problems) and loaded:
            checkins.append((day, loaded, stamps))
    runs: list[tuple[str, dict, dict, Any, dict]] = []
    seen = {}
    for i, row in enumerate(data["runs"]):
        where = f"runs[{i}]"
        loaded = _load(RunInSchema(unknown=EXCLUDE), row, where, problems, drop=("shoe_id",))
        _in_range(loaded.get("date"), where, today, problems)
        extras = _load(RunExtrasSchema(), row, where, problems)
        stamps = _load(StampsSchema(), row, where, problems)
        uuid = _run_id(row.get("uuid"))
        if uuid is None:
            problems[f"{where}.uuid"] = ["Missing or not a run id (a UUID)."]
        elif not _once(uuid, seen, where, "uuid", problems):
            uuid = None
        shoe = row.get("shoe_id")
        if shoe is not None and (not isinstance(shoe, int) or isinstance(shoe, bool) or shoe not in shoes):
            problems[f"{where}.shoe_id"] = ["Not one of the export's shoes."]
        if loaded and extras and uuid is not None:
            runs.append((uuid, loaded, extras, shoe, stamps))
    deleted: dict[str, dict] = {}
    for i, row in enumerate(data["deleted_runs"]):
        loaded = _load(DeletedRunSchema(), row, f"deleted_runs[{i}]", problems)
        if loaded:
            deleted[str(loaded["uuid"])] = {**loaded, "uuid": str(loaded["uuid"])}
    assessments = []
    for i, row in enumerate(data["plan_assessments"]):
        where = f"plan_assessments[{i}]"
        loaded = _load(AssessmentSchema(), row, where, problems)
        _in_range(loaded.get("date"), where, today, problems)
        if loaded:
            assessments.append(loaded)
    if problems:
        raise Invalid("The export has values this server refuses; nothing was imported.", fields=problems)
    return {"profile": profile, "shoes": shoes, "checkins": checkins, "runs": runs,
            "deleted_runs": [d for uuid, d in deleted.items() if uuid not in {r[0] for r in runs}],
            "assessments": assessments}


def _is_empty(user: User) -> bool:
    return not db.session.execute(select(
        exists().where(Checkin.user_id == user.id) | exists().where(Run.user_id == user.id)
        | exists().where(Shoe.user_id == user.id)
    )).scalar()


def import_export(user: User, data: dict[str, Any]) -> dict[str, Any]:
    """Write a checked export into ``user``'s empty account in one transaction."""
    from strideguard.afterwrite import after_write, begin_write
    from strideguard.guidance.service import known_condition_ids
    from strideguard.training.service import put_checkin, put_run

    begin_write(user)  # the runner's lock before the first write (the after-write path)
    if not _is_empty(user):
        raise Conflict("This account already holds check-ins, runs or shoes. "
                       "Import the export into a new, empty account.")
    try:
        # "Today" in the export's zone: the account is empty, so its today is that zone's date.
        rows = check(data, local_today(_zone(data, user)))
        apply_profile(user, rows["profile"], known_condition_ids())
        shoe_ids: dict[Any, int] = {}
        for old_id, shoe in rows["shoes"].items():
            created = Shoe(user_id=user.id, **shoe)
            db.session.add(created)
            db.session.flush()
            shoe_ids[old_id] = created.id
        days: list[date] = []
        for day, checkin, stamps in rows["checkins"]:
            row, _ = put_checkin(user, day, checkin)
            _keep_stamps(Checkin, row.id, stamps)
            days.append(day)
        for uuid, run, extras, old_shoe, stamps in rows["runs"]:
            row, _ = put_run(user, uuid, {**run, "shoe_id": shoe_ids.get(old_shoe)}, extras=extras)
            _keep_stamps(Run, row.id, stamps)
            days.append(run["date"])
        for gone in rows["deleted_runs"]:
            db.session.add(DeletedRun(user_id=user.id, **gone))
        for seen in rows["assessments"]:  # by name: that therapist has no account here
            db.session.add(PlanAssessment(user_id=user.id, therapist_id=None, **seen))
            days.append(seen["date"])
        db.session.flush()
        if days:
            after_write(user, min(days))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return {
        "restored": {"shoes": len(rows["shoes"]), "checkins": len(rows["checkins"]), "runs": len(rows["runs"]),
                     "deleted_runs": len(rows["deleted_runs"]), "assessments": len(rows["assessments"])},
        "not_restored": NOT_CARRIED,
        "message": MESSAGE,
    }


def _zone(data: dict[str, Any], user: User) -> str:
    """The export's time zone when it is a valid one (check() reports it otherwise), else the
    account's."""
    zone = data["profile"].get("timezone")
    try:
        return ProfileSchema(partial=True).load({"timezone": zone})["timezone"] if zone is not None else user.timezone
    except ValidationError:
        return user.timezone


def _keep_stamps(model: type, row_id: int, stamps: dict[str, Any]) -> None:
    """A restored row keeps its created and updated times (an edit still reads as one)."""
    values = {k: v for k, v in stamps.items() if v is not None}
    if values:
        db.session.execute(update(model).where(model.id == row_id).values(**values)
                           .execution_options(synchronize_session=False))


def import_upload(user: User, stream: IO[bytes]) -> Response:
    """``POST /imports`` with a ``.json`` file: 201 and what came over."""
    body = ExportImportedSchema().dump(import_export(user, read_export(stream)))
    response = jsonify(body)
    response.status_code = 201
    return response


class ExportImportedSchema(Schema):
    """The answer to ``POST /imports`` with a JSON export."""

    restored = fields.Dict(keys=fields.String(), values=fields.Integer(),
                           metadata={"description": "rows brought over, per table"})
    not_restored = fields.List(fields.String(), metadata={"description": "what stays with the old server"})
    message = fields.String()
