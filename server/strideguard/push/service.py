"""Push subscriptions and the app's VAPID key (DB and app side of push/)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select

from strideguard.accounts.models import User
from strideguard.errors import Invalid, NotFound
from strideguard.extensions import db
from strideguard.push import vapid
from strideguard.push.models import PushSubscription
from strideguard.push.policy import Allowlist, EndpointRefused, check_endpoint, parse_allowed_hosts

MAX_SUBSCRIPTIONS = 10


def ensure_vapid_key(app: Flask) -> Path | None:
    """Create the VAPID key file on first start (never replaced); None when set by env."""
    if app.config.get("VAPID_PRIVATE_KEY"):
        return None
    path, _created = vapid.ensure_key_file(app.config["INSTANCE_PATH"])
    return path


def vapid_private_key(app: Flask | None = None) -> Any:
    """The VAPID private key (cached on the app after the first read)."""
    app = app or current_app
    key = app.extensions.get("strideguard.vapid")
    if key is None:
        ensure_vapid_key(app)
        key = vapid.load_private_key(app.config["INSTANCE_PATH"], app.config.get("VAPID_PRIVATE_KEY"))
        app.extensions["strideguard.vapid"] = key
    return key


def allowlist(app: Flask | None = None) -> Allowlist:
    app = app or current_app
    cached = app.extensions.get("strideguard.push_allowlist")
    if cached is None:
        cached = parse_allowed_hosts(app.config.get("PUSH_ALLOWED_HOSTS"))
        app.extensions["strideguard.push_allowlist"] = cached
    return cached


def public_key() -> str:
    return vapid.application_server_key(vapid_private_key())


def subscribe(user: User, endpoint: str, p256dh: str, auth: str) -> tuple[PushSubscription, bool]:
    """Store a subscription after the endpoint policy (SSRF) allows it."""
    try:
        check_endpoint(endpoint, allowlist())
    except EndpointRefused as exc:
        raise Invalid(
            "This push endpoint is not allowed.", {"endpoint": [f"Not allowed ({exc.args[0]})."]}
        ) from None
    existing = db.session.execute(
        select(PushSubscription).where(PushSubscription.endpoint == endpoint)
    ).scalar_one_or_none()
    created = existing is None or existing.user_id != user.id
    if existing is not None and existing.user_id != user.id:
        # The browser now belongs to another runner: the old owner loses the endpoint.
        db.session.delete(existing)
        db.session.flush()
        existing = None
    if existing is None:
        count = len(list_subscriptions(user))
        if count >= MAX_SUBSCRIPTIONS:
            raise Invalid(fields={"endpoint": [f"At most {MAX_SUBSCRIPTIONS} devices."]})
        existing = PushSubscription(user_id=user.id, endpoint=endpoint, p256dh=p256dh, auth=auth)
        db.session.add(existing)
    else:
        existing.p256dh, existing.auth = p256dh, auth
    db.session.commit()
    return existing, created


def list_subscriptions(user: User) -> list[PushSubscription]:
    return list(
        db.session.execute(
            select(PushSubscription).where(PushSubscription.user_id == user.id).order_by(PushSubscription.id)
        ).scalars()
    )


def unsubscribe(user: User, endpoint: str) -> None:
    found = db.session.execute(
        select(PushSubscription).where(
            PushSubscription.user_id == user.id, PushSubscription.endpoint == endpoint
        )
    ).scalar_one_or_none()
    if found is None:
        raise NotFound("No such subscription.")
    db.session.delete(found)
    db.session.commit()
