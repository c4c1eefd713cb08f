"""Stored guidance: the answer of ``GET /guidance`` for one runner and local date, kept until
something it was made from changes.

Every table the guidance reads (check-ins, runs, shoes, the care plan's days and events,
care links with their limits, the runner's own row) has database triggers that add one to
``users.guidance_rev`` in the same transaction as the change (migration 0007; triggers, so
no write path — ORM, Core, COPY, a cascade — can forget). A stored answer is served only
while its ``rev`` equals the runner's and its ``key`` (the code and the plugins that made
it) equals this process's; otherwise it is computed again and replaced.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from strideguard.extensions import UtcDateTime, db
from strideguard.timeutil import utcnow


class StoredGuidance(db.Model):
    """``GET /guidance``'s JSON for (runner, local date), valid at ``rev`` with ``key``."""

    __tablename__ = "stored_guidance"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    date: Mapped[date] = mapped_column(Date, primary_key=True)
    rev: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
