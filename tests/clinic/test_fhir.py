"""The FHIR export parses with fhir.resources (R4B models: R4B's Observation, Patient and
Bundle are R4's) and carries the right LOINC codes, UCUM units, body site and dates."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from fhir.resources.R4B.bundle import Bundle
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
