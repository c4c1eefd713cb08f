"""Push payloads: the small JSON the service worker turns into a notification.

``build_payload(kind, detail, context)`` -> ``{kind, title, body, url, tag}``.

* ``discreet`` (the default): the action and one short sentence. No pain scores, no
  numbers, no condition names — a lock screen is public.
* ``detailed``: may add the figures that fired the reminder (pain, limit, weekly cap).

Context keys read (all optional): ``pain`` and ``pain_threshold`` (0-10), ``distance_pct``,
``next_week_cap_m`` and ``cap_m`` (metres), ``units`` ("km"|"mi"),
``also`` (other kinds folded into this push by the planner, e.g. ``["rest"]``), and the care
plan of the day: ``plan_state`` ("normal"|"rest"|"return"), ``plan_day``/``plan_of_days``
(rest day N of M), ``session`` (today's walk–run session) and ``session_today``
("session"|"rest_day"|"done"). The daily check-in reminder follows the plan: on a rest day it
says no running, in the return it names today's session (discreetly: no numbers).
A therapist's alert about a patient (``patient_urgent``, ``patient_alert``) reads
``patient_id`` (the notification opens that patient), ``patient`` (a name: detailed only),
``flags``, ``pain``/``pain_threshold``, ``plan_state`` and ``distance_pct``.
Unknown keys are ignored. The encoded payload always stays under 3 KB.

``delivery_options(kind)`` gives the Web Push headers per kind: TTL, Urgency and Topic
(a Topic replaces an undelivered older message of the same kind at the push service).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from strideguard.day import redflags
from strideguard.load.weekly import shown_distance

#: Alerts to a therapist about a patient (``strideguard.clinic.alerts``).
THERAPIST_KINDS = ("patient_urgent", "patient_alert", "patient_recurrence", "patient_load", "patient_rehab")
KINDS = ("checkin_due", "rest", "reduce_volume", "contact_pt", "contact_doctor", "weekly_plan", *THERAPIST_KINDS)
ALERT_KINDS = ("rest", "reduce_volume", "contact_pt", "contact_doctor")
DETAILS = ("discreet", "detailed")
MAX_PAYLOAD_BYTES = 3072
_MAX_TITLE = 80
_MAX_BODY = 300

URLS: dict[str, str] = {
    "checkin_due": "/#checkin",
    "rest": "/#guidance",
    "reduce_volume": "/#guidance",
    "contact_pt": "/#therapist",
    "contact_doctor": "/#therapist",
    "weekly_plan": "/#history",
    "patient_urgent": "/#clinic",
    "patient_alert": "/#clinic",
    "patient_recurrence": "/#clinic",
    "patient_load": "/#clinic",
    "patient_rehab": "/#clinic",
}


@dataclass(frozen=True, slots=True)
class DeliveryOptions:
    """Web Push request headers for one kind."""

    ttl: int  # seconds the push service keeps an undelivered message
    urgency: str  # RFC 8030: very-low | low | normal | high
    topic: str  # <= 32 chars of the URL-safe base64 alphabet


_OPTIONS: dict[str, DeliveryOptions] = {
    "checkin_due": DeliveryOptions(ttl=4 * 3600, urgency="normal", topic="strideguard-checkin_due"),
    "rest": DeliveryOptions(ttl=24 * 3600, urgency="normal", topic="strideguard-rest"),
    "reduce_volume": DeliveryOptions(ttl=24 * 3600, urgency="normal", topic="strideguard-reduce_volume"),
    "contact_pt": DeliveryOptions(ttl=24 * 3600, urgency="high", topic="strideguard-contact_pt"),
    "contact_doctor": DeliveryOptions(ttl=24 * 3600, urgency="high", topic="strideguard-contact_doctor"),
    "weekly_plan": DeliveryOptions(ttl=2 * 86400, urgency="low", topic="strideguard-weekly_plan"),
    # One Topic per kind: an undelivered alert is replaced by a newer one, so a phone that
    # was offline shows one "a patient needs you" and the dashboard lists them all.
    "patient_urgent": DeliveryOptions(ttl=24 * 3600, urgency="high", topic="strideguard-patient_urgent"),
    "patient_alert": DeliveryOptions(ttl=24 * 3600, urgency="normal", topic="strideguard-patient_alert"),
    "patient_recurrence": DeliveryOptions(ttl=24 * 3600, urgency="normal", topic="strideguard-patient_recur"),
    "patient_load": DeliveryOptions(ttl=24 * 3600, urgency="low", topic="strideguard-patient_load"),
    "patient_rehab": DeliveryOptions(ttl=24 * 3600, urgency="normal", topic="strideguard-patient_rehab"),
}

# (title, discreet body) per kind; the action comes first.
_DISCREET: dict[str, tuple[str, str]] = {
    "checkin_due": ("Time for your check-in", "Log how your knee feels today. It takes a minute."),
    "rest": ("Rest today", "Take a break from running. Open StrideGuard to see why."),
    "reduce_volume": ("Run less this week", "Keep your distance under this week's cap. Open StrideGuard for the plan."),
    "contact_pt": ("Contact your therapist", "Call or message your physical therapist about your knee."),
    "contact_doctor": ("See a doctor today", "Contact a doctor today. Do not run until you have."),
    "weekly_plan": ("Your plan for next week", "Your distance cap for the coming week is ready."),
    "patient_urgent": ("Urgent: a patient reported a warning sign", "Open StrideGuard to see who."),
    "patient_alert": ("A patient needs your attention", "Open StrideGuard to see who and why."),
    "patient_recurrence": ("A patient's knee pain came back", "Open StrideGuard to see who and when."),
    "patient_load": ("A patient ran more than the plan", "Open StrideGuard to see who and how much."),
    "patient_rehab": ("A patient's exercises hurt too much", "Open StrideGuard to see who and which."),
}

# Short sentence added for a kind folded into another push ("also").
_ALSO: dict[str, str] = {
    "checkin_due": "Log today's check-in.",
    "rest": "Rest from running for now.",
    "reduce_volume": "Run less this week.",
    "contact_pt": "Contact your physical therapist.",
    "contact_doctor": "Contact a doctor today.",
    "weekly_plan": "Next week's cap is ready.",
    "patient_urgent": "A warning sign was reported.",
    "patient_alert": "A limit was passed.",
    "patient_recurrence": "The pain came back within six weeks.",
    "patient_load": "They ran more than the plan allows.",
    "patient_rehab": "An exercise hurt above its ceiling again.",
}

#: How a therapist reads each red flag (``day.redflags``, the one table of their words).
_FLAGS = {flag.id: flag.therapist for flag in redflags.TABLE}


def delivery_options(kind: str) -> DeliveryOptions:
    """TTL, Urgency and Topic for a reminder kind (``ValueError`` for an unknown kind)."""
    try:
        return _OPTIONS[kind]
    except KeyError:
        raise ValueError(f"unknown reminder kind: {kind!r}") from None


def _distance(metres: Any, units: Any) -> str | None:
    if not isinstance(metres, (int, float)) or isinstance(metres, bool) or metres < 0:
        return None
    return f"{shown_distance(metres, 'mi' if units == 'mi' else 'km')} {'mi' if units == 'mi' else 'km'}"


def _score(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value) if 0 <= value <= 10 else None


def _plan_text(kind: str, detail: str, ctx: Mapping[str, Any]) -> tuple[str, str] | None:
    """(title, body) of a check-in reminder or rest alert that follows the care plan."""
    state = ctx.get("plan_state")
    day, of = _score(ctx.get("plan_day")), ctx.get("plan_of_days")
    detailed = detail == "detailed"
    if state == "rest" and kind in ("checkin_due", "rest"):
        ceiling = _score(ctx.get("session_ceiling"))
        within = f"at {ceiling}/10 or less" if ceiling is not None else "within your limit"
        if ctx.get("plan_hold") is True:
            return ("Rest: get your knee checked",
                    "No running until a therapist or doctor has checked your knee. Then say so in your check-in.")
        raw_day = ctx.get("plan_day")
        over = (isinstance(raw_day, int) and not isinstance(raw_day, bool) and isinstance(of, int)
                and raw_day > of)
        if over and kind == "checkin_due":
            return ("Check in today",
                    f"Your rest days are over. Check in today and tomorrow: the rest ends when both show pain {within}.")
        numbered = detailed and day is not None and isinstance(of, int) and day <= of
        title = f"Rest day {day} of {of}: no running" if numbered else "Rest day: no running"
        body = (f"Log how your knee feels. The rest ends after two check-ins in a row with pain {within}."
                if kind == "checkin_due" else "Take a break from running. Open "
                "StrideGuard to see why and for how long.")
        return title, body
    if kind == "reduce_volume" and ctx.get("ease") is True and state != "return":
        return ("Go easier", "Run easy, or take a rest day. Open StrideGuard to see why.")
    if state == "return" and kind == "reduce_volume":
        return ("Keep to your walk–run session", "Run only the session of the day, no more. Open StrideGuard for the plan.")
    if state == "return" and kind == "checkin_due":
        session = ctx.get("session") if isinstance(ctx.get("session"), str) else None
        if ctx.get("session_today") == "rest_day":
            return "Rest day between sessions", "Log how your knee took yesterday's session."
        if ctx.get("session_today") == "session":
            what = f"Today: {session}." if detailed and session else "Open StrideGuard for today's walk–run session."
            return "Session day: check in first", f"{what} Log how your knee feels before you go."
    return None


def _detailed_body(kind: str, context: Mapping[str, Any]) -> str | None:
    pain, limit = _score(context.get("pain")), _score(context.get("pain_threshold"))
    cap = _distance(context.get("next_week_cap_m"), context.get("units"))
    week_cap = _distance(context.get("cap_m"), context.get("units"))
    pct = context.get("distance_pct")
    pain_part = None
    if pain is not None:
        pain_part = f"Pain {pain}/10" + (f", above your limit of {limit}." if limit is not None else ".")
    if kind == "rest" and pain_part:
        return f"{pain_part} Take a few days off running."
    if kind == "contact_pt" and pain_part:
        return f"{pain_part} Call or message your physical therapist."
    if kind == "contact_doctor":
        return redflags.FEVER_KNEE.push_body
    if kind == "reduce_volume":
        parts = []
        over = isinstance(pct, (int, float)) and not isinstance(pct, bool)  # the week's own jump
        if over:
            parts.append(f"Distance up {pct:.1f}% on your baseline week.")
        if week_cap:  # over it, "keep under it" can no longer be followed
            parts.append(f"This week is over its cap of {week_cap}: no more running until Monday." if over
                         else f"Keep this week under {week_cap}.")
        return " ".join(parts) or None
    if kind == "weekly_plan" and cap:
        return f"Next week: keep your distance under {cap}."
    return None


def _patient_body(kind: str, context: Mapping[str, Any]) -> str | None:
    """A therapist's detailed alert: who, and the numbers (never in a discreet one)."""
    name = context.get("patient")
    if not isinstance(name, str) or not name:
        return None
    name = _clip(name, 60)
    if kind == "patient_urgent":
        flags = [_FLAGS[f] for f in context.get("flags") or () if f in _FLAGS]
        return f"{name} reported {' and '.join(flags) or 'a warning sign'}." if flags else None
    if kind == "patient_rehab":
        found = [f"{_clip(str(e.get('name')), 40)} {_score(e.get('pain'))}/10 (ceiling {_score(e.get('ceiling'))})"
                 for e in context.get("exceedances") or () if isinstance(e, Mapping)
                 and _score(e.get("pain")) is not None and _score(e.get("ceiling")) is not None]
        return f"{name}: exercise pain above its ceiling twice in 7 days: {'; '.join(found)}." if found else None
    if kind == "patient_recurrence":
        flares = _score(context.get("flares"))
        return f"{name}: knee pain stopped running {flares} times within six weeks." if flares else None
    parts = []
    pain, limit = _score(context.get("pain")), _score(context.get("pain_threshold"))
    if pain is not None:
        parts.append(f"pain {pain}/10" + (f", above the limit of {limit}" if limit is not None else ""))
    flags = [_FLAGS[f] for f in context.get("flags") or () if f in _FLAGS]
    if flags:
        parts.append(" and ".join(flags))
    if context.get("plan_state") == "rest":
        parts.append("care plan: rest")
    pct = context.get("distance_pct")
    if isinstance(pct, (int, float)) and not isinstance(pct, bool):
        parts.append(f"distance up {pct:.1f}% on the baseline")
    for reason, words in (("ran_during_rest", "ran during a rest"), ("session_too_long", "ran beyond the session"),
                          ("session_early", "ran on a day off between sessions")):
        if reason in (context.get("reasons") or ()):
            parts.append(words)
    return f"{name}: {'; '.join(parts)}." if parts else None


def _url(kind: str, context: Mapping[str, Any]) -> str:
    patient = context.get("patient_id")
    if kind in THERAPIST_KINDS and isinstance(patient, int) and not isinstance(patient, bool):
        return f"/#clinic/patient/{patient}"
    return URLS[kind]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def build_payload(kind: str, detail: str = "discreet", context: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The notification JSON for ``kind``: ``{kind, title, body, url, tag}``.

    ``detail`` is the runner's ``notification_detail``; anything but "detailed" is discreet.
    Raises ``ValueError`` for an unknown kind.
    """
    if kind not in _DISCREET:
        raise ValueError(f"unknown reminder kind: {kind!r}")
    ctx: Mapping[str, Any] = context or {}
    title, body = _DISCREET[kind]
    if detail == "detailed":
        found = _patient_body(kind, ctx) if kind in THERAPIST_KINDS else _detailed_body(kind, ctx)
        body = found or body
    planned = _plan_text(kind, detail, ctx) if kind not in THERAPIST_KINDS else None
    if planned is not None:
        title, body = planned
    also = ctx.get("also")
    if isinstance(also, (list, tuple)):
        extra = [_ALSO[k] for k in also if k in _ALSO and k != kind]
        if extra:
            body = f"{body} {' '.join(dict.fromkeys(extra))}"
    return {
        "kind": kind,
        "title": _clip(title, _MAX_TITLE),
        "body": _clip(body, _MAX_BODY),
        "url": _url(kind, ctx),
        "tag": "strideguard-" + kind,
    }


def encode_payload(payload: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON of a payload; ``ValueError`` if it reaches 3 KB."""
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    if len(data) >= MAX_PAYLOAD_BYTES:
        raise ValueError(f"push payload is {len(data)} bytes; the limit is {MAX_PAYLOAD_BYTES}")
    return data
