"""Push payloads: small, discreet by default, the right screen and tag per kind."""

from __future__ import annotations

import json
import re

import pytest

from strideguard.push.payload import (
    KINDS,
    MAX_PAYLOAD_BYTES,
    build_payload,
    delivery_options,
    encode_payload,
)

FULL_CONTEXT = {
    "pain": 7,
    "pain_threshold": 3,
    "distance_pct": 24.6,
    "next_week_cap_m": 22000,
    "units": "km",
    "conditions": ["Runner's knee", "Knee bursitis"],
    "diagnosis": "patellofemoral pain",
}


@pytest.mark.parametrize(
    ("kind", "url"),
    [
        ("checkin_due", "/#checkin"),
        ("rest", "/#guidance"),
        ("reduce_volume", "/#guidance"),
        ("contact_pt", "/#therapist"),
        ("contact_doctor", "/#therapist"),
        ("weekly_plan", "/#history"),
    ],
)
@pytest.mark.parametrize("detail", ["discreet", "detailed"])
def test_every_kind_has_fields_url_and_tag(kind: str, url: str, detail: str) -> None:
    payload = build_payload(kind, detail, FULL_CONTEXT)
    assert set(payload) == {"kind", "title", "body", "url", "tag"}
    assert payload["kind"] == kind and payload["url"] == url
    assert payload["tag"] == f"strideguard-{kind}"
    assert payload["title"] and payload["body"]
    assert len(encode_payload(payload)) < MAX_PAYLOAD_BYTES


@pytest.mark.parametrize("kind", KINDS)
def test_discreet_payloads_hold_no_numbers_or_condition_names(kind: str) -> None:
    payload = build_payload(kind, "discreet", FULL_CONTEXT)
    text = payload["title"] + " " + payload["body"]
    assert not re.search(r"\d", text), text
    assert "knee bursitis" not in text.lower() and "runner's knee" not in text.lower()
    assert "patellofemoral" not in text.lower()


def test_discreet_is_the_default() -> None:
    assert build_payload("rest", context=FULL_CONTEXT) == build_payload("rest", "discreet", FULL_CONTEXT)
    assert build_payload("rest", "anything-else", FULL_CONTEXT) == build_payload("rest", "discreet", FULL_CONTEXT)


@pytest.mark.parametrize(
    ("kind", "context", "expected"),
    [
        ("rest", {"pain": 5, "pain_threshold": 3}, "Pain 5/10, above your limit of 3."),
        ("contact_pt", {"pain": 6}, "Pain 6/10."),
        ("reduce_volume", {"distance_pct": 24.6, "cap_m": 22000, "units": "km"}, "Distance up 24.6% on your baseline week. This week is over its cap of 22.0 km: no more running until Monday."),
        ("reduce_volume", {"cap_m": 16093, "units": "mi"}, "Keep this week under 10.0 mi."),  # a long run, not the week
        ("weekly_plan", {"next_week_cap_m": 30500, "units": "km"}, "keep your distance under 30.5 km"),
        ("contact_doctor", {}, "Call a doctor today"),
    ],
)
def test_detailed_payloads_carry_the_numbers(kind: str, context: dict, expected: str) -> None:
    assert expected in build_payload(kind, "detailed", context)["body"]


def test_detailed_never_names_conditions() -> None:
    payload = build_payload("rest", "detailed", FULL_CONTEXT)
    assert "bursitis" not in json.dumps(payload).lower()


@pytest.mark.parametrize("bad", [{"pain": "7"}, {"pain": 11}, {"pain": True}, {"next_week_cap_m": -5}, {"next_week_cap_m": "lots"}])
def test_detailed_falls_back_to_the_discreet_text_on_bad_context(bad: dict) -> None:
    detailed = build_payload("rest" if "pain" in bad else "weekly_plan", "detailed", bad)
    discreet = build_payload(detailed["kind"], "discreet", bad)
    assert detailed == discreet


def test_folded_kinds_are_mentioned_once() -> None:
    payload = build_payload("contact_pt", "discreet", {"also": ["rest", "rest", "contact_pt", "bogus"]})
    assert payload["title"] == "Contact your therapist"
    assert payload["body"].count("Rest from running for now.") == 1
    assert payload["url"] == "/#therapist"


def test_unknown_kind_raises() -> None:
    with pytest.raises(ValueError):
        build_payload("spam")
    with pytest.raises(ValueError):
        delivery_options("spam")


@pytest.mark.parametrize("kind", KINDS)
def test_delivery_options_per_kind(kind: str) -> None:
    options = delivery_options(kind)
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,32}", options.topic)
    assert options.urgency in ("very-low", "low", "normal", "high")
    assert 0 < options.ttl <= 4 * 7 * 86400


def test_urgent_kinds_are_high_urgency() -> None:
    assert delivery_options("contact_doctor").urgency == "high"
    assert delivery_options("weekly_plan").urgency == "low"


def test_encode_is_compact_json_and_refuses_3kb() -> None:
    payload = build_payload("checkin_due")
    assert json.loads(encode_payload(payload)) == payload
    assert b" " not in encode_payload({"a": 1, "b": [1, 2]})
    with pytest.raises(ValueError, match="3072"):
        encode_payload({"body": "x" * MAX_PAYLOAD_BYTES})


@pytest.mark.parametrize(
    ("kind", "detail", "context", "title", "body_part"),
    [
        ("checkin_due", "detailed", {"plan_state": "rest", "plan_day": 2, "plan_of_days": 3},
         "Rest day 2 of 3: no running", "two check-ins in a row"),
        ("checkin_due", "discreet", {"plan_state": "rest", "plan_day": 2, "plan_of_days": 3},
         "Rest day: no running", "Log how your knee feels"),
        ("rest", "detailed", {"plan_state": "rest", "plan_day": 1, "plan_of_days": 3, "pain": 6},
         "Rest day 1 of 3: no running", "Take a break from running"),
        ("checkin_due", "detailed", {"plan_state": "return", "session_today": "session",
                                     "session": "Walk 2 min / run 3 min for 1.6 km, easy"},
         "Session day: check in first", "Today: Walk 2 min / run 3 min for 1.6 km, easy."),
        ("checkin_due", "discreet", {"plan_state": "return", "session_today": "session",
                                     "session": "Walk 2 min / run 3 min for 1.6 km, easy"},
         "Session day: check in first", "today's walk–run session"),
        ("checkin_due", "discreet", {"plan_state": "return", "session_today": "rest_day"},
         "Rest day between sessions", "yesterday's session"),
        ("checkin_due", "discreet", {"plan_state": "normal"}, "Time for your check-in", "Log how"),
    ],
)
def test_the_check_in_reminder_follows_the_care_plan(kind, detail, context, title, body_part) -> None:
    payload = build_payload(kind, detail, context)
    assert payload["title"] == title
    assert body_part in payload["body"]
    if detail == "discreet":
        assert not any(ch.isdigit() for ch in payload["title"] + payload["body"]), payload
    assert "keep running" not in payload["body"].lower()


@pytest.mark.parametrize("detail", ["discreet", "detailed"])
def test_an_alert_to_ease_the_pace_says_go_easier_not_run_less(detail: str) -> None:
    """Found trying it: a "Go easier today" card sent "Run less this week — Keep your
    distance under this week's cap" (reduce_intensity rode on the reduce_volume kind)."""
    eased = build_payload("reduce_volume", detail, {"ease": True, "plan_state": "normal", "cap_m": 20000})
    assert eased["title"] == "Go easier" and "cap" not in eased["body"]
    cut = build_payload("reduce_volume", detail, {"plan_state": "normal", "cap_m": 20000})
    assert cut["title"] == "Run less this week"


@pytest.mark.parametrize(("seconds", "ease"), [(1400, True)])
def test_a_pace_jump_alone_is_an_alert_to_ease(seconds: float, ease: bool) -> None:
    from datetime import date, timedelta

    from strideguard.guidance.builder import day_snapshot
    from strideguard.guidance.engine import assess_day
    from strideguard.guidance.host import create_host
    from strideguard.guidance.snapshot import RunSnap
    from strideguard.reminders.planner import alerts_for

    day = date(2025, 3, 12)
    monday = day - timedelta(days=2)
    runs = [RunSnap(id="a", date=monday - timedelta(days=7), distance_m=5000, duration_s=1650),
            RunSnap(id="b", date=day, distance_m=5000, duration_s=seconds)]
    guidance = assess_day(day_snapshot(day, runs=runs), create_host(allowlist=()))
    [alert] = [a for a in alerts_for(guidance) if a.kind == "reduce_volume"]
    assert alert.context.get("ease", False) is ease
