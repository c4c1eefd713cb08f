"""HTTP routes for accounts: thin — schema in, service call, schema out."""

from __future__ import annotations

from flask import current_app, request
from flask_smorest import Blueprint

from strideguard.accounts import service
from strideguard.accounts.guard import current_user, signed_in
from strideguard.accounts.schemas import (
    DeleteMeSchema,
    LoginSchema,
    MeSchema,
    PasswordChangeSchema,
    ProfileSchema,
    RegisterSchema,
    SessionOutSchema,
)
from strideguard.extensions import limiter
from strideguard.owned import owned_models

auth_bp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Sign up, sign in and out.")
me_bp = Blueprint("me", __name__, url_prefix="/api/v1", description="The runner's profile and account.")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _register_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT"]


def _account_key() -> str:
    return f"account:{current_user().id}"


def _wrong_password(response) -> bool:
    """A refused password confirmation (wrong password, or a new one the policy refuses)."""
    return response.status_code == 422


#: Password confirmations (change, erasure) share one allowance per address and one per
#: account, as strict as sign-in: a stolen session cannot guess the password behind it.
_confirm_by_address = limiter.shared_limit(_login_limit, scope="password-confirm", deduct_when=_wrong_password)
_confirm_by_account = limiter.shared_limit(_login_limit, scope="password-confirm-account",
                                           key_func=_account_key, deduct_when=_wrong_password)


def _session_out(user) -> dict:
    return {"user": service.profile(user), "csrf_token": signed_in().session.csrf_token}


@auth_bp.route("/register", methods=["POST"])
@limiter.limit(_register_limit)
@auth_bp.arguments(RegisterSchema)
@auth_bp.response(201, SessionOutSchema)
@auth_bp.alt_response(403, description="Therapist sign-up is closed on this server (THERAPIST_SIGNUP=false)")
@auth_bp.alt_response(422, description="Invalid fields; a taken email gets the same answer as a malformed one")
@auth_bp.alt_response(429, description="Too many sign-ups from this address")
def register(data: dict):
    """Create an account and sign in.

    Sets the session cookie; the returned ``csrf_token`` goes in the ``X-CSRF-Token`` header of
    every later unsafe request. ``role: "therapist"`` makes a therapist account (fixed for
    the account's life): it sees the runners who invite it under ``/api/v1/clinic/…`` and
    records no running of its own.
    """
    return _session_out(service.register(**data))


@auth_bp.route("/login", methods=["POST"])
@limiter.limit(_login_limit, deduct_when=lambda response: response.status_code != 200)
@auth_bp.arguments(LoginSchema)
@auth_bp.response(200, SessionOutSchema)
@auth_bp.alt_response(401, description="Wrong email or password")
@auth_bp.alt_response(429, description="Too many failed attempts")
def login(data: dict):
    """Sign in. Each sign-in starts a new session with a new id and CSRF token."""
    return _session_out(service.login(data["email"], data["password"]))


@auth_bp.route("/logout", methods=["POST"])
@auth_bp.response(204)
def logout():
    """End this session on the server and clear the cookie."""
    service.logout(signed_in().session)


@auth_bp.route("/password", methods=["POST"])
@_confirm_by_address
@_confirm_by_account
@auth_bp.arguments(PasswordChangeSchema)
@auth_bp.response(204)
@auth_bp.alt_response(429, description="Too many wrong passwords from this address or account")
def change_password(data: dict):
    """Change the password; every other session of the runner ends."""
    found = signed_in()
    service.change_password(found.user, found.session, data["current_password"], data["new_password"])


@me_bp.route("/me", methods=["GET"])
@me_bp.response(200, MeSchema)
def get_me():
    """The runner's profile and their CSRF token."""
    return {**service.profile(current_user()), "csrf_token": signed_in().session.csrf_token}


def _keeps_email() -> bool:
    """A PATCH that does not change the email (a settings form sends it unchanged)."""
    body = request.get_json(silent=True)
    email = body.get("email") if isinstance(body, dict) else None
    return not isinstance(email, str) or email.strip().lower() == current_user().email


@me_bp.route("/me", methods=["PATCH"])
# Email changes count like sign-ups (per address and per account): a taken email is refused
# with the sign-up's answer, and this is no faster way to ask whether an account exists.
@limiter.limit(_register_limit, exempt_when=_keeps_email)
@limiter.limit(_register_limit, key_func=_account_key, exempt_when=_keeps_email)
@me_bp.arguments(ProfileSchema(partial=True))
@me_bp.response(200, ProfileSchema)
@me_bp.alt_response(429, description="Too many email changes from this address or account")
def patch_me(changes: dict):
    """Change profile settings (any subset of the fields)."""
    from strideguard.guidance.service import known_condition_ids

    user = service.update_profile(current_user(), changes, known_condition_ids())
    return service.profile(user)


@me_bp.route("/me", methods=["DELETE"])
@_confirm_by_address
@_confirm_by_account
@me_bp.arguments(DeleteMeSchema)
@me_bp.response(204)
@me_bp.alt_response(429, description="Too many wrong passwords from this address or account")
def delete_me(data: dict):
    """Erase the account and every row of the runner's data (needs the password)."""
    service.erase(current_user(), data["password"], owned_models())
