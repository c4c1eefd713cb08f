"""``GET /load`` per actor (DESIGN §3 Load): exact figures for a known history, the default
date in the runner's zone, the runner's own increase limit and privacy between runners."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from tests.conftest import Runner
from tests.support.envelope import assert_error

LOAD = "/api/v1/load"
AS_OF = date(2025, 3, 12)  # a Wednesday
# (days before AS_OF, metres, seconds)
HISTORY = [
    (0, 8000, 2400), (2, 6000, 1800), (5, 10000, 3300),  # current window: 24 km in 7500 s
    (7, 5000, 1500), (10, 15000, 5000),                  # previous window: 20 km in 6500 s
    (16, 12000, 4000), (25, 4000, 1200),                 # the fortnight before
    (40, 30000, 10000),                                  # older than 30 days, still in the chart
    (200, 50000, 18000),                                 # long ago: in no figure
]


def log_history(runner: Runner, history=HISTORY, as_of: date = AS_OF) -> None:
    for n, (back, metres, seconds) in enumerate(history):
        response = runner.put(
            f"/api/v1/runs/00000000-0000-4000-8000-{n:012d}",
            json={"date": (as_of - timedelta(days=back)).isoformat(), "distance_m": metres, "duration_s": seconds},
        )
        assert response.status_code == 201, response.get_json()


class TestLoadAsOwner:
    def test_load_gives_exact_figures_for_a_known_history(self, runner: Runner) -> None:
        log_history(runner)

        response = runner.get(f"{LOAD}?date={AS_OF}")

        assert response.status_code == 200
        load = response.get_json()
        assert load["as_of"] == "2025-03-12"
        assert load["current"] == {"distance_m": 24000, "duration_s": 7500, "runs": 3, "speed_mps": 3.2}
        assert load["previous"]["distance_m"] == 20000
        assert load["previous"]["duration_s"] == 6500
        assert load["previous"]["runs"] == 2
        assert load["previous"]["speed_mps"] == pytest.approx(20000 / 6500)
        assert load["change"]["distance_pct"] == pytest.approx(20.0)
        assert load["change"]["speed_pct"] == pytest.approx((3.2 / (20000 / 6500) - 1) * 100)
        assert load["next_week_cap_m"] == pytest.approx(26400)
        assert load["weekly_increase_pct"] == 10
        assert load["longest_run_30d_m"] == 15000
        assert load["two_week_change_pct"] == pytest.approx(175.0)  # 44 km vs 16 km
        assert load["acwr"] == pytest.approx(1.6)                    # 24 km / (60 km / 4)

    def test_load_reports_12_monday_weeks_with_their_totals(self, runner: Runner) -> None:
        log_history(runner)

        weeks = runner.get(f"{LOAD}?date={AS_OF}").get_json()["weeks"]

        assert len(weeks) == 12
        assert weeks[0]["week_start"] == "2024-12-23"
        assert weeks[-1]["week_start"] == "2025-03-10"
        totals = {w["week_start"]: (w["distance_m"], w["duration_s"], w["runs"]) for w in weeks if w["runs"]}
        assert totals == {
            "2025-01-27": (30000, 10000, 1),   # 31 January
            "2025-02-10": (4000, 1200, 1),     # 15 February
            "2025-02-24": (27000, 9000, 2),    # Monday 24 February and Sunday 2 March
            "2025-03-03": (15000, 4800, 2),    # 5 and 7 March
            "2025-03-10": (14000, 4200, 2),    # 10 and 12 March
        }

    def test_the_cap_uses_the_runners_own_increase_limit(self, runner: Runner) -> None:
        log_history(runner)
        assert runner.patch("/api/v1/me", json={"weekly_increase_pct": 5}).status_code == 200

        load = runner.get(f"{LOAD}?date={AS_OF}").get_json()

        assert load["next_week_cap_m"] == pytest.approx(25200)
        assert load["weekly_increase_pct"] == 5

    def test_an_empty_history_has_no_percentages(self, runner: Runner) -> None:
        load = runner.get(f"{LOAD}?date={AS_OF}").get_json()

        assert load["current"] == {"distance_m": 0, "duration_s": 0, "runs": 0, "speed_mps": None}
        assert load["change"] == {"distance_pct": None, "speed_pct": None}
        assert (load["longest_run_30d_m"], load["two_week_change_pct"], load["acwr"]) == (None, None, None)
        assert load["next_week_cap_m"] == 0
        assert [w["runs"] for w in load["weeks"]] == [0] * 12

    def test_runs_after_the_date_asked_for_are_ignored(self, runner: Runner) -> None:
        log_history(runner)

        earlier = runner.get(f"{LOAD}?date={AS_OF - timedelta(days=1)}").get_json()

        assert earlier["current"]["distance_m"] == 21000  # 5, 7 and 10 March; not the 12th
        assert earlier["longest_run_30d_m"] == 15000

    @pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
    def test_the_default_date_is_today_in_the_runners_zone(self, app, zone: str) -> None:
        runner = Runner(app, timezone=zone)
        today = datetime.now(ZoneInfo(zone)).date()
        log_history(runner, [(0, 5000, 1500), (1, 3000, 900)], as_of=today)

        load = runner.get(LOAD).get_json()

        assert load["as_of"] == today.isoformat()
        assert load["current"]["distance_m"] == 8000
        assert load["weeks"][-1]["week_start"] == (today - timedelta(days=today.weekday())).isoformat()

    @pytest.mark.parametrize("query", ["date=2025-02-30", "date=today", "date="])
    def test_a_bad_date_is_422(self, runner: Runner, query: str) -> None:
        assert_error(runner.get(f"{LOAD}?{query}"), 422, "validation_failed", "date")


class TestLoadAsAnotherRunner:
    def test_another_runners_runs_never_count(self, runner: Runner, other: Runner) -> None:
        log_history(runner)

        load = other.get(f"{LOAD}?date={AS_OF}").get_json()

        assert load["current"]["runs"] == 0
        assert sum(w["runs"] for w in load["weeks"]) == 0
        assert runner.get(f"{LOAD}?date={AS_OF}").get_json()["current"]["runs"] == 3


class TestLoadAsAnonymous:
    def test_load_needs_a_session(self, client) -> None:
        assert_error(client.get(LOAD), 401, "not_signed_in")
