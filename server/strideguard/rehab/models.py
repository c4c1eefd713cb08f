"""The rehab tables: a therapist's own exercises, the programme versions they prescribe, and
the exercise sessions a runner logs.

A programme is never edited in place: every change is a new ``programmes`` row (``version``
1, 2, …) with who made it and when, and its items copy what they need of the exercise
(name, instructions, dose type), so a retired or edited exercise never rewrites what a runner
was told. A session stores, per exercise, the sets done, the pain during it and the pain
ceiling that was in force then: the numbers behind any caution or alert.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from strideguard.extensions import UtcDateTime, db
from strideguard.timeutil import utcnow


class CustomExercise(db.Model):
    """An exercise a therapist wrote for their own patients (``custom.<id>`` in the library).
    Retiring hides it from the library; programmes that use it keep their copy. ``user_id``
    is the therapist's account: their export holds it, their erasure removes it."""

    __tablename__ = "custom_exercises"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    instructions: Mapped[str] = mapped_column(String(1000))
    trains: Mapped[list[str]] = mapped_column(JSON, default=list)
    dose: Mapped[str] = mapped_column(String(8))
    sets: Mapped[int] = mapped_column(Integer)
    reps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sides: Mapped[str] = mapped_column(String(8))
    equipment: Mapped[list[str]] = mapped_column(JSON, default=list)
    conditions: Mapped[list[str]] = mapped_column(JSON, default=list)
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Programme(db.Model):
    """One version of a runner's exercise programme, as a therapist prescribed it.

    ``starts_on``: the programme's start (adherence counts from it; a therapist may date it
    back to a paper prescription). ``effective_from``: the first local date this version's
    items apply to (the start for version 1, else the runner's today when it was made, never
    before the start). A version without items ends the programme."""

    __tablename__ = "programmes"
    __table_args__ = (UniqueConstraint("user_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    therapist_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    therapist: Mapped[str] = mapped_column(String(200))  # the name the runner saw at the time
    starts_on: Mapped[date] = mapped_column(Date)
    effective_from: Mapped[date] = mapped_column(Date)
    min_adherence_pct: Mapped[int | None] = mapped_column(Integer, nullable=True)
    note: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    changes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ProgrammeItem(db.Model):
    """One exercise of a programme version, with its dose, schedule and pain ceiling."""

    __tablename__ = "programme_items"
    __table_args__ = (UniqueConstraint("programme_id", "exercise"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    exercise: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(80))
    instructions: Mapped[str] = mapped_column(String(1000))
    dose: Mapped[str] = mapped_column(String(8))
    sets: Mapped[int] = mapped_column(Integer)
    reps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    load: Mapped[str] = mapped_column(String(12))  # bodyweight, kg, band
    load_kg: Mapped[Decimal | None] = mapped_column(Numeric(5, 1), nullable=True)
    band: Mapped[str | None] = mapped_column(String(40), nullable=True)
    side: Mapped[str] = mapped_column(String(8))  # each, both, left, right
    per_week: Mapped[int | None] = mapped_column(Integer, nullable=True)
    weekdays: Mapped[list[int] | None] = mapped_column(JSON, nullable=True)  # ISO 1 = Monday
    pain_ceiling: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: the pain limit
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)


class ExerciseSession(db.Model):
    """A session of exercises a runner logged on a local date, keyed by the client's UUID
    (a replay never duplicates). ``programme_id``: the version it was logged against (None for
    a general starter set)."""

    __tablename__ = "exercise_sessions"
    __table_args__ = (
        UniqueConstraint("user_id", "uuid"),
        Index("ix_exercise_sessions_user_id_date", "user_id", "date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    date: Mapped[date] = mapped_column(Date)
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programmes.id", ondelete="SET NULL"), nullable=True)
    general: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ExerciseEntry(db.Model):
    """One exercise of a session: the sets done (``[{reps, seconds, load_kg}]``), the pain
    during it (0–10) and the ceiling in force when it was logged."""

    __tablename__ = "exercise_entries"
    __table_args__ = (
        UniqueConstraint("session_id", "exercise"),
        Index("ix_exercise_entries_user_id_date", "user_id", "date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("exercise_sessions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    date: Mapped[date] = mapped_column(Date)
    position: Mapped[int] = mapped_column(Integer)
    exercise: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(80))
    sets: Mapped[list[Any]] = mapped_column(JSON, default=list)
    pain: Mapped[int | None] = mapped_column(Integer, nullable=True)
    ceiling: Mapped[int] = mapped_column(Integer)
