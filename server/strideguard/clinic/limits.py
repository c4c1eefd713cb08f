"""Therapist-set limits in the database: read (for ``accounts.limits.runner_settings``, the
one function guidance and the care plan read limits through) and written (audited)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import has_request_context, request
from sqlalchemy import bindparam, or_, select

from strideguard.accounts.models import User
from strideguard.clinic.models import LIMIT_FIELDS, CareLink
from strideguard.clinic.rules import TherapistLimits
from strideguard.extensions import core_rows, db, ids_match
from strideguard.timeutil import utcnow

_ANY_SET = or_(*(getattr(CareLink, name).is_not(None) for name in LIMIT_FIELDS))


def _therapist(column: Any) -> Any:
    """The therapist's ``column``, looked up per link by primary key. Not a join: with a few
    thousand runner ids, SQLite's planner chose to scan every user and probe the links once
    per id (6 s for 4,688 ids among 20,000 runners instead of 4 ms)."""
    return select(column).where(User.id == CareLink.therapist_id).scalar_subquery().label(column.key)


_COLUMNS = (
    CareLink.user_id, CareLink.therapist_id, _therapist(User.display_name), _therapist(User.email),
    *(getattr(CareLink, name) for name in LIMIT_FIELDS), CareLink.limits_updated_at,
)


def therapist_name(display_name: str | None, email: str) -> str:
    """How a therapist is shown to a runner: "Name (email)" or the email."""
    return f"{display_name} ({email})" if display_name else email


def _limits(row: Any) -> TherapistLimits:
    return TherapistLimits(
        therapist_id=row.therapist_id,
        therapist=therapist_name(row.display_name, row.email),
        pain_threshold=row.pain_threshold,
        weekly_increase_pct=row.weekly_increase_pct,
        speed_increase_pct=row.speed_increase_pct,
        conditions=tuple(row.conditions) if row.conditions is not None else None,
        instruction=row.instruction,
        updated_at=row.limits_updated_at,
    )


def _select():
    return select(*_COLUMNS).where(_ANY_SET)


#: Built once with a bound parameter: building a ``select`` per call cost more than running it.
_BY_RUNNER = _select().where(CareLink.user_id == bindparam("uid")).order_by(CareLink.id)
#: Per-request memo (in the WSGI environ, so it never outlives its request).
_MEMO = "strideguard.therapist_limits"


def therapist_limits(user_id: int) -> list[TherapistLimits]:
    """The limits every therapist with access set for this runner (one indexed query, at
    most once per request: a check-in reads the limits for the plan, the snapshot and the
    alerts)."""
    memo = request.environ.setdefault(_MEMO, {}) if has_request_context() else None
    if memo is not None and user_id in memo:
        return memo[user_id]
    found = [_limits(row) for row in core_rows(_BY_RUNNER, {"uid": user_id})]
    if memo is not None:
        memo[user_id] = found
    return found


def forget(user_id: int) -> None:
    """Limits of ``user_id`` changed in this request: the next read goes to the database."""
    if has_request_context():
        request.environ.get(_MEMO, {}).pop(user_id, None)


def many_statement(ids: list[int]) -> Any:
    """The one query ``therapist_limits_many`` runs (the tests read its query plan)."""
    return _select().where(ids_match(CareLink.user_id, ids)).order_by(CareLink.id)


def therapist_limits_many(user_ids: Iterable[int]) -> dict[int, list[TherapistLimits]]:
    """``therapist_limits`` for many runners in one query (the reminder sweep)."""
    ids = list(user_ids)
    found: dict[int, list[TherapistLimits]] = {}
    if not ids:
        return found
    for row in core_rows(many_statement(ids)):
        found.setdefault(row.user_id, []).append(_limits(row))
    return found


def link_limits(link: CareLink) -> dict[str, Any]:
    """One therapist's limits for a patient as the API shows them (``None``: not set)."""
    return {name: getattr(link, name) for name in LIMIT_FIELDS}


def set_limits(link: CareLink, values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Replace the therapist's limits on ``link`` (not committed); returns what changed."""
    from strideguard.clinic.rules import limit_changes

    before = link_limits(link)
    after = {name: values.get(name) for name in LIMIT_FIELDS}
    if after["conditions"] is not None:
        after["conditions"] = list(dict.fromkeys(after["conditions"]))
    changed = limit_changes(before, after)
    if changed:
        for name, value in after.items():
            setattr(link, name, value)
        link.limits_updated_at = utcnow()
        forget(link.user_id)
    return changed
