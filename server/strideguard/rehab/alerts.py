"""The therapist's alert about exercise pain: the second exceedance of an exercise's pain
ceiling within seven days (``rehab.adherence.alert_dates``) writes one row per therapist into
THE reminder outbox — the same key (therapist, kind, patient's local date, patient), claim
and sender as every other alert, so it is delivered exactly once."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from strideguard.accounts.models import User
from strideguard.clinic.alerts import _LINKS, _quiet, write
from strideguard.clinic.rules import EXERCISE_PAIN, Recipient, TherapistAlert, _due
from strideguard.clinic.sharing import patient_name
from strideguard.extensions import core_rows
from strideguard.rehab.adherence import Logged
from strideguard.timeutil import utcnow


def queue_exercise_pain(user: User, day: date, exceedances: list[Logged], names: dict[str, str] | None = None,
                        now: datetime | None = None) -> int:
    """Write the alert about ``day`` for each of the runner's therapists (not committed).
    ``exceedances``: those of the seven days through ``day``, oldest first."""
    now = now or utcnow()
    links = core_rows(_LINKS, {"uid": user.id}).all()
    if not links:
        return 0
    names = names or {}
    context: dict[str, Any] = {
        "patient_id": user.id, "patient": patient_name(user), "date": day.isoformat(),
        "exceedances": [{"date": e.date.isoformat(), "exercise": e.exercise, "name": names.get(e.exercise, e.exercise),
                         "pain": e.pain, "ceiling": e.ceiling} for e in exceedances],
    }
    rows = []
    for link in links:
        recipient = Recipient(link.therapist_id, link.timezone, _quiet(link.quiet_start, link.quiet_end), link.muted)
        status, note = ("skipped", "muted") if recipient.muted else ("pending", None)
        rows.append(TherapistAlert(link.therapist_id, user.id, EXERCISE_PAIN, day, _due(recipient, now),
                                   context, status, note))
    return write(rows, now)
