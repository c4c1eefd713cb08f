"""Alerts to therapists, written into THE reminder outbox (DB side of ``rules.plan_alerts``).

The training routes call :func:`queue_for_therapists` after a check-in or run is saved (and
the care plan stepped). It reads today's care-plan day as the plan stored it — its pains
and its events, so "entered rest" is the plan's own transition, never re-derived — and
today's check-in for red flags, and writes one row per therapist, kind, patient and local
date (``user_id`` = the therapist, ``subject_id`` = the patient). The reminder worker
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
from strideguard.clinic.rules import KINDS, RED_FLAGS, PatientDay, Recipient, TherapistAlert, plan_alerts
from strideguard.clinic.sharing import patient_name
from strideguard.extensions import core_rows, db, ids_match
from strideguard.reminders import outbox
from strideguard.reminders.models import Reminder
from strideguard.reminders.planner import QuietHours
from strideguard.timeutil import local_today, utcnow
from strideguard.training.models import Checkin

#: ``last_error`` of a row folded into another push (not an alert of its own).
MERGED = "merged"
#: The badge counts unread alerts of this many days at most.
BADGE_DAYS = 30


def _quiet(start: Any, end: Any) -> QuietHours | None:
    return QuietHours(start, end) if start and end and start != end else None


def red_flags(checkin: Checkin | None) -> tuple[str, ...]:
    """The red flags of a check-in: fever counts with a painful or swollen knee (as the
    core rule and the care plan count it); swelling, locking or giving way, and a knee that
    will not straighten always count."""
    if checkin is None:
        return ()
    found = []
    for flag in RED_FLAGS:
        if not getattr(checkin, flag):
            continue
        if flag == "fever" and not (checkin.pain > 0 or checkin.swelling):
            continue
        found.append(flag)
    return tuple(found)


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


def queue_for_therapists(user: User, now: datetime | None = None) -> int:
    """Plan today's alerts about ``user`` for each of their therapists; commit. Returns rows.

    A runner without a therapist costs one indexed query and nothing else.
    """
    now = now or utcnow()
    links = core_rows(_LINKS, {"uid": user.id}).all()
    if not links:
        return 0
    from strideguard.plan import service as plan_service

    today = local_today(user.timezone, now)
    settings = runner_settings(user)
    plan = plan_service.day_for(user, today, today)
    checkin = db.session.execute(
        select(Checkin).where(Checkin.user_id == user.id, Checkin.date == today)
    ).scalar_one_or_none()
    facts = PatientDay(
        patient_id=user.id, patient=patient_name(user), local_date=today,
        pain_threshold=settings.pain_threshold,
        pains=tuple((p.field, p.value) for p in plan.pains),
        flags=red_flags(checkin),
        plan_events=tuple((e.kind, e.to_state, e.reason.metric, e.reason.value, e.reason.threshold)
                          for e in plan.events),
        plan_state=plan.name,
    )
    planned = _planned([link.therapist_id for link in links], user.id, today)
    recipients = [
        Recipient(link.therapist_id, link.timezone, _quiet(link.quiet_start, link.quiet_end), link.muted,
                  frozenset(planned.get(link.therapist_id, ())))
        for link in links
    ]
    written = write(plan_alerts(facts, recipients, now), now)
    db.session.commit()
    return written


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

