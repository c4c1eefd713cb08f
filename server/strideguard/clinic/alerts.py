"""Alerts to therapists, written into THE reminder outbox (DB side of ``rules.plan_alerts``).

The one after-write path (``strideguard.afterwrite``) calls :func:`queue_for_therapists` in
the write's own transaction, with today's care-plan day just replayed — its pains, its red
flags and its events, so "entered rest" is the plan's own transition, never re-derived —
and writes one row per therapist, kind, patient and local date (``user_id`` = the therapist, ``subject_id`` = the patient). The reminder worker
claims and delivers those rows exactly like a runner's reminders: same claim (``FOR UPDATE
SKIP LOCKED`` / compare-and-set), same sender, same exactly-once guarantee.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from strideguard.accounts.limits import runner_settings
from strideguard.accounts.models import User
from strideguard.clinic.models import CareLink
from strideguard.clinic.rules import (
    ALERT, KINDS, LOAD, RECURRENCE, URGENT, PatientDay, Recipient, TherapistAlert, alert_contexts, plan_alerts,
)
from strideguard.clinic.sharing import patient_name
from strideguard.day import redflags
from strideguard.day.values import CheckinSnap
from strideguard.extensions import core_rows, db, ids_match
from strideguard.plan.machine import PlanDay
from strideguard.reminders import outbox
from strideguard.reminders.models import Reminder
from strideguard.reminders.planner import QuietHours
from strideguard.timeutil import utcnow

#: ``last_error`` of a row folded into another push (not an alert of its own).
MERGED = "merged"
#: The kinds a patient's day raises (``alert_contexts``); an exercise's pain alert has its own path.
DAY_KINDS = (URGENT, ALERT, RECURRENCE, LOAD)
#: The badge counts unread alerts of this many days at most.
BADGE_DAYS = 30


def _quiet(start: Any, end: Any) -> QuietHours | None:
    return QuietHours(start, end) if start and end and start != end else None


def _planned(therapist_ids: list[int], patient_id: int, day: date) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for therapist_id, kind in db.session.execute(
        select(Reminder.user_id, Reminder.kind).where(
            ids_match(Reminder.user_id, therapist_ids), Reminder.subject_id == patient_id,
            Reminder.local_date == day, Reminder.kind.in_(KINDS),
        )
    ):
        found.setdefault(therapist_id, set()).add(kind)
    return found


def write(rows: list[TherapistAlert], now: datetime) -> int:
    """Insert therapist alerts; a row whose key is already in the outbox is left alone."""
    if not rows:
        return 0
    values = [
        {"user_id": r.therapist_id, "subject_id": r.patient_id, "kind": r.kind, "local_date": r.local_date,
         "due_at": r.due_at, "status": r.status, "attempts": 0, "context": dict(r.context),
         "last_error": r.note, "created_at": now}
        for r in rows
    ]
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(Reminder.__table__).on_conflict_do_nothing(index_elements=list(outbox.KEY))
    written = 0
    for value in values:  # a handful of rows: one statement each keeps rowcount exact
        written += max(db.session.execute(stmt, value).rowcount, 0)
    return written


#: A runner's therapists with what the alert planner needs (built once).
_LINKS = (
    select(CareLink.therapist_id, CareLink.muted, User.timezone, User.quiet_start, User.quiet_end)
    .join(User, User.id == CareLink.therapist_id).where(CareLink.user_id == bindparam("uid"))
)


def queue_for_therapists(user: User, plan: PlanDay, checkin: CheckinSnap | None,
                         now: datetime | None = None) -> int:
    """Plan the alerts about ``user``'s day ``plan`` (their today, just replayed, with its
    check-in) for each of their therapists, in the caller's transaction (not committed).
    Returns the rows written. A runner without a therapist costs one indexed query."""
    now = now or utcnow()
    links = core_rows(_LINKS, {"uid": user.id}).all()
    if not links:
        return 0
    facts = PatientDay(
        patient_id=user.id, patient=patient_name(user), local_date=plan.date,
        pain_threshold=runner_settings(user).pain_threshold, pains=plan.pains,
        flags=redflags.found(checkin if checkin is not None and checkin.date == plan.date else None, plan.pains),
        plan_events=plan.events, plan_state=plan.name,
    )
    therapists = [link.therapist_id for link in links]
    # An alert an earlier write of the day planned, whose cause is gone (a corrected check-in),
    # is taken back before the day's alerts are planned again.
    outbox.withdraw(therapists, user.id, plan.date, DAY_KINDS, set(alert_contexts(facts)))
    planned = _planned(therapists, user.id, plan.date)
    recipients = [
        Recipient(link.therapist_id, link.timezone, _quiet(link.quiet_start, link.quiet_end), link.muted,
                  frozenset(planned.get(link.therapist_id, ())))
        for link in links
    ]
    return write(plan_alerts(facts, recipients, now), now)


def unseen_counts(therapist_id: int, links: list[CareLink], now: datetime | None = None) -> dict[int, int]:
    """Alerts about each patient created since the therapist last opened them (the badge;
    the last ``BADGE_DAYS`` days)."""
    if not links:
        return {}
    seen = {link.user_id: link.alerts_seen_at for link in links}
    counts: dict[int, int] = {}
    rows = db.session.execute(
        select(Reminder.subject_id, Reminder.created_at).where(
            Reminder.user_id == therapist_id, Reminder.kind.in_(KINDS),
            ids_match(Reminder.subject_id, list(seen)),
            Reminder.created_at > (now or utcnow()) - timedelta(days=BADGE_DAYS),
            or_(Reminder.last_error.is_(None), Reminder.last_error != MERGED),
        )
    )
    for subject, created in rows:
        since = seen.get(subject)
        if since is None or created > since:
            counts[subject] = counts.get(subject, 0) + 1
    return counts


def recent_alerts(therapist_id: int, patient_id: int, limit: int = 20) -> list[Reminder]:
    """The therapist's latest alerts about one patient (merged rows left out)."""
    return list(db.session.execute(
        select(Reminder).where(
            Reminder.user_id == therapist_id, Reminder.subject_id == patient_id, Reminder.kind.in_(KINDS),
            or_(Reminder.last_error.is_(None), Reminder.last_error != MERGED),
        ).order_by(Reminder.created_at.desc(), Reminder.id.desc()).limit(limit)
    ).scalars())

