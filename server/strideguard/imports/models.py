"""Imports and their per-file results. Progress lives here (never in memory), so any
process can report it and a worker can finish an import whose web process died."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from strideguard.extensions import UtcDateTime, db
from strideguard.timeutil import utcnow

#: queued -> running -> done | failed (the upload as a whole could not be read)
STATUSES = ("queued", "running", "done", "failed")
#: Per file (or per FIT session): what became of it. "needs_answer": it names no sport and is
#: too fast to be taken for a run without asking (imports/plausible.py); the runner's answer
#: turns it into one of the others.
ITEM_STATUSES = ("created", "duplicate", "possible_duplicate", "skipped", "failed", "needs_answer")
HELD = "needs_answer"


class Import(db.Model):
    """One upload (a file or a zip) and its progress."""

    __tablename__ = "imports"
    __table_args__ = (
        Index("ix_imports_user_id_created_at", "user_id", "created_at"),
        Index("ix_imports_status_heartbeat_at", "status", "heartbeat_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))  # "file" or "zip" (a Strava export is a zip)
    size_bytes: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    keep_file: Mapped[bool] = mapped_column(Boolean, default=False)
    stored_name: Mapped[str | None] = mapped_column(String(80), nullable=True)  # in instance/imports/
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    held: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # items waiting for an answer
    error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ImportItem(db.Model):
    """What one file (or one session of a multisport FIT file) of an import became."""

    __tablename__ = "import_items"
    __table_args__ = (UniqueConstraint("import_id", "position", "session", name="uq_import_items_position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("imports.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    session: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    run_uuid: Mapped[str | None] = mapped_column(String(36), nullable=True)
    # The activity's summary (date, distance, times, device): no track, no positions.
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
