"""Every API request is signed in and CSRF-checked unless its endpoint is listed public, and
answered only for the account's role.

Roles are explicit and fixed at sign-up (``User.role``): the clinic's routes are for
therapists; a therapist account otherwise reaches only its own account (profile, password,
push, its reminders, export, erasure) and the condition list. Every other route is a
runner's: a new route is runner-only until it is listed here.
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import UnsupportedMediaType

from strideguard.accounts.models import User
from strideguard.accounts.sessions import SignedIn, csrf_ok, load_signed_in
from strideguard.errors import CsrfFailed, Forbidden, Unauthorized
from strideguard.security import refuse_nul_characters

API_PREFIX = "/api/"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Endpoints anyone may call. A new endpoint is private until it is added here.
PUBLIC_ENDPOINTS = frozenset(
    {
        "auth.register",
        "auth.login",
        "api-docs.openapi_json",
        "push.public_key",
    }
)

#: Endpoints that take a multipart/form-data upload instead of JSON (still signed in + CSRF).
MULTIPART_ENDPOINTS = frozenset({"imports.create_import"})


#: Blueprints for therapist accounts only.
THERAPIST_BLUEPRINTS = frozenset({"clinic"})
#: What every account may use, whatever its role.
ACCOUNT_BLUEPRINTS = frozenset({"auth", "me", "export", "push", "reminders", "api-docs"})
ACCOUNT_ENDPOINTS = frozenset({"guidance.list_conditions", "rehab.list_exercises"})


def role_allowed(role: str, endpoint: str, blueprint: str | None) -> bool:
    """Whether an account of ``role`` may call ``endpoint`` (see the module doc)."""
    if blueprint in THERAPIST_BLUEPRINTS:
        return role == "therapist"
    if blueprint in ACCOUNT_BLUEPRINTS or endpoint in ACCOUNT_ENDPOINTS:
        return True
    return role == "runner"


def signed_in() -> SignedIn:
    """The signed-in runner of this request (the guard has already checked there is one)."""
    found = load_signed_in()
    if found is None:
        raise Unauthorized()
    return found


def current_user() -> User:
    return signed_in().user


def _has_body() -> bool:
    return bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "")


def _guard() -> None:
    if not request.path.startswith(API_PREFIX) or request.endpoint is None:
        return
    if request.method not in SAFE_METHODS and _has_body() and not request.is_json \
            and not (request.endpoint in MULTIPART_ENDPOINTS and request.mimetype == "multipart/form-data"):
        # webargs reads a non-JSON body as "no fields": a PATCH would succeed changing nothing.
        raise UnsupportedMediaType()
    if request.endpoint not in PUBLIC_ENDPOINTS:
        found = load_signed_in()
        if found is None:
            raise Unauthorized()
        if request.method not in SAFE_METHODS and not csrf_ok(found):
            raise CsrfFailed("Missing or wrong X-CSRF-Token header.")
        if not role_allowed(found.user.role, request.endpoint, request.blueprint):
            if found.user.role == "therapist":
                raise Forbidden("This is a therapist account: runners' features need a runner account.",
                                code="runners_only")
            raise Forbidden("This is for therapist accounts.", code="therapists_only")
    refuse_nul_characters()


def init_app(app: Flask) -> None:
    app.before_request(_guard)
