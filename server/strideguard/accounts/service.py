"""Account use cases: register, sign in/out, profile, password change, erasure."""

from __future__ import annotations

from datetime import time
from typing import Any

from flask import current_app, g
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from strideguard.accounts import passwords
from strideguard.accounts.models import Session, User
from strideguard.accounts.sessions import end_sessions, start_session
from strideguard.accounts.text import clean_display_name
from strideguard.day.values import CLINIC_INCREASE_PCT, CLINIC_PAIN_THRESHOLD
from strideguard.errors import Forbidden, Invalid, Unauthorized
from strideguard.timeutil import local_today
from strideguard.extensions import db
from strideguard.timeutil import utcnow


def _hhmm(value: time | None) -> str | None:
    return value.strftime("%H:%M") if value else None


def _time(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _limits_in_force(user: User) -> dict[str, Any]:
    """The limits guidance uses, which of them a therapist locked, and by whom."""
    from strideguard.accounts.limits import own_settings
    from strideguard.clinic.limits import therapist_limits
    from strideguard.clinic.rules import apply_limits, set_by

    limits = therapist_limits(user.id) if user.role == "runner" else []
    settings = apply_limits(own_settings(user), limits)
    return {
        "pain_threshold": settings.pain_threshold,
        "weekly_increase_pct": settings.weekly_increase_pct,
        "speed_increase_pct": settings.speed_increase_pct,
        "conditions": list(settings.conditions),
        "locked": list(settings.locked),
        "limits_set_by": set_by(limits, settings),
        "therapist_instruction": settings.instruction,
    }


def profile(user: User) -> dict[str, Any]:
    """The profile as the API shows it (limits: the values in force)."""
    quiet = (
        {"start": _hhmm(user.quiet_start), "end": _hhmm(user.quiet_end)}
        if user.quiet_start and user.quiet_end
        else None
    )
    return {
        "id": user.id,
        "role": user.role,
        "display_name": user.display_name,
        "email": user.email,
        "timezone": user.timezone,
        "units": user.units,
        "reminder_time": _hhmm(user.reminder_time),
        "quiet_hours": quiet,
        "therapist": user.therapist,
        "notification_detail": user.notification_detail,
        "created_at": user.created_at,
        "today": _runner_today(user),
        **_limits_in_force(user),
    }


def _runner_today(user: User) -> Any:
    """The date the server counts as the runner's today (``plan.records.runner_today``): the
    app dates its forms and labels by it, so no screen disagrees after a move west."""
    from strideguard.plan.records import runner_today

    return runner_today(user)


def _email_taken(email: str, exclude_id: int | None = None) -> bool:
    stmt = select(User.id).where(func.lower(User.email) == email.lower())
    if exclude_id is not None:
        stmt = stmt.where(User.id != exclude_id)
    return db.session.execute(stmt).first() is not None


def email_not_usable() -> Invalid:
    """The one answer for a taken email at sign-up and at an email change: the same 422 as a
    malformed email, so the API never states that an account exists."""
    from strideguard.accounts.schemas import EMAIL_NOT_USABLE

    return Invalid(fields={"email": [EMAIL_NOT_USABLE]})


def create_account(email: str, password: str, timezone: str = "UTC", units: str = "km",
                   role: str = "runner", display_name: str | None = None) -> User:
    """Create an account (not signed in, not committed); 422 for a weak password or an email
    that cannot be used (taken: the same answer as malformed). Used by sign-up and by
    ``strideguard therapist add``.

    Sign-up without email confirmation cannot hide an existing account from someone who
    tries to register it (a free email gets an account, a taken one cannot). What it does:
    no wording that confirms an account, the same argon2 work for a taken email as for a new
    account (no timing tell), and the sign-up throttle per client address bounds the rate."""
    email = email.strip().lower()
    problem = passwords.policy_problem(password, email)
    if problem:
        raise Invalid(fields={"password": [problem]})
    password_hash = passwords.hash_password(password)  # before the lookup: same work either way
    if _email_taken(email):
        raise email_not_usable()
    user = User(
        email=email,
        password_hash=password_hash,
        timezone=timezone,
        units=units,
        conditions=[],
        role=role,
        display_name=clean_display_name(display_name) or None if display_name else None,
    )
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise email_not_usable() from None
    return user


def register(email: str, password: str, timezone: str = "UTC", units: str = "km",
             role: str = "runner", display_name: str | None = None) -> User:
    """Create an account (a runner unless ``role`` says therapist) and sign it in."""
    if role == "therapist" and not current_app.config["THERAPIST_SIGNUP"]:
        raise Forbidden("Therapist accounts on this server are made by its administrator.",
                        code="therapist_signup_closed")
    user = create_account(email, password, timezone, units, role, display_name)
    start_session(user)
    db.session.commit()
    return user


def login(email: str, password: str) -> User:
    """Check the credentials and start a new session (the session id rotates)."""
    user = db.session.execute(
        select(User).where(func.lower(User.email) == email.strip().lower())
    ).scalar_one_or_none()
    if user is None:
        passwords.dummy_verify(password)
        raise Unauthorized("Email or password is wrong.")
    if not passwords.verify_password(user.password_hash, password):
        raise Unauthorized("Email or password is wrong.")
    if passwords.hasher().check_needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    start_session(user)
    db.session.commit()
    return user


def logout(session: Session) -> None:
    db.session.execute(delete(Session).where(Session.id == session.id))
    db.session.commit()
    g.clear_session_cookie = True


#: Profile fields the care plan depends on.
PLAN_SETTINGS = frozenset({"pain_threshold", "weekly_increase_pct", "units", "timezone"})


LOCKABLE = ("pain_threshold", "weekly_increase_pct", "conditions")


def _refuse_locked(user: User, changes: dict[str, Any]) -> None:
    """A limit a therapist set cannot be changed by the runner (sent unchanged it is fine:
    a settings form sends every field)."""
    in_force = _limits_in_force(user)
    refused = {}
    for name in LOCKABLE:
        if name not in changes or name not in in_force["locked"]:
            continue
        sent, current = changes[name], in_force[name]
        same = sorted(sent) == sorted(current) if name == "conditions" else sent == current
        if not same:
            refused[name] = ["Set by your therapist. Ask them to change it."]
        changes.pop(name)
    if refused:
        raise Invalid("Your therapist set this limit.", refused)


#: The clinic's lines on the runner's own limits: (line, the sentence when a runner asks for more).
CLINIC_LINES = {
    "pain_threshold": (CLINIC_PAIN_THRESHOLD,
                       f"Only your therapist can raise the pain limit above {CLINIC_PAIN_THRESHOLD}/10. "
                       "You can set a lower one."),
    "weekly_increase_pct": (CLINIC_INCREASE_PCT,
                            f"Only your therapist can allow more than {CLINIC_INCREASE_PCT:g}% a week. "
                            "You can set a smaller increase."),
}


def _refuse_looser(user: User, changes: dict[str, Any]) -> None:
    """A runner may tighten their own limits, never loosen them past the clinic's lines."""
    if user.role != "runner":
        return
    refused = {name: [sentence] for name, (line, sentence) in CLINIC_LINES.items()
               if name in changes and changes[name] is not None and changes[name] > line}
    if refused:
        raise Invalid("Only your therapist can loosen these limits.", refused)


def update_profile(user: User, changes: dict[str, Any], known_conditions: set[str]) -> User:
    """Apply a validated partial profile; unknown conditions are refused (422), and so are
    changes to limits a therapist set."""
    apply_profile(user, changes, known_conditions)
    db.session.commit()
    return user


def apply_profile(user: User, changes: dict[str, Any], known_conditions: set[str]) -> User:
    """``update_profile`` without the commit (the caller commits with its other writes)."""
    changes = dict(changes)
    if user.role == "runner" and PLAN_SETTINGS.intersection(changes):
        from strideguard.afterwrite import begin_write

        begin_write(user)  # the runner's lock before the first write (the after-write path)
    _refuse_locked(user, changes)
    _refuse_looser(user, changes)
    if "conditions" in changes:
        unknown = sorted(set(changes["conditions"]) - known_conditions)
        if unknown:
            raise Invalid(fields={"conditions": [f"Unknown condition: {', '.join(unknown)}."]})
    if "email" in changes:
        email = changes["email"].strip().lower()
        if _email_taken(email, exclude_id=user.id):
            raise email_not_usable()
        user.email = email
    if "display_name" in changes:
        user.display_name = changes["display_name"].strip() if changes["display_name"] else None
    for name in ("timezone", "units", "pain_threshold", "weekly_increase_pct",
                 "conditions", "notification_detail"):
        if name in changes:
            setattr(user, name, changes[name])
    if "reminder_time" in changes:
        user.reminder_time = _time(changes["reminder_time"])
    if "quiet_hours" in changes:
        quiet = changes["quiet_hours"]
        user.quiet_start = _time(quiet["start"]) if quiet else None
        user.quiet_end = _time(quiet["end"]) if quiet else None
    if "therapist" in changes:
        therapist = changes["therapist"]
        user.therapist = {k: v for k, v in therapist.items() if v} if therapist else None
    if PLAN_SETTINGS.intersection(changes) and user.role == "runner":
        # New limits (or a new zone or unit) apply from today through the one after-write
        # path: today's plan is recomputed (earlier days keep the plan they had; a date the
        # runner reported in their old zone stays theirs), alerts are queued.
        from strideguard.afterwrite import after_write

        db.session.flush()
        after_write(user, local_today(user.timezone))
    db.session.flush()
    return user


def change_password(user: User, session: Session, current: str, new: str) -> None:
    """Change the password and end every other session of the runner."""
    if not passwords.verify_password(user.password_hash, current):
        raise Invalid(fields={"current_password": ["Wrong password."]})
    problem = passwords.policy_problem(new, user.email)
    if problem:
        raise Invalid(fields={"new_password": [problem]})
    user.password_hash = passwords.hash_password(new)
    user.password_changed_at = utcnow()
    end_sessions(user.id, keep=session.id)
    db.session.commit()


def erase(user: User, password: str, tables: list[type]) -> None:
    """Delete the runner and every row of theirs (``tables`` lists the per-user models)."""
    if not passwords.verify_password(user.password_hash, password):
        raise Invalid(fields={"password": ["Wrong password."]})
    from strideguard.imports.models import Import
    from strideguard.imports.service import spool_dir

    # Uploads kept on disk (GPS tracks): gone with the account, not at the next orphan sweep.
    kept = list(db.session.execute(
        select(Import.stored_name).where(Import.user_id == user.id, Import.stored_name.is_not(None))).scalars())
    for model in tables:
        db.session.execute(delete(model).where(model.user_id == user.id))
    db.session.execute(delete(Session).where(Session.user_id == user.id))
    db.session.execute(delete(User).where(User.id == user.id))
    db.session.commit()
    folder = spool_dir()
    for name in kept:
        (folder / name).unlink(missing_ok=True)  # a file left by a failure here: the sweep's
    g.clear_session_cookie = True
