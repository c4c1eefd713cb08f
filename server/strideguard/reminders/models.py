"""The reminder outbox: one row per (recipient, kind, local date, subject), claimed by workers.

``user_id`` is who gets the push; ``subject_id`` is the runner it is about — the recipient
themself for a runner's own reminders, a patient for a therapist's alerts
(``strideguard.clinic.alerts``). Both go through the same claim and delivery path.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from strideguard.extensions import UtcDateTime, db
from strideguard.timeutil import utcnow

#: pending -> sending (claimed) -> sent | retry (pending again later) | failed | skipped
STATUSES = ("pending", "sending", "sent", "failed", "skipped")


def _recipient(context: Any) -> Any:
    """Default ``subject_id``: the recipient (a runner's own reminder is about themself)."""
    return context.get_current_parameters()["user_id"]


class Reminder(db.Model):
    """A planned reminder and what became of it."""

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "local_date", "subject_id", name="uq_reminders_user_kind_date_subject"),
        Index("ix_reminders_status_due_at", "status", "due_at"),
        Index("ix_reminders_subject_id", "subject_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: The runner the reminder is about (defaults to the recipient; erased with them).
    subject_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), default=_recipient
    )
    kind: Mapped[str] = mapped_column(String(20))
    local_date: Mapped[date] = mapped_column(Date)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
