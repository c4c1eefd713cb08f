"""A new runner signs up, checks in and sees guidance, driven through the UI by labels
and roles; then visits every main screen (screenshots at phone size)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import PASSWORD, api_json, choose_pain, screenshot, sign_up

pytestmark = pytest.mark.browser


def test_sign_up_check_in_and_guidance_shown(page: Any) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"#signin$"))
    screenshot(page, "01-signin")
    sign_up(page)
    expect(page.get_by_role("navigation", name="Screens")).to_be_visible()

    choose_pain(page, 6)
    page.get_by_role("radio", name="Below the kneecap").click()
    page.get_by_role("button", name="Left").click()
    page.get_by_label("Swelling", exact=True).check()
    screenshot(page, "02-checkin")
    page.get_by_role("button", name="Save check-in").click()

    advice = page.get_by_role("region", name="Guidance for today")
    expect(advice).to_be_visible()
    expect(advice.get_by_text("Today: no running")).to_be_visible()
    # One verdict card: the rest card carries the pain and the swelling that started it; the
    # swelling, a red flag, has its own urgent card on top: tell the therapist.
    flag = advice.locator('[data-advice-id="core.swelling"]')
    expect(flag).to_have_class(re.compile(r"\bsev-urgent\b"))
    expect(flag).to_contain_text("Tell your physical therapist")
    verdict = advice.locator('[data-advice-id="core.rest_day"]')
    expect(verdict).to_be_visible()
    expect(verdict).to_contain_text("Wait until the swelling has gone")
    expect(advice.locator('[data-advice-id="core.pain_threshold"]')).to_have_count(0)
    verdict.get_by_text("Why?").click()
    expect(verdict.locator(".why li").first).to_contain_text("6/10")
    screenshot(page, "03-checkin-guidance")

    stored = api_json(page, "/checkins")
    assert stored["status"] == 200
    items = stored["body"] if isinstance(stored["body"], list) else stored["body"]["checkins"]
    assert len(items) == 1
    assert items[0]["pain"] == 6
    assert items[0]["location"] == "below_kneecap"
    assert items[0]["side"] == "left"
    assert items[0]["swelling"] is True


def test_urgent_red_flag_is_an_alert(page: Any) -> None:
    sign_up(page)
    choose_pain(page, 5)
    page.get_by_label("Swelling", exact=True).check()
    page.get_by_label("Fever", exact=True).check()
    page.get_by_role("button", name="Save check-in").click()
    alert = page.locator('[role="alert"][data-advice-id="core.fever"]')
    expect(alert).to_be_visible()
    # Most severe first: the urgent card comes before every other card.
    first = page.locator("article.card").first
    expect(first).to_have_attribute("data-advice-id", "core.fever")


def test_pain_must_be_chosen_before_saving(page: Any) -> None:
    sign_up(page)
    page.get_by_role("button", name="Save check-in").click()
    expect(page.get_by_role("alert").filter(has_text="Choose your pain")).to_be_visible()
    assert api_json(page, "/checkins")["body"] in ([], {"checkins": []})


def test_every_main_screen(page: Any) -> None:
    sign_up(page)
    nav = page.get_by_role("navigation", name="Screens")

    nav.get_by_role("link", name="Run").click()
    expect(page.get_by_role("heading", name="Log a run")).to_be_visible()
    page.get_by_label("Distance (km)").fill("8.5")
    page.get_by_label("Time (h:mm:ss)").fill("48")
    page.get_by_label("Pain after (0-10)").select_option("2")
    page.get_by_label("Surface").select_option("trail")
    page.get_by_role("button", name="Save run").click()
    expect(page.get_by_role("region", name="Guidance for today")).to_be_visible()
    screenshot(page, "04-run")
    runs = api_json(page, "/runs")["body"]
    runs = runs if isinstance(runs, list) else runs["runs"]
    assert [(r["distance_m"], r["duration_s"], r["pain_after"], r["surface"]) for r in runs] == [(8500, 2880, 2, "trail")]

    nav.get_by_role("link", name="Advice").click()
    expect(page.get_by_role("heading", name="Advice for today")).to_be_visible()
    expect(page.get_by_role("region", name="This week")).to_contain_text("8.5 km")
    screenshot(page, "05-guidance")

    nav.get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("weekly distance"))).to_be_visible()
    page.get_by_text("Show as a table").click()
    expect(page.get_by_role("table", name="Last 12 weeks")).to_contain_text("8.5 km")
    screenshot(page, "06-history")

    nav.get_by_role("link", name="Therapist").click()
    expect(page.get_by_role("heading", name="My therapist", exact=True)).to_be_visible()
    page.get_by_label("Name").fill("Dana Reyes")
    page.get_by_label("Phone").fill("+1 (925) 555-0100")
    page.get_by_label("Email").fill("dana@clinic.example")
    page.get_by_label("Booking link").fill("https://clinic.example/book")
    page.get_by_role("button", name="Save therapist").click()
    call = page.get_by_role("link", name="Call Dana Reyes")
    expect(call).to_have_attribute("href", "tel:+19255550100")
    expect(page.get_by_role("link", name="Send an email")).to_have_attribute("href", re.compile(r"^mailto:dana@clinic\.example\?"))
    expect(page.get_by_role("link", name="Book an appointment")).to_have_attribute("href", "https://clinic.example/book")
    expect(page.get_by_role("region", name="Summary for your therapist")).to_contain_text("1 runs")
    screenshot(page, "07-therapist")
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Screens")).to_be_hidden()
    screenshot(page, "08-therapist-print")
    page.emulate_media(media="screen")

    nav.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Settings")).to_be_visible()
    page.get_by_text("Miles", exact=True).click()
    page.get_by_label("Daily reminder time").fill("07:30")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status").filter(has_text="Settings saved.")).to_be_visible()
    me = api_json(page, "/me")["body"]
    me = me.get("user", me)
    assert (me["units"], me["reminder_time"]) == ("mi", "07:30")
    screenshot(page, "09-settings")

    nav.get_by_role("link", name="Run").click()
    expect(page.get_by_label("Distance (mi)")).to_be_visible()


def test_booking_link_must_be_http(page: Any) -> None:
    sign_up(page)
    page.goto("/#therapist")
    page.get_by_label("Booking link").fill("javascript:alert(1)")
    page.get_by_role("button", name="Save therapist").click()
    expect(page.get_by_role("alert").filter(has_text="https://")).to_be_visible()


def test_sign_out_and_back_in(page: Any, console: Any) -> None:
    console.allow(r"status of 401")  # the wrong password below, and /me after signing out
    email = sign_up(page)
    page.goto("/#settings")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"#signin$"))
    assert api_json(page, "/me")["status"] == 401
    form = page.get_by_role("form", name="Sign in")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Password").fill("wrong password here")
    form.get_by_role("button", name="Sign in").click()
    expect(form.get_by_role("alert")).not_to_be_empty()
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile("^Check-in"))).to_be_visible()
