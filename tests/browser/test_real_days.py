"""The app on a real runner's days, as a phone-size browser tryout found them: a red flag's
"Call a doctor today" first on the screen, a run logged for an earlier day answered with
today's advice (not that day's "good to run"), the check-in form offline starting from the
check-in already saved (not a blank one that replaces its red flags), and one "today" on
every screen after a move west."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import PASSWORD, api_json, api_put, choose_pain, new_email, sign_up, wait_for_service_worker

pytestmark = pytest.mark.browser


def server_today(page: Any) -> date:
    return date.fromisoformat(api_json(page, "/me")["body"]["today"])


def red_flag_check_in(page: Any) -> None:
    choose_pain(page, 5)
    for flag in ("Swelling", "Fever", "Knee locks or gives way"):
        page.get_by_label(flag, exact=True).check()
    page.get_by_role("button", name="Save check-in").click()


def test_a_red_flag_puts_call_a_doctor_first_and_no_self_care_tips(page: Any) -> None:
    sign_up(page)
    red_flag_check_in(page)
    result = page.locator(".result")
    expect(result.locator('[data-advice-id="core.fever"]')).to_be_visible()
    # The first card on the whole screen (above the plan and the exercises) is the doctor's.
    first = page.locator("main article.card, main section.card").first
    expect(first).to_have_attribute("data-advice-id", "core.fever")
    rest = result.locator('[data-advice-id="core.rest_day"]')
    expect(rest).to_contain_text("Rest day 1: no running until your knee is checked")
    expect(rest).not_to_contain_text("compression")
    expect(result.locator('[data-advice-id="core.swelling"]')).not_to_contain_text("compression")


def test_a_run_logged_for_an_earlier_day_shows_todays_advice(page: Any) -> None:
    sign_up(page)
    red_flag_check_in(page)
    expect(page.locator('.result [data-advice-id="core.fever"]')).to_be_visible()
    week_ago = server_today(page) - timedelta(days=7)

    page.get_by_role("navigation", name="Screens").get_by_role("link", name="Run").click()
    page.get_by_label("Distance (km)").fill("3.2")
    page.get_by_label("Time (h:mm:ss)").fill("20")
    page.get_by_label("Date").fill(week_ago.isoformat())
    page.get_by_role("button", name="Save run").click()

    expect(page.get_by_role("heading", name="Your advice for today")).to_be_visible()
    guidance = page.get_by_role("region", name="Guidance for today")
    expect(guidance.locator(".plan-label")).to_have_text("Today: no running")
    expect(guidance).not_to_contain_text("good to run")
    assert [r["date"] for r in api_json(page, "/runs")["body"]] == [week_ago.isoformat()]


def test_offline_the_check_in_form_starts_from_the_saved_check_in(page: Any, context: Any) -> None:
    sign_up(page)
    wait_for_service_worker(page)
    red_flag_check_in(page)
    expect(page.locator('.result [data-advice-id="core.fever"]')).to_be_visible()

    context.set_offline(True)
    page.reload()  # the shell from the service worker, no API
    expect(page.get_by_role("heading", name=re.compile("^Check-in"))).to_be_visible()
    expect(page.get_by_text("You checked in today: pain 5/10 (as this phone last saw it)")).to_be_visible()
    for flag in ("Swelling", "Fever", "Knee locks or gives way"):
        expect(page.get_by_label(flag, exact=True)).to_be_checked()
    expect(page.get_by_role("radio", name="5, moderate", exact=True)).to_be_checked()
    context.set_offline(False)


def test_offline_with_no_copy_the_form_says_a_save_replaces_the_days_check_in(page: Any, context: Any) -> None:
    sign_up(page)
    wait_for_service_worker(page)
    # Checked in from another phone: this one never saw it.
    assert api_put(page, f"/checkins/{server_today(page)}", {"pain": 6, "fever": True})["status"] == 201
    context.set_offline(True)
    page.reload()
    expect(page.get_by_text("You are offline, so a check-in saved today on another phone cannot be shown.")).to_be_visible()
    context.set_offline(False)


def test_after_a_move_west_every_screen_shows_the_day_already_reported(page: Any) -> None:
    sign_up(page)
    assert page.evaluate("""async () => {
        const me = await (await fetch('/api/v1/me')).json();
        const res = await fetch('/api/v1/me', {method: 'PATCH', headers: {'Content-Type': 'application/json',
            'X-CSRF-Token': me.csrf_token}, body: JSON.stringify({timezone: 'Pacific/Kiritimati'})});
        return res.status;
    }""") == 200
    ahead = server_today(page)  # UTC+14
    assert api_put(page, f"/checkins/{ahead}", {"pain": 2})["status"] == 201

    page.goto("/#settings")
    field = page.get_by_label("Time zone")
    field.wait_for(state="attached")
    if not field.is_visible():
        page.get_by_text("Limits set with your therapist").click()
    field.fill("Pacific/Pago_Pago")  # UTC-11: a day or two behind
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()

    page.goto("/#checkin")
    expect(page.get_by_text("You checked in today: pain 2/10.")).to_be_visible()
    title = page.get_by_role("heading", name=re.compile("^Check-in"))
    shown = page.evaluate("(iso) => import('/js/state.js').then((m) => m.formatDay(iso))", ahead.isoformat())
    expect(title).to_have_text(f"Check-in · {shown}")
    page.get_by_role("navigation", name="Screens").get_by_role("link", name="Run").click()
    assert page.get_by_label("Date").input_value() == ahead.isoformat()
    assert page.get_by_label("Date").get_attribute("max") == ahead.isoformat()


def test_on_a_320_px_phone_the_six_tabs_keep_one_row(page: Any) -> None:
    sign_up(page)
    page.set_viewport_size({"width": 320, "height": 640})
    tops = page.evaluate("""() => [...document.querySelectorAll('nav.tabs a')]
        .filter((a) => a.offsetParent !== null).map((a) => Math.round(a.getBoundingClientRect().top))""")
    assert len(tops) == 6 and len(set(tops)) == 1, tops
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")


def test_sharing_moves_the_focus_to_the_new_code(page: Any) -> None:
    sign_up(page)
    page.get_by_role("navigation", name="Screens").get_by_role("link", name="Therapist").click()
    share = page.get_by_role("region", name="Share with my therapist")
    share.get_by_role("button", name="Share with my therapist").click()
    expect(share.locator(".invitation .code")).to_be_focused()


def test_no_change_against_the_baseline_is_shown_for_a_week_with_no_run(page: Any) -> None:
    """A Monday morning read "Against your baseline week: -100.0%": true, alarming, useless."""
    sign_up(page)
    page.get_by_role("navigation", name="Screens").get_by_role("link", name="Advice").click()
    expect(page.get_by_role("region", name="This week")).to_contain_text("0.0 km in 0 runs")
    expect(page.get_by_role("region", name="This week")).not_to_contain_text("baseline")


def test_what_was_typed_survives_a_reload_until_it_is_saved(page: Any) -> None:
    """Found trying it: a reload mid-form (a phone that dropped the tab) lost the run typed."""
    sign_up(page)
    page.get_by_role("navigation", name="Screens").get_by_role("link", name="Run").click()
    page.get_by_label("Distance (km)").fill("7.4")
    page.get_by_label("Time (h:mm:ss)").fill("41:30")
    page.get_by_label("Note").fill("Hills, felt the knee at the top")
    page.reload()
    expect(page.get_by_label("Distance (km)")).to_have_value("7.4")
    expect(page.get_by_label("Time (h:mm:ss)")).to_have_value("41:30")
    expect(page.get_by_label("Note")).to_have_value("Hills, felt the knee at the top")
    page.get_by_role("button", name="Save run").click()
    expect(page.get_by_role("heading", name="Your advice")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Distance (km)")).to_have_value("")

    page.get_by_role("navigation", name="Screens").get_by_role("link", name="Today").click()
    choose_pain(page, 4)
    page.get_by_label("Swelling", exact=True).check()
    page.reload()
    expect(page.get_by_role("radio", name="4", exact=True)).to_be_checked()
    expect(page.get_by_label("Swelling", exact=True)).to_be_checked()
    page.get_by_role("button", name="Save check-in").click()
    expect(page.locator('.result [data-advice-id="core.swelling"]')).to_be_visible()
    assert page.evaluate("Object.keys(sessionStorage).filter((k) => k.startsWith('sg.draft.'))") == []


def test_history_offline_after_a_reload_shows_the_last_copy(page: Any, context: Any) -> None:
    """Found trying it: History after a reload offline showed only "You seem to be offline"."""
    sign_up(page)
    wait_for_service_worker(page)
    day = server_today(page)
    assert api_put(page, "/runs/5b0f4a1e-8d2c-4f7e-9a6b-3c2d1e0f9a8b",
                   {"date": day.isoformat(), "distance_m": 6400, "duration_s": 2300})["status"] == 201
    page.get_by_role("navigation", name="Screens").get_by_role("link", name="History").click()
    expect(page.get_by_text("6.4 km").first).to_be_visible()
    context.set_offline(True)
    page.reload()
    page.get_by_role("navigation", name="Screens").get_by_role("link", name="History").click()
    expect(page.get_by_text("Offline: showing what was loaded last.")).to_be_visible()
    expect(page.get_by_text("6.4 km").first).to_be_visible()
    context.set_offline(False)


def test_the_next_runner_on_the_same_phone_never_sees_the_last_ones_history(page: Any, context: Any,
                                                                            console: Any) -> None:
    """Found trying it: after runner A signed out, runner B in the same tab, offline, saw A's
    History ("Offline: showing what was loaded last", A's runs and pains)."""
    console.allow(r"status of 401")  # /me after signing out
    sign_up(page)
    wait_for_service_worker(page)
    assert api_put(page, "/runs/3e7a1c2b-4d5f-4a6b-8c7d-9e0f1a2b3c4d",
                   {"date": server_today(page).isoformat(), "distance_m": 19300, "duration_s": 6600})["status"] == 201
    page.get_by_role("navigation", name="Screens").get_by_role("link", name="History").click()
    expect(page.get_by_text("19.3 km").first).to_be_visible()
    page.goto("/#settings")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"#signin$"))
    form = page.get_by_role("form", name="Create an account")  # runner B, same tab, no reload
    form.get_by_label("Email").fill(new_email())
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Create account").click()
    page.get_by_role("heading", name="Check-in", exact=False).wait_for()
    context.set_offline(True)
    page.get_by_role("navigation", name="Screens").get_by_role("link", name="History").click()
    expect(page.locator("main")).not_to_contain_text("19.3 km")
    expect(page.locator("main")).not_to_contain_text("showing what was loaded last")
    context.set_offline(False)


def test_switching_units_never_reads_a_number_in_the_other_unit(page: Any) -> None:
    """Found trying it: a shoe added right after switching to miles saved "800" as 800 mi
    (the form still said km); a run draft of 8 km came back as 8 mi."""
    sign_up(page)
    page.get_by_role("navigation", name="Screens").get_by_role("link", name="Run").click()
    page.get_by_label("Distance (km)").fill("8")
    page.goto("/#settings")
    page.get_by_role("radio", name="Miles").check()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    page.get_by_label("New shoe").fill("Road pair")
    page.get_by_role("button", name="Add shoe").click()
    expect(page.get_by_text("Road pair").first).to_be_visible()
    [shoe] = api_json(page, "/shoes")["body"]
    assert shoe["limit_m"] == 800_000  # the 800 the form showed, in the km it showed
    page.get_by_role("navigation", name="Screens").get_by_role("link", name="Run").click()
    expect(page.get_by_label("Distance (mi)")).to_have_value("")


def test_no_tab_label_runs_into_the_next_at_320_px(page: Any) -> None:
    sign_up(page)
    page.set_viewport_size({"width": 320, "height": 640})
    clipped = page.evaluate("""() => [...document.querySelectorAll('nav.tabs a')]
        .filter((a) => a.scrollWidth > a.clientWidth + 0.5).map((a) => a.textContent)""")
    assert clipped == []
