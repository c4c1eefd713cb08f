"""Runners and their server-side sessions."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Time
from sqlalchemy.orm import Mapped, mapped_column

from strideguard.extensions import UtcDateTime, db
from strideguard.timeutil import utcnow


#: Account roles. A runner records check-ins and runs; a therapist sees the runners who
#: invited them (``strideguard.clinic``). One role per account, fixed at sign-up.
ROLES = ("runner", "therapist")


class User(db.Model):
    """An account: credentials, role, profile and (for a runner) their own limits."""

    __tablename__ = "users"
    # AUTOINCREMENT: an erased runner's id is never handed to a new account on SQLite.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10), default="runner", server_default="runner")
    #: How the account is named to the other side of a care link (optional; else the email).
    display_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    units: Mapped[str] = mapped_column(String(2), default="km")
    reminder_time: Mapped[time] = mapped_column(Time, default=time(20, 0))
    quiet_start: Mapped[time | None] = mapped_column(Time, nullable=True)
    quiet_end: Mapped[time | None] = mapped_column(Time, nullable=True)
    pain_threshold: Mapped[int] = mapped_column(Integer, default=3)
    weekly_increase_pct: Mapped[float] = mapped_column(Float, default=10.0)
    conditions: Mapped[list[str]] = mapped_column(JSON, default=list)
    therapist: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    notification_detail: Mapped[str] = mapped_column(String(10), default="discreet")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: Raised by database triggers whenever anything the runner's guidance is made from
    #: changes (``guidance.models``); never written by the application.
    guidance_rev: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Session(db.Model):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
