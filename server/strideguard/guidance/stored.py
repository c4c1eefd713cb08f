"""``GET /guidance`` served from the stored answer while nothing it was made from changed.

A request reads the stored answer and the runner's current ``guidance_rev`` in one query
(``guidance.models`` explains the triggers that raise it). Served as stored when the revs
and the key agree; otherwise the guidance is computed, answered and stored with the rev read
*before* any of its inputs — a change committed meanwhile has raised the rev past it, so an
answer made from older data is never served again. An answer shaped by a plugin failure (a
timeout, an exception, rejected output) is answered but not stored.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import date, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import SQLAlchemyError

from strideguard.accounts.models import User
from strideguard.extensions import db, upsert_insert
from strideguard.guidance.host import PluginHost
from strideguard.guidance.models import StoredGuidance
from strideguard.guidance.schemas import GuidanceSchema
from strideguard.guidance.service import guidance_for
from strideguard.operations import metrics
from strideguard.timeutil import local_today

#: Answers are stored for the runner's local today and yesterday only (what the app opens
#: on): an older date is computed each time, and storing drops the runner's older answers,
#: so the table holds at most two rows per runner.
KEEP_DAYS = 2

_LOOKUP = (
    select(User.guidance_rev, StoredGuidance.rev, StoredGuidance.key, StoredGuidance.body)
    .outerjoin(StoredGuidance, (StoredGuidance.user_id == User.id) & (StoredGuidance.date == bindparam("day")))
    .where(User.id == bindparam("uid"))
)
log = logging.getLogger(__name__)
_SCHEMA = GuidanceSchema()
_CODE: str | None = None
_KEYS: dict[tuple[tuple[str, str, str], ...], str] = {}  # per plugin fingerprint


def code_digest() -> str:
    """A digest of this installation's server code (every ``strideguard`` module): stored
    answers made by other code — an upgrade, an edited rule — are not served."""
    global _CODE
    if _CODE is None:
        digest = hashlib.sha256()
        root = Path(__file__).resolve().parents[1]
        for path in sorted(root.rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
        _CODE = digest.hexdigest()
    return _CODE


def key_of(host: PluginHost) -> str:
    """What an answer was made with: the server code and each plugin's name, version, status."""
    fingerprint = host.fingerprint()
    if fingerprint not in _KEYS:
        digest = hashlib.sha256(code_digest().encode())
        for name, version, status in fingerprint:
            digest.update(f"\0{name}\0{version}\0{status}".encode())
        _KEYS[fingerprint] = digest.hexdigest()
    return _KEYS[fingerprint]


def _store(user_id: int, day: date, rev: int, key: str, body: str, first_kept: date | None = None) -> None:
    if first_kept is not None:
        db.session.execute(delete(StoredGuidance).where(StoredGuidance.user_id == user_id,
                                                        StoredGuidance.date < first_kept))
    stmt = upsert_insert(StoredGuidance).values(user_id=user_id, date=day, rev=rev, key=key, body=body)
    # Never replace a newer answer with an older one (two requests racing a change).
    db.session.execute(stmt.on_conflict_do_update(
        index_elements=[StoredGuidance.user_id, StoredGuidance.date],
        set_={"rev": stmt.excluded.rev, "key": stmt.excluded.key, "body": stmt.excluded.body,
              "created_at": stmt.excluded.created_at},
        where=StoredGuidance.rev <= stmt.excluded.rev,
    ))
    db.session.commit()


def guidance_json(user: User, as_of: date, host: PluginHost) -> str:
    """``GET /guidance``'s JSON body for the runner's local date ``as_of``."""
    key = key_of(host)
    rev, stored_rev, stored_key, body = db.session.execute(_LOOKUP, {"uid": user.id, "day": as_of}).one()
    if body is not None and stored_rev == rev and stored_key == key:
        metrics.GUIDANCE.labels(source="stored").inc()
        return body
    failures = host.failures_seen
    # Compact like every other answer (Flask's provider writes ", " and ": " in dumps()).
    body = current_app.json.dumps(_SCHEMA.dump(guidance_for(user, as_of).to_dict()), separators=(",", ":"))
    metrics.GUIDANCE.labels(source="computed").inc()
    first_kept = local_today(user.timezone) - timedelta(days=KEEP_DAYS - 1)
    if as_of >= first_kept and host.failures_seen == failures and key_of(host) == key:
        try:
            _store(user.id, as_of, rev, key, body, first_kept)
        except SQLAlchemyError as exc:  # storing only saves the next request work: answer anyway
            db.session.rollback()
            log.warning("stored guidance not written for runner %s: %s", user.id, type(exc).__name__)
    return body
