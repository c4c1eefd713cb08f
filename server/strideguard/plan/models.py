"""The care plan in the database: one row per runner per local day, and the history.

``plan_days`` holds the plan at the end of each day it was stepped (the whole
:class:`~strideguard.plan.machine.PlanState`, column by column, plus the day's outputs), so
the next step needs only the previous row and that day's data, however long the history.
``plan_events`` holds every transition with the number that caused it — what a therapist
reads. Both are replayed from a date onward when data on or before it changes; a long
replay rewrites only the days whose row or events came out different.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
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


class PlanDayRow(db.Model):
    """The care plan of one runner at the end of one local date."""

    __tablename__ = "plan_days"
    __table_args__ = (
        UniqueConstraint("user_id", "date"),
        # The reminder sweep reads each runner's latest day: date first for the range scan.
        Index("ix_plan_days_date_user_id", "date", "user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    date: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(8))
    since: Mapped[date | None] = mapped_column(Date, nullable=True)
    rest_days: Mapped[int] = mapped_column(Integer, default=0)
    cause_metric: Mapped[str | None] = mapped_column(String(40), nullable=True)
    cause_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    cause_threshold: Mapped[Any] = mapped_column(JSON, nullable=True)
    clean_streak: Mapped[int] = mapped_column(Integer, default=0)
    last_clean: Mapped[date | None] = mapped_column(Date, nullable=True)
    phase: Mapped[int] = mapped_column(Integer, default=0)
    phase_sessions: Mapped[int] = mapped_column(Integer, default=0)
    pending: Mapped[date | None] = mapped_column(Date, nullable=True)
    pending_ref: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_session: Mapped[date | None] = mapped_column(Date, nullable=True)
    carry_pain: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_morning: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_run: Mapped[date | None] = mapped_column(Date, nullable=True)
    week: Mapped[date | None] = mapped_column(Date, nullable=True)
    week_m: Mapped[float] = mapped_column(Float, default=0.0)
    week_s: Mapped[float] = mapped_column(Float, default=0.0)
    week_runs: Mapped[int] = mapped_column(Integer, default=0)
    week_normal: Mapped[bool] = mapped_column(Boolean, default=True)
    week_over: Mapped[bool] = mapped_column(Boolean, default=False)
    week_fast: Mapped[bool] = mapped_column(Boolean, default=False)
    baseline_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    baseline_week: Mapped[date | None] = mapped_column(Date, nullable=True)
    speed_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    speed_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    speed_week: Mapped[date | None] = mapped_column(Date, nullable=True)
    # [[Monday, metres], ...] of the clean weeks the baseline is the mean of, oldest first.
    clean_weeks: Mapped[list[Any]] = mapped_column(JSON, default=list)
    ramp_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    prev_week_m: Mapped[float] = mapped_column(Float, default=0.0)
    week_pain: Mapped[bool] = mapped_column(Boolean, default=False)
    week_over_start: Mapped[bool] = mapped_column(Boolean, default=False)
    hold: Mapped[bool] = mapped_column(Boolean, default=False)
    last_flare: Mapped[date | None] = mapped_column(Date, nullable=True)
    flare_count: Mapped[int] = mapped_column(Integer, default=0)
    easy_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    # The day's outputs, as they were computed (limits may change later).
    cap_m: Mapped[int] = mapped_column(Integer, default=0)
    week_cap_m: Mapped[int] = mapped_column(Integer, default=0)
    distance_pct: Mapped[Decimal | None] = mapped_column(Numeric(9, 1), nullable=True)
    speed_pct: Mapped[Decimal | None] = mapped_column(Numeric(9, 1), nullable=True)
    verdict: Mapped[str] = mapped_column(String(8))
    pains: Mapped[list[Any]] = mapped_column(JSON, default=list)
    notes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PlanEventRow(db.Model):
    """One transition of a runner's plan (or a change inside a state) and its reason."""

    __tablename__ = "plan_events"
    __table_args__ = (Index("ix_plan_events_user_id_date", "user_id", "date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    date: Mapped[date] = mapped_column(Date)
    from_state: Mapped[str] = mapped_column(String(8))
    to_state: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(20))
    metric: Mapped[str] = mapped_column(String(40))
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    threshold: Mapped[Any] = mapped_column(JSON, nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PlanAssessment(db.Model):
    """A therapist's record that they assessed the runner's knee on a local date: it lifts
    the plan's hold after a knee that locked, gave way or would not straighten."""

    __tablename__ = "plan_assessments"
    __table_args__ = (Index("ix_plan_assessments_user_id_date", "user_id", "date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    therapist_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    therapist: Mapped[str] = mapped_column(String(100))  # the name the runner saw at the time
    date: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
