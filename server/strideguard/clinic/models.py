"""The therapist's side in the database: invitations, care links (with the therapist's
limits for that patient) and the access log the runner reads.

Each table's ``user_id`` is the runner (the patient): like every other per-runner table,
their rows are exported with ``GET /export`` and erased with the account. A therapist's
erasure removes their links (``ON DELETE CASCADE``) and keeps the runner's log entries with
the therapist's name written into them (``ON DELETE SET NULL``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from strideguard.extensions import UtcDateTime, db
from strideguard.timeutil import utcnow

#: The limits a therapist may set for a patient (each ``None``: the runner's own applies).
LIMIT_FIELDS = ("pain_threshold", "weekly_increase_pct", "speed_increase_pct", "conditions", "instruction")
INSTRUCTION_MAX = 280


class CareInvitation(db.Model):
    """A runner's single-use invitation. Only a keyed hash of the code is stored."""

    __tablename__ = "care_invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    therapist_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )


class CareLink(db.Model):
    """A therapist's access to one runner, and the limits they set for that runner.

    The row exists while access lasts: revoking deletes it, so the therapist's limits stop
    applying at once and the next request of the therapist finds nothing (404).
    """

    __tablename__ = "care_links"
    __table_args__ = (UniqueConstraint("user_id", "therapist_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    therapist_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: The therapist muted push alerts about this patient (the dashboard still shows them).
    muted: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Alerts created after this were not opened yet: the dashboard badge.
    alerts_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    pain_threshold: Mapped[int | None] = mapped_column(Integer, nullable=True)
    weekly_increase_pct: Mapped[float | None] = mapped_column(Float, nullable=True)
    speed_increase_pct: Mapped[float | None] = mapped_column(Float, nullable=True)
    conditions: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    instruction: Mapped[str | None] = mapped_column(String(INSTRUCTION_MAX), nullable=True)
    limits_updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class AccessLogEntry(db.Model):
    """One access by a therapist to a runner's data, or a change of who has access.

    ``action``: access_granted, access_revoked, viewed_dashboard, viewed_patient,
    exported_fhir, changed_limits. ``detail`` holds what changed (old -> new per limit).
    """

    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_user_id_id", "user_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    therapist_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    #: The therapist as shown at the time ("Name <email>"): kept after their erasure.
    therapist_label: Mapped[str] = mapped_column(String(360))
    action: Mapped[str] = mapped_column(String(30))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
