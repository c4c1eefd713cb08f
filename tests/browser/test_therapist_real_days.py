"""The therapist's side as a therapist's tryout in a real browser found it: a rest held after a
knee that gave way can be lifted from the patient page (it took a direct API call), an open
patient page clears itself when the runner stops sharing (the record stayed on screen, the
mute box kept a tick that was never saved), and the plan's counts read as counts ("rest day:
1 of 3"), not as limits ("1 (the patient's limit 3)")."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import ConsoleLog
from .test_clinic_flow import sign_up_therapist
from .test_programme_builder import RunnerApi, desktop, today  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


def linked_runner(page: Any, live_server: Any, name: str) -> RunnerApi:
    runner = RunnerApi(live_server.base_url, name)
    page.goto(f"/#clinic/accept/{runner.invitation_code()}")
    page.get_by_role("form", name="Add a patient").get_by_role("button", name="Add patient").click()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
    return runner


def test_a_held_rest_is_lifted_from_the_patient_page(desktop: Any, live_server: Any) -> None:
    page = desktop
    sign_up_therapist(page, "Dr Knee")
    runner = linked_runner(page, live_server, "Gail Giveway")
    runner.put(f"/checkins/{today()}", {"pain": 2, "locking_or_giving_way": True})
    page.reload()
    expect(page.locator("main")).to_contain_text("rest day: 1 of 3")  # a count, not "the patient's limit 3"
    expect(page.locator("main")).not_to_contain_text("the patient’s limit 3")
    plan = page.get_by_role("region", name="Care plan")  # said to the therapist, not to the runner
    expect(plan).to_contain_text("and once the knee has been assessed (record it below)")
    expect(plan).not_to_contain_text("your knee")
    form = page.get_by_role("form", name="Knee assessment")
    expect(form).to_contain_text("The rest holds until the knee has been checked")
    form.get_by_label("Note (optional)").fill("Stable, no effusion.")
    form.get_by_role("button", name="Record assessment").click()
    expect(page.get_by_text("Assessment recorded.")).to_be_visible()
    state = runner.http.get(f"{runner.base}/plan", timeout=30).json()
    assert state["end_condition"]["awaiting_assessment"] is False
    expect(page.get_by_role("form", name="Knee assessment")).not_to_contain_text("The rest holds until")


def test_an_open_patient_page_clears_when_the_runner_stops_sharing(desktop: Any, live_server: Any,
                                                                    console: ConsoleLog) -> None:
    console.allow(r"status of 404")  # the refused mute, on purpose
    page = desktop
    sign_up_therapist(page, "Dr Gone")
    runner = linked_runner(page, live_server, "Hugo Hidden")
    me = runner.http.get(f"{runner.base}/me/therapists", timeout=30).json()
    revoked = runner.http.delete(f"{runner.base}/me/therapists/{me[0]['id']}", timeout=30)
    assert revoked.status_code == 204, revoked.text
    page.get_by_label("Mute push alerts about this patient").click()  # refused: it cannot stay ticked
    expect(page.get_by_role("alert").filter(has_text="This patient is not sharing with you (any more).")).to_be_visible()
    expect(page.get_by_role("region", name="Care plan")).to_have_count(0)
    expect(page.get_by_role("link", name="Back to your patients")).to_be_visible()


def test_a_stricter_limit_from_another_therapist_is_named_as_in_force(desktop: Any, live_server: Any) -> None:
    """Found trying it: Dana set 5/10, Sam 2/10; Dana's form showed her 5/10 and "In force: 2/10"
    with nothing saying that another therapist's stricter limit overrides hers."""
    import requests

    page = desktop
    sign_up_therapist(page, "Dr Dana")
    runner = linked_runner(page, live_server, "Chris Two")
    sam = requests.Session()
    made = sam.post(f"{runner.base}/auth/register", json={"email": f"sam-{runner.id}@example.org", "password": "a long pass phrase 42",
                                                            "role": "therapist", "display_name": "Dr Sam"}, timeout=30)
    assert made.status_code == 201, made.text
    sam.headers["X-CSRF-Token"] = made.json()["csrf_token"]
    assert sam.post(f"{runner.base}/clinic/invitations/accept", json={"code": runner.invitation_code()},
                    timeout=30).status_code == 200
    assert sam.put(f"{runner.base}/clinic/patients/{runner.id}/limits", json={"pain_threshold": 2},
                   timeout=30).status_code == 200
    assert page.evaluate("""async ([id]) => {
        const me = await (await fetch('/api/v1/me')).json();
        const res = await fetch(`/api/v1/clinic/patients/${id}/limits`, {method: 'PUT',
            headers: {'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token},
            body: JSON.stringify({pain_threshold: 5})});
        return res.status;
    }""", [runner.id]) == 200
    page.reload()
    limits = page.get_by_role("region", name="Limits")
    expect(limits).to_contain_text("Another therapist's stricter pain limit (2/10) is in force over yours (5/10).")
