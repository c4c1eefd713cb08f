"""Tables of operations: worker heartbeats and rate-limit counters (no runner data)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from strideguard.extensions import UtcDateTime, db


class WorkerHeartbeat(db.Model):
    """The last sign of life of one reminder worker process (``/readyz`` reads it)."""

    __tablename__ = "worker_heartbeats"

    worker: Mapped[str] = mapped_column(String(120), primary_key=True)  # host:pid
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    beat_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    interval_s: Mapped[int] = mapped_column(Integer)


class RateLimitCounter(db.Model):
    """One fixed-window counter of the ``database://`` rate-limit store."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float, index=True)  # Unix time, seconds
