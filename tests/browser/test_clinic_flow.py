"""The therapist's side in a real browser, as people would use it: a runner invites their
therapist -> the therapist accepts -> the dashboard puts the patient first when their pain
rises -> the therapist sets a limit -> the runner's settings show it locked -> the runner
revokes -> the dashboard no longer shows them. Screenshots at phone and desktop width."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import PASSWORD, ConsoleLog, api_json, choose_pain, new_email, screenshot, sign_up

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 412, "height": 915}


def both_widths(page: Any, name: str) -> None:
    """Screenshots of the current screen at desktop and at phone width."""
    original = page.viewport_size
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.wait_for_timeout(100)
        screenshot(page, f"clinic-{name}-{label}")
    page.set_viewport_size(original)


@pytest.fixture
def desktop(browser: Any, live_server: Any, console: ConsoleLog) -> Iterator[Any]:
    """A desktop-sized browser profile for the therapist (their clinic computer)."""
    ctx = browser.new_context(viewport=DESKTOP, base_url=live_server.base_url)
    page = ctx.new_page()
    console.watch(page)
    yield page
    ctx.close()


@pytest.fixture
def second_phone(browser: Any, playwright_api: Any, live_server: Any, console: ConsoleLog) -> Iterator[Any]:
    ctx = browser.new_context(**playwright_api.devices["Pixel 7"], base_url=live_server.base_url)
    page = ctx.new_page()
    console.watch(page)
    yield page
    ctx.close()


def sign_up_therapist(page: Any, name: str) -> str:
    email = new_email()
    page.goto("/")
    form = page.get_by_role("form", name="Create an account")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_label("I am a physical therapist").check()
    form.get_by_label("Your name, as patients see it").fill(name)
    form.get_by_role("button", name="Create account").click()
    page.get_by_role("heading", name="Your patients").wait_for()
    return email


def set_name(page: Any, name: str) -> None:
    page.goto("/#settings")
    page.get_by_label("Your name (your therapist sees it)").fill(name)
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()


def check_in(page: Any, pain: int) -> None:
    page.goto("/#checkin")
    choose_pain(page, pain)
    page.get_by_role("button", name="Save check-in").click()
    expect(page.get_by_role("region", name="Guidance for today")).to_be_visible()


def share_code(page: Any) -> tuple[str, str]:
    page.get_by_role("navigation", name="Screens").get_by_role("link", name="Therapist").click()
    sharing = page.get_by_role("region", name="Share with my therapist")
    sharing.get_by_role("button", name="Share with my therapist").click()
    code = sharing.locator(".code").inner_text()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    url = api_json(page, "/me/invitations")  # the code itself is never stored or listed
    assert code not in str(url)
    return code, f"/#clinic/accept/{code}"


def patient_names(page: Any) -> list[str]:
    cards = page.get_by_role("list", name="Patients, most urgent first").locator(".patient-card h2")
    return [t.strip() for t in cards.all_inner_texts()]


def test_invite_accept_prioritise_limit_lock_and_revoke(page: Any, desktop: Any, second_phone: Any) -> None:
    runner, therapist, other = page, desktop, second_phone

    # -- A runner (phone) and another patient sign up and check in.
    runner_email = sign_up(runner)
    set_name(runner, "Alex Runner")
    check_in(runner, 1)
    sign_up(other)
    set_name(other, "Ben Other")
    check_in(other, 2)

    # -- The therapist (clinic desktop) signs up; no patients yet.
    sign_up_therapist(therapist, "Dana Reyes")
    expect(therapist.get_by_text("No patients yet")).to_be_visible()
    nav = therapist.get_by_role("navigation", name="Screens")
    expect(nav.get_by_role("link", name="Patients")).to_be_visible()
    expect(nav.get_by_role("link", name="Today")).to_be_hidden()
    both_widths(therapist, "01-empty-dashboard")

    # -- The runner shares: a code on screen, shown once.
    code, link = share_code(runner)
    screenshot(runner, "clinic-02-runner-invitation-phone")
    runner.set_viewport_size(DESKTOP)
    screenshot(runner, "clinic-02-runner-invitation-desktop")
    runner.set_viewport_size(PHONE)

    # -- The therapist opens the link: the code is filled in; accepting opens the patient.
    therapist.goto(link)
    form = therapist.get_by_role("form", name="Add a patient")
    expect(form.get_by_label("Invitation code from your patient")).to_have_value(code)
    both_widths(therapist, "03-accept")
    form.get_by_role("button", name="Add patient").click()
    expect(therapist.get_by_role("heading", name="Alex Runner")).to_be_visible()
    expect(therapist).to_have_url(re.compile(r"#clinic/patient/\d+$"))

    # The second patient shares by typing the code (lower case, spaces: forgiving).
    other_code, _ = share_code(other)
    therapist.goto("/#clinic")
    therapist.get_by_text("Add a patient").click()
    therapist.get_by_label("Invitation code from your patient").fill(other_code.lower().replace("-", " "))
    therapist.get_by_role("button", name="Add patient").click()
    expect(therapist.get_by_role("heading", name="Ben Other")).to_be_visible()

    # -- Dashboard: same urgency, the higher recent pain first (Ben 2, Alex 1) ...
    therapist.get_by_role("link", name="All patients").click()
    expect(therapist.locator(".patient-card")).to_have_count(2)
    assert patient_names(therapist) == ["Ben Other", "Alex Runner"]
    # ... then Alex's pain rises above the clinic default: Alex is first, with the reasons.
    check_in(runner, 6)
    therapist.reload()
    expect(therapist.locator(".patient-card")).to_have_count(2)
    assert patient_names(therapist) == ["Alex Runner", "Ben Other"]
    first = therapist.locator(".patient-card").first
    expect(first.get_by_text("Pain 6/10, limit 3", exact=False)).to_be_visible()
    expect(first.get_by_text("Plan: rest, day 1 of 3")).to_be_visible()
    expect(first.locator(".badge")).to_have_text("1")
    expect(first.get_by_role("img", name=re.compile(r"Pain over 28 days: 1?,? ?6"))).to_be_visible()
    both_widths(therapist, "04-dashboard-pain-rose")

    # -- The patient page: plan history with the reason; the therapist sets 5/10.
    first.get_by_role("link", name="Alex Runner").click()
    plan = therapist.get_by_role("region", name="Care plan")
    # The therapist's words: what the pain was and whose limit it is.
    expect(plan.get_by_text("Rest started: pain at check-in: 6/10 (the patient’s limit 3/10)", exact=False)).to_be_visible()
    expect(therapist.get_by_role("region", name="Alerts")).to_be_visible()
    both_widths(therapist, "05-patient-page")
    limits = therapist.get_by_role("form", name="Limits for this patient")
    limits.get_by_label("Pain limit").select_option("5")
    limits.get_by_label("Instruction shown to the patient").fill("Pain up to 5/10 is fine if it settles by the next morning.")
    limits.get_by_role("button", name="Save limits").click()
    expect(therapist.get_by_text("Limits saved.", exact=False)).to_be_visible()
    expect(therapist.get_by_text("In force: pain limit 5/10", exact=False)).to_be_visible()
    therapist.get_by_role("link", name="All patients").click()
    expect(therapist.locator(".patient-card").first.locator(".badge")).to_have_count(0)  # opened: read

    # -- The runner's settings show the limit locked, set by the therapist.
    runner.goto("/#settings")
    pain_limit = runner.get_by_label("Pain limit (0-10)")
    expect(pain_limit).to_be_disabled()
    expect(pain_limit).to_have_value("5")
    expect(runner.get_by_text("Set by your therapist (Dana Reyes", exact=False).first).to_be_visible()
    expect(runner.get_by_text("Pain up to 5/10 is fine", exact=False)).to_be_visible()
    runner.get_by_role("button", name="Save settings").click()  # the form still saves
    expect(runner.get_by_text("Settings saved.")).to_be_visible()
    screenshot(runner, "clinic-06-runner-settings-locked-phone")
    runner.set_viewport_size(DESKTOP)
    screenshot(runner, "clinic-06-runner-settings-locked-desktop")
    runner.set_viewport_size(PHONE)
    assert api_json(runner, "/me")["body"]["pain_threshold"] == 5

    # -- The runner revokes in one tap; the therapist's dashboard no longer shows them.
    runner.get_by_role("navigation", name="Screens").get_by_role("link", name="Therapist").click()
    sharing = runner.get_by_role("region", name="Share with my therapist")
    access = sharing.locator(".therapist-access")
    expect(access).to_have_count(1)
    expect(access.get_by_text("Dana Reyes")).to_be_visible()
    runner.get_by_text("Access log").click()
    expect(sharing.get_by_text("changed your limits", exact=False)).to_be_visible()
    screenshot(runner, "clinic-07-runner-access-phone")
    access.get_by_role("button", name="Stop sharing").click()
    expect(runner.get_by_text("can no longer see your data", exact=False)).to_be_visible()
    expect(sharing.locator(".therapist-access")).to_have_count(0)
    assert api_json(runner, "/me")["body"]["locked"] == []

    therapist.reload()
    expect(therapist.locator(".patient-card")).to_have_count(1)
    assert patient_names(therapist) == ["Ben Other"]
    assert runner_email not in therapist.content()
    both_widths(therapist, "08-dashboard-after-revoke")


def test_a_therapist_opening_an_invitation_link_signs_in_first(page: Any, desktop: Any) -> None:
    sign_up(page)
    code, link = share_code(page)
    email = sign_up_therapist(desktop, "Sam Physio")
    desktop.get_by_role("navigation", name="Screens").get_by_role("link", name="Settings").click()
    desktop.get_by_role("button", name="Sign out").click()
    desktop.get_by_role("form", name="Sign in").wait_for()
    desktop.goto(link)
    expect(desktop).to_have_url(re.compile(r"#signin$"))
    signin = desktop.get_by_role("form", name="Sign in")
    signin.get_by_label("Email").fill(email)
    signin.get_by_label("Password").fill(PASSWORD)
    signin.get_by_role("button", name="Sign in").click()
    expect(desktop.get_by_label("Invitation code from your patient")).to_have_value(code)
    # A runner's routes are not a therapist's: they land on the dashboard.
    desktop.goto("/#checkin")
    expect(desktop.get_by_role("heading", name="Your patients")).to_be_visible()
    desktop.goto("/clinic")
    expect(desktop.get_by_role("heading", name="Your patients")).to_be_visible()
