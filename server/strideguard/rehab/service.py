"""Rehab use cases: the library, a therapist's own exercises, programme versions, the runner's
day of exercises, logged sessions and adherence.

Every read and write is scoped: a runner reads their own programme and sessions, a therapist
only a patient linked to them (``clinic.sharing.care_link``: 404 otherwise) and only their
own exercises. Writes go through the one after-write path (``afterwrite``): the runner's lock
first, the change, the care plan replayed, one commit.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import delete, func, select

from strideguard.accounts.limits import runner_settings
from strideguard.accounts.models import User
from strideguard.afterwrite import after_write, begin_write, retrying
from strideguard.clinic import sharing
from strideguard.day import redflags
from strideguard.errors import Invalid, NotFound
from strideguard.extensions import db
from strideguard.guidance.service import host
from strideguard.owned import MAX_ID
from strideguard.plan import service as plan_service
from strideguard.plan.machine import PlanDay
from strideguard.rehab import adherence, store
from strideguard.rehab.library import Exercise, library
from strideguard.rehab.models import CustomExercise, ExerciseEntry, ExerciseSession, Programme, ProgrammeItem
from strideguard.timeutil import utcnow
from strideguard.training.service import _not_future

#: How far back a therapist may date a programme's start (a paper prescription).
BACKDATE_DAYS = 90
#: How far back a logged exceedance still alerts the therapist (a session logged late).
ALERT_DAYS = 7
GENERAL_NOTE = ("General exercises often used for your conditions, not a prescription. Ask a physical "
                "therapist to check them and tailor the doses to you.")
CUSTOM = "custom."


# --- the library ---------------------------------------------------------------------------


def _custom_exercise(row: CustomExercise) -> Exercise:
    return Exercise(
        id=f"{CUSTOM}{row.id}", name=row.name, instructions=row.instructions, trains=tuple(row.trains or ()),
        dose=row.dose, sets=row.sets, reps=row.reps, seconds=row.seconds, sides=row.sides,
        equipment=tuple(row.equipment or ()), conditions=tuple(row.conditions or ()), source="therapist",
    )


def shared_library() -> dict[str, Exercise]:
    """The built-in exercises and those of the active plugins, by id."""
    return library(host().exercises())


def _own(therapist: User, retired: bool = False) -> list[CustomExercise]:
    query = select(CustomExercise).where(CustomExercise.user_id == therapist.id)
    if not retired:
        query = query.where(CustomExercise.retired_at.is_(None))
    return list(db.session.execute(query.order_by(CustomExercise.id)).scalars())


def exercise_out(exercise: Exercise, retired: bool = False) -> dict[str, Any]:
    return {**exercise.to_dict(), "retired": retired}


def list_library(user: User, condition: str | None) -> list[dict[str, Any]]:
    """What ``GET /exercises`` shows: built-in and plugin exercises, and a therapist's own
    (retired ones too, marked, so the therapist can see what they retired)."""
    found = [exercise_out(e) for e in shared_library().values()]
    if user.role == "therapist":
        found += [exercise_out(_custom_exercise(row), row.retired_at is not None)
                  for row in _own(user, retired=True)]
    if condition:
        found = [e for e in found if condition in e["conditions"]]
    return found


def _custom_row(therapist: User, exercise_id: str) -> CustomExercise:
    number = exercise_id[len(CUSTOM):] if exercise_id.startswith(CUSTOM) else ""
    row = None
    if number.isdigit() and 0 < int(number) <= MAX_ID:
        row = db.session.execute(select(CustomExercise).where(
            CustomExercise.id == int(number), CustomExercise.user_id == therapist.id)).scalar_one_or_none()
    if row is None:
        raise NotFound("No such exercise of yours.")
    return row


def _dose_check(values: dict[str, Any]) -> None:
    from strideguard.rehab.schemas import _dose_problems

    problems = _dose_problems(values)
    if problems:
        raise Invalid(fields=problems)


CUSTOM_FIELDS = ("name", "instructions", "trains", "dose", "sets", "reps", "seconds", "sides", "equipment",
                 "conditions")


def create_custom(therapist: User, data: dict[str, Any]) -> dict[str, Any]:
    row = CustomExercise(user_id=therapist.id, **{k: data.get(k) for k in CUSTOM_FIELDS})
    db.session.add(row)
    db.session.commit()
    return exercise_out(_custom_exercise(row))


def patch_custom(therapist: User, exercise_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Edit one of the therapist's own exercises. Programmes that use it keep the text they
    were prescribed with; the next version copies the new one."""
    row = _custom_row(therapist, exercise_id)
    merged = {k: changes.get(k, getattr(row, k)) for k in CUSTOM_FIELDS}
    if "dose" in changes:  # a new dose type drops the fields it does not use
        if changes["dose"] == "reps" and "seconds" not in changes:
            merged["seconds"] = None
        if changes["dose"] == "time" and "reps" not in changes:
            merged["reps"] = None
    _dose_check(merged)
    for key, value in merged.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    db.session.commit()
    return exercise_out(_custom_exercise(row), row.retired_at is not None)


def retire_custom(therapist: User, exercise_id: str) -> None:
    """Retire one of the therapist's own exercises: gone from the library for new programmes;
    programmes that use it keep their copy."""
    row = _custom_row(therapist, exercise_id)
    if row.retired_at is None:
        row.retired_at = utcnow()
        db.session.commit()


def _resolve(therapist: User | None, key: str) -> Exercise:
    """An exercise a programme may use: built-in, a plugin's, or the therapist's own (active)."""
    found = shared_library().get(key)
    if found is not None:
        return found
    if therapist is not None and key.startswith(CUSTOM):
        try:
            row = _custom_row(therapist, key)
        except NotFound:
            row = None
        if row is not None and row.retired_at is None:
            return _custom_exercise(row)
    raise Invalid(fields={"items": [f"Unknown exercise: {key}. Use an id from GET /exercises."]})


def _kg(value: Any) -> Decimal | None:
    """A load as stored and shown: kilograms to one decimal (half up), exact."""
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# --- words ---------------------------------------------------------------------------------


WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def dose_text(dose: str, sets: int, reps: int | None, seconds: int | None, side: str | None = None,
              load: str | None = None, load_kg: Any = None, band: str | None = None) -> str:
    """The dose in words: "3 × 10 each side", "5 × 45 s hold", "3 × 30 s", with the load."""
    if dose == "reps":
        text = f"{sets} × {reps}"
    elif dose == "hold":
        text = f"{sets} × {reps} holds of {seconds} s" if reps and reps > 1 else f"{sets} × {seconds} s hold"
    else:
        text = f"{sets} × {seconds} s"
    text += {"each": " each side", "left": " left leg", "right": " right leg"}.get(side or "", "")
    if load == "kg" and load_kg is not None:
        text += f", {Decimal(str(load_kg)).normalize():f} kg"
    elif load == "band" and band:
        text += f", {band} band"
    return text


def schedule_text(per_week: int | None, weekdays: list[int] | None) -> str:
    if weekdays:
        return ", ".join(WEEKDAY_NAMES[d - 1] for d in sorted(set(weekdays)))
    return "every day" if per_week == 7 else f"{per_week} days a week"


# --- programmes ----------------------------------------------------------------------------


def _versions(user_id: int) -> list[Programme]:
    return list(db.session.execute(select(Programme).where(Programme.user_id == user_id)
                                   .order_by(Programme.version)).scalars())


def _items(programme_ids: list[int]) -> dict[int, list[ProgrammeItem]]:
    found: dict[int, list[ProgrammeItem]] = {pid: [] for pid in programme_ids}
    if programme_ids:
        for item in db.session.execute(select(ProgrammeItem).where(ProgrammeItem.programme_id.in_(programme_ids))
                                       .order_by(ProgrammeItem.programme_id, ProgrammeItem.position)).scalars():
            found[item.programme_id].append(item)
    return found


def item_out(item: ProgrammeItem, pain_limit: int) -> dict[str, Any]:
    return {
        "exercise": item.exercise, "name": item.name, "instructions": item.instructions, "dose": item.dose,
        "sets": item.sets, "reps": item.reps, "seconds": item.seconds, "load": item.load,
        "load_kg": float(item.load_kg) if item.load_kg is not None else None, "band": item.band,
        "side": item.side, "per_week": item.per_week, "weekdays": item.weekdays,
        "pain_ceiling": item.pain_ceiling,
        "ceiling": item.pain_ceiling if item.pain_ceiling is not None else pain_limit,
        "dose_text": dose_text(item.dose, item.sets, item.reps, item.seconds, item.side, item.load,
                               item.load_kg, item.band),
        "schedule_text": schedule_text(item.per_week, item.weekdays),
        "note": item.note,
    }


def programme_out(programme: Programme, items: list[ProgrammeItem], pain_limit: int) -> dict[str, Any]:
    return {
        "version": programme.version, "therapist": programme.therapist, "created_at": programme.created_at,
        "starts_on": programme.starts_on, "effective_from": programme.effective_from,
        "min_adherence_pct": programme.min_adherence_pct, "note": programme.note,
        "items": [item_out(i, pain_limit) for i in items], "changes": programme.changes or [],
    }


def _summary(programme: Programme, count: int) -> dict[str, Any]:
    return {"version": programme.version, "therapist": programme.therapist, "created_at": programme.created_at,
            "effective_from": programme.effective_from, "items": count, "changes": programme.changes or []}


_COMPARED = ("sets", "reps", "seconds", "load", "load_kg", "band", "side", "per_week", "weekdays",
             "pain_ceiling", "note")


def changes_between(before: list[dict[str, Any]], after: list[dict[str, Any]],
                    old: Programme | None, new: dict[str, Any]) -> list[dict[str, Any]]:
    """What a new version changes, in words a runner reads ("Bridge: 3 × 10 → 3 × 12")."""
    out: list[dict[str, Any]] = []
    old_by = {i["exercise"]: i for i in before}
    new_by = {i["exercise"]: i for i in after}
    for key, item in new_by.items():
        if key not in old_by:
            out.append({"kind": "added", "exercise": key, "name": item["name"],
                        "text": f"Added {item['name']}: {item['dose_text']}, {item['schedule_text']}."})
            continue
        was = old_by[key]
        diffs = []
        if any(was[f] != item[f] for f in _COMPARED if f not in ("per_week", "weekdays", "pain_ceiling", "note")):
            diffs.append(f"{was['dose_text']} → {item['dose_text']}")
        if was["per_week"] != item["per_week"] or was["weekdays"] != item["weekdays"]:
            diffs.append(f"{was['schedule_text']} → {item['schedule_text']}")
        if was["pain_ceiling"] != item["pain_ceiling"]:
            diffs.append(f"pain ceiling {was['ceiling']}/10 → {item['ceiling']}/10")
        if was["note"] != item["note"]:
            diffs.append("new note")
        if diffs:
            out.append({"kind": "changed", "exercise": key, "name": item["name"],
                        "text": f"{item['name']}: {'; '.join(diffs)}."})
    for key, item in old_by.items():
        if key not in new_by:
            out.append({"kind": "removed", "exercise": key, "name": item["name"],
                        "text": f"Removed {item['name']}."})
    if old is not None and old.min_adherence_pct != new["min_adherence_pct"]:
        text = (f"Minimum for the return: {new['min_adherence_pct']}% of the exercises."
                if new["min_adherence_pct"] is not None else "No minimum for the return any more.")
        out.append({"kind": "programme", "exercise": None, "name": None, "text": text})
    if old is not None and old.starts_on != new["starts_on"]:
        out.append({"kind": "programme", "exercise": None, "name": None,
                    "text": f"Start date {old.starts_on.isoformat()} → {new['starts_on'].isoformat()}."})
    if old is not None and not after and before:
        out.append({"kind": "programme", "exercise": None, "name": None, "text": "The programme has ended."})
    return out


def _patient_view(patient: User) -> dict[str, Any]:
    versions = _versions(patient.id)
    items = _items([v.id for v in versions])
    limit = runner_settings(patient).pain_threshold
    current = versions[-1] if versions else None
    return {
        "prescribed": current is not None and bool(items[current.id]),
        "programme": programme_out(current, items[current.id], limit) if current is not None else None,
        "versions": [_summary(v, len(items[v.id])) for v in reversed(versions)],
    }


def programme_for_therapist(therapist: User, patient_id: int) -> dict[str, Any]:
    link, patient = sharing.care_link(therapist, patient_id)
    sharing.log(patient.id, therapist, "viewed_programme")
    out = _patient_view(patient)
    db.session.commit()
    return {**out, "starter_sets": [], "general_note": None}


@retrying
def put_programme(therapist: User, patient_id: int, data: dict[str, Any]) -> dict[str, Any]:
    """A new version of the patient's programme (the whole list of items; empty ends it)."""
    link, patient = sharing.care_link(therapist, patient_id)
    begin_write(patient)
    today = plan_service.runner_today(patient)
    versions = _versions(patient.id)
    previous = versions[-1] if versions else None
    starts_on = data.get("starts_on") or (previous.starts_on if previous is not None else today)
    if starts_on > today or starts_on < today - timedelta(days=BACKDATE_DAYS):
        raise Invalid(fields={"starts_on": [f"Use a date from the last {BACKDATE_DAYS} days, not in the future."]})
    limit = runner_settings(patient).pain_threshold
    rows = []
    for position, raw in enumerate(data["items"]):
        exercise = _resolve(therapist, raw["exercise"])
        if any(r.exercise == exercise.id for r in rows):
            raise Invalid(fields={"items": [f"{exercise.name} is listed twice."]})
        # A dose field the exercise's dose type has no use for is refused, not dropped (10 reps
        # for a plank were silently prescribed as 3 x 30 s).
        if exercise.dose == "time" and raw.get("reps") is not None:
            raise Invalid(fields={"items": [f"{exercise.name} is timed: give seconds, not repetitions."]})
        if exercise.dose == "reps" and raw.get("seconds") is not None:
            raise Invalid(fields={"items": [f"{exercise.name} is done in repetitions: give reps, not seconds."]})
        values = {
            "sets": raw.get("sets") or exercise.sets,
            "reps": raw.get("reps") if raw.get("reps") is not None else exercise.reps,
            "seconds": raw.get("seconds") if raw.get("seconds") is not None else exercise.seconds,
        }
        if exercise.dose == "reps":
            values["seconds"] = None
        if exercise.dose == "time":
            values["reps"] = None
        _dose_check({"dose": exercise.dose, **values})
        rows.append(ProgrammeItem(
            user_id=patient.id, position=position, exercise=exercise.id, name=exercise.name,
            instructions=exercise.instructions, dose=exercise.dose, **values,
            load=raw.get("load") or "bodyweight", load_kg=_kg(raw.get("load_kg")), band=raw.get("band"),
            side=raw.get("side") or exercise.sides, per_week=raw.get("per_week"),
            weekdays=sorted(set(raw["weekdays"])) if raw.get("weekdays") else None,
            pain_ceiling=raw.get("pain_ceiling"), note=raw.get("note"),
        ))
    effective = starts_on if previous is None else max(starts_on, today)
    new = {"min_adherence_pct": data.get("min_adherence_pct"), "starts_on": starts_on}
    before = [item_out(i, limit) for i in _items([previous.id])[previous.id]] if previous is not None else []
    after = [item_out(r, limit) for r in rows]
    programme = Programme(
        user_id=patient.id, version=(previous.version + 1) if previous is not None else 1,
        therapist_id=therapist.id, therapist=sharing.label(therapist), starts_on=starts_on,
        effective_from=effective, min_adherence_pct=data.get("min_adherence_pct"), note=data.get("note"),
        changes=changes_between(before, after, previous, new) if previous is not None else [],
    )
    db.session.add(programme)
    db.session.flush()
    for row in rows:
        row.programme_id = programme.id
        db.session.add(row)
    sharing.log(patient.id, therapist, "changed_programme", version=programme.version, items=len(rows))
    db.session.flush()
    after_write(patient, min(effective, previous.effective_from if previous else effective))
    db.session.commit()
    return {**_patient_view(patient), "starter_sets": [], "general_note": None}


# --- the runner's side ---------------------------------------------------------------------


def starter_sets(user: User) -> list[dict[str, Any]]:
    """The general starter sets of the runner's conditions (all known ones when none chosen)."""
    conditions = {c["id"]: c["name"] for c in host().conditions()}
    chosen = list(runner_settings(user).conditions or ()) or sorted(conditions)
    shared = shared_library()
    out = []
    for starter in host().starter_sets(chosen):
        items = []
        for item in starter.items:
            exercise = shared.get(item.exercise)
            if exercise is None:
                continue
            sets = item.sets or exercise.sets  # a plugin may leave the dose to the exercise's default
            reps = item.reps if item.reps is not None else exercise.reps
            seconds = item.seconds if item.seconds is not None else exercise.seconds
            items.append({"exercise": exercise_out(exercise), "sets": sets, "reps": reps, "seconds": seconds,
                          "dose_text": dose_text(exercise.dose, sets, reps, seconds, exercise.sides)})
        out.append({"condition": starter.condition, "condition_name": conditions.get(starter.condition),
                    "why": starter.why, "sources": list(starter.sources), "source": starter.source,
                    "items": items})
    return out


def my_programme(user: User) -> dict[str, Any]:
    out = _patient_view(user)
    if out["prescribed"]:
        return {**out, "starter_sets": [], "general_note": None}
    return {**out, "starter_sets": starter_sets(user), "general_note": GENERAL_NOTE}


#: When a red flag pauses the exercises.
PAUSE_TITLE = "Pause your exercises and see your therapist"


def paused_by(plan: PlanDay, flags: tuple[redflags.RedFlag, ...]) -> dict[str, Any] | None:
    """A red flag today, a rest a red flag started, or a plan held for an assessment pauses
    the exercises (rest is rest from running, not from rehab, otherwise)."""
    flag = flags[0] if flags else None
    cause = plan.state.cause
    if flag is None and plan.name == "rest" and cause is not None and cause.metric in redflags.BY_ID:
        flag = redflags.BY_ID[cause.metric]
    if flag is None and plan.state.hold:
        flag = redflags.LOCKING
    if flag is None:
        return None
    return {"reason": flag.id, "title": PAUSE_TITLE,
            "message": (f"Since {flag.cause}, stop the exercises for now as well as running. Your therapist "
                        "will tell you when to start again.")}


#: Without chosen conditions, the general set a runner's day lists: runner's knee is the
#: most common knee complaint in runners (the other sets stay one tap away in the programme).
DEFAULT_CONDITION = "runners_knee"
#: Days a week a general starter exercise is listed (the sets say "two or three times a week").
GENERAL_PER_WEEK = 3


def _general_set(user: User) -> list[dict[str, Any]]:
    """The items of ONE general starter set for the runner's day: the set of their first
    chosen condition, or of runner's knee when none is chosen (every set is listed in the
    programme view; a day of 19 exercises helps nobody)."""
    sets = starter_sets(user)
    if not sets:
        return []
    chosen = list(runner_settings(user).conditions or ()) or [DEFAULT_CONDITION]
    return next((s for c in chosen for s in sets if s["condition"] == c), sets[0])["items"]


def _general_items(user: User) -> list[adherence.ItemPlan]:
    return [adherence.ItemPlan(item["exercise"]["id"], item["exercise"]["name"], per_week=GENERAL_PER_WEEK)
            for item in _general_set(user)]


def _caution(entry: adherence.Logged, name: str) -> dict[str, Any]:
    return {"date": entry.date, "exercise": entry.exercise, "name": name, "pain": entry.pain,
            "ceiling": entry.ceiling,
            "title": f"Ease off {name}",
            "message": (f"Pain {entry.pain}/10 during {name} is above its ceiling of {entry.ceiling}/10. Next time "
                        "use fewer repetitions or less load, and tell your therapist if it happens again.")}


def cautions(user_id: int, first: date, last: date) -> list[dict[str, Any]]:
    names = {row.exercise: row.name for row in db.session.execute(
        select(ExerciseEntry.exercise, ExerciseEntry.name).where(
            ExerciseEntry.user_id == user_id, ExerciseEntry.date.between(first, last)))}
    return [_caution(e, names.get(e.exercise, e.exercise))
            for e in adherence.exceedances(store.logged(user_id, first, last))]


def today(user: User, day: date | None = None) -> dict[str, Any]:
    """The runner's exercises of ``day`` (default their today): what is due with its dose,
    what is done, whether a red flag pauses them, and cautions of today and yesterday."""
    now_day = plan_service.runner_today(user)
    day = day or now_day
    if day > now_day:
        raise Invalid(fields={"date": ["This date is in the future in your time zone."]})
    versions = store.versions(user.id)
    version = adherence.version_on(versions, day)
    monday = adherence.week_monday(day)
    logged = store.logged(user.id, monday, day)
    limit = runner_settings(user).pain_threshold
    kind = "prescribed" if version is not None and version.items else "none"
    items_by_key: dict[str, dict[str, Any]] = {}
    if kind == "prescribed":
        programme = db.session.execute(select(Programme).where(
            Programme.user_id == user.id, Programme.version == version.version)).scalar_one()
        items_by_key = {i.exercise: item_out(i, limit) for i in _items([programme.id])[programme.id]}
        due = adherence.due_on(version, logged, day)
    else:  # no prescription in force: the general starter sets of the runner's conditions
        picked = _general_set(user)
        general = [adherence.ItemPlan(i["exercise"]["id"], i["exercise"]["name"], per_week=GENERAL_PER_WEEK)
                   for i in picked]
        due = []
        if general:
            kind = "general"
            for item in picked:
                ex = item["exercise"]
                items_by_key[ex["id"]] = {
                    "exercise": ex["id"], "name": ex["name"], "instructions": ex["instructions"], "dose": ex["dose"],
                    "sets": item["sets"], "reps": item["reps"], "seconds": item["seconds"], "load": "bodyweight",
                    "load_kg": None, "band": None, "side": ex["sides"], "ceiling": limit, "note": None,
                    "dose_text": item["dose_text"], "schedule_text": schedule_text(GENERAL_PER_WEEK, None),
                    "per_week": GENERAL_PER_WEEK, "weekdays": None, "pain_ceiling": None,
                }
            due = adherence.due_on(adherence.VersionPlan(0, day, day, tuple(general)), logged, day)
    plan = plan_service.day_for(user, day, now_day)
    checkin = plan_service.recorded(user.id, day, day, day).checkins.get(day)
    paused = paused_by(plan, redflags.found(checkin, plan.pains))
    session = db.session.execute(select(ExerciseSession.uuid).where(
        ExerciseSession.user_id == user.id, ExerciseSession.date == day)
        .order_by(ExerciseSession.updated_at.desc())).scalars().first()
    items = [{**items_by_key[d.item.exercise], "done": d.done, "left_this_week": d.left_this_week}
             for d in due if d.item.exercise in items_by_key]
    return {
        "date": day, "kind": kind, "version": version.version if version is not None and kind == "prescribed" else None,
        "count": 0 if paused else sum(1 for i in items if not i["done"]), "items": items, "paused": paused,
        "cautions": cautions(user.id, day - timedelta(days=1), day), "session_uuid": session,
    }


# --- sessions ------------------------------------------------------------------------------


def _session_out(session: ExerciseSession, entries: list[ExerciseEntry], version: int | None) -> dict[str, Any]:
    return {
        "uuid": session.uuid, "date": session.date, "general": session.general, "version": version,
        "note": session.note, "created_at": session.created_at, "updated_at": session.updated_at,
        "entries": [{"exercise": e.exercise, "name": e.name, "sets": e.sets, "sets_done": store.sets_done(e.sets),
                     "pain": e.pain, "ceiling": e.ceiling,
                     "above_ceiling": e.pain is not None and e.pain > e.ceiling} for e in entries],
    }


def _sets_json(sets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"reps": s.get("reps"), "seconds": s.get("seconds"),
             "load_kg": float(_kg(s["load_kg"])) if s.get("load_kg") is not None else None} for s in sets]


def _in_force(user: User, day: date) -> tuple[adherence.VersionPlan | None, int | None, bool,
                                               dict[str, tuple[str, int]]]:
    """What may be logged on ``day``: (version in force, its programme row id, general?,
    {exercise: (name, pain ceiling)}) — the prescription in force, else the general set."""
    versions = store.versions(user.id)
    version = adherence.version_on(versions, day)
    limit = runner_settings(user).pain_threshold
    if version is not None and version.items:
        programme_id = db.session.execute(select(Programme.id).where(
            Programme.user_id == user.id, Programme.version == version.version)).scalar_one()
        return version, programme_id, False, {
            i.exercise: (i.name, i.pain_ceiling if i.pain_ceiling is not None else limit) for i in version.items}
    return version, None, True, {i.exercise: (i.name, limit) for i in _general_items(user)}


def _store_session(user: User, session_uuid: str, data: dict[str, Any], programme_id: int | None, general: bool,
                   allowed: dict[str, tuple[str, int]]) -> tuple[ExerciseSession, bool, bool, date | None]:
    """Create or replace the session (no commit, no after-write): (row, created, changed, old date)."""
    day = data["date"]
    existing = db.session.execute(select(ExerciseSession).where(
        ExerciseSession.user_id == user.id, ExerciseSession.uuid == session_uuid)).scalar_one_or_none()
    old_day = existing.date if existing is not None else None
    new_entries = [
        {"position": n, "exercise": e["exercise"], "name": allowed[e["exercise"]][0], "sets": _sets_json(e["sets"]),
         "pain": e.get("pain"), "ceiling": allowed[e["exercise"]][1], "date": day}
        for n, e in enumerate(data["entries"])
    ]
    created = existing is None
    if existing is None:
        existing = ExerciseSession(uuid=session_uuid, user_id=user.id, date=day, programme_id=programme_id,
                                   general=general, note=data.get("note"))
        db.session.add(existing)
        db.session.flush()
        changed = True
    else:
        old_entries = [{"position": e.position, "exercise": e.exercise, "name": e.name, "sets": e.sets,
                        "pain": e.pain, "ceiling": e.ceiling, "date": e.date}
                       for e in _entries_of([existing.id])[existing.id]]
        changed = (existing.date != day or existing.note != data.get("note") or old_entries != new_entries
                   or existing.programme_id != programme_id)
        if changed:
            existing.date, existing.note, existing.programme_id, existing.general = (
                day, data.get("note"), programme_id, general)
            existing.updated_at = utcnow()
            db.session.execute(delete(ExerciseEntry).where(ExerciseEntry.session_id == existing.id))
    if changed:
        for values in new_entries:
            db.session.add(ExerciseEntry(session_id=existing.id, user_id=user.id, **values))
        db.session.flush()
    return existing, created, changed, old_day


@retrying
def put_session(user: User, session_uuid: str, data: dict[str, Any], now: datetime | None = None) -> tuple[dict, bool]:
    """Create or replace a logged session by its client UUID (a replay of the same body
    changes nothing), replay the care plan from its date, alert the therapists when pain
    above a ceiling came back within seven days. One transaction."""
    begin_write(user)
    day = data["date"]
    _not_future(user, day)
    version, programme_id, general, allowed = _in_force(user, day)
    for entry in data["entries"]:
        if entry["exercise"] not in allowed:
            where = "your programme" if not general else "your starter exercises"
            raise Invalid(fields={"entries": [f"{entry['exercise']} is not in {where} on {day.isoformat()}."]})
    existing, created, changed, old_day = _store_session(user, session_uuid, data, programme_id, general, allowed)
    if changed:
        after_write(user, min(day, old_day) if old_day else day, now)
        _queue_alert(user, day, now)
    db.session.commit()
    return _session_out(existing, _entries_of([existing.id])[existing.id], version.version if programme_id else None), created


def log_imported_session(user: User, session_uuid: str, data: dict[str, Any]) -> dict[str, Any]:
    """A session from an imported activity file (a watch's strength workout), in the caller's
    transaction: the caller holds the runner's lock (``begin_write``) and runs the after-write
    path once for the whole import. Logged exactly once: when a session of this UUID exists
    (imported before, perhaps edited by the runner since) nothing is written. Only the
    exercises in force on the day (the prescription, else the general set) are logged; the
    rest are returned as ``not_in_force``. ``data`` is a :class:`SessionInSchema` body with
    at least one entry. No pain is known, so no exercise-pain alert can follow."""
    day = data["date"]
    _not_future(user, day)
    version, programme_id, general, allowed = _in_force(user, day)
    entries = [e for e in data["entries"] if e["exercise"] in allowed]
    out: dict[str, Any] = {
        "uuid": session_uuid, "date": day, "general": general,
        "version": version.version if programme_id else None, "existing": False, "entries": [],
        "not_in_force": {e["exercise"]: len(e["sets"]) for e in data["entries"] if e["exercise"] not in allowed},
    }
    existing = db.session.execute(select(ExerciseSession).where(
        ExerciseSession.user_id == user.id, ExerciseSession.uuid == session_uuid)).scalar_one_or_none()
    if existing is not None:
        out.update(existing=True, date=existing.date,
                   entries=[{"exercise": e.exercise, "name": e.name, "sets": len(e.sets)}
                            for e in _entries_of([existing.id])[existing.id]])
        return out
    if not entries:
        return out
    row, _created, _changed, _old = _store_session(user, session_uuid, {**data, "entries": entries},
                                                  programme_id, general, allowed)
    out["entries"] = [{"exercise": e.exercise, "name": e.name, "sets": len(e.sets)}
                      for e in _entries_of([row.id])[row.id]]
    return out


def _entries_of(session_ids: list[int]) -> dict[int, list[ExerciseEntry]]:
    found: dict[int, list[ExerciseEntry]] = {sid: [] for sid in session_ids}
    if session_ids:
        for entry in db.session.execute(select(ExerciseEntry).where(ExerciseEntry.session_id.in_(session_ids))
                                        .order_by(ExerciseEntry.session_id, ExerciseEntry.position)).scalars():
            found[entry.session_id].append(entry)
    return found


def _queue_alert(user: User, day: date, now: datetime | None) -> None:
    """When ``day``'s exceedance is the second within seven days: one alert per therapist
    (the outbox's key: therapist, patient, kind, local date — written once)."""
    from strideguard.rehab.alerts import queue_exercise_pain

    today_ = plan_service.runner_today(user, now)
    if day < today_ - timedelta(days=ALERT_DAYS):
        return
    # Far enough back to see an alert already sent for an earlier pair (alert_dates walks on).
    window = store.logged(user.id, day - timedelta(days=4 * adherence.ALERT_WINDOW_DAYS), day)
    if day not in adherence.alert_dates(window):
        return
    recent = [e for e in adherence.exceedances(window)
              if timedelta(0) <= day - e.date < timedelta(days=adherence.ALERT_WINDOW_DAYS)]
    names = dict(db.session.execute(select(ExerciseEntry.exercise, ExerciseEntry.name).where(
        ExerciseEntry.user_id == user.id, ExerciseEntry.date.between(day - timedelta(days=7), day))).all())
    queue_exercise_pain(user, day, recent, names, now)


def _session_row(user: User, session_uuid: str) -> ExerciseSession:
    row = db.session.execute(select(ExerciseSession).where(
        ExerciseSession.user_id == user.id, ExerciseSession.uuid == session_uuid)).scalar_one_or_none()
    if row is None:
        raise NotFound("No such exercise session.")
    return row


def _versions_by_id(user_id: int) -> dict[int, int]:
    return dict(db.session.execute(select(Programme.id, Programme.version).where(Programme.user_id == user_id)).all())


def get_session(user: User, session_uuid: str) -> dict[str, Any]:
    row = _session_row(user, session_uuid)
    return _session_out(row, _entries_of([row.id])[row.id], _versions_by_id(user.id).get(row.programme_id))


def list_sessions(user_id: int, first: date, last: date) -> list[dict[str, Any]]:
    rows = list(db.session.execute(select(ExerciseSession).where(
        ExerciseSession.user_id == user_id, ExerciseSession.date.between(first, last))
        .order_by(ExerciseSession.date, ExerciseSession.created_at)).scalars())
    entries = _entries_of([r.id for r in rows])
    versions = _versions_by_id(user_id)
    return [_session_out(r, entries[r.id], versions.get(r.programme_id)) for r in rows]


@retrying
def delete_session(user: User, session_uuid: str) -> None:
    begin_write(user)
    row = _session_row(user, session_uuid)
    day = row.date
    db.session.delete(row)
    db.session.flush()
    after_write(user, day)
    db.session.commit()


# --- adherence -----------------------------------------------------------------------------


def _paused_days(user: User, first: date, last: date) -> set[date]:
    """Days a red flag paused the exercises: its rest, or a hold for an assessment."""
    return store.paused_days_many([user.id], first, last).get(user.id, set())


def adherence_of(user: User, weeks: int, as_of: date | None = None) -> dict[str, Any]:
    """Adherence per calendar week (``weeks`` of them through ``as_of``), over the last 7
    and 28 days, and the exceedances of the last 28 days."""
    as_of = as_of or plan_service.runner_today(user)
    versions = store.versions(user.id)
    first = adherence.week_monday(as_of) - timedelta(weeks=max(weeks, 5) - 1)
    logged = store.logged(user.id, first, as_of)
    paused = _paused_days(user, first, as_of)
    last7 = adherence.rolling(versions, logged, as_of, 7, paused)
    last28 = adherence.rolling(versions, logged, as_of, 28, paused)
    current = adherence.version_on(versions, as_of)
    return {
        "weeks": [w.to_dict() for w in adherence.weekly(versions, logged, as_of, weeks, paused)],
        "last_7_days": last7.to_dict() if last7 is not None else None,
        "last_28_days": last28.to_dict() if last28 is not None else None,
        "min_adherence_pct": current.min_adherence_pct if current is not None else None,
        "exceedances": cautions(user.id, as_of - timedelta(days=27), as_of),
    }


def adherence_for_therapist(therapist: User, patient_id: int, weeks: int) -> dict[str, Any]:
    _link, patient = sharing.care_link(therapist, patient_id)
    sharing.log(patient.id, therapist, "viewed_adherence")
    out = adherence_of(patient, weeks)
    db.session.commit()
    return out


def sessions_for_therapist(therapist: User, patient_id: int, first: date | None,
                           last: date | None) -> list[dict[str, Any]]:
    """The patient's sessions from ``first`` through ``last`` (defaults and bounds as the
    runner's own list, in the patient's calendar); 404 when not the therapist's patient."""
    from strideguard.training.service import date_range

    _link, patient = sharing.care_link(therapist, patient_id)
    first, last = date_range(patient, first, last)
    sharing.log(patient.id, therapist, "viewed_exercise_sessions", **{"from": first.isoformat(), "to": last.isoformat()})
    out = list_sessions(patient.id, first, last)
    db.session.commit()
    return out

