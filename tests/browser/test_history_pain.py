"""The runner's History counts every pain (issue 22): a run's pain 5 after a check-in of 3
shows as the day's worst pain, 5, in the 12-week table — the number the therapist reads."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import api_json, sign_up
from .test_one_verdict import api_send

pytestmark = pytest.mark.browser


def test_history_shows_the_days_worst_pain_with_the_runs(page: Any) -> None:
    sign_up(page)
    day = api_json(page, "/plan")["body"]["today"]["date"]
    assert api_send(page, "PUT", f"/checkins/{day}", {"pain": 3})["status"] == 201
    run = api_send(page, "PUT", "/runs/4b9c1f0e-2d3a-4c5b-9e8f-7a6b5c4d3e2f",
                   {"date": day, "distance_m": 5000, "duration_s": 1800, "pain_after": 5})
    assert run["status"] == 201
    page.goto("/#history")
    page.get_by_text("Show as a table").click()
    table = page.get_by_role("table").first
    expect(table).to_be_visible()
    last_row = table.locator("tbody tr").last
    cells = last_row.locator("th, td")
    headers = [t.strip() for t in table.locator("thead th").all_inner_texts()]
    worst = cells.nth(headers.index("Worst pain"))
    expect(worst).to_have_text("5")
