"""``GET /reminders``: the runner's recent reminders and what became of them."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import select

from strideguard.accounts.guard import current_user
from strideguard.extensions import db
from strideguard.reminders.models import Reminder

bp = Blueprint("reminders", __name__, url_prefix="/api/v1", description="Reminders sent to the runner.")

RECENT = 50


class ReminderSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    local_date = fields.Date()
    due_at = fields.DateTime()
    status = fields.String()
    attempts = fields.Integer()
    sent_at = fields.DateTime(allow_none=True)
    last_status = fields.Integer(allow_none=True)


@bp.route("/reminders", methods=["GET"])
@bp.response(200, ReminderSchema(many=True))
def list_reminders():
    """The runner's 50 most recent reminders, newest first, with their delivery status."""
    user = current_user()
    return db.session.execute(
        select(Reminder).where(Reminder.user_id == user.id).order_by(Reminder.due_at.desc(), Reminder.id.desc()).limit(RECENT)
    ).scalars().all()
