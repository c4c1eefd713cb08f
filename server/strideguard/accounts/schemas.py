"""Request and response schemas for accounts and the profile."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from strideguard.accounts.text import clean_display_name
from strideguard.timeutil import is_valid_timezone

HHMM = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error="Use 24-hour HH:MM.")


def _check_timezone(value: str) -> None:
    if not is_valid_timezone(value):
        raise ValidationError("Unknown time zone. Use a region name such as Europe/Berlin or America/New_York.")


#: One answer for an email that cannot be used, whether malformed or already registered:
#: sign-up and an email change never say that an account exists (see accounts.service).
EMAIL_NOT_USABLE = "Check this email, or sign in if you already have an account."
EMAIL = {"invalid": EMAIL_NOT_USABLE}

NAME = validate.Length(min=1, max=100, error="Use 1 to 100 visible characters.")


class DisplayName(fields.String):
    """A name shown to the other side of a care link: cleaned of control and bidi characters
    (:func:`clean_display_name`) before it is validated and stored."""

    def _deserialize(self, value, attr, data, **kwargs):
        return clean_display_name(super()._deserialize(value, attr, data, **kwargs))


class RegisterSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254), error_messages=EMAIL)
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=256))
    timezone = fields.String(load_default="UTC", validate=_check_timezone)
    units = fields.String(load_default="km", validate=validate.OneOf(["km", "mi"]))
    role = fields.String(load_default="runner", validate=validate.OneOf(["runner", "therapist"]),
                         metadata={"description": "fixed at sign-up; a therapist sees the runners who invite them"})
    display_name = DisplayName(load_default=None, allow_none=True, validate=NAME,
                                 metadata={"description": "how the other side of a care link sees you"})


class LoginSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=256))


class PasswordChangeSchema(Schema):
    current_password = fields.String(required=True, validate=validate.Length(max=256))
    new_password = fields.String(required=True, validate=validate.Length(max=256))


class DeleteMeSchema(Schema):
    password = fields.String(required=True, validate=validate.Length(max=256))


class QuietHoursSchema(Schema):
    start = fields.String(required=True, validate=HHMM)
    end = fields.String(required=True, validate=HHMM)

    @validates_schema
    def _not_empty(self, data: dict, **_: object) -> None:
        # PATCH /me loads with partial=True, which marshmallow passes on to nested schemas,
        # so "required" alone does not keep a half-given quiet_hours out.
        missing = [name for name in ("start", "end") if name not in data]
        if missing:
            raise ValidationError({name: ["Missing data for required field."] for name in missing})
        if data["start"] == data["end"]:
            raise ValidationError("Start and end must differ.", "end")


class TherapistSchema(Schema):
    name = DisplayName(allow_none=True, validate=validate.Length(max=100))
    phone = fields.String(
        allow_none=True,
        validate=validate.Regexp(r"^\+?[0-9 ()./-]{3,30}$", error="Use digits, spaces and + ( ) - only."),
    )
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    booking_url = fields.Url(allow_none=True, schemes={"https", "http"}, validate=validate.Length(max=500))


class ProfileSchema(Schema):
    """The runner's profile as returned by ``GET /me`` and accepted by ``PATCH /me``."""

    id = fields.Integer(dump_only=True)
    role = fields.String(dump_only=True, metadata={"enum": ["runner", "therapist"]})
    display_name = DisplayName(allow_none=True, validate=NAME)
    email = fields.Email(validate=validate.Length(max=254), error_messages=EMAIL)
    timezone = fields.String(validate=_check_timezone)
    units = fields.String(validate=validate.OneOf(["km", "mi"]))
    reminder_time = fields.String(validate=HHMM)
    quiet_hours = fields.Nested(QuietHoursSchema, allow_none=True)
    pain_threshold = fields.Integer(validate=validate.Range(min=0, max=9))
    weekly_increase_pct = fields.Float(validate=validate.Range(min=0, max=100))
    conditions = fields.List(fields.String(validate=validate.Length(max=64)), validate=validate.Length(max=20))
    therapist = fields.Nested(TherapistSchema, allow_none=True)
    notification_detail = fields.String(validate=validate.OneOf(["discreet", "detailed"]))
    speed_increase_pct = fields.Float(dump_only=True, metadata={
        "description": "in force; the runner's own equals weekly_increase_pct, a therapist may set another"})
    locked = fields.List(fields.String(), dump_only=True, metadata={
        "description": "limits a therapist set: shown as set by your therapist, refused in PATCH "
                       "unless sent unchanged. pain_threshold, weekly_increase_pct and conditions "
                       "above are the values in force"})
    limits_set_by = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), dump_only=True)
    therapist_instruction = fields.String(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    today = fields.Date(dump_only=True, metadata={
        "description": "the runner's today as the server counts it: their local date, or a later "
                       "date they already recorded something on (before a move west). Date forms "
                       "and 'today' labels use it"})

    @validates("conditions")
    def _unique(self, value: list[str], **_: object) -> None:
        if len(set(value)) != len(value):
            raise ValidationError("List each condition once.")


class MeSchema(ProfileSchema):
    csrf_token = fields.String(dump_only=True)


class SessionOutSchema(Schema):
    user = fields.Nested(ProfileSchema)
    csrf_token = fields.String()
