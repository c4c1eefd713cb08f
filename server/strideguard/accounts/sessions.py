"""Server-side, revocable sessions and the CSRF token bound to each one."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, Response, current_app, g, request
from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import OperationalError

from strideguard.accounts.models import Session, User
from strideguard.extensions import db
from strideguard.timeutil import utcnow

COOKIE = "sg_session"
SECURE_COOKIE = "__Host-sg_session"
#: last_seen_at is refreshed at most this often (saves a write on most requests).
TOUCH_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class SignedIn:
    user: User
    session: Session


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def cookie_secure() -> bool:
    """Secure cookies when configured, or whenever the request came over HTTPS."""
    configured = current_app.config.get("COOKIE_SECURE")
    return bool(configured) if configured is not None else request.is_secure


def cookie_name() -> str:
    return SECURE_COOKIE if cookie_secure() else COOKIE


def start_session(user: User, response: Response | None = None) -> Session:
    """Create a new session (a fresh id: ids rotate at every sign-in) and remember the token."""
    token = secrets.token_urlsafe(32)
    session = Session(id=_digest(token), user_id=user.id, csrf_token=secrets.token_urlsafe(32))
    db.session.add(session)
    g.new_session_token = token
    g.signed_in = SignedIn(user, session)
    return session


def end_sessions(user_id: int, keep: str | None = None) -> None:
    """Revoke every session of a runner (optionally all but ``keep``)."""
    stmt = delete(Session).where(Session.user_id == user_id)
    if keep:
        stmt = stmt.where(Session.id != keep)
    db.session.execute(stmt)


def _expired(session: Session, now: datetime) -> bool:
    cfg = current_app.config
    return (now - session.last_seen_at > timedelta(days=cfg["SESSION_IDLE_DAYS"])) or (
        now - session.created_at > timedelta(days=cfg["SESSION_MAX_DAYS"])
    )


#: Built once: constructing the select on every request cost more than running it.
_BY_TOKEN = select(Session, User).join(User, User.id == Session.user_id).where(
    Session.id == bindparam("digest")
)


def load_signed_in() -> SignedIn | None:
    """The runner behind the request's cookie, or None (unknown, revoked or expired)."""
    if "signed_in" in g:
        return g.signed_in
    token = request.cookies.get(SECURE_COOKIE) or request.cookies.get(COOKIE)
    found = None
    if token:
        row = db.session.execute(_BY_TOKEN, {"digest": _digest(token)}).first()
        if row is not None:
            session, user = row
            now = utcnow()
            if _expired(session, now):
                db.session.delete(session)
                db.session.commit()
            else:
                if now - session.last_seen_at > TOUCH_EVERY:
                    session.last_seen_at = now
                    try:
                        db.session.commit()
                    except OperationalError:  # a full disk: the request may still read
                        db.session.rollback()
                found = SignedIn(user, session)
    g.signed_in = found
    return found


def csrf_ok(signed_in: SignedIn) -> bool:
    sent = request.headers.get("X-CSRF-Token", "")
    return bool(sent) and hmac.compare_digest(sent, signed_in.session.csrf_token)


def apply_cookie(response: Response) -> Response:
    """Set or clear the session cookie as this request decided."""
    token = g.pop("new_session_token", None)
    secure = cookie_secure()
    if token:
        max_age = int(timedelta(days=current_app.config["SESSION_MAX_DAYS"]).total_seconds())
        response.set_cookie(
            cookie_name(), token, max_age=max_age, httponly=True, secure=secure,
            samesite="Lax", path="/",
        )
    elif g.pop("clear_session_cookie", False):
        for name in (COOKIE, SECURE_COOKIE):
            response.delete_cookie(name, path="/", secure=name == SECURE_COOKIE or secure,
                                   httponly=True, samesite="Lax")
    return response


def init_app(app: Flask) -> None:
    app.after_request(apply_cookie)
