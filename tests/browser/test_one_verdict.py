"""Issue 21 in the PWA at phone size (headless Chromium): one pain-4 check-in shows ONE
verdict card; a move west (the time zone edited in Settings) keeps the rest just reported."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import api_json, choose_pain, screenshot, sign_up

pytestmark = pytest.mark.browser


def api_send(page: Any, method: str, path: str, body: dict) -> dict:
    """A request with the page's own session and CSRF token (what the app itself sends)."""
    return page.evaluate(
        """async ([method, path, body]) => {
            const me = await (await fetch('/api/v1/me', {credentials: 'same-origin'})).json();
            const res = await fetch('/api/v1' + path, {
                method, credentials: 'same-origin',
                headers: {'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token},
                body: JSON.stringify(body)});
            return {status: res.status, body: await res.json()};
        }""",
        [method, path, body],
    )


def test_a_pain_4_check_in_shows_one_verdict_card(page: Any) -> None:
    sign_up(page)
    choose_pain(page, 4)
    page.get_by_role("button", name="Save check-in").click()
    advice = page.get_by_role("region", name="Guidance for today")
    expect(advice).to_be_visible()
    # One verdict card on the whole screen, with the rest's day count once.
    expect(page.locator(".card.plan")).to_have_count(1)
    verdict = page.get_by_role("region", name="Your plan today")
    expect(verdict.get_by_role("heading", name="Rest day 1 of 2: no running")).to_be_visible()
    expect(page.get_by_role("heading", name="Rest day 1 of 2: no running")).to_have_count(1)
    expect(page.get_by_role("heading", name="Stop running for now")).to_have_count(0)
    expect(verdict.locator(".plan-label")).to_have_text("Today: no running")
    # The reasons are one tap away, with the pain that started the rest.
    verdict.get_by_text("Why?").click()
    expect(verdict.locator(".why li").first).to_contain_text("pain: 4/10 (limit 3/10)")
    # The other card asks for the therapist; none repeats the verdict.
    expect(advice.locator('[data-advice-id="core.pain_contact_pt"]')).to_be_visible()
    expect(advice.locator('[data-advice-id="core.rest_day"]')).to_have_count(1)  # the verdict card itself
    screenshot(page, "60-one-verdict-card")
    # The Advice screen shows the same rest with the same start date.
    since = api_json(page, "/plan")["body"]["since"]
    page.goto("/#guidance")
    guidance = page.get_by_role("region", name="Guidance for today")
    expect(guidance.locator(".card.plan")).to_have_count(1)
    expect(guidance.get_by_role("heading", name="Rest day 1 of 2: no running")).to_be_visible()
    assert api_json(page, "/guidance")["body"]["plan"]["since"] == since


def test_editing_the_time_zone_keeps_the_rest(page: Any) -> None:
    sign_up(page)
    assert api_send(page, "PATCH", "/me", {"timezone": "Pacific/Kiritimati"})["status"] == 200  # UTC+14
    day = api_json(page, "/plan")["body"]["today"]["date"]
    assert api_send(page, "PUT", f"/checkins/{day}", {"pain": 6})["status"] == 201
    page.goto("/#settings")
    field = page.get_by_label("Time zone")
    field.wait_for(state="attached")
    if not field.is_visible():  # older layouts fold it away with the limits
        page.get_by_text("Limits set with your therapist").click()
    field.fill("Pacific/Pago_Pago")  # UTC-11: a day (or two) behind
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    assert api_json(page, "/me")["body"]["timezone"] == "Pacific/Pago_Pago"
    page.goto("/#guidance")
    guidance = page.get_by_role("region", name="Guidance for today")
    expect(guidance.get_by_role("heading", name="Rest day 1 of 3: no running")).to_be_visible()
    expect(guidance.locator(".plan-label")).to_have_text("Today: no running")
    plan = api_json(page, "/plan")["body"]
    assert plan["state"] == "rest" and plan["since"] == day
    screenshot(page, "61-rest-kept-after-a-move-west")
