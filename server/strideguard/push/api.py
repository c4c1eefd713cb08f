"""HTTP routes for Web Push: the VAPID public key and the runner's subscriptions."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from strideguard.accounts.guard import current_user
from strideguard.push import service

bp = Blueprint("push", __name__, url_prefix="/api/v1/push", description="Web Push subscriptions.")

B64URL = validate.Regexp(r"^[A-Za-z0-9_-]+={0,2}$", error="Use base64url.")


class KeySchema(Schema):
    public_key = fields.String()


class KeysSchema(Schema):
    p256dh = fields.String(required=True, validate=[validate.Length(min=80, max=100), B64URL])
    auth = fields.String(required=True, validate=[validate.Length(min=16, max=32), B64URL])


class SubscriptionInSchema(Schema):
    endpoint = fields.String(required=True, validate=validate.Length(min=8, max=1024))
    keys = fields.Nested(KeysSchema, required=True)
    expirationTime = fields.Raw(allow_none=True, load_only=True)  # sent by PushSubscription.toJSON()


class SubscriptionSchema(Schema):
    id = fields.Integer()
    endpoint = fields.String()
    created_at = fields.DateTime()
    last_success_at = fields.DateTime(allow_none=True)


class EndpointSchema(Schema):
    endpoint = fields.String(required=True, validate=validate.Length(min=1, max=1024))


@bp.route("/key", methods=["GET"])
@bp.response(200, KeySchema)
def public_key():
    """The VAPID application server key (base64url) for ``pushManager.subscribe``."""
    return {"public_key": service.public_key()}


@bp.route("/subscriptions", methods=["POST"])
@bp.arguments(SubscriptionInSchema)
@bp.response(201, SubscriptionSchema)
@bp.alt_response(200, schema=SubscriptionSchema, description="Already subscribed; keys updated")
def subscribe(data: dict):
    """Register this browser for reminders. Endpoints outside the push-service policy get 422."""
    sub, created = service.subscribe(
        current_user(), data["endpoint"], data["keys"]["p256dh"], data["keys"]["auth"]
    )
    return sub, 201 if created else 200


@bp.route("/subscriptions", methods=["GET"])
@bp.response(200, SubscriptionSchema(many=True))
def list_subscriptions():
    """The runner's own subscriptions."""
    return service.list_subscriptions(current_user())


@bp.route("/subscriptions", methods=["DELETE"])
@bp.arguments(EndpointSchema)
@bp.response(204)
def unsubscribe(data: dict):
    """Stop reminders to this browser."""
    service.unsubscribe(current_user(), data["endpoint"])
