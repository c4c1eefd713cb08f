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


#: The IANA database's geographic areas: a runner's zone is ``Area/Location``.
REGION_AREAS = frozenset({"Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia",
                          "Europe", "Indian", "Pacific"})
#: Besides regions, only UTC (the default; browsers report it on UTC systems).
UNIVERSAL = frozenset({"UTC", "Etc/UTC"})


def is_valid_timezone(name: str) -> bool:
    """True for an IANA region zone this machine knows (``Europe/Berlin``,
    ``America/Argentina/Salta``) or UTC. Files that load as zones but are no place a runner
    lives are refused: ``localtime`` (the server's own zone), ``Factory``, POSIX-rule names
    such as ``EST5EDT``, fixed offsets (``Etc/GMT+5``), ``posixrules``."""
    if name not in UNIVERSAL and name.partition("/")[0] not in REGION_AREAS:
        return False
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
