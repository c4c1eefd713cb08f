"""Consent: the runner invites, a therapist accepts, the runner sees who has access and
revokes it; every access by a therapist goes into the runner's access log.

Every read of a patient goes through :func:`care_link`, which finds the link of THIS
therapist and THIS patient or raises 404 — exactly like a foreign object anywhere else.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, select, update

from strideguard.accounts.models import User
from strideguard.clinic import codes
from strideguard.clinic.limits import forget, link_limits, therapist_name
from strideguard.clinic.models import AccessLogEntry, CareInvitation, CareLink
from strideguard.clinic.rules import KINDS as ALERT_KINDS
from strideguard.errors import Conflict, NotFound
from strideguard.extensions import db
from strideguard.owned import MAX_ID
from strideguard.reminders.models import Reminder
from strideguard.timeutil import utcnow

VALID_FOR = timedelta(days=7)
#: Open (unused, unexpired) invitations a runner may hold at once.
MAX_OPEN = 5
BAD_CODE = "This code is not valid. It may be mistyped, used or expired: ask your patient for a new one."


def patient_name(user: User | Any) -> str:
    """How a patient is shown to a therapist."""
    return user.display_name or user.email


def label(user: User) -> str:
    return therapist_name(user.display_name, user.email)


def _lock(patient: User | int) -> None:
    """The patient's lock before the first write (``afterwrite.begin_write``)."""
    from strideguard.afterwrite import begin_write

    begin_write(patient)


def _replan_today(patient: User) -> None:
    """Limits changed: today's care plan is recomputed with them (as when the runner changes
    their own) through the one after-write path; earlier days keep the plan they had."""
    from strideguard.afterwrite import after_write
    from strideguard.timeutil import local_today

    db.session.flush()
    after_write(patient, local_today(patient.timezone))


def log(patient_id: int, therapist: User, action: str, **detail: Any) -> None:
    """Add an access-log entry for the runner (committed with the caller's change)."""
    db.session.add(AccessLogEntry(
        user_id=patient_id, therapist_id=therapist.id, therapist_label=label(therapist),
        action=action, detail=detail,
    ))


# --- the runner's side --------------------------------------------------------------------


def _hash(code: str) -> str:
    return codes.code_hash(code, current_app.config["SECRET_KEY"])


def invitation_url(code: str) -> str:
    """The link a therapist opens: the app's accept screen with the code in the fragment
    (a fragment never reaches a server log or a Referer header).

    Absolute only from the configured ``PUBLIC_URL``; never from the request's ``Host``
    header, which a client (or a misrouted proxy) chooses. Without it the link is relative to
    the app's own address, and the PWA resolves it against the origin it was loaded from."""
    base = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    return f"{base}/#clinic/accept/{codes.shown(code)}"


def _open(user_id: int, now: datetime):
    return select(CareInvitation).where(
        CareInvitation.user_id == user_id, CareInvitation.used_at.is_(None), CareInvitation.expires_at > now
    )


def create_invitation(user: User, now: datetime | None = None) -> dict[str, Any]:
    """A new single-use code, valid for 7 days. Only its keyed hash is stored."""
    now = now or utcnow()
    count = db.session.execute(select(func.count()).select_from(_open(user.id, now).subquery())).scalar()
    if count >= MAX_OPEN:
        raise Conflict(f"You have {MAX_OPEN} open invitations. Cancel one before making another.")
    code = codes.new_code()
    invitation = CareInvitation(user_id=user.id, code_hash=_hash(code), created_at=now,
                                expires_at=now + VALID_FOR)
    db.session.add(invitation)
    db.session.commit()
    return {"id": invitation.id, "code": codes.shown(code), "url": invitation_url(code),
            "created_at": invitation.created_at, "expires_at": invitation.expires_at}


def open_invitations(user: User, now: datetime | None = None) -> list[CareInvitation]:
    now = now or utcnow()
    return list(db.session.execute(_open(user.id, now).order_by(CareInvitation.id)).scalars())


def cancel_invitation(user: User, invitation_id: int) -> None:
    """Withdraw an invitation that was not used yet (404 for anyone else's or a used one)."""
    if not 0 < invitation_id <= MAX_ID:
        raise NotFound("No such invitation.")
    result = db.session.execute(delete(CareInvitation).where(
        CareInvitation.id == invitation_id, CareInvitation.user_id == user.id, CareInvitation.used_at.is_(None)
    ))
    if result.rowcount != 1:
        db.session.rollback()
        raise NotFound("No such invitation.")
    db.session.commit()


def therapists_of(user: User) -> list[dict[str, Any]]:
    """Who has access to the runner's data, since when, and the limits each one set."""
    rows = db.session.execute(
        select(CareLink, User).join(User, User.id == CareLink.therapist_id)
        .where(CareLink.user_id == user.id).order_by(CareLink.created_at, CareLink.id)
    ).all()
    return [
        {"id": therapist.id, "name": therapist.display_name, "email": therapist.email,
         "since": link.created_at, "limits": link_limits(link),
         "limits_updated_at": link.limits_updated_at}
        for link, therapist in rows
    ]


def revoke(user: User, therapist_id: int) -> None:
    """End a therapist's access now: the link (and with it their limits) is deleted, so
    their next request finds nothing, and their alerts about the runner not sent yet are
    withdrawn. The change goes into the access log."""
    if not 0 < therapist_id <= MAX_ID:
        raise NotFound("No such therapist.")
    _lock(user)
    found = db.session.execute(
        select(CareLink, User).join(User, User.id == CareLink.therapist_id)
        .where(CareLink.user_id == user.id, CareLink.therapist_id == therapist_id)
    ).first()
    if found is None:
        raise NotFound("No such therapist.")
    link, therapist = found
    removed = {name: {"old": value, "new": None} for name, value in link_limits(link).items() if value is not None}
    db.session.delete(link)
    _withdraw_alerts(user, therapist_id)
    forget(user.id)
    log(user.id, therapist, "access_revoked", **({"changes": removed} if removed else {}))
    if removed:
        _replan_today(user)
    db.session.commit()


#: ``last_error`` of a therapist's alert that had not gone out when the runner ended the access.
WITHDRAWN = "access revoked"


def _withdraw_alerts(user: User, therapist_id: int) -> int:
    """The therapist's alerts about ``user`` not sent yet are not sent at all (``skipped``,
    kept for the record): revoking ends the access to the runner's health details at once,
    a push already queued included. Every alert about them keeps only its kind, dates and
    outcome: the name and numbers it carried (pain, flags) go, so the therapist's own export
    no longer holds them. Returns the rows withdrawn."""
    about = (Reminder.user_id == therapist_id, Reminder.subject_id == user.id, Reminder.kind.in_(ALERT_KINDS))
    withdrawn = db.session.execute(
        update(Reminder).where(*about, Reminder.status == "pending")
        .values(status="skipped", last_error=WITHDRAWN)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.execute(update(Reminder).where(*about).values(context={})
                       .execution_options(synchronize_session=False))
    return withdrawn


def access_log(user: User, before: int | None, limit: int) -> list[AccessLogEntry]:
    """The runner's access log, newest first (``before``: an entry id, for the next page)."""
    stmt = select(AccessLogEntry).where(AccessLogEntry.user_id == user.id)
    if before is not None:
        stmt = stmt.where(AccessLogEntry.id < before)
    return list(db.session.execute(stmt.order_by(AccessLogEntry.id.desc()).limit(limit)).scalars())


# --- the therapist's side -----------------------------------------------------------------


def accept(therapist: User, typed: str, now: datetime | None = None) -> User:
    """Use an invitation code: the runner's data becomes visible to ``therapist``.

    Single use, atomically (a compare-and-set UPDATE: of two therapists racing for one
    code, exactly one gets it). Unknown, used and expired codes get the same 404.
    """
    now = now or utcnow()
    code = codes.canonical(typed)
    if code is None:
        raise NotFound(BAD_CODE)
    invitation = db.session.execute(
        select(CareInvitation).where(CareInvitation.code_hash == _hash(code))
    ).scalar_one_or_none()
    if invitation is None or invitation.used_at is not None or invitation.expires_at <= now:
        raise NotFound(BAD_CODE)
    taken = db.session.execute(
        update(CareInvitation)
        .where(CareInvitation.id == invitation.id, CareInvitation.used_at.is_(None),
               CareInvitation.expires_at > now)
        .values(used_at=now, therapist_id=therapist.id)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        db.session.rollback()
        raise NotFound(BAD_CODE)
    patient = db.session.get(User, invitation.user_id)
    exists = db.session.execute(
        select(CareLink.id).where(CareLink.user_id == patient.id, CareLink.therapist_id == therapist.id)
    ).first()
    if exists is None:
        db.session.add(CareLink(user_id=patient.id, therapist_id=therapist.id, created_at=now))
        log(patient.id, therapist, "access_granted")
    db.session.commit()
    return patient


def care_link(therapist: User, patient_id: int) -> tuple[CareLink, User]:
    """This therapist's link to this patient, or 404 (never invited, revoked, or not a
    patient of theirs: the same answer as for any foreign object)."""
    if not 0 < patient_id <= MAX_ID:
        raise NotFound("No such patient.")
    found = db.session.execute(
        select(CareLink, User).join(User, User.id == CareLink.user_id)
        .where(CareLink.therapist_id == therapist.id, CareLink.user_id == patient_id)
    ).first()
    if found is None:
        raise NotFound("No such patient.")
    return found[0], found[1]


def links_of(therapist: User) -> list[tuple[CareLink, User]]:
    """Every patient of the therapist with the link."""
    return [tuple(row) for row in db.session.execute(
        select(CareLink, User).join(User, User.id == CareLink.user_id)
        .where(CareLink.therapist_id == therapist.id).order_by(CareLink.id)
    ).all()]


def set_muted(therapist: User, patient_id: int, muted: bool) -> CareLink:
    link, _patient = care_link(therapist, patient_id)
    link.muted = muted
    db.session.commit()
    return link


def mark_seen(therapist: User, patient_id: int, now: datetime | None = None) -> None:
    """The therapist opened the patient's alerts: the dashboard badge clears."""
    link, _patient = care_link(therapist, patient_id)
    link.alerts_seen_at = now or utcnow()
    db.session.commit()



def change_limits(therapist: User, patient_id: int, values: dict[str, Any],
                  known_conditions: set[str]) -> tuple[CareLink, User, dict[str, Any]]:
    """Replace this therapist's limits for a patient; audit old -> new in the access log."""
    from strideguard.clinic.limits import set_limits
    from strideguard.errors import Invalid

    link, patient = care_link(therapist, patient_id)
    _lock(patient)
    unknown = sorted(set(values.get("conditions") or ()) - known_conditions)
    if unknown:
        raise Invalid(fields={"conditions": [f"Unknown condition: {', '.join(unknown)}."]})
    changed = set_limits(link, values)
    if changed:
        log(patient.id, therapist, "changed_limits", changes=changed)
        _replan_today(patient)
    db.session.commit()
    return link, patient, changed


def record_assessment(therapist: User, patient_id: int, day: date | None, note: str | None) -> dict[str, Any]:
    """The therapist assessed the patient's knee (on ``day``, default the patient's today):
    a plan held after a knee that locked, gave way or would not straighten may go on. Stored
    with who and when, logged, and replayed through the one after-write path."""
    from strideguard.afterwrite import after_write
    from strideguard.errors import Invalid
    from strideguard.plan.models import PlanAssessment
    from strideguard.plan.service import runner_today

    link, patient = care_link(therapist, patient_id)
    _lock(patient)
    today = runner_today(patient)
    day = day or today
    if day > today or day < today - timedelta(days=30):
        raise Invalid(fields={"date": ["Use a date from the last 30 days, not in the future."]})
    db.session.add(PlanAssessment(user_id=patient.id, therapist_id=therapist.id, therapist=label(therapist),
                                  date=day, note=note))
    log(patient.id, therapist, "recorded_assessment", date=day.isoformat())
    db.session.flush()
    written = after_write(patient, day)
    db.session.commit()
    return {"date": day, "therapist": label(therapist), "note": note,
            "plan": written.today.plan_dict()}
