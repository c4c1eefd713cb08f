"""Small time helpers (PURE) shared by services (the pure modules take explicit times instead)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    """A cached ZoneInfo (building one per request or per runner is wasted work)."""
    return ZoneInfo(name)


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_valid_timezone(name: str) -> bool:
    """True for an IANA zone name this machine knows (e.g. ``Europe/Berlin``)."""
    if name not in _known_zones():
        return False
    try:
        zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def local_today(tz_name: str, now: datetime | None = None) -> date:
    """The runner's local calendar date at ``now`` (default: the current time)."""
    return (now or utcnow()).astimezone(zone(tz_name)).date()
