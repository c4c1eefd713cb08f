"""The clinic's pure parts, by table: codes, limits layered on a runner's settings, urgency,
therapist alert planning, and the therapist push payloads."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest

from strideguard.clinic import codes
from strideguard.clinic.rules import (
    ALERT,
    LOAD,
    RECURRENCE,
    URGENT,
    PatientDay,
    PatientFacts,
    Recipient,
    TherapistLimits,
    alert_contexts,
    apply_limits,
    limit_changes,
    order_key,
    plan_alerts,
    set_by,
    urgency,
)
from strideguard.day import redflags
from strideguard.day.reason import Reason
from strideguard.day.values import Pain
from strideguard.guidance.snapshot import RunnerSettings
from strideguard.plan.machine import PlanEvent
from strideguard.push.payload import build_payload, delivery_options, encode_payload
from strideguard.reminders.planner import QuietHours

NOW = datetime(2026, 11, 4, 15, 0, tzinfo=timezone.utc)
DAY = date(2026, 11, 4)
OWN = RunnerSettings(pain_threshold=3, weekly_increase_pct=10.0, speed_increase_pct=10.0, conditions=("it_band",))


# --- codes ---------------------------------------------------------------------------------


def test_new_codes_are_canonical_random_and_shown_in_groups():
    made = {codes.new_code() for _ in range(200)}
    assert len(made) == 200
    for code in made:
        assert codes.canonical(code) == code and len(code) == 12
        assert codes.canonical(codes.shown(code)) == code


@pytest.mark.parametrize("typed,expected", [
    ("k7qx-m2pd-9ftb", "K7QXM2PD9FTB"),
    (" K7QX M2PD 9FTB ", "K7QXM2PD9FTB"),
    ("O0IL-1111-0000", "001111110000"),
    ("K7QX-M2PD-9FT", None),   # too short
    ("K7QX-M2PD-9FTBX", None),  # too long
    ("K7QX-M2PD-9FTU", None),  # U is not in the alphabet
    ("K7QX-M2PD-9FT!", None),
    ("", None),
    ("A" * 100, None),
])
def test_typing_is_forgiving_within_reason(typed, expected):
    assert codes.canonical(typed) == expected


def test_the_stored_hash_depends_on_the_secret():
    code = codes.new_code()
    assert codes.code_hash(code, "one") == codes.code_hash(code, b"one")
    assert codes.code_hash(code, "one") != codes.code_hash(code, "two")
    assert len(codes.code_hash(code, "one")) == 64


# --- limits --------------------------------------------------------------------------------


def limits(tid: int = 1, **values) -> TherapistLimits:
    return TherapistLimits(therapist_id=tid, therapist=f"T{tid}", **values)


def test_no_therapist_leaves_the_runners_own_settings():
    assert apply_limits(OWN, []) is OWN


def test_a_therapists_limit_replaces_the_runners_own_even_when_looser():
    settings = apply_limits(OWN, [limits(pain_threshold=5, speed_increase_pct=5.0)])
    assert (settings.pain_threshold, settings.weekly_increase_pct, settings.speed_increase_pct) == (5, 10.0, 5.0)
    assert settings.locked == ("pain_threshold", "speed_increase_pct")
    assert settings.conditions == ("it_band",) and settings.instruction is None


def test_with_two_therapists_the_stricter_wins_and_conditions_join():
    t1 = limits(1, pain_threshold=5, weekly_increase_pct=8.0, conditions=("runners_knee",), instruction="a",
                updated_at=NOW)
    t2 = limits(2, pain_threshold=4, weekly_increase_pct=12.0, conditions=("it_band", "runners_knee"),
                instruction="b", updated_at=NOW - timedelta(days=1))
    settings = apply_limits(OWN, [t1, t2])
    assert (settings.pain_threshold, settings.weekly_increase_pct) == (4, 8.0)
    assert settings.conditions == ("runners_knee", "it_band")
    assert settings.instruction == "a"  # the latest changed
    assert set_by([t1, t2], settings) == {
        "pain_threshold": ["T2"], "weekly_increase_pct": ["T1"], "conditions": ["T1", "T2"], "instruction": ["T1"]}


def test_an_empty_condition_list_is_a_set_limit():
    settings = apply_limits(OWN, [limits(conditions=())])
    assert settings.conditions == () and settings.locked == ("conditions",)


def test_limit_changes_name_old_and_new_and_compare_lists_as_sets():
    before = {"pain_threshold": None, "conditions": ["a", "b"], "instruction": "x"}
    after = {"pain_threshold": 5, "conditions": ["b", "a"], "instruction": None}
    assert limit_changes(before, after) == {"pain_threshold": {"old": None, "new": 5},
                                            "instruction": {"old": "x", "new": None}}


# --- urgency -------------------------------------------------------------------------------


def facts(name: str = "P", **values) -> PatientFacts:
    return PatientFacts(patient_id=len(name), name=name, today=DAY, settings=values.pop("settings", OWN), **values)


@pytest.mark.parametrize("values,level,kinds", [
    ({}, 0, []),
    ({"recent_flags": ((DAY, "fever"),)}, 4, ["red_flag"]),
    ({"plan_state": "rest", "last_checkin": DAY}, 3, ["rest"]),
    ({"plan_state": "rest"}, 3, ["rest", "silent"]),  # no check-in at all in the plan
    ({"recent_pains": ((DAY, "pain", 4),)}, 2, ["pain_above_limit"]),
    ({"recent_pains": ((DAY, "pain", 3),)}, 0, []),  # at the limit: not above it
    ({"distance_pct": Decimal("10.1")}, 1, ["weekly_jump"]),
    ({"distance_pct": Decimal("10.0")}, 0, []),  # "more than 10 %"
    ({"speed_pct": Decimal("12.0")}, 1, ["weekly_jump"]),
    ({"plan_state": "return", "last_checkin": DAY - timedelta(days=6)}, 0, []),
    # Found trying it: a patient in a return with no check-in for 60 days was level 0, no reason.
    ({"plan_state": "return", "last_checkin": DAY - timedelta(days=7)}, 1, ["silent"]),
    ({"plan_state": "normal", "last_checkin": DAY - timedelta(days=60)}, 0, []),  # nothing waits on them
    ({"recent_flags": ((DAY, "swelling"),), "plan_state": "rest", "recent_pains": ((DAY, "pain", 7),),
      "last_checkin": DAY},
     4, ["red_flag", "rest", "pain_above_limit"]),
])
def test_urgency_levels_and_their_reasons(values, level, kinds):
    found = urgency(facts(**values))
    assert found.level == level
    assert [r["kind"] for r in found.reasons] == kinds


def ex_pain(days_ago: int, pain: int, ceiling: int = 5, name: str = "Wall sit") -> tuple:
    return (DAY - timedelta(days=days_ago), "core.wall_sit", name, pain, ceiling)


@pytest.mark.parametrize("pains,level,value", [
    ((), 0, None),
    ((ex_pain(0, 6),), 2, 6),  # 6 against a ceiling of 5: above
    ((ex_pain(0, 5),), 0, None),  # at the ceiling: within
    ((ex_pain(2, 7),), 2, 7),  # the third day back still counts
    ((ex_pain(3, 9),), 0, None),  # the fourth does not (RECENT_DAYS)
    ((ex_pain(-1, 9),), 0, None),  # a date after the patient's today never counts
    ((ex_pain(0, 6), ex_pain(1, 8, 7), ex_pain(2, 7)), 2, 7),  # the worst: most above its ceiling
])
def test_exercise_pain_above_its_ceiling_in_the_last_three_days(pains, level, value):
    found = urgency(facts(exercise_pains=pains))
    assert found.level == level
    reasons = [r for r in found.reasons if r["kind"] == "exercise_pain"]
    assert [r["value"] for r in reasons] == ([value] if value is not None else [])
    if reasons:
        assert reasons[0]["threshold"] == 5 and reasons[0]["name"] == "Wall sit"
        assert reasons[0]["count"] == sum(1 for p in pains if 0 <= (DAY - p[0]).days < 3 and p[3] > p[4])


def test_exercise_pain_ranks_below_a_red_flag_and_rest_and_with_pain_above_limit():
    rows = [facts("exercise", exercise_pains=(ex_pain(0, 8),)), facts("jump", distance_pct=Decimal("30.0")),
            facts("rest", plan_state="rest"), facts("flag", recent_flags=((DAY, "swelling"),))]
    ordered = sorted(rows, key=lambda f: order_key(f, urgency(f)))
    assert [f.name for f in ordered] == ["flag", "rest", "exercise", "jump"]
    assert urgency(facts(exercise_pains=(ex_pain(0, 8),))).level == urgency(
        facts(recent_pains=((DAY, "pain", 4),))).level


def test_urgency_uses_the_limit_in_force():
    relaxed = apply_limits(OWN, [limits(pain_threshold=5)])
    assert urgency(facts(settings=relaxed, recent_pains=((DAY, "pain", 5),))).level == 0
    found = urgency(facts(settings=relaxed, recent_pains=((DAY, "pain", 6),)))
    assert found.reasons[0]["threshold"] == 5 and found.reasons[0]["value"] == 6


def test_the_dashboard_order_within_and_across_levels():
    rows = [
        facts("calm", last_checkin=DAY),
        facts("older pain", recent_pains=((DAY, "pain", 2),), last_checkin=DAY - timedelta(days=2)),
        facts("jump", distance_pct=Decimal("30.0")),
        facts("unread", distance_pct=Decimal("11.0"), unseen_alerts=1),
        facts("rest", plan_state="rest"),
        facts("flag", recent_flags=((DAY, "locking_or_giving_way"),)),
        facts("Anna"), facts("bob"),
    ]
    ordered = sorted(rows, key=lambda f: order_key(f, urgency(f)))
    assert [f.name for f in ordered] == ["flag", "rest", "unread", "jump", "older pain", "calm", "Anna", "bob"]


# --- alerts --------------------------------------------------------------------------------


def today(**values) -> PatientDay:
    """A patient's day from plain values: pains as (field, value), flags as ids, events as
    (kind, to_state, metric, value, threshold) — turned into the values PatientDay takes."""
    pains = tuple(Pain(f, v) for f, v in values.pop("pains", ()))
    flags = tuple(redflags.BY_ID[f] for f in values.pop("flags", ()))
    events = tuple(PlanEvent(DAY, "normal", to, kind, Reason(metric, value, limit))
                   for kind, to, metric, value, limit in values.pop("plan_events", ()))
    return PatientDay(patient_id=7, patient="Alex", local_date=DAY, pain_threshold=values.pop("threshold", 5),
                      pains=pains, flags=flags, plan_events=events, **values)


REST = ("rest_started", "rest", "pain", 6, 5)


@pytest.mark.parametrize("values,kinds", [
    ({"pains": (("pain", 5),)}, []),
    ({"pains": (("pain", 6),)}, [ALERT]),
    ({"pains": (("pain_during", 6),)}, [ALERT]),  # run pain reaches the therapist too
    ({"pains": (("pain", 6),), "plan_events": (REST,)}, [ALERT]),
    ({"plan_events": (("over_cap", "normal", "distance_pct", 25.0, 10.0),)}, [LOAD]),
    ({"plan_events": (("ran_during_rest", "rest", "run_distance_m", 5000, 0),)}, [LOAD]),
    ({"plan_events": (("session_too_long", "return", "run_distance_m", 5000, 1609),)}, [LOAD]),
    ({"plan_events": (("recurrence", "rest", "flares_in_window", 2, 42),)}, [RECURRENCE]),
    ({"plan_events": (("phase_up", "return", "sessions_in_phase", 2, 2),)}, []),
    ({"flags": ("swelling",)}, [URGENT]),
    ({"flags": ("fever",), "pains": (("pain", 7),)}, [URGENT, ALERT]),
    ({"flags": ("fever_alone",)}, [ALERT]),  # a fever alone: an alert, not an urgent one
    ({"flags": ("locking_or_giving_way",)}, [URGENT]),
])
def test_what_raises_an_alert(values, kinds):
    assert list(alert_contexts(today(**values))) == kinds


def test_the_context_holds_the_numbers_and_the_plans_transition():
    ctx = alert_contexts(today(pains=(("pain", 6), ("pain_after", 7)), plan_events=(REST,)))[ALERT]
    assert ctx == {"patient_id": 7, "patient": "Alex", "pain": 7, "pain_threshold": 5,
                   "plan_state": "rest", "reasons": ["pain_above_limit", "rest_started"]}
    load = alert_contexts(today(plan_events=(("over_cap", "normal", "distance_pct", 25.0, 10.0),),
                                plan_state="normal"))[LOAD]
    assert load == {"patient_id": 7, "patient": "Alex", "distance_pct": 25.0, "distance_pct_limit": 10.0,
                    "reasons": ["over_cap"], "plan_state": "normal"}


def test_urgent_and_alert_together_are_one_push_with_the_other_merged():
    rows = plan_alerts(today(flags=("fever",), pains=(("pain", 7),)), [Recipient(1)], NOW)
    assert [(r.kind, r.status, r.note) for r in rows] == [(URGENT, "pending", None), (ALERT, "skipped", "merged")]
    assert rows[0].context["also"] == [ALERT] and rows[0].context["pain"] == 7
    assert rows[1].context["merged_into"] == URGENT


def test_each_kind_once_per_therapist_and_day():
    day = today(flags=("fever",), pains=(("pain", 7),))
    assert plan_alerts(day, [Recipient(1, planned=frozenset({URGENT, ALERT}))], NOW) == []
    [only] = plan_alerts(day, [Recipient(1, planned=frozenset({URGENT}))], NOW)
    assert only.kind == ALERT and "also" not in only.context
    # A load alert later the same day still reaches the therapist once: its own kind.
    later = today(flags=("fever",), pains=(("pain", 7),),
                  plan_events=(("ran_during_rest", "rest", "run_distance_m", 5000, 0),))
    [load] = plan_alerts(later, [Recipient(1, planned=frozenset({URGENT, ALERT}))], NOW)
    assert load.kind == LOAD


def test_muted_rows_are_written_skipped_and_each_therapist_gets_their_own():
    rows = plan_alerts(today(pains=(("pain", 6),)), [Recipient(1, muted=True), Recipient(2)], NOW)
    assert [(r.therapist_id, r.status, r.note) for r in rows] == [(1, "skipped", "muted"), (2, "pending", None)]
    assert {r.patient_id for r in rows} == {7}


def test_the_therapists_quiet_hours_defer_to_their_end_in_their_zone():
    quiet = QuietHours(time(22, 0), time(7, 0))
    late = datetime(2026, 11, 4, 22, 30, tzinfo=timezone.utc)  # 23:30 in Berlin
    [row] = plan_alerts(today(pains=(("pain", 6),)), [Recipient(1, "Europe/Berlin", quiet)], late)
    assert row.due_at == datetime(2026, 11, 5, 6, 0, tzinfo=timezone.utc)  # 07:00 Berlin
    [now_row] = plan_alerts(today(pains=(("pain", 6),)), [Recipient(1, "Europe/Berlin", quiet)], NOW)
    assert now_row.due_at == NOW


def test_now_must_be_aware():
    with pytest.raises(ValueError):
        plan_alerts(today(), [], datetime(2026, 1, 1))


# --- payloads ------------------------------------------------------------------------------


CONTEXT = {"patient_id": 7, "patient": "Alex Runner", "pain": 6, "pain_threshold": 5, "plan_state": "rest",
           "reasons": ["pain_above_limit", "rest_started"]}


def test_a_discreet_therapist_push_names_no_one_and_no_number():
    message = build_payload(ALERT, "discreet", CONTEXT)
    assert message == {"kind": ALERT, "title": "A patient needs your attention",
                       "body": "Open StrideGuard to see who and why.", "url": "/#clinic/patient/7",
                       "tag": "strideguard-patient_alert"}
    urgent = build_payload(URGENT, "discreet", {"patient_id": 7, "patient": "Alex", "flags": ["fever"]})
    assert "Alex" not in str(urgent) and "fever" not in str(urgent)


def test_a_detailed_therapist_push_says_who_and_why():
    assert build_payload(ALERT, "detailed", CONTEXT)["body"] == \
        "Alex Runner: pain 6/10, above the limit of 5; care plan: rest."
    urgent = build_payload(URGENT, "detailed", {"patient_id": 7, "patient": "Alex", "flags": ["swelling", "fever"],
                                                "also": [ALERT]})
    assert urgent["body"] == "Alex reported a swollen knee and a fever with knee pain or swelling. A limit was passed."
    long = build_payload(ALERT, "detailed", {**CONTEXT, "patient": "N" * 500})
    assert len(encode_payload(long)) < 3072 and len(long["body"]) <= 300


def test_therapist_kinds_have_their_delivery_options():
    assert delivery_options(URGENT).urgency == "high" and delivery_options(ALERT).urgency == "normal"
    assert all(len(delivery_options(k).topic) <= 32 for k in (URGENT, ALERT))
    assert build_payload(ALERT, "discreet", {"patient_id": True})["url"] == "/#clinic"
