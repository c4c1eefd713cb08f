"""Check-ins, runs and shoes: what a runner records."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from strideguard.extensions import UtcDateTime, db
from strideguard.timeutil import utcnow


class Checkin(db.Model):
    """The daily check-in: one per runner per local date (a later PUT replaces it)."""

    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("user_id", "date"),
        # The reminder sweep reads the last two days of every runner: date first.
        Index("ix_checkins_date_user_id", "date", "user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    date: Mapped[date] = mapped_column(Date)
    pain: Mapped[int] = mapped_column(Integer)
    morning_pain: Mapped[int | None] = mapped_column(Integer, nullable=True)
    location: Mapped[str | None] = mapped_column(String(32), nullable=True)
    side: Mapped[str | None] = mapped_column(String(8), nullable=True)
    swelling: Mapped[bool] = mapped_column(Boolean, default=False)
    fever: Mapped[bool] = mapped_column(Boolean, default=False)
    locking_or_giving_way: Mapped[bool] = mapped_column(Boolean, default=False)
    hard_to_straighten: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Shoe(db.Model):
    """A pair of running shoes with the distance after which it should be replaced."""

    __tablename__ = "shoes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    limit_m: Mapped[float] = mapped_column(Float, default=800_000.0)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Run(db.Model):
    """A run, keyed by the client's UUID within the runner (replays never duplicate)."""

    __tablename__ = "runs"
    __table_args__ = (
        UniqueConstraint("user_id", "uuid"),
        Index("ix_runs_user_id_date", "user_id", "date"),
        # The reminder sweep sums the last week of every runner: date first.
        Index("ix_runs_date_user_id", "date", "user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    date: Mapped[date] = mapped_column(Date)
    distance_m: Mapped[float] = mapped_column(Float)
    duration_s: Mapped[float] = mapped_column(Float)
    pain_during: Mapped[int | None] = mapped_column(Integer, nullable=True)
    pain_after: Mapped[int | None] = mapped_column(Integer, nullable=True)
    pain_onset_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    surface: Mapped[str | None] = mapped_column(String(16), nullable=True)
    shoe_id: Mapped[int | None] = mapped_column(
        ForeignKey("shoes.id", ondelete="SET NULL"), nullable=True, index=True
    )
    note: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    # Where the run came from: "manual" (typed in) or the imported file's format
    # ("gpx", "tcx", "fit"); imports also record the device, climb, start and import.
    source: Mapped[str] = mapped_column(String(16), default="manual", server_default="manual")
    device: Mapped[str | None] = mapped_column(String(100), nullable=True)
    elevation_gain_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    import_id: Mapped[int | None] = mapped_column(
        ForeignKey("imports.id", ondelete="SET NULL"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class DeletedRun(db.Model):
    """An imported run the runner deleted, by its UUID (derived from the file): importing that
    file again asks before it brings the run back (a cumulative Strava export or a watch's
    sync would otherwise restore a ride deleted from the record, every time)."""

    __tablename__ = "deleted_runs"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    date: Mapped[date] = mapped_column(Date)  # the run's date, for the question
    deleted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # The run's distance and start, so the same activity in another format (its GPX after its
    # FIT) is recognised too (``imports.dedupe.find_duplicate``'s rule).
    distance_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
