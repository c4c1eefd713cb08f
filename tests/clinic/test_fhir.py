"""The FHIR export parses with fhir.resources (R4B models: R4B's Observation, Patient and
Bundle are R4's) and carries the right LOINC codes, UCUM units, body site and dates."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient

from strideguard.clinic.fhir import bundle
from strideguard.timeutil import local_today
from tests.conftest import Runner, Therapist, invite
from tests.support.envelope import assert_error

RUN = "0b6f6c2e-3c1d-4a51-9a7e-2f8d5f0c9b11"


def day(offset: int = 0) -> str:
    return (local_today("UTC") + timedelta(days=offset)).isoformat()


@pytest.fixture
def exported(app):
    runner = Runner(app, display_name="Alex Runner")
    therapist = Therapist(app)
    therapist.accept(invite(runner)["code"])
    runner.put(f"/api/v1/checkins/{day(-2)}", json={"pain": 2, "morning_pain": 1, "side": "left",
                                                    "location": "below_kneecap"})
    runner.put(f"/api/v1/checkins/{day(-1)}", json={"pain": 4})
    runner.put(f"/api/v1/runs/{RUN}", json={"date": day(-2), "distance_m": 5012.5, "duration_s": 1830,
                                            "pain_during": 3, "pain_after": 2})
    response = therapist.get(f"/api/v1/clinic/patients/{runner.user['id']}/fhir")
    return runner, therapist, response


def observations(parsed: Bundle, code: str) -> list[Observation]:
    return [e.resource for e in parsed.entry
            if e.resource.get_resource_type() == "Observation" and e.resource.code.coding[0].code == code]


def test_the_bundle_parses_and_has_a_patient(exported):
    runner, _therapist, response = exported
    assert response.status_code == 200
    assert response.mimetype == "application/fhir+json"
    assert "attachment" in response.headers["Content-Disposition"]
    parsed = Bundle.model_validate(json.loads(response.data))
    assert parsed.type == "collection"
    patients = [e.resource for e in parsed.entry if e.resource.get_resource_type() == "Patient"]
    [person] = patients
    assert isinstance(person, Patient)
    assert person.name[0].text == "Alex Runner"
    assert person.telecom[0].value == runner.email
    assert len({e.fullUrl for e in parsed.entry}) == len(parsed.entry)  # ids unique


def test_pain_observations_per_check_in_and_per_run_pain(exported):
    _runner, _therapist, response = exported
    parsed = Bundle.model_validate(json.loads(response.data))
    pains = observations(parsed, "72514-3")
    # Two check-ins (one with morning pain) and a run with pain during and after: five.
    assert sorted((str(o.effectiveDateTime), o.valueQuantity.value, o.code.text) for o in pains) == sorted([
        (day(-2), 2, "Worst knee pain in the last 24 hours"),
        (day(-2), 1, "Knee pain or stiffness on waking"),
        (day(-1), 4, "Worst knee pain in the last 24 hours"),
        (day(-2), 3, "Knee pain during the run"),
        (day(-2), 2, "Knee pain after the run"),
    ])
    for obs in pains:
        assert obs.code.coding[0].system == "http://loinc.org"
        assert obs.valueQuantity.system == "http://unitsofmeasure.org" and obs.valueQuantity.code == "{score}"
        assert obs.bodySite.coding[0].system == "http://snomed.info/sct"
        assert obs.bodySite.coding[0].code in {"72696002", "82169009"}  # knee region; left knee region
        assert obs.category[0].coding[0].code == "survey"
        assert (obs.referenceRange[0].low.value, obs.referenceRange[0].high.value) == (0, 10)
        assert obs.status == "final"
        assert obs.subject.reference.startswith("urn:uuid:")
    [left] = [o for o in pains if o.code.text.startswith("Worst") and str(o.effectiveDateTime) == day(-2)]
    assert left.bodySite.text == "Left knee, below the kneecap"


def test_running_distance_and_duration_with_their_dates(exported):
    _runner, _therapist, response = exported
    parsed = Bundle.model_validate(json.loads(response.data))
    [distance] = observations(parsed, "55412-1")
    [duration] = observations(parsed, "55411-3")
    assert (distance.valueQuantity.value, distance.valueQuantity.code) == (5012.5, "m")
    assert (duration.valueQuantity.value, duration.valueQuantity.code) == (30.5, "min")
    for obs in (distance, duration):
        assert str(obs.effectiveDateTime) == day(-2)
        assert obs.category[0].coding[0].code == "activity"
        assert obs.identifier[0].value == RUN


def test_the_export_respects_the_range_and_is_stable(app, exported):
    runner, therapist, first = exported
    url = f"/api/v1/clinic/patients/{runner.user['id']}/fhir"
    only = therapist.get(f"{url}?from={day(-1)}&to={day(-1)}")
    parsed = Bundle.model_validate(json.loads(only.data))
    assert [str(o.effectiveDateTime) for o in observations(parsed, "72514-3")] == [day(-1)]
    again = therapist.get(url)
    ids = lambda r: [e["fullUrl"] for e in json.loads(r.data)["entry"]]  # noqa: E731
    assert ids(first) == ids(again)
    assert_error(therapist.get(f"{url}?from={day()}&to={day(-1)}"), 422)
    assert_error(therapist.get(f"{url}?from=2020-01-01&to={day()}"), 422)


def test_the_export_is_in_the_access_log_and_closed_to_others(app, exported):
    runner, _therapist, _response = exported
    assert runner.get("/api/v1/me/access-log").get_json()[0]["action"] == "exported_fhir"
    assert_error(Therapist(app).get(f"/api/v1/clinic/patients/{runner.user['id']}/fhir"), 404)


def test_an_empty_summary_is_still_a_valid_bundle():
    body = bundle(instance="clinic-a", patient={"id": 1, "name": None, "email": "a@example.org"},
                  checkins=[], runs=[], generated_at=datetime(2026, 5, 1, tzinfo=timezone.utc))
    parsed = Bundle.model_validate(body)
    assert len(parsed.entry) == 1 and parsed.entry[0].resource.name is None
    checkin = bundle(instance="clinic-a", patient={"id": 1, "name": None, "email": "a@example.org"},
                     checkins=[{"date": date(2026, 4, 30), "pain": 0}], runs=[],
                     generated_at=datetime(2026, 5, 1, tzinfo=timezone.utc))
    [obs] = observations(Bundle.model_validate(checkin), "72514-3")
    assert obs.valueQuantity.value == 0 and obs.bodySite.text == "Knee"


def test_body_site_carries_the_side_and_the_spot_the_runner_tapped(app):
    """Laterality and location: the sided knee region (SNOMED CT) on bodySite, and through
    R4's bodySite extension a contained BodyStructure with the tapped spot and the side."""
    runner = Runner(app, display_name="Side Spot")
    therapist = Therapist(app)
    therapist.accept(invite(runner)["code"])
    runner.put(f"/api/v1/checkins/{day(-2)}", json={"pain": 3, "side": "right", "location": "on_kneecap"})
    runner.put(f"/api/v1/checkins/{day(-1)}", json={"pain": 2, "side": "left", "location": "outside"})
    runner.put(f"/api/v1/checkins/{day()}", json={"pain": 1, "location": "back_of_knee"})
    body = json.loads(therapist.get(f"/api/v1/clinic/patients/{runner.user['id']}/fhir").data)
    parsed = Bundle.model_validate(body)
    worst = {str(o.effectiveDateTime): o for o in observations(parsed, "72514-3")}

    right = worst[day(-2)]
    assert (right.bodySite.coding[0].system, right.bodySite.coding[0].code) == ("http://snomed.info/sct", "6757004")
    assert right.bodySite.text == "Right knee, on the kneecap"
    [ext] = right.bodySite.extension
    assert ext.url == "http://hl7.org/fhir/StructureDefinition/bodySite" and ext.valueReference.reference == "#site"
    [structure] = right.contained
    assert structure.get_resource_type() == "BodyStructure" and structure.id == "site"
    assert structure.location.coding[0].code == "64234005" and structure.location.text == "on the kneecap"
    assert [q.coding[0].code for q in structure.locationQualifier] == ["24028007"]
    assert structure.patient.reference == right.subject.reference

    left = worst[day(-1)]
    assert left.bodySite.coding[0].code == "82169009"
    [structure] = left.contained
    assert structure.location.coding[0].code == "72696002"
    assert [q.coding[0].code for q in structure.locationQualifier] == ["7771000", "49370004"]  # left, lateral

    unsided = worst[day()]
    assert unsided.bodySite.coding[0].code == "72696002" and unsided.bodySite.text == "Knee, back of the knee"
    [structure] = unsided.contained
    assert structure.location.coding is None and structure.location.text == "back of the knee"
    assert structure.locationQualifier is None
    # A run's pain has no side or spot: the knee region alone, nothing contained.
    assert all(o.contained is None for o in observations(parsed, "72514-3") if o.identifier)


def test_the_demo_runner_has_a_name_in_the_export(app):
    from strideguard.demo import create_demo_runner

    with app.app_context():
        user = create_demo_runner("demo@example.org", "demo-password-42")
        assert user.display_name
        name = user.display_name
        from strideguard.clinic.fhir import bundle as make_bundle

        out = make_bundle(instance="x", patient={"id": user.id, "name": user.display_name, "email": user.email},
                          checkins=[], runs=[], generated_at=datetime(2026, 5, 1, tzinfo=timezone.utc))
    [entry] = Bundle.model_validate(out).entry
    assert entry.resource.name[0].text == name


# --- the exercise programme: a CarePlan, logged exercises and their pain as Observations ----

SESSION_A = "5a1e0c0e-0000-4000-8000-00000000000a"
SESSION_B = "5a1e0c0e-0000-4000-8000-00000000000b"
PROGRAMME = {"note": "Slow and controlled.", "items": [
    {"exercise": "core.glute_bridge", "sets": 3, "reps": 12, "per_week": 3},
    {"exercise": "core.clamshell", "load": "band", "band": "red", "weekdays": [1, 3, 5]},
    {"exercise": "core.wall_sit", "per_week": 7, "pain_ceiling": 5, "note": "Tendon loading."},
]}


def care_plans(parsed: Bundle) -> list[CarePlan]:
    return [e.resource for e in parsed.entry if e.resource.get_resource_type() == "CarePlan"]


def by_text(parsed: Bundle, text: str) -> list[Observation]:
    return [e.resource for e in parsed.entry
            if e.resource.get_resource_type() == "Observation" and e.resource.code.text == text]


@pytest.fixture
def rehab(app):
    """A runner whose therapist prescribed three exercises four days ago, with two sessions."""
    runner = Runner(app, display_name="Rehab Runner")
    therapist = Therapist(app, display_name="Dr Physio")
    therapist.accept(invite(runner)["code"])
    url = f"/api/v1/clinic/patients/{runner.user['id']}"
    prescribed = therapist.put(f"{url}/programme", json={**PROGRAMME, "starts_on": day(-4)})
    assert prescribed.status_code == 200, prescribed.get_json()
    first = runner.put(f"/api/v1/exercise-sessions/{SESSION_A}", json={"date": day(-3), "entries": [
        {"exercise": "core.glute_bridge", "sets": [{"reps": 12}, {"reps": 12}, {"reps": 10, "load_kg": 5}],
         "pain": 2},
        {"exercise": "core.wall_sit", "sets": [{"seconds": 45}, {"seconds": 30}], "pain": 6},
    ]})
    assert first.status_code == 201, first.get_json()
    second = runner.put(f"/api/v1/exercise-sessions/{SESSION_B}", json={"date": day(-1), "entries": [
        {"exercise": "core.clamshell", "sets": [{"reps": 15}, {"reps": 0}], "pain": None},
        {"exercise": "core.wall_sit", "sets": [{"seconds": 45}], "pain": 4},
    ]})
    assert second.status_code == 201, second.get_json()
    return runner, therapist, url


def test_the_programme_is_a_care_plan_with_one_activity_per_exercise(rehab):
    runner, therapist, url = rehab
    body = json.loads(therapist.get(f"{url}/fhir").data)
    parsed = Bundle.model_validate(body)
    [plan] = care_plans(parsed)
    [patient] = [e for e in parsed.entry if e.resource.get_resource_type() == "Patient"]
    assert (plan.status, plan.intent) == ("active", "plan")
    assert plan.subject.reference == patient.fullUrl
    assert str(plan.period.start) == day(-4) and plan.period.end is None
    assert plan.author.display.startswith("Dr Physio")
    assert plan.author.identifier.value == str(therapist.user["id"])
    assert [n.text for n in plan.note] == ["Slow and controlled."]
    assert len(plan.activity) == 3
    details = {a.detail.code.coding[0].code: a.detail for a in plan.activity}
    assert list(details) == ["core.glute_bridge", "core.clamshell", "core.wall_sit"]
    bridge, clamshell, wall_sit = details.values()
    assert bridge.code.text == "Glute bridge (core.glute_bridge)" and bridge.status == "in-progress"
    assert "3 × 12" in bridge.description and "3 days a week" in bridge.description
    assert (bridge.scheduledTiming.repeat.frequency, bridge.scheduledTiming.repeat.period,
            bridge.scheduledTiming.repeat.periodUnit) == (3, 1, "wk")
    assert bridge.scheduledTiming.repeat.dayOfWeek is None
    assert (bridge.quantity.value, bridge.quantity.code) == (3, "{set}")
    assert clamshell.scheduledTiming.repeat.dayOfWeek == ["mon", "wed", "fri"]
    assert clamshell.scheduledTiming.repeat.frequency is None
    assert "red band" in clamshell.description
    assert (wall_sit.scheduledTiming.repeat.frequency, wall_sit.scheduledTiming.repeat.periodUnit) == (7, "wk")
    assert "pain ceiling 5/10" in wall_sit.description and "Tendon loading." in wall_sit.description
    # The runner's own pain limit is the ceiling where the therapist set none.
    [prescribed] = [i for i in therapist.get(f"{url}/programme").get_json()["programme"]["items"]
                    if i["exercise"] == "core.glute_bridge"]
    assert prescribed["pain_ceiling"] is None
    assert f"pain ceiling {prescribed['ceiling']}/10" in bridge.description


def test_logged_exercises_and_their_pain_are_observations(rehab):
    _runner, therapist, url = rehab
    parsed = Bundle.model_validate(json.loads(therapist.get(f"{url}/fhir").data))
    performed = by_text(parsed, "Exercise performed")
    got = sorted((str(o.effectiveDateTime), o.code.coding[0].code, o.valueInteger) for o in performed)
    assert got == sorted([
        (day(-3), "core.glute_bridge", 3), (day(-3), "core.wall_sit", 2),
        (day(-1), "core.clamshell", 1), (day(-1), "core.wall_sit", 1),
    ])
    for obs in performed:
        assert obs.category[0].coding[0].code == "activity" and obs.status == "final"
        assert obs.identifier[0].value in {SESSION_A, SESSION_B}
    [bridge] = [o for o in performed if o.code.coding[0].code == "core.glute_bridge"]
    components = {c.code.text: c for c in bridge.component}
    assert components["Repetitions done"].valueInteger == 34
    assert (components["Heaviest load"].valueQuantity.value, components["Heaviest load"].valueQuantity.code) == (5, "kg")
    [held] = [o for o in performed if o.code.coding[0].code == "core.wall_sit" and str(o.effectiveDateTime) == day(-3)]
    assert {c.code.text: c.valueQuantity.value for c in held.component} == {"Time under load": 75}

    exercise_pains = sorted((str(o.effectiveDateTime), o.code.text, o.valueQuantity.value)
                            for o in observations(parsed, "72514-3") if o.code.text != "Knee pain during the run"
                            and o.code.text.startswith("Knee pain during"))
    assert exercise_pains == sorted([
        (day(-3), "Knee pain during Glute bridge", 2), (day(-3), "Knee pain during Wall sit", 6),
        (day(-1), "Knee pain during Wall sit", 4),
    ])  # the clamshell was logged without a pain: no pain Observation
    for obs in observations(parsed, "72514-3"):
        assert obs.valueQuantity.code == "{score}" and 0 <= obs.valueQuantity.value <= 10
        assert (obs.referenceRange[0].low.value, obs.referenceRange[0].high.value) == (0, 10)
    above = [o for o in observations(parsed, "72514-3") if o.interpretation]
    assert [(str(o.effectiveDateTime), o.valueQuantity.value, o.interpretation[0].coding[0].code)
            for o in above] == [(day(-3), 6, "H")]
    assert "5/10" in above[0].note[0].text
    performed_urls = {e.fullUrl for e in parsed.entry if e.resource.get_resource_type() == "Observation"
                      and e.resource.code.text == "Exercise performed"}
    assert above[0].derivedFrom[0].reference in performed_urls
    assert len({e.fullUrl for e in parsed.entry}) == len(parsed.entry)  # ids unique


def test_exercise_observations_respect_the_window(rehab):
    _runner, therapist, url = rehab
    parsed = Bundle.model_validate(json.loads(therapist.get(f"{url}/fhir?from={day(-1)}&to={day()}").data))
    assert {str(o.effectiveDateTime) for o in by_text(parsed, "Exercise performed")} == {day(-1)}
    assert len(care_plans(parsed)) == 1  # the programme runs through the window
    before = Bundle.model_validate(json.loads(therapist.get(f"{url}/fhir?from={day(-30)}&to={day(-5)}").data))
    assert care_plans(before) == [] and by_text(before, "Exercise performed") == []


def test_an_ended_programme_is_a_completed_care_plan(rehab):
    _runner, therapist, url = rehab
    assert therapist.put(f"{url}/programme", json={"items": []}).status_code == 200
    parsed = Bundle.model_validate(json.loads(therapist.get(f"{url}/fhir").data))
    [plan] = care_plans(parsed)
    assert plan.status == "completed" and len(plan.activity) == 3
    assert str(plan.period.start) == day(-4) and str(plan.period.end) == day(-1)
    assert {a.detail.status for a in plan.activity} == {"completed"}
    # Its sessions stay in the export.
    assert len(by_text(parsed, "Exercise performed")) == 4


def test_a_patient_without_a_programme_has_no_care_plan(exported):
    _runner, _therapist, response = exported
    parsed = Bundle.model_validate(json.loads(response.data))
    assert care_plans(parsed) == []
    assert by_text(parsed, "Exercise performed") == []


def test_the_pure_bundle_validates_a_weekday_programme_and_a_session():
    body = bundle(
        instance="clinic-a", patient={"id": 1, "name": None, "email": "a@example.org"}, checkins=[], runs=[],
        generated_at=datetime(2026, 5, 1, tzinfo=timezone.utc),
        programme={"version": 2, "status": "active", "starts_on": date(2026, 4, 1), "ends_on": None,
                   "created_at": datetime(2026, 4, 1, 9, tzinfo=timezone.utc), "therapist": "Dr A",
                   "therapist_id": None, "note": None,
                   "items": [{"exercise": "custom.7", "name": "Towel squeeze", "sets": 1, "dose_text": "1 × 10 holds of 5 s",
                              "schedule_text": "Tue, Sat", "per_week": None, "weekdays": [6, 2], "ceiling": 3,
                              "note": None}]},
        exercise_sessions=[{"uuid": SESSION_A, "date": date(2026, 4, 30), "entries": [
            {"exercise": "custom.7", "name": "Towel squeeze", "sets": [{"reps": 10, "seconds": 5, "load_kg": None}],
             "sets_done": 1, "pain": 0, "ceiling": 3}]}],
    )
    parsed = Bundle.model_validate(body)
    [plan] = care_plans(parsed)
    assert plan.author.identifier is None and plan.author.display == "Dr A"
    assert plan.activity[0].detail.scheduledTiming.repeat.dayOfWeek == ["tue", "sat"]
    [pain] = observations(parsed, "72514-3")
    assert pain.valueQuantity.value == 0 and pain.interpretation is None


def test_two_patients_programmes_and_sessions_have_different_ids():
    def one(patient_id: int) -> set[str]:
        body = bundle(
            instance="clinic-a", patient={"id": patient_id, "name": None, "email": f"{patient_id}@example.org"},
            checkins=[], runs=[], generated_at=datetime(2026, 5, 1, tzinfo=timezone.utc),
            programme={"version": 1, "status": "active", "starts_on": date(2026, 4, 1), "ends_on": None,
                       "created_at": datetime(2026, 4, 1, tzinfo=timezone.utc), "therapist": "Dr A",
                       "therapist_id": 9, "note": None, "items": []},
            exercise_sessions=[{"uuid": SESSION_A, "date": date(2026, 4, 30), "entries": [
                {"exercise": "core.plank", "name": "Plank", "sets": [{"seconds": 30}], "sets_done": 1, "pain": 1,
                 "ceiling": 3}]}])
        return {e["fullUrl"] for e in body["entry"]}

    assert one(1).isdisjoint(one(2))
