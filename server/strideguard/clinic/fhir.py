"""A patient's summary as a FHIR R4 Bundle (PURE): plain dicts in, a JSON-ready dict out.

Written against FHIR R4 (4.0.1). The tests validate it with ``fhir.resources``' R4B models:
fhir.resources 8 ships R5 and R4B but no plain R4 any more, and R4B's Patient, Observation
and Bundle are R4's (R4B changed neither). The Bundle is a ``collection`` of:

* one ``Patient`` (the name the runner gave, or none; their email as ``telecom``);
* per check-in, an ``Observation`` of the worst knee pain of the last 24 hours —
  LOINC 72514-3 "Pain severity - 0-10 verbal numeric rating [Score] - Reported", value in
  UCUM ``{score}``, ``referenceRange`` 0-10, category ``survey``, and ``bodySite``: the
  knee region with its side as SNOMED CT's precoordinated concept (72696002 "Knee region
  structure"; 82169009 left, 6757004 right, 36701003 both knees) and the side and spot as
  text. With a side or a spot, the standard R4 extension ``bodySite`` points at a
  contained ``BodyStructure``: ``location`` the spot the runner tapped (64234005 "Patella"
  for on/around the kneecap, the knee region with the qualifier 49370004 "Lateral" or
  255561001 "Medial" for the outside or inside, text only below the kneecap and at the
  back of the knee, where no concept fits without guessing) and ``locationQualifier`` the
  laterality (7771000 left, 24028007 right, 51440002 right and left);
  morning pain, when given, as a second 72514-3 Observation ("on waking");
* per run, ``Observation``s of its distance (LOINC 55412-1 "Exercise distance", UCUM
  ``m``) and duration (LOINC 55411-3 "Exercise duration", UCUM ``min``) in category
  ``activity``, and of the pain during and after it (72514-3 again), each tagged with the
  run's UUID as ``identifier``.

* the runner's current exercise programme, when one was prescribed and its period meets the
  export's window, as a ``CarePlan`` (intent ``plan``; ``active``, or ``completed`` once the
  therapist ended it; ``author`` the prescribing therapist by identifier and name — the
  Bundle has no Practitioner resources): one ``activity`` per exercise whose ``detail``
  holds the exercise (``code``: its library id under ``urn:strideguard:exercise``, its name),
  the dose in words, the schedule as a ``scheduledTiming`` (n days a week: ``frequency`` n
  per 1 ``wk``; chosen weekdays: ``dayOfWeek``) and the sets as ``quantity`` (UCUM
  ``{set}``). Earlier versions are left out: each is a full list the next one replaced, and
  the logged exercises carry what was in force when they were done (their pain ceiling);
* per exercise of a logged session, an ``Observation`` "Exercise performed" (category
  ``activity``, the exercise as its code, ``valueInteger`` the sets done, components for the
  repetitions, seconds and heaviest load) and, when the runner gave one, the pain during it
  as a 72514-3 Observation like the others, its ceiling in ``note`` and ``interpretation``
  ``H`` when above it; both tagged with the session's UUID and linked by ``derivedFrom``.

Every Observation's ``effectiveDateTime`` is the runner's local calendar date of the entry
(FHIR allows a date-only dateTime); ids are stable (``urn:uuid`` from the entry's key), so
exporting twice gives the same resources. The programme's and the logged exercises' ids also
name the patient (a session UUID is unique per runner only).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
PAIN = {"system": LOINC, "code": "72514-3", "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported"}
DISTANCE = {"system": LOINC, "code": "55412-1", "display": "Exercise distance"}
DURATION = {"system": LOINC, "code": "55411-3", "display": "Exercise duration"}
KNEE = {"system": SNOMED, "code": "72696002", "display": "Knee region structure"}
SURVEY = {"system": CATEGORY, "code": "survey", "display": "Survey"}
ACTIVITY = {"system": CATEGORY, "code": "activity", "display": "Activity"}
EXERCISE_SYSTEM = "urn:strideguard:exercise"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
HIGH = {"system": INTERPRETATION, "code": "H", "display": "High"}
FHIR_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: Namespace of the stable resource ids (uuid5 of "<instance>:<key>").
NAMESPACE = uuid.UUID("6b0c7c8e-8f2a-4b7e-9d0c-5f3a2e1d4c21")

LOCATIONS = {
    "around_kneecap": "around the kneecap", "on_kneecap": "on the kneecap",
    "below_kneecap": "below the kneecap", "outside": "outside of the knee",
    "inside_below_joint": "inside, below the joint line", "back_of_knee": "back of the knee",
    "whole_knee": "the whole knee",
}
SIDES = {"left": "Left knee", "right": "Right knee", "both": "Both knees"}
#: The knee region with its side, as SNOMED CT's precoordinated body structures.
SIDED_KNEE = {
    "left": {"system": SNOMED, "code": "82169009", "display": "Structure of left knee region"},
    "right": {"system": SNOMED, "code": "6757004", "display": "Structure of right knee region"},
    "both": {"system": SNOMED, "code": "36701003", "display": "Both knees"},
}
#: Laterality qualifiers (SNOMED CT qualifier values) for BodyStructure.locationQualifier.
LATERALITY = {
    "left": {"system": SNOMED, "code": "7771000", "display": "Left"},
    "right": {"system": SNOMED, "code": "24028007", "display": "Right"},
    "both": {"system": SNOMED, "code": "51440002", "display": "Right and left"},
}
PATELLA = {"system": SNOMED, "code": "64234005", "display": "Patella"}
LATERAL = {"system": SNOMED, "code": "49370004", "display": "Lateral"}
MEDIAL = {"system": SNOMED, "code": "255561001", "display": "Medial"}
#: The spot the runner tapped: (structure, qualifiers). A structure of None: text only (no
#: SNOMED CT concept says "below the kneecap" or "back of the knee" without guessing one).
SPOTS: dict[str, tuple[Mapping[str, str] | None, tuple[Mapping[str, str], ...]]] = {
    "on_kneecap": (PATELLA, ()), "around_kneecap": (PATELLA, ()), "below_kneecap": (None, ()),
    "outside": (KNEE, (LATERAL,)), "inside_below_joint": (KNEE, (MEDIAL,)), "back_of_knee": (None, ()),
    "whole_knee": (KNEE, ()),
}
#: R4's standard extension pointing a bodySite at a BodyStructure with the detail.
BODY_SITE_EXT = "http://hl7.org/fhir/StructureDefinition/bodySite"


def _urn(instance: str, key: str) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{instance}:{key}')}"


def _iso(day: date | str) -> str:
    return day.isoformat() if isinstance(day, date) else str(day)


def _site(side: str | None, location: str | None, patient_url: str | None = None) -> dict[str, Any]:
    """``bodySite`` (and, with a side or a spot, a contained ``BodyStructure``): the knee
    region with its side coded (SNOMED CT), the side and spot as text, and the spot the
    runner tapped as the BodyStructure's location with its laterality qualifier."""
    words = [SIDES.get(side or "", "Knee")]
    if location in LOCATIONS:
        words.append(LOCATIONS[location])
    site: dict[str, Any] = {"coding": [dict(SIDED_KNEE.get(side or "", KNEE))], "text": ", ".join(words)}
    if patient_url is None or (side not in SIDES and location not in LOCATIONS):
        return {"bodySite": site}
    structure, qualifiers = SPOTS.get(location or "", (KNEE, ()))
    spot: dict[str, Any] = {"text": LOCATIONS.get(location or "", "the knee")}
    if structure is not None:
        spot["coding"] = [dict(structure)]
    body: dict[str, Any] = {
        "resourceType": "BodyStructure", "id": "site", "active": True, "location": spot,
        "description": site["text"], "patient": {"reference": patient_url},
    }
    qualify = ([dict(LATERALITY[side])] if side in LATERALITY else []) + [dict(q) for q in qualifiers]
    if qualify:
        body["locationQualifier"] = [{"coding": [q], "text": q["display"]} for q in qualify]
    site["extension"] = [{"url": BODY_SITE_EXT, "valueReference": {"reference": "#site", "display": site["text"]}}]
    return {"bodySite": site, "contained": [body]}


def _observation(full_url: str, patient_url: str, code: Mapping[str, str], text: str, day: date | str,
                 quantity: Mapping[str, Any], category: Mapping[str, str], **extra: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": full_url.rsplit(":", 1)[1],
        "status": "final",
        "category": [{"coding": [dict(category)]}],
        "code": {"coding": [dict(code)], "text": text},
        "subject": {"reference": patient_url},
        "effectiveDateTime": _iso(day),
        "valueQuantity": dict(quantity),
    }
    resource.update(extra)
    return {"fullUrl": full_url, "resource": resource}


def _score(value: int) -> dict[str, Any]:
    return {"value": value, "unit": "{score}", "system": UCUM, "code": "{score}"}


_RANGE = [{"low": _score(0), "high": _score(10), "text": "0 = no pain, 10 = worst pain imaginable"}]


def pain_entry(instance: str, patient_url: str, key: str, value: int, day: date | str, text: str,
               site: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    """A pain Observation; ``site``: what :func:`_site` gives (``bodySite``, ``contained``)."""
    return _observation(_urn(instance, key), patient_url, PAIN, text, day, _score(value), SURVEY,
                        referenceRange=_RANGE, **site, **extra)


def _sets(value: int) -> dict[str, Any]:
    return {"value": value, "unit": "sets", "system": UCUM, "code": "{set}"}


def _timing(per_week: int | None, weekdays: Iterable[int] | None) -> dict[str, Any]:
    """n days a week: n per 1 week; chosen weekdays (ISO, 1 = Monday): once on each."""
    days = sorted(set(weekdays or ()))
    if days:
        return {"repeat": {"dayOfWeek": [FHIR_WEEKDAYS[d - 1] for d in days]}}
    return {"repeat": {"frequency": per_week or 1, "period": 1, "periodUnit": "wk"}}


def care_plan(instance: str, patient_url: str, programme: Mapping[str, Any]) -> dict[str, Any]:
    """The programme as a CarePlan entry. ``programme``: ``version``, ``status`` (active or
    completed), ``starts_on``, ``ends_on`` (or None), ``created_at``, ``therapist`` (the
    name), ``therapist_id`` (or None), ``note`` and ``items`` (the API's programme items:
    exercise, name, sets, dose_text, schedule_text, per_week, weekdays, ceiling, note)."""
    full_url = _urn(instance, f"{patient_url}:programme:{programme['version']}")
    author: dict[str, Any] = {"display": programme["therapist"]}
    if programme.get("therapist_id") is not None:
        author["identifier"] = {"system": f"urn:strideguard:{instance}:user", "value": str(programme["therapist_id"])}
    period: dict[str, Any] = {"start": _iso(programme["starts_on"])}
    if programme.get("ends_on") is not None:
        period["end"] = _iso(programme["ends_on"])
    done = programme["status"] == "completed"
    activities = []
    for item in programme["items"]:
        words = f"{item['name']}: {item['dose_text']}, {item['schedule_text']}; pain ceiling {item['ceiling']}/10"
        if item.get("note"):
            words += f". {item['note']}"
        activities.append({"detail": {
            "code": {"coding": [{"system": EXERCISE_SYSTEM, "code": item["exercise"], "display": item["name"]}],
                     "text": f"{item['name']} ({item['exercise']})"},
            "status": "completed" if done else "in-progress",
            "scheduledTiming": _timing(item.get("per_week"), item.get("weekdays")),
            "quantity": _sets(item["sets"]),
            "description": words,
        }})
    resource: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": full_url.rsplit(":", 1)[1],
        "identifier": [{"system": f"urn:strideguard:{instance}:programme", "value": str(programme["version"])}],
        "status": programme["status"],
        "intent": "plan",
        "title": "Exercise programme",
        "description": "Strengthening and flexibility exercises prescribed by the physical therapist.",
        "subject": {"reference": patient_url},
        "period": period,
        "created": programme["created_at"].isoformat() if isinstance(programme["created_at"], datetime)
        else str(programme["created_at"]),
        "author": author,
        "activity": activities,
    }
    if programme.get("note"):
        resource["note"] = [{"text": programme["note"]}]
    return {"fullUrl": full_url, "resource": resource}


def _component(text: str, **value: Any) -> dict[str, Any]:
    return {"code": {"text": text}, **value}


def exercise_entries(instance: str, patient_url: str, session: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A logged session: per exercise an "Exercise performed" Observation and, with a pain
    given, the pain during it. ``session``: ``uuid``, ``date``, ``entries`` (exercise, name,
    sets, sets_done, pain, ceiling)."""
    out: list[dict[str, Any]] = []
    day, ident = session["date"], [{"system": "urn:strideguard:exercise-session", "value": session["uuid"]}]
    for entry in session["entries"]:
        key = f"{patient_url}:exercise-session:{session['uuid']}:{entry['exercise']}"
        sets = entry.get("sets") or ()
        components = []
        reps = sum(s.get("reps") or 0 for s in sets)
        seconds = sum(s.get("seconds") or 0 for s in sets)
        loads = [float(s["load_kg"]) for s in sets if s.get("load_kg") is not None]
        if reps:
            components.append(_component("Repetitions done", valueInteger=reps))
        if seconds:
            components.append(_component("Time under load", valueQuantity={
                "value": seconds, "unit": "s", "system": UCUM, "code": "s"}))
        if loads:
            components.append(_component("Heaviest load", valueQuantity={
                "value": max(loads), "unit": "kg", "system": UCUM, "code": "kg"}))
        performed: dict[str, Any] = {
            "resourceType": "Observation",
            "id": _urn(instance, key).rsplit(":", 1)[1],
            "identifier": ident,
            "status": "final",
            "category": [{"coding": [dict(ACTIVITY)]}],
            "code": {"coding": [{"system": EXERCISE_SYSTEM, "code": entry["exercise"], "display": entry["name"]}],
                     "text": "Exercise performed"},
            "subject": {"reference": patient_url},
            "effectiveDateTime": _iso(day),
            "valueInteger": entry["sets_done"],
            "note": [{"text": f"{entry['name']}: {entry['sets_done']} sets done"}],
        }
        if components:
            performed["component"] = components
        out.append({"fullUrl": _urn(instance, key), "resource": performed})
        if entry.get("pain") is not None:
            extra: dict[str, Any] = {
                "identifier": ident, "derivedFrom": [{"reference": _urn(instance, key)}],
                "note": [{"text": f"Pain ceiling for {entry['name']}: {entry['ceiling']}/10"}],
            }
            if entry["pain"] > entry["ceiling"]:
                extra["interpretation"] = [{"coding": [dict(HIGH)], "text": "Above the exercise's pain ceiling"}]
            out.append(pain_entry(instance, patient_url, f"{key}:pain", entry["pain"], day,
                                  f"Knee pain during {entry['name']}", _site(None, None), **extra))
    return out


def bundle(
    *,
    instance: str,
    patient: Mapping[str, Any],
    checkins: Iterable[Mapping[str, Any]],
    runs: Iterable[Mapping[str, Any]],
    generated_at: datetime,
    programme: Mapping[str, Any] | None = None,
    exercise_sessions: Iterable[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The Bundle for one patient. ``patient``: ``id``, ``name`` (or None), ``email``.
    ``checkins``/``runs``: the API's check-in and run fields (dates, pains, metres, seconds).
    ``programme``: see :func:`care_plan` (None: no CarePlan); ``exercise_sessions``: see
    :func:`exercise_entries`."""
    patient_url = _urn(instance, f"patient:{patient['id']}")
    person: dict[str, Any] = {
        "resourceType": "Patient",
        "id": patient_url.rsplit(":", 1)[1],
        "identifier": [{"system": f"urn:strideguard:{instance}:user", "value": str(patient["id"])}],
        "telecom": [{"system": "email", "value": patient["email"]}],
    }
    if patient.get("name"):
        person["name"] = [{"text": patient["name"]}]
    entries: list[dict[str, Any]] = [{"fullUrl": patient_url, "resource": person}]
    for c in sorted(checkins, key=lambda c: _iso(c["date"])):
        day, site = c["date"], _site(c.get("side"), c.get("location"), patient_url)
        entries.append(pain_entry(instance, patient_url, f"checkin:{_iso(day)}:pain", c["pain"], day,
                                  "Worst knee pain in the last 24 hours", site))
        if c.get("morning_pain") is not None:
            entries.append(pain_entry(instance, patient_url, f"checkin:{_iso(day)}:morning_pain",
                                      c["morning_pain"], day, "Knee pain or stiffness on waking", site))
    for r in sorted(runs, key=lambda r: (_iso(r["date"]), r["id"])):
        day, ident = r["date"], [{"system": "urn:strideguard:run", "value": r["id"]}]
        entries.append(_observation(
            _urn(instance, f"run:{r['id']}:distance"), patient_url, DISTANCE, "Running distance", day,
            {"value": round(float(r["distance_m"]), 1), "unit": "m", "system": UCUM, "code": "m"},
            ACTIVITY, identifier=ident))
        entries.append(_observation(
            _urn(instance, f"run:{r['id']}:duration"), patient_url, DURATION, "Running time", day,
            {"value": round(float(r["duration_s"]) / 60, 2), "unit": "min", "system": UCUM, "code": "min"},
            ACTIVITY, identifier=ident))
        for name, text in (("pain_during", "Knee pain during the run"), ("pain_after", "Knee pain after the run")):
            if r.get(name) is not None:
                entries.append(pain_entry(instance, patient_url, f"run:{r['id']}:{name}", r[name], day, text,
                                          _site(None, None), identifier=ident))
    if programme is not None:
        entries.append(care_plan(instance, patient_url, programme))
    for s in sorted(exercise_sessions, key=lambda s: (_iso(s["date"]), s["uuid"])):
        entries.extend(exercise_entries(instance, patient_url, s))
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid5(NAMESPACE, f"{instance}:bundle:{patient['id']}:{generated_at.isoformat()}")),
        "meta": {"lastUpdated": generated_at.isoformat()},
        "type": "collection",
        "timestamp": generated_at.isoformat(),
        "entry": entries,
    }
