"""The pure reminder planner: tables of time zones, quiet hours, dedupe, cap, catch-up."""

from __future__ import annotations

import time as clock
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from strideguard.reminders.planner import (
    Alert,
    PlannedReminder,
    PlannerSettings,
    QuietHours,
    RunnerState,
    plan,
)

UTC = timezone.utc


def at(iso: str) -> datetime:
    """An aware UTC instant from 'YYYY-MM-DDTHH:MM'."""
    return datetime.fromisoformat(iso).replace(tzinfo=UTC)


def runner(**fields: object) -> RunnerState:
    base = RunnerState(user_id=7, timezone="Europe/Berlin", reminder_time=time(20, 0))
    return replace(base, **fields)  # type: ignore[arg-type]


def kinds(rows: list[PlannedReminder]) -> list[tuple[str, str | None]]:
    return [(r.kind, r.merged_into) for r in rows]


# --- checkin_due at the runner's local reminder time, across zones and DST -------------


@pytest.mark.parametrize(
    ("tz", "now", "due"),
    [
        # Berlin: CET (+1) in winter, CEST (+2) in summer
        ("Europe/Berlin", "2025-01-15T19:00", "2025-01-15T19:00"),
        ("Europe/Berlin", "2025-07-15T18:00", "2025-07-15T18:00"),
        # DST week in Berlin: clocks go forward on Sunday 30 March 2025
        ("Europe/Berlin", "2025-03-29T19:00", "2025-03-29T19:00"),
        ("Europe/Berlin", "2025-03-30T18:00", "2025-03-30T18:00"),
        ("Europe/Berlin", "2025-03-31T18:00", "2025-03-31T18:00"),
        # ... and back on Sunday 26 October 2025
        ("Europe/Berlin", "2025-10-25T18:00", "2025-10-25T18:00"),
        ("Europe/Berlin", "2025-10-26T19:00", "2025-10-26T19:00"),
        # New York: DST starts Sunday 9 March 2025, ends Sunday 2 November 2025
        ("America/New_York", "2025-03-08T01:00", "2025-03-08T01:00"),  # 20:00 EST on the 7th
        ("America/New_York", "2025-03-10T00:00", "2025-03-10T00:00"),  # 20:00 EDT on the 9th
        ("America/New_York", "2025-11-03T01:00", "2025-11-03T01:00"),  # 20:00 EST on the 2nd
        ("Asia/Kolkata", "2025-05-01T14:30", "2025-05-01T14:30"),
        ("Pacific/Auckland", "2025-05-01T08:00", "2025-05-01T08:00"),
        ("UTC", "2025-05-01T20:00", "2025-05-01T20:00"),
    ],
)
def test_checkin_due_at_20_local(tz: str, now: str, due: str) -> None:
    [row] = plan([runner(timezone=tz)], at(now))
    assert row.kind == "checkin_due" and row.due_at == at(due)
    local = row.due_at.astimezone(ZoneInfo(tz))
    assert (local.hour, local.minute) == (20, 0)
    assert row.local_date == local.date()
    assert row.key == f"7:checkin_due:{local.date().isoformat()}"


@pytest.mark.parametrize(
    ("tz", "now"),
    [
        ("Europe/Berlin", "2025-03-30T17:59"),  # 19:59 CEST on the DST Sunday
        ("Europe/Berlin", "2025-01-15T18:59"),  # 19:59 CET
        ("America/New_York", "2025-03-09T23:59"),  # 19:59 EDT
    ],
)
def test_checkin_due_not_before_its_time(tz: str, now: str) -> None:
    assert plan([runner(timezone=tz)], at(now)) == []


def test_already_checked_in_today_gets_nothing() -> None:
    now = at("2025-05-01T18:30")  # 20:30 in Berlin
    assert plan([runner(last_checkin_date=date(2025, 5, 1))], now) == []
    assert [r.kind for r in plan([runner(last_checkin_date=date(2025, 4, 30))], now)] == ["checkin_due"]


def test_local_date_not_utc_date_decides_checked_in() -> None:
    # 00:30 UTC on 2 May is 20:30 on 1 May in New York: the check-in of 1 May counts.
    now = at("2025-05-02T00:30")
    ny = runner(timezone="America/New_York")
    assert plan([replace(ny, last_checkin_date=date(2025, 5, 1))], now) == []
    [row] = plan([replace(ny, last_checkin_date=date(2025, 4, 30))], now)
    assert row.local_date == date(2025, 5, 1)


def test_no_reminder_time_means_no_checkin_reminder() -> None:
    assert plan([runner(reminder_time=None)], at("2025-05-01T18:30")) == []


# --- dedupe and the stale rule ------------------------------------------------------


def test_once_per_runner_kind_and_local_date() -> None:
    now = at("2025-05-01T18:05")
    [row] = plan([runner()], now)
    again = plan([runner(planned=frozenset({("checkin_due", date(2025, 5, 1))}))], now + timedelta(minutes=1))
    assert again == []
    assert row.key == "7:checkin_due:2025-05-01"


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2025-05-01T18:00", ["checkin_due"]),  # on time (20:00 Berlin)
        ("2025-05-01T20:59", ["checkin_due"]),  # 2 h 59 late: still useful
        ("2025-05-01T21:00", ["checkin_due"]),  # exactly 3 h late: still sent
        ("2025-05-01T21:01", []),  # more than 3 h late: skipped
        ("2025-05-01T22:30", []),  # 00:30 next day: that date is over, today's not yet due
    ],
)
def test_stale_checkin_reminders_are_skipped(now: str, expected: list[str]) -> None:
    assert [r.kind for r in plan([runner()], at(now))] == expected


def test_downtime_catch_up_sends_todays_alerts_once_and_skips_old_ones() -> None:
    # The worker was down two days; on restart at 10:00 Berlin on 3 May it sees alerts of
    # 1, 2 and 3 May and unanswered check-ins: only today's alert goes, once.
    alerts = (
        Alert("rest", date(2025, 5, 1), {"pain": 5}),
        Alert("contact_pt", date(2025, 5, 2), {"pain": 6}),
        Alert("reduce_volume", date(2025, 5, 3), {"distance_pct": 30}),
    )
    now = at("2025-05-03T08:00")
    rows = plan([runner(alerts=alerts, last_checkin_date=date(2025, 4, 30))], now)
    assert [(r.kind, r.local_date, r.due_at) for r in rows] == [("reduce_volume", date(2025, 5, 3), now)]
    planned = frozenset({("reduce_volume", date(2025, 5, 3))})
    assert plan([runner(alerts=alerts, planned=planned)], now + timedelta(minutes=1)) == []


# --- alerts, merging and the daily cap ------------------------------------------------


def test_alerts_go_out_on_the_next_tick() -> None:
    now = at("2025-05-01T07:12")
    [row] = plan([runner(alerts=(Alert("rest", date(2025, 5, 1), {"pain": 5}),))], now)
    assert (row.kind, row.due_at, row.context["pain"]) == ("rest", now, 5)


def test_pain_above_threshold_gives_one_push_to_rest_and_contact_the_therapist() -> None:
    day = date(2025, 5, 1)
    alerts = (Alert("rest", day, {"pain": 5, "pain_threshold": 3}), Alert("contact_pt", day, {"pain": 5}))
    rows = plan([runner(alerts=alerts, last_checkin_date=day)], at("2025-05-01T07:00"))
    assert kinds(rows) == [("contact_pt", None), ("rest", "7:contact_pt:2025-05-01")]
    push = rows[0]
    assert push.context["also"] == ["rest"] and push.context["pain_threshold"] == 3
    assert rows[1].due_at == push.due_at


def test_everything_due_in_one_tick_is_one_push() -> None:
    sunday = date(2025, 5, 4)
    state = runner(alerts=(Alert("reduce_volume", sunday),), next_week_cap_m=25000.0)
    rows = plan([state], at("2025-05-04T18:00"))  # Sunday 20:00 Berlin, no check-in
    assert kinds(rows) == [
        ("reduce_volume", None),
        ("checkin_due", "7:reduce_volume:2025-05-04"),
        ("weekly_plan", "7:reduce_volume:2025-05-04"),
    ]
    assert rows[0].context["also"] == ["checkin_due", "weekly_plan"]
    assert rows[0].context["next_week_cap_m"] == 25000.0


def test_unknown_alert_kind_is_an_error() -> None:
    with pytest.raises(ValueError):
        plan([runner(alerts=(Alert("checkin_due", date(2025, 5, 1)),))], at("2025-05-01T10:00"))


@pytest.mark.parametrize(
    ("pushed", "skipped", "alert", "expected"),
    [
        (2, 0, "rest", ["rest"]),  # third push of the day: allowed
        (3, 0, "rest", []),  # cap of 3 reached
        (3, 1, "rest", ["rest"]),  # one of the 3 rows was merged, never pushed
        (3, 0, "contact_doctor", ["contact_doctor"]),  # urgent: always allowed
        (5, 0, "contact_doctor", ["contact_doctor"]),
    ],
)
def test_daily_cap(pushed: int, skipped: int, alert: str, expected: list[str]) -> None:
    day = date(2025, 5, 1)
    kinds_done = ["checkin_due", "weekly_plan", "reduce_volume", "contact_pt", "rest"][:pushed]
    planned = frozenset((k, day) for k in kinds_done) | {("rest", day - timedelta(days=1))}
    skipped_set = frozenset((k, day) for k in kinds_done[:skipped])
    state = runner(alerts=(Alert(alert, day),), planned=planned - {(alert, day)}, skipped=skipped_set)
    assert [r.kind for r in plan([state], at("2025-05-01T10:00"))] == expected


def test_cap_is_a_setting() -> None:
    day = date(2025, 5, 1)
    state = runner(alerts=(Alert("rest", day),), planned=frozenset({("checkin_due", day)}))
    assert plan([state], at("2025-05-01T10:00"), PlannerSettings(daily_cap=1)) == []


# --- quiet hours ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quiet", "now", "due"),
    [
        # 22:00-07:00 crosses midnight; alert raised at 23:30 Berlin -> 07:00 next morning
        ((time(22), time(7)), "2025-05-01T21:30", "2025-05-02T05:00"),
        # alert raised at 05:00 Berlin, inside the same quiet period -> 07:00 that day
        ((time(22), time(7)), "2025-05-02T03:00", "2025-05-02T05:00"),
        # 07:00 itself is outside (end excluded) -> now
        ((time(22), time(7)), "2025-05-02T05:00", "2025-05-02T05:00"),
        # 21:59 is before the quiet period -> now
        ((time(22), time(7)), "2025-05-01T19:59", "2025-05-01T19:59"),
        # daytime quiet hours 13:00-15:00
        ((time(13), time(15)), "2025-05-01T11:30", "2025-05-01T13:00"),
        # start == end: no quiet hours
        ((time(9), time(9)), "2025-05-01T07:30", "2025-05-01T07:30"),
    ],
)
def test_alerts_in_quiet_hours_wait_for_their_end(quiet: tuple[time, time], now: str, due: str) -> None:
    local = datetime.fromisoformat(now).replace(tzinfo=UTC).astimezone(ZoneInfo("Europe/Berlin"))
    state = runner(alerts=(Alert("rest", local.date()),), last_checkin_date=local.date(), quiet_hours=QuietHours(*quiet))
    [row] = plan([state], at(now))
    assert row.due_at == at(due)
    assert row.local_date == local.date()


def test_alert_in_quiet_hours_across_new_york_dst_end() -> None:
    # Quiet 22:00-07:00; alert at 23:00 EDT on Sat 1 Nov 2025 -> 07:00 EST on Sun 2 Nov.
    ny = runner(timezone="America/New_York", quiet_hours=QuietHours(time(22), time(7)))
    state = replace(ny, alerts=(Alert("rest", date(2025, 11, 1)),), last_checkin_date=date(2025, 11, 1))
    [row] = plan([state], at("2025-11-02T03:00"))
    assert row.due_at == at("2025-11-02T12:00")


@pytest.mark.parametrize(
    ("reminder", "quiet", "now", "expected_due"),
    [
        # reminder 20:00 inside quiet 19:00-21:00 -> 21:00 local (19:00 UTC)
        (time(20), (time(19), time(21)), "2025-05-01T18:30", None),
        (time(20), (time(19), time(21)), "2025-05-01T19:00", "2025-05-01T19:00"),
        # reminder 22:30 inside quiet 22:00-07:00 -> would be tomorrow: skipped for the day
        (time(22, 30), (time(22), time(7)), "2025-05-01T20:45", None),
        (time(22, 30), (time(22), time(7)), "2025-05-02T05:30", None),
        # reminder 20:00, worker back at 22:30 inside quiet 22:00-07:00: waits, then stale
        (time(20), (time(22), time(7)), "2025-05-01T20:30", None),
        (time(20), (time(22), time(7)), "2025-05-01T19:30", "2025-05-01T18:00"),
    ],
)
def test_checkin_reminder_and_quiet_hours(reminder: time, quiet: tuple[time, time], now: str, expected_due: str | None) -> None:
    state = runner(reminder_time=reminder, quiet_hours=QuietHours(*quiet))
    rows = plan([state], at(now))
    assert [r.due_at for r in rows] == ([at(expected_due)] if expected_due else [])


# --- weekly plan ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "cap", "expected"),
    [
        ("2025-05-04T18:00", 25000.0, ["weekly_plan"]),  # Sunday 20:00 Berlin
        ("2025-05-04T17:59", 25000.0, []),  # 19:59
        ("2025-05-03T18:00", 25000.0, []),  # Saturday
        ("2025-05-05T18:00", 25000.0, []),  # Monday
        ("2025-05-04T18:00", None, []),  # no cap known
        ("2025-05-04T21:30", 25000.0, []),  # 3.5 h late: stale
    ],
)
def test_weekly_plan_on_sunday_at_reminder_time(now: str, cap: float | None, expected: list[str]) -> None:
    # checked in that day, so only the weekly plan is in question
    state = runner(next_week_cap_m=cap, last_checkin_date=datetime.fromisoformat(now).date())
    assert [r.kind for r in plan([state], at(now))] == expected


def test_weekly_plan_without_reminder_time_uses_20_00() -> None:
    state = runner(reminder_time=None, next_week_cap_m=1000.0)
    [row] = plan([state], at("2025-05-04T18:10"))
    assert row.kind == "weekly_plan" and row.context["next_week_cap_m"] == 1000.0


# --- inputs, outputs, speed -------------------------------------------------------------


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError):
        plan([runner()], datetime(2025, 5, 1, 18))


def test_unknown_zone_falls_back_to_utc() -> None:
    [row] = plan([runner(timezone="Mars/Olympus_Mons")], at("2025-05-01T20:00"))
    assert row.due_at == at("2025-05-01T20:00")


def test_rows_carry_detail_units_and_utc_due_times() -> None:
    state = runner(notification_detail="detailed", units="mi", alerts=(Alert("reduce_volume", date(2025, 5, 1), {"next_week_cap_m": 1.0}),))
    [row] = plan([state], at("2025-05-01T09:00"))
    assert row.detail == "detailed" and row.context["units"] == "mi"
    assert row.due_at.tzinfo == UTC


def test_planning_100k_runners_is_fast() -> None:
    zones = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC", "Australia/Sydney"]
    day = date(2025, 5, 1)
    runners = [
        RunnerState(
            user_id=i,
            timezone=zones[i % 5],
            reminder_time=time(20, 0) if i % 3 else time(7, 30),
            quiet_hours=QuietHours(time(22), time(7)) if i % 2 else None,
            last_checkin_date=day if i % 4 == 0 else None,
            alerts=(Alert("rest", day),) if i % 50 == 0 else (),
        )
        for i in range(100_000)
    ]
    started = clock.perf_counter()
    rows = plan(runners, at("2025-05-01T18:30"))
    elapsed = clock.perf_counter() - started
    assert rows  # Berlin runners are due at this instant
    assert elapsed < 2.0, f"{elapsed:.2f}s for 100k runners"


# --- the sweep's SQL pre-filter: the window is a superset of what the planner plans --------

from hypothesis import given, settings as hsettings, strategies as hst  # noqa: E402

from strideguard.reminders.planner import DEFAULT_WEEKLY_TIME, due_windows  # noqa: E402

ZONES_SEEN = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata",
              "Pacific/Chatham", "America/Los_Angeles"]


@hsettings(max_examples=400, deadline=None)
@given(
    zone=hst.sampled_from(ZONES_SEEN),
    minutes=hst.integers(0, 60 * 24 * 400),
    rt=hst.none() | hst.builds(time, hst.integers(0, 23), hst.sampled_from([0, 15, 30, 45])),
    quiet=hst.none() | hst.tuples(hst.builds(time, hst.integers(0, 23)), hst.builds(time, hst.integers(0, 23))),
)
def test_every_scheduled_reminder_the_planner_plans_is_inside_its_zones_window(zone, minutes, rt, quiet) -> None:
    now = datetime(2025, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=minutes)
    quiet_hours = QuietHours(*quiet) if quiet and quiet[0] != quiet[1] else None
    state = RunnerState(user_id=1, timezone=zone, reminder_time=rt, quiet_hours=quiet_hours,
                        next_week_cap_m=10000.0)
    planned = [p for p in plan([state], now) if p.kind in ("checkin_due", "weekly_plan")]
    [window] = due_windows([zone], now)
    for p in planned:
        assert p.local_date == window.today
        times = [t for t in (rt, quiet_hours.end if quiet_hours else None) if t is not None]
        if p.kind == "weekly_plan":
            assert window.weekly
            times.append(rt or DEFAULT_WEEKLY_TIME)
        assert any(window.start <= t <= window.end for t in times), (p, window)
