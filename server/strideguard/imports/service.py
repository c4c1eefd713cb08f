"""Import use cases for the API: accept an upload, report progress and history.

The upload is spooled into ``instance/imports/`` and the import row committed as
``queued``; the work happens in ``processing.process`` on a background thread (``jobs``),
never inside the request.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import IO, Any

from flask import current_app
from sqlalchemy import func, select

from strideguard.accounts.models import User
from strideguard.errors import Conflict, DomainError, Invalid, NotFound
from strideguard.extensions import db
from strideguard.imports.archive import ArchiveLimits
from strideguard.imports.models import HELD, Import, ImportItem
from strideguard.imports.parse import Limits, format_of
from strideguard.owned import own_row

MB = 1024 * 1024
HISTORY = 50
CHUNK = 256 * 1024


class UploadTooLarge(DomainError):
    status, code = 413, "body_too_large"


def limits(config: Any = None) -> ArchiveLimits:
    """The configured limits (STRIDEGUARD_IMPORT_*)."""
    cfg = config if config is not None else current_app.config
    return ArchiveLimits(
        max_entries=cfg["IMPORT_MAX_ENTRIES"],
        max_total_bytes=cfg["IMPORT_MAX_TOTAL_MB"] * MB,
        file=Limits(max_file_bytes=cfg["IMPORT_MAX_FILE_MB"] * MB, max_points=cfg["IMPORT_MAX_POINTS"],
                    max_ratio=cfg["IMPORT_MAX_RATIO"]),
    )


def upload_limit_bytes() -> int:
    return current_app.config["IMPORT_MAX_UPLOAD_MB"] * MB


def spool_dir(instance_path: str | None = None) -> Path:
    """``<instance>/imports``: uploads waiting for (or kept after) their import; 0700."""
    path = Path(instance_path or current_app.config["INSTANCE_PATH"]) / "imports"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def kind_of(filename: str) -> str:
    if filename.lower().endswith(".zip"):
        return "zip"
    if format_of(filename)[0] is not None:
        return "file"
    raise Invalid(
        "Send a .gpx, .tcx or .fit file (optionally .gz), or a .zip such as a Strava export.",
        fields={"file": ["Not an activity file or zip archive."]},
    )


def _clean_name(filename: str | None) -> str:
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].replace("\x00", "").strip()
    if not name:
        raise Invalid(fields={"file": ["The file has no name."]})
    return name[:255]


def _spool(stream: IO[bytes], target: Path, cap: int) -> int:
    """Copy the upload to ``target`` (0600), refusing more than ``cap`` bytes."""
    size = 0
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > cap:
                    raise UploadTooLarge(f"The upload is larger than {cap // MB} MB.")
                out.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return size


def create_import(user: User, filename: str | None, stream: IO[bytes], keep_file: bool = False) -> Import:
    """Spool the upload, commit a queued import and hand it to a background job."""
    from strideguard.imports import jobs

    name = _clean_name(filename)
    kind = kind_of(name)
    stored = f"{secrets.token_hex(16)}.upload"
    target = spool_dir() / stored
    size = _spool(stream, target, upload_limit_bytes())
    if keep_file:
        _check_keep_quota(user, size, target)
    imp = Import(user_id=user.id, filename=name, kind=kind, size_bytes=size, keep_file=keep_file,
                 stored_name=stored, status="queued")
    try:
        db.session.add(imp)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        target.unlink(missing_ok=True)
        raise
    jobs.submit(imp.id)
    return imp


def kept_bytes(user_id: int) -> int:
    """What the runner's kept uploads (and those waiting to be imported with keep_file) use."""
    return int(db.session.execute(
        select(func.coalesce(func.sum(Import.size_bytes), 0))
        .where(Import.user_id == user_id, Import.keep_file.is_(True), Import.stored_name.is_not(None))
    ).scalar_one())


def _check_keep_quota(user: User, size: int, target: Path) -> None:
    """Refuse to keep an upload past the runner's quota (``IMPORT_KEEP_MB``), before any row."""
    quota = current_app.config["IMPORT_KEEP_MB"] * MB
    used = kept_bytes(user.id)
    if used + size > quota:
        target.unlink(missing_ok=True)
        raise Invalid(
            f"Import it without keeping the file: kept uploads are limited to {quota // MB} MB "
            f"and yours use {used / MB:.1f} MB. Kept files are deleted "
            f"{current_app.config['IMPORT_KEEP_DAYS']} days after their import.",
            fields={"keep_file": [f"Over the {quota // MB} MB for kept uploads."]},
        )


def get_import(user: User, import_id: int) -> Import:
    return own_row(Import, user.id, import_id, "import")


def list_imports(user: User) -> list[Import]:
    return list(db.session.execute(
        select(Import).where(Import.user_id == user.id)
        .order_by(Import.created_at.desc(), Import.id.desc()).limit(HISTORY)
    ).scalars())


def items_of(imp: Import) -> list[ImportItem]:
    return list(db.session.execute(
        select(ImportItem).where(ImportItem.import_id == imp.id)
        .order_by(ImportItem.position, ImportItem.session)
    ).scalars())


def import_out(imp: Import, items: list[ImportItem] | None = None, with_items: bool = False) -> dict[str, Any]:
    """The import as the API shows it; ``errors`` lists the failed files with their reason."""
    if items is None:
        items = items_of(imp) if with_items or imp.failed else []
    body = {
        "id": imp.id, "status": imp.status, "filename": imp.filename, "kind": imp.kind,
        "size_bytes": imp.size_bytes, "keep_file": imp.keep_file,
        "file_kept": bool(imp.keep_file and imp.stored_name and imp.status in ("done", "failed")),
        "total": imp.total, "done": imp.done, "created": imp.created, "duplicates": imp.duplicates,
        "skipped": imp.skipped, "failed": imp.failed, "held": imp.held or 0,
        "progress_pct": 100 if imp.status in ("done", "failed") else
        (round(100 * imp.done / imp.total) if imp.total else 0),
        "error": imp.error,
        "errors": [{"file": i.name, "reason": i.reason} for i in items if i.status == "failed"],
        "created_at": imp.created_at, "started_at": imp.started_at, "finished_at": imp.finished_at,
    }
    if with_items:
        body["files"] = [item_out(i) for i in items]
    return body


def get_item(user: User, import_id: int, item_id: int) -> tuple[Import, ImportItem]:
    """The runner's import and one of its items (404 when either is not theirs)."""
    imp = get_import(user, import_id)
    item = own_row(ImportItem, user.id, item_id, "file in this import")
    if item.import_id != imp.id:
        raise NotFound("No such file in this import.")
    return imp, item


def answer_item(user: User, import_id: int, item_id: int, is_run: bool) -> tuple[Import, ImportItem]:
    """The runner's answer to a file held as "needs your answer", or to a possible duplicate
    ("run": it was another run that day). 409 when it waits for no answer, saying why."""
    from strideguard.imports.processing import NotHeld, answer

    imp, item = get_item(user, import_id, item_id)
    try:
        item = answer(user, imp, item, is_run)
    except NotHeld:
        if item.answered_at is not None:
            raise Conflict("This file does not wait for an answer (it was answered already).") from None
        raise Conflict(f"This file does not wait for an answer: it was {item.status.replace('_', ' ')}.") from None
    return imp, item


def item_out(item: ImportItem) -> dict[str, Any]:
    return {
        "id": item.id, "file": item.name, "session": item.session, "status": item.status,
        "reason": item.reason, "summary": item.summary or {},
        # A held file's UUID is the run it would become: not a run yet.
        "run_id": None if item.status == HELD else item.run_uuid,
    }
