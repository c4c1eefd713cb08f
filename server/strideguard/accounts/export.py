"""``GET /export``: every row of the runner's data, as JSON or as a zip of CSV files."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
import zipfile
from datetime import date, datetime, time
from typing import Any

from flask import Response
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from strideguard.accounts.guard import current_user
from strideguard.accounts.models import User
from strideguard.accounts.service import profile
from strideguard.extensions import db
from strideguard.owned import owned_models
from strideguard.strictjson import dumps as strict_dumps
from strideguard.timeutil import utcnow

bp = Blueprint("export", __name__, url_prefix="/api/v1", description="Take your data with you.")

#: Columns never exported (secrets of the server, not data of the runner).
HIDDEN = {"user_id", "password_hash", "code_hash"}


class ExportQuerySchema(Schema):
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def collect(user: User) -> dict[str, Any]:
    """The runner's profile and, per table, their rows (derived from the models)."""
    shown = profile(user)
    # The runner's OWN limits, which an export brings back (the values in force may be a
    # therapist's, and a new account refuses a looser limit from the runner: the export could
    # not come back). What was in force is kept beside them, for the record.
    own = {"pain_threshold": user.pain_threshold, "weekly_increase_pct": user.weekly_increase_pct,
           "conditions": list(user.conditions or [])}
    in_force = {name: shown[name] for name in (*own, "speed_increase_pct")}
    data: dict[str, Any] = {"exported_at": utcnow().isoformat(),
                            "profile": _plain_dict({**shown, **own, "limits_in_force": in_force})}
    for model in sorted(owned_models(), key=lambda m: m.__tablename__):
        columns = [c for c in model.__table__.columns if c.name not in HIDDEN]
        rows = db.session.execute(
            select(*columns).where(model.user_id == user.id).order_by(*model.__table__.primary_key.columns)
        )
        data[model.__tablename__] = [
            {col.name: _plain(value) for col, value in zip(columns, row)} for row in rows
        ]
    return data


def _plain_dict(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(v) for k, v in values.items()}


#: A cell a spreadsheet would run as a formula starts with one of these (OWASP's "CSV
#: injection"): such text gets a leading apostrophe, which spreadsheets show as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """A value as a CSV cell: nested values as JSON text, booleans as true/false, and text a
    spreadsheet would run as a formula (a note "=HYPERLINK(...)") made inert."""
    if isinstance(value, (dict, list)):
        value = strict_dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _columns() -> dict[str, list[str]]:
    """Each exported table's columns (an empty table's CSV still has its header)."""
    return {m.__tablename__: [c.name for c in m.__table__.columns if c.name not in HIDDEN] for m in owned_models()}


def as_csv_zip(data: dict[str, Any]) -> bytes:
    """One CSV file per table, plus profile.json: UTF-8 with a byte-order mark (so a
    spreadsheet reads accents and emoji right), a header even for an empty table, and no
    cell a spreadsheet would run as a formula (``_cell``)."""
    columns = _columns()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("profile.json", strict_dumps(data["profile"], indent=2))
        for name, rows in data.items():
            if name in {"profile", "exported_at"}:
                continue
            text = io.StringIO()
            writer = csv.DictWriter(text, fieldnames=list(rows[0]) if rows else columns.get(name, []))
            writer.writeheader()
            for row in rows:
                writer.writerow({k: _cell(v) for k, v in row.items()})
            archive.writestr(f"{name}.csv", "\ufeff" + text.getvalue())
    return buffer.getvalue()


@bp.route("/export", methods=["GET"])
@bp.arguments(ExportQuerySchema, location="query")
@bp.response(200, description="JSON of all the runner's data, or a zip of CSV files with ?format=csv")
def export(query: dict):
    """Download all of the runner's data."""
    data = collect(current_user())
    stamp = utcnow().strftime("%Y%m%d")
    if query["format"] == "csv":
        response = Response(as_csv_zip(data), mimetype="application/zip")
        response.headers["Content-Disposition"] = f'attachment; filename="strideguard-{stamp}.zip"'
        return response
    response = Response(strict_dumps(data, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="strideguard-{stamp}.json"'
    return response
