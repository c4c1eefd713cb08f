"""Process one import: read the spooled upload file by file, write runs, record progress.

Each file is one transaction (its runs, its items and the import's counters), so a crash
loses nothing that was done and never leaves half a run; a resumed import skips the files
it already recorded. Runs go through the training service (same checks as typed runs).
When the files are done, guidance and the care plan are recomputed once
(:func:`_after_import`), which queues at most one round of alerts.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import posixpath
import uuid as uuid_lib
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from strideguard.accounts.models import User
from strideguard.day.units import format_day, format_distance
from strideguard.errors import DomainError
from strideguard.extensions import db
from strideguard.imports import service
from strideguard.imports.archive import ArchiveError, ArchiveLimits, list_entries, open_archive, read_entry
from strideguard.imports.dedupe import RunKey, find_duplicate, same_run
from strideguard.imports.models import HELD, Import, ImportItem
from strideguard.imports.parse import Activity, ParseError, parse_activity_file, unreadable
from strideguard.imports.plausible import usual_speed, verdict
from strideguard.imports.parse.strava import StravaActivity, by_file, read_index
from strideguard.rehab import garmin
from strideguard.rehab import service as rehab
from strideguard.rehab.schemas import SessionInSchema
from strideguard.timeutil import utcnow, zone
from strideguard.training import service as training
from strideguard.training.models import DeletedRun, Run
from strideguard.training.schemas import RunInSchema

log = logging.getLogger(__name__)

#: Run UUIDs derived from content: the same file (and FIT session) always gives the same UUID.
RUN_NAMESPACE = uuid_lib.UUID("7b0f6a52-3f1e-4c3a-9d0e-5a1c0de1f17e")
MAX_ATTEMPTS = 3


def _day(day: date) -> str:
    """A date in an import's message as the runner reads dates: "Sat 15 Aug 2015" (with the
    year: a history import reaches back years)."""
    return f"{format_day(day)} {day.year}"


def _deleted_like(user: User, uuid: str, day: date, act: Activity) -> DeletedRun | None:
    """The deleted run this file would bring back: the same file (its UUID), or the same
    activity in another format (its GPX after its FIT: same date, distance and start by the
    duplicate rule), else None."""
    found = db.session.get(DeletedRun, (user.id, uuid))
    if found is not None:
        return found
    new = RunKey(uuid, day, act.distance_m, act.started_at)
    for gone in db.session.execute(
            select(DeletedRun).where(DeletedRun.user_id == user.id, DeletedRun.date == day,
                                     DeletedRun.distance_m.is_not(None))).scalars():
        if same_run(new, RunKey(gone.uuid, gone.date, gone.distance_m, gone.started_at)):
            return gone
    return None


def run_uuid(content: bytes, session: int) -> str:
    return str(uuid_lib.uuid5(RUN_NAMESPACE, f"{hashlib.sha256(content).hexdigest()}:{session}"))


#: Exercise-session UUIDs of imported strength workouts: the recording watch (serial number)
#: and the session's start name the workout, so the same workout exported again as another
#: file (other bytes) is still the same session. Without a serial, the file's content decides.
STRENGTH_NAMESPACE = uuid_lib.UUID("3c1d8e0a-6b55-4f7e-a0d2-9f4e1b7c2a61")
#: A logged session holds at most this many sets per exercise (rehab.schemas.EntryInSchema).
MAX_SETS_PER_EXERCISE = 20


def strength_uuid(act: Activity, content: bytes) -> str:
    if act.serial is not None and act.started_at is not None:
        key = f"fit:{act.serial}:{act.started_at.astimezone(timezone.utc).isoformat()}"
    else:
        key = f"{hashlib.sha256(content).hexdigest()}:{act.index}"
    return str(uuid_lib.uuid5(STRENGTH_NAMESPACE, key))


def _finish(imp: Import, status: str, error: str | None = None) -> None:
    _count(imp)
    imp.status, imp.error, imp.finished_at = status, (error or None) and error[:300], utcnow()
    imp.claimed_by = None
    # keep_file keeps an upload that imported something; a failed one is never kept.
    if imp.stored_name and not (imp.keep_file and status == "done" and imp.done > imp.failed):
        (service.spool_dir() / imp.stored_name).unlink(missing_ok=True)
        imp.stored_name = None
    db.session.commit()


def _count(imp: Import) -> None:
    counts = dict(db.session.execute(
        select(ImportItem.status, func.count()).where(ImportItem.import_id == imp.id).group_by(ImportItem.status)
    ).all())
    imp.created = counts.get("created", 0)
    imp.duplicates = counts.get("duplicate", 0) + counts.get("possible_duplicate", 0)
    imp.skipped = counts.get("skipped", 0)
    imp.failed = counts.get("failed", 0)
    imp.held = counts.get(HELD, 0)
    imp.done = db.session.execute(
        select(func.count(func.distinct(ImportItem.position))).where(ImportItem.import_id == imp.id)
    ).scalar_one()
    imp.heartbeat_at = utcnow()


def process(import_id: int, worker: str, now: datetime | None = None) -> bool:
    """Claim the import and do it. False when someone else has it (or it is finished)."""
    from strideguard.imports.jobs import claim

    if not claim(import_id, worker, now):
        return False
    imp = db.session.get(Import, import_id)
    if imp is None:
        return False
    if imp.attempts > MAX_ATTEMPTS:
        _finish(imp, "failed", f"It could not be finished after {MAX_ATTEMPTS} attempts.")
        return True
    user = db.session.get(User, imp.user_id)
    path = service.spool_dir() / (imp.stored_name or "missing")
    if not path.exists():
        _finish(imp, "failed", "The uploaded file is no longer on the server: please upload it again.")
        return True
    limits = service.limits()
    try:
        if imp.kind == "zip":
            _zip(imp, user, path, limits)
        else:
            imp.total = 1
            _file(imp, user, 0, imp.filename, path.read_bytes(), None, limits)
    except ArchiveError as exc:
        db.session.rollback()
        _finish(imp, "failed", str(exc))
        _after_import(user, imp)
    except _Lost:
        db.session.rollback()
        return False
    else:
        # The plan replays before the import reads as done: a runner (or a test) who sees
        # "done" sees the guidance and alerts of the imported runs too.
        _after_import(user, imp)
        _finish(imp, "done")
    return True


class _Lost(Exception):
    """Another worker recorded the same file: it owns this import now."""


def _after_import(user: User, imp: Import) -> None:
    """The one after-write path, ONCE for the whole import, from the earliest imported date
    (of its runs and of the exercise sessions its strength workouts logged): the care plan
    replays over the imported weeks (they count like logged ones), and today's alerts to the
    runner and their therapists are queued once."""
    from strideguard import afterwrite

    afterwrite.begin_write(user)
    dates = [db.session.execute(select(func.min(Run.date)).where(Run.import_id == imp.id)).scalar()]
    dates += [date.fromisoformat(summary["date"]) for summary in db.session.execute(
        select(ImportItem.summary).where(ImportItem.import_id == imp.id, ImportItem.status == "created",
                                         ImportItem.run_uuid.is_(None))).scalars()
        if (summary or {}).get("strength") and summary.get("date")]
    earliest = min((d for d in dates if d is not None), default=None)
    if earliest is None:
        return
    afterwrite.after_write(user, earliest)
    db.session.commit()


def _recorded(imp: Import) -> set[int]:
    return set(db.session.execute(
        select(ImportItem.position).where(ImportItem.import_id == imp.id)
    ).scalars())


def _zip(imp: Import, user: User, path: Path, limits: ArchiveLimits) -> None:
    with open_archive(str(path)) as archive:
        entries = list_entries(archive, limits)
        index: dict[str, StravaActivity] = {}
        handless: list[StravaActivity] = []
        indexes = [e for e in entries if e.is_index]
        if indexes:
            top = min(indexes, key=lambda e: e.name.count("/"))
            try:
                rows = read_index(read_entry(archive, top, limits))
            except ParseError as exc:
                raise ArchiveError(str(exc)) from None
            index = by_file(rows, posixpath.dirname(top.name))
            handless = [r for r in rows if not r.filename and r.sport == "running"]
        files = [e for e in entries if not e.is_index]
        imp.total = len(files) + len(handless)
        db.session.commit()
        done = _recorded(imp)
        for entry in files:
            if entry.position in done:
                continue
            try:
                data, problem = read_entry(archive, entry, limits), None
            except ParseError as exc:
                data, problem = b"", str(exc)
            row = index.get(posixpath.normpath(entry.name))
            _file(imp, user, entry.position, entry.name, data, row, limits, problem)
        for offset, row in enumerate(handless):
            position = len(entries) + offset
            if position not in done:
                _record(imp, [_item(imp, position, f"Strava activity {row.activity_id}", "skipped",
                                    "Entered by hand on Strava: there is no file to import. Log it under Run if it counts.")])


def _item(imp: Import, position: int, name: str, status: str, reason: str | None,
          session: int = 0, run: str | None = None, summary: dict | None = None) -> ImportItem:
    return ImportItem(import_id=imp.id, user_id=imp.user_id, position=position, session=session,
                      name=name[:255], status=status, reason=reason and reason[:300], run_uuid=run,
                      summary=summary or {})


def _record(imp: Import, items: list[ImportItem]) -> None:
    """Commit one file's items (and runs already in the session) with the counters."""
    try:
        with db.session.begin_nested():
            db.session.add_all(items)
    except IntegrityError:
        raise _Lost() from None
    _count(imp)
    db.session.commit()


def _summary(act: Activity, day: date | None) -> dict[str, Any]:
    return {
        "format": act.format, "sport": act.sport, "date": day.isoformat() if day else None,
        "started_at": act.started_at.isoformat() if act.started_at else None,
        "distance_m": round(act.distance_m, 1), "moving_s": round(act.moving_s, 1),
        "elapsed_s": round(act.elapsed_s, 1) if act.elapsed_s is not None else None,
        "elevation_gain_m": act.elevation_gain_m, "device": act.device,
        "local_start": act.local_start.isoformat() if act.local_start else None,
    }


def _from_summary(summary: dict[str, Any], session: int) -> Activity:
    """The activity a held item stored (its summary holds everything a run is made of)."""
    start, wall = summary.get("started_at"), summary.get("local_start")
    return Activity(
        format=summary["format"], sport=summary.get("sport"),
        started_at=datetime.fromisoformat(start) if start else None,
        distance_m=float(summary["distance_m"]), moving_s=float(summary["moving_s"]),
        elapsed_s=summary.get("elapsed_s"), elevation_gain_m=summary.get("elevation_gain_m"),
        device=summary.get("device"), index=session,
        local_start=datetime.fromisoformat(wall) if wall else None,
    )


def _file(imp: Import, user: User, position: int, name: str, data: bytes, row: StravaActivity | None,
          limits: ArchiveLimits, problem: str | None = None) -> None:
    from strideguard.afterwrite import begin_write

    begin_write(user)  # each file's transaction takes the runner's lock before its first write
    if problem is not None:
        _record(imp, [_item(imp, position, name, "failed", problem)])
        return
    try:
        activities = parse_activity_file(name, data, limits.file)
    except ParseError as exc:
        _record(imp, [_item(imp, position, name, "failed", str(exc))])
        return
    except MemoryError:
        _record(imp, [_item(imp, position, name, "failed", "It needs more memory than the server allows.")])
        return
    except Exception:  # a parser bug on one odd file must not stop the rest of the archive
        log.exception("parser error on file %s of import %s", position, imp.id)
        _record(imp, [_item(imp, position, name, "failed", str(unreadable("This file could not be read.")))])
        return
    items = [_activity(imp, user, position, name, data, act, row) for act in activities]
    _record(imp, items)


def _placed(act: Activity, tz: str) -> Activity:
    """A wall-clock-only start (old FIT files) placed in the runner's zone, as UTC."""
    if act.started_at is not None or act.local_start is None:
        return act
    return dataclasses.replace(act, started_at=act.local_start.replace(tzinfo=zone(tz)).astimezone(timezone.utc))


#: How far back a runner's usual speed is taken from (``plausible.usual_speed``).
USUAL_DAYS = 90


def _usual_speed(user: User, day: date | None) -> float | None:
    """The runner's usual speed (m/s) from their runs of the ``USUAL_DAYS`` before ``day``."""
    if day is None:
        return None
    rows = db.session.execute(
        select(Run.distance_m, Run.duration_s).where(
            Run.user_id == user.id, Run.date.between(day - timedelta(days=USUAL_DAYS), day - timedelta(days=1)),
            Run.duration_s > 0)
    ).all()
    return usual_speed([d / t for d, t in rows])


def _activity(imp: Import, user: User, position: int, name: str, data: bytes,
              act: Activity, row: StravaActivity | None, uuid: str | None = None,
              confirmed: bool = False, separate: bool = False) -> ImportItem:
    """What one activity becomes. ``confirmed``: the runner answered "this was a run" for an
    item held because it names no sport (then ``uuid`` is the one the file gave it).
    ``separate``: the runner answered "another run" for a possible duplicate: it is not
    matched against the day's runs again."""
    act = _placed(act, user.timezone)
    day = act.started_at.astimezone(zone(user.timezone)).date() if act.started_at else None
    summary = _summary(act, day)
    session = act.index
    uuid = uuid or run_uuid(data, session)
    sport = act.sport if act.sport is not None else (row.sport if row else None)
    if confirmed:
        sport = "running"
    if act.is_strength and act.sets and not confirmed:
        return _strength(imp, user, position, name, data, act, day, summary)
    if sport is not None and sport != "running":
        return _item(imp, position, name, "skipped", f"Not a run ({sport.replace('_', ' ')}): only runs are imported.",
                     session, summary=summary)
    if act.distance_m <= 0 or act.moving_s < 1:  # under a second: every point at one time
        return _item(imp, position, name, "skipped",
                     "It records no distance or no moving time, so it cannot count towards your load.",
                     session, summary=summary)
    if sport is None:
        kmh = act.distance_m / act.moving_s * 3.6
        usual = _usual_speed(user, day)
        seen = verdict(act.distance_m, act.moving_s, usual, act.elapsed_s)
        if seen == "not_a_run":
            return _item(imp, position, name, "skipped", f"At {kmh:.1f} km/h over {act.distance_m / 1000:.1f} km "
                         "it is faster than the world record, so it is a ride or a drive.", session, summary=summary)
        why = {
            "ask": f"{kmh:.1f} km/h over {act.distance_m / 1000:.1f} km is fast for a run. Was it a run?",
            "slow": f"{kmh:.1f} km/h is slow for a run. Was it a run, or a walk?",
            "unusual": (f"{kmh:.1f} km/h is much faster than your usual runs ({(usual or 0) * 3.6:.1f} km/h). "
                        "Was it a run, or a ride?"),
            "paused": (f"it moved for only {act.moving_s / 60:.0f} of its {(act.elapsed_s or 0) / 60:.0f} minutes. "
                       "Was it one run, or a walk or a trip with a drive in it?"),
        }.get(seen)
        if why is not None:
            return _item(imp, position, name, HELD, f"It does not say which sport it is, and {why}",
                         session, uuid, summary)
    if day is None:
        return _item(imp, position, name, "failed", "It has no start time, so its date is unknown.", session, summary=summary)
    existing = db.session.execute(
        select(Run.date).where(Run.user_id == user.id, Run.uuid == uuid)
    ).scalar()
    deleted = _deleted_like(user, uuid, day, act) if existing is None else None
    if deleted is not None and not confirmed:
        return _item(imp, position, name, HELD, f"You deleted this run (of {_day(deleted.date)}) on "
                     f"{_day(deleted.deleted_at.date())}. Add it again?", session, uuid, summary)
    if deleted is not None:  # the runner said to add it again
        db.session.delete(deleted)
    if existing is not None:
        return _item(imp, position, name, "duplicate", f"Already imported (your run of {_day(existing)}).",
                     session, uuid, summary)
    same_day = [RunKey(r.uuid, r.date, r.distance_m, r.started_at) for r in db.session.execute(
        select(Run.uuid, Run.date, Run.distance_m, Run.started_at).where(Run.user_id == user.id, Run.date == day)
    )]
    match = None if separate else find_duplicate(RunKey(uuid, day, act.distance_m, act.started_at), same_day)
    if match is not None:
        # The file's own run id is kept with it: "it was another run" imports it under that id,
        # so the same file imported again is a duplicate, not a third run.
        return _item(imp, position, name, "possible_duplicate",
                     f"Looks like your run of {_day(day)} ({format_distance(match.distance_m, user.units)}) that is "
                     "already saved: not added twice. If it was another run that day, say so.",
                     session, match.uuid, {**summary, FILE_RUN_ID: uuid})
    try:
        fields = RunInSchema().load({"date": day.isoformat(), "distance_m": act.distance_m,
                                     "duration_s": act.moving_s})
        with db.session.begin_nested():
            training.put_run(user, uuid, fields, extras={
                "source": act.format, "device": act.device, "import_id": imp.id,
                "elevation_gain_m": act.elevation_gain_m, "started_at": act.started_at})
    except ValidationError as exc:
        words = {"duration_s": f"its moving time ({act.moving_s / 3600:.1f} h) is not one run's (1 s to 7 days)",
                 "distance_m": f"its distance ({act.distance_m / 1000:.1f} km) is not one run's",
                 "date": f"its date ({day.isoformat()}) cannot be taken"}
        problems = "; ".join(words.get(k, k.replace("_", " ")) for k in sorted(exc.messages))
        return _item(imp, position, name, "failed", f"Not a plausible run: {problems}.", session, summary=summary)
    except DomainError as exc:
        detail = "; ".join(" ".join(map(str, v)) for v in exc.fields.values()) or exc.message
        return _item(imp, position, name, "failed", detail, session, summary=summary)
    return _item(imp, position, name, "created", None, session, uuid, summary)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _strength(imp: Import, user: User, position: int, name: str, data: bytes, act: Activity,
              day: date | None, summary: dict[str, Any]) -> ImportItem:
    """A strength workout (a watch's ``set`` messages) never becomes a run: its sets of
    exercises in force on its date (the runner's programme, else their general set) fill one
    exercise session, written once (:func:`rehab.log_imported_session`); what is not logged is
    counted and said."""
    session = act.index
    mapped = garmin.map_sets(act.sets)
    unknown = mapped.unmapped.get(garmin.label(None, None), 0)
    strength: dict[str, Any] = {
        "sets": len(act.sets), "session_uuid": None, "logged": [], "not_in_programme": [],
        "not_in_library": [{"garmin": k, "sets": v} for k, v in mapped.unmapped.items()],
    }
    summary = {**summary, "strength": strength}
    if day is None:
        return _item(imp, position, name, "failed", "It has no start time, so its date is unknown.", session,
                     summary=summary)
    entries, over = [], 0
    for key, sets in mapped.by_exercise.items():
        rows = [{"reps": s.repetitions if s.repetitions is not None and s.repetitions > 0 else None,
                 "seconds": round(s.duration_s) if s.duration_s is not None else None,
                 "load_kg": round(s.weight_kg, 1) if s.weight_kg else None} for s in sets]
        over += max(0, len(rows) - MAX_SETS_PER_EXERCISE)
        entries.append({"exercise": key, "sets": rows[:MAX_SETS_PER_EXERCISE]})
    missing = []
    if unknown:
        missing.append(f"{_plural(unknown, 'set')} the watch did not recognise")
    if mapped.unmapped_sets - unknown:
        missing.append(f"{_plural(mapped.unmapped_sets - unknown, 'set')} of exercises not in StrideGuard's library")
    if over:
        missing.append(f"{_plural(over, 'set')} over {MAX_SETS_PER_EXERCISE} of one exercise")
    result = None
    if entries:
        uuid = strength_uuid(act, data)
        try:
            body = SessionInSchema().load({"date": day.isoformat(), "entries": entries,
                                           "note": f"Imported from {act.device or 'a FIT file'}."[:500]})
            with db.session.begin_nested():
                result = rehab.log_imported_session(user, uuid, body)
        except ValidationError as exc:
            problem = (f"Its date cannot be logged: {' '.join(map(str, exc.messages['date']))}"
                       if isinstance(exc.messages, dict) and "date" in exc.messages else
                       "Its sets cannot be logged: a set's repetitions (at most 200), duration (at most an hour) "
                       "or weight (at most 300 kg) is out of range.")
            return _item(imp, position, name, "failed", problem, session, summary=summary)
        except DomainError as exc:
            detail = "; ".join(" ".join(map(str, v)) for v in exc.fields.values()) or exc.message
            return _item(imp, position, name, "failed", detail, session, summary=summary)
        strength["logged"] = result["entries"]
        strength["not_in_programme"] = [{"exercise": k, "sets": v} for k, v in result["not_in_force"].items()]
        if result["existing"] or result["entries"]:
            strength["session_uuid"] = result["uuid"]
        outside = sum(result["not_in_force"].values())
        if outside:
            where = "your starter exercises" if result["general"] else "your programme"
            missing.insert(0, f"{_plural(outside, 'set')} of exercises not in {where} on {_day(day)}")
    not_logged = f" Not logged: {'; '.join(missing)}." if missing else ""
    if result is not None and result["existing"]:
        return _item(imp, position, name, "duplicate",
                     f"Already imported (your exercise session of {_day(result['date'])}).", session,
                     summary=summary)
    if result is None or not result["entries"]:
        return _item(imp, position, name, "skipped",
                     f"Strength training: no exercise session logged.{not_logged}", session, summary=summary)
    exercises = result["entries"]
    count = sum(e["sets"] for e in exercises)
    names = ", ".join(e["name"] for e in exercises)
    return _item(imp, position, name, "created",
                 f"Exercise session of {_day(day)}: {_plural(len(exercises), 'exercise')}, "
                 f"{_plural(count, 'set')} ({names}).{not_logged}", session, summary=summary)


class NotHeld(Exception):
    """The item is not waiting for an answer (answered already, or never held)."""


#: A possible duplicate's summary key: the run id the file itself gives (not returned by the API).
FILE_RUN_ID = "file_run_id"
#: The items a runner can answer: held for "was it a run?", and possible duplicates ("it was
#: another run that day": a runner who runs twice a day lost the second run).
ANSWERABLE = (HELD, "possible_duplicate")


def answer(user: User, imp: Import, item: ImportItem, is_run: bool) -> ImportItem:
    """The runner's answer to a held item or a possible duplicate: "this was a run" (or
    "another run") imports it through the same path as any file's activity (checks, the run,
    the plan's replay once; a possible duplicate is not matched against the day's runs again);
    "skip" records it as skipped. Claimed with a compare-and-set, so a double tap answers once."""
    from strideguard.afterwrite import begin_write

    now = utcnow()
    begin_write(user)  # the runner's lock before the first write (the after-write path)
    claimed = db.session.execute(
        update(ImportItem).where(ImportItem.id == item.id, ImportItem.status.in_(ANSWERABLE),
                                 ImportItem.answered_at.is_(None))
        .values(answered_at=now).execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise NotHeld()
    db.session.refresh(item)
    duplicate = item.status != HELD
    if is_run:
        summary = dict(item.summary or {})
        act = _from_summary(summary, item.session)
        # An item from before the file's id was kept: an id of its own, stable per item.
        uuid = (summary.pop(FILE_RUN_ID, None) or str(uuid_lib.uuid5(uuid_lib.NAMESPACE_URL, f"strideguard:import-item:{item.id}"))
                if duplicate else item.run_uuid)
        result = _activity(imp, user, item.position, item.name, b"", act, None, uuid,
                           confirmed=True, separate=duplicate)
        item.status, item.reason, item.run_uuid = result.status, result.reason, result.run_uuid
        item.summary = result.summary
    elif duplicate:
        item.status, item.reason = "skipped", "Not added: you said it is the run already saved."
    else:
        item.status, item.reason = "skipped", "Skipped: you said it was not a run."
    _count(imp)
    if is_run and item.status == "created":
        _after_import(user, imp)  # the plan's replay and the alerts, in this same transaction
    else:
        db.session.commit()
    return item
