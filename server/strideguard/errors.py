"""One JSON error envelope for every error: ``{"error": {"code", "message", "fields"}}``.

Services raise :class:`DomainError` subclasses; HTTP and validation errors from Flask,
webargs and flask-smorest are translated here, once.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from flask import Flask, jsonify, request
from marshmallow import Schema, fields
from sqlalchemy.exc import StatementError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

#: Machine-readable codes for the HTTP statuses the API uses.
CODES = {
    400: "malformed_request",
    401: "not_signed_in",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
    500: "server_error",
}

MESSAGES = {
    400: "The request could not be read.",
    401: "Please sign in.",
    403: "This request is not allowed.",
    404: "Not found.",
    405: "That method is not allowed here.",
    409: "That conflicts with what is stored.",
    413: "The request body is too large (limit 64 KB).",
    415: "Send JSON with Content-Type: application/json.",
    422: "Some fields are not valid.",
    429: "Too many requests. Please wait and try again.",
    500: "Something went wrong on our side.",
}


class DomainError(Exception):
    """An error a service raises on purpose; mapped to the envelope with its status."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str | None = None, fields: dict[str, Any] | None = None) -> None:
        super().__init__(message or MESSAGES.get(self.status, "Error."))
        self.message = message or MESSAGES.get(self.status, "Error.")
        self.fields = fields or {}


class NotFound(DomainError):
    status, code = 404, "not_found"


class Unauthorized(DomainError):
    status, code = 401, "not_signed_in"


class CsrfFailed(DomainError):
    status, code = 403, "csrf_failed"


class Forbidden(DomainError):
    """The account may not do this (its role), whatever the object."""

    status, code = 403, "forbidden"

    def __init__(self, message: str | None = None, fields: dict[str, Any] | None = None,
                 code: str | None = None) -> None:
        super().__init__(message, fields)
        if code:
            self.code = code


class Conflict(DomainError):
    status, code = 409, "conflict"


class Invalid(DomainError):
    status, code = 422, "validation_failed"


class MalformedJson(DomainError):
    """A body that is not RFC 8259 JSON (``NaN``), names a member twice or is nested too deeply (``strictjson``)."""

    status, code = 400, "malformed_json"


class BodyTooLarge(DomainError):
    status, code = 413, "body_too_large"


class ErrorBodySchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields = fields.Dict(keys=fields.String())


class ErrorSchema(Schema):
    """The error envelope, documented in OpenAPI for every error response."""

    error = fields.Nested(ErrorBodySchema, required=True)


def _string_keys(value: Any) -> Any:
    """Field messages with every key a string: marshmallow keys list items by index (``8``)
    next to ``"_schema"``, and mixed key types cannot be sorted into JSON (a 500)."""
    if isinstance(value, dict):
        return {str(key): _string_keys(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_string_keys(item) for item in value]
    return value


def envelope(status: int, code: str, message: str, fields: dict | None = None):
    """A JSON error response with the one envelope."""
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    if fields:
        body["error"]["fields"] = _string_keys(fields)
    response = jsonify(body)
    response.status_code = status
    return response


def _validation_fields(error: HTTPException) -> dict[str, Any]:
    """Field messages from a webargs/flask-smorest 422, flattened over locations."""
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") or {}
    flat: dict[str, Any] = {}
    for location, per_field in messages.items():
        if isinstance(per_field, dict):
            flat.update(per_field)
        else:
            flat[location] = per_field
    return flat


def http_error_response(error: HTTPException):
    """Translate any werkzeug/flask-smorest HTTPException into the envelope."""
    status = error.code or 500
    code = CODES.get(status, "error")
    message = MESSAGES.get(status, error.name)
    fields = _validation_fields(error) if status == 422 else None
    if status == 400:
        code = "malformed_json"
        message = "The request body is not valid JSON."
    response = envelope(status, code, message, fields)
    headers = (getattr(error, "data", None) or {}).get("headers") or {}
    for key, value in headers.items():
        response.headers[key] = value
    if status == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)
    if status == 429 and error.description:
        response.headers.setdefault("Retry-After", "60")
    return response


def _describe(error: Exception) -> str:
    """The exception for the log, without SQL parameters (they may hold health data)."""
    if isinstance(error, StatementError):
        original = type(error.orig).__name__ if error.orig is not None else "error"
        return f"{type(error).__name__} ({original}) in SQL: {error.statement} [parameters hidden]"
    return f"{type(error).__name__}: {error}"


def register_error_handlers(app: Flask) -> None:
    """Install the envelope for domain errors, HTTP errors and unexpected exceptions."""

    @app.errorhandler(DomainError)
    def _domain(error: DomainError):
        return envelope(error.status, error.code, error.message, error.fields)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        return http_error_response(error)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return http_error_response(error)
        log.error(
            "unhandled error on %s %s: %s\n%s", request.method, request.path,
            _describe(error), "".join(traceback.format_tb(error.__traceback__)),
        )
        return http_error_response(InternalServerError())

    # A store that is down or full: 503 with Retry-After and ONE log line (no traceback).
    from limits.errors import StorageError
    from sqlalchemy.exc import SQLAlchemyError

    from strideguard.operations.outages import classify, forget_deductions

    @app.errorhandler(SQLAlchemyError)
    @app.errorhandler(StorageError)
    @app.errorhandler(OSError)
    def _store_error(error: Exception):
        outage = classify(error)
        if outage is None:
            return _unexpected(error)
        log.warning("%s on %s %s: %s (%s)", outage.code, request.method, request.path,
                    outage.store, outage.detail)
        forget_deductions()
        response = envelope(503, outage.code, outage.message)
        response.headers["Retry-After"] = str(outage.retry_after_s)
        return response
