"""The therapist's views: the dashboard (patients by urgency) and one patient's page.

Reads in batches (one query per kind of data for all patients), decides with the pure
``rules.urgency``, and writes one access-log entry per patient shown.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select

from strideguard.accounts.limits import own_settings, runner_settings, runner_settings_many
from strideguard.accounts.models import User
from strideguard.clinic import alerts as clinic_alerts
from strideguard.clinic import sharing
from strideguard.clinic.limits import link_limits
from strideguard.clinic.models import AccessLogEntry, CareLink
from strideguard.clinic.rules import RECENT_DAYS, PatientFacts, order_key, urgency
from strideguard.clinic.summary import red_flags_of, summarise
from strideguard.day import redflags
from strideguard.day.values import RunnerSettings, worst_pains_by_day
from strideguard.extensions import db, ids_match
from strideguard.plan import service as plan_service
from strideguard.plan.machine import PlanDay, PlanEvent
from strideguard.rehab import adherence, store
from strideguard.timeutil import local_today, utcnow
from strideguard.training.models import Checkin, Run

TREND_DAYS = 28
DETAIL_DAYS = 84
#: The exercise programme on the dashboard: adherence over these windows (days) and the
#: exceedances of the first one.
REHAB_WINDOWS = (7, 28)
REHAB_WEEKS = 12


def _rehab_rows(patients: list[User], today: dict[int, date]) -> tuple[dict[int, dict[str, Any]], dict[int, tuple]]:
    """Each patient's programme on the dashboard (``rehab``; absent: never had one) and their
    exceedances of the last 7 days as ``PatientFacts.exercise_pains``. Four batched reads for
    all patients (versions, items, logged exercises, paused days), then the pure
    ``rehab.adherence`` per patient."""
    ids = [p.id for p in patients]
    versions = store.versions_many(ids)
    if not versions:
        return {}, {}
    ids = sorted(versions)
    first = min(today[uid] for uid in ids) - timedelta(days=max(REHAB_WINDOWS) - 1)
    last = max(today[uid] for uid in ids)
    logged, names = store.logged_many(ids, first, last)
    paused = store.paused_days_many(ids, first, last)
    rows: dict[int, dict[str, Any]] = {}
    pains: dict[int, tuple] = {}
    for uid in ids:
        day = today[uid]
        mine = tuple(e for e in logged.get(uid, ()) if e.date <= day)
        windows = {n: adherence.rolling(versions[uid], mine, day, n, paused.get(uid, set())) for n in REHAB_WINDOWS}
        since = day - timedelta(days=REHAB_WINDOWS[0] - 1)
        over = [e for e in adherence.exceedances(mine) if e.date >= since]
        current = adherence.version_on(versions[uid], day)
        rows[uid] = {
            "version": versions[uid][-1].version,
            "items": len(current.items) if current is not None else 0,
            **{f"last_{n}_days": w.to_dict() if w is not None else None for n, w in windows.items()},
            "min_adherence_pct": current.min_adherence_pct if current is not None else None,
            "exceedances": [{"date": e.date, "exercise": e.exercise, "name": names.get((uid, e.exercise), e.exercise),
                             "pain": e.pain, "ceiling": e.ceiling} for e in reversed(over)],
        }
        pains[uid] = tuple((e.date, e.exercise, names.get((uid, e.exercise), e.exercise), e.pain, e.ceiling)
                           for e in over)
    return rows, pains


def _plans(patients: list[User], settings: dict[int, RunnerSettings], today: dict[int, date]) -> dict[int, PlanDay]:
    """Each patient's care plan on their local today (``plan.service.plan_on``: the stored
    day, or the latest one stepped on in memory). No writes."""
    return plan_service.plan_on([p.id for p in patients], today, settings)


def _plan_out(day: PlanDay | None) -> dict[str, Any] | None:
    if day is None:
        return None
    s = day.state
    return {
        "state": day.name, "since": s.since, "day": day.day_number if day.name != "normal" else None,
        "of_days": day.of_days, "verdict": day.verdict,
        "cause": s.cause.to_dict() if s.cause is not None and day.name != "normal" else None,
    }


def _week_out(day: PlanDay | None) -> dict[str, Any] | None:
    if day is None:
        return None
    s = day.state
    # The weekly cap and the change against the baseline apply in normal running only: in a
    # rest or a return the plan's day and session say what is allowed (a cap of 22 km beside
    # a 1.6 km walk-run session read as permission).
    normal = day.name == "normal"
    return {"week_start": s.week, "distance_m": round(s.week_m), "runs": s.week_runs,
            "cap_m": day.week_cap_m if normal else None,
            "distance_pct": float(day.distance_pct) if normal and day.distance_pct is not None else None,
            "speed_pct": float(day.speed_pct) if normal and day.speed_pct is not None else None}


def _limits_out(settings: RunnerSettings) -> dict[str, Any]:
    return {"pain_threshold": settings.pain_threshold, "weekly_increase_pct": settings.weekly_increase_pct,
            "speed_increase_pct": settings.speed_increase_pct, "conditions": list(settings.conditions),
            "instruction": settings.instruction, "locked": list(settings.locked)}


def limits_view(link: CareLink, patient: User, settings: RunnerSettings | None = None) -> dict[str, Any]:
    """This therapist's limits, the ones in force (with everyone's), the runner's own, and
    which of the limits in force are this therapist's."""
    settings = settings or runner_settings(patient)
    return {
        "mine": link_limits(link),
        "in_force": _limits_out(settings),
        "own": _limits_out(own_settings(patient)),
        "set_by_me": [name for name in settings.locked if getattr(link, name) is not None
                      and (name == "conditions" or getattr(link, name) == getattr(settings, name))],
    }


def _facts(links: list[tuple[CareLink, User]], now: datetime) -> list[dict[str, Any]]:
    """One dashboard row per link (unsorted), from batched queries."""
    patients = [patient for _link, patient in links]
    ids = [p.id for p in patients]
    today = {p.id: local_today(p.timezone, now) for p in patients}
    earliest = min(today.values())
    settings = runner_settings_many(patients)
    checkins: dict[int, list[Any]] = defaultdict(list)
    for row in db.session.execute(
        select(Checkin.user_id, Checkin.date, Checkin.pain, *(getattr(Checkin, f) for f in redflags.FIELDS))
        .where(ids_match(Checkin.user_id, ids), Checkin.date >= earliest - timedelta(days=TREND_DAYS))
        .order_by(Checkin.date)
    ):
        if row.date <= today[row.user_id]:
            checkins[row.user_id].append(row)
    run_pains: dict[int, list[Any]] = defaultdict(list)
    for row in db.session.execute(
        select(Run.user_id, Run.date, Run.pain_during, Run.pain_after)
        .where(ids_match(Run.user_id, ids), Run.date >= earliest - timedelta(days=TREND_DAYS),
               or_(Run.pain_during.is_not(None), Run.pain_after.is_not(None)))
    ):
        if row.date <= today[row.user_id]:
            run_pains[row.user_id].append(row)
    newest = (
        select(Checkin.user_id, func.max(Checkin.date).label("day"))
        .where(ids_match(Checkin.user_id, ids)).group_by(Checkin.user_id).subquery()
    )
    last = {uid: (day, pain) for uid, day, pain in db.session.execute(
        select(Checkin.user_id, Checkin.date, Checkin.pain)
        .join(newest, and_(Checkin.user_id == newest.c.user_id, Checkin.date == newest.c.day))
    )}
    plans = _plans(patients, settings, today)
    therapist_id = links[0][0].therapist_id
    unseen = clinic_alerts.unseen_counts(therapist_id, [link for link, _ in links], now)
    rehab, exercise_pains = _rehab_rows(patients, today)
    rows = []
    for link, patient in links:
        uid, first = patient.id, today[patient.id] - timedelta(days=RECENT_DAYS - 1)
        recent = [c for c in checkins[uid] if c.date >= first]
        # The worst pain of each day, check-in and runs alike: the sparkline and the urgency.
        worst = worst_pains_by_day(checkins[uid], run_pains[uid])
        trend_from = today[uid] - timedelta(days=TREND_DAYS - 1)
        plan = plans.get(uid)
        facts = PatientFacts(
            patient_id=uid, name=sharing.patient_name(patient), today=today[uid], settings=settings[uid],
            recent_pains=tuple((day, pain.field, pain.value) for day, pain in worst.items() if day >= first),
            recent_flags=tuple((c.date, f) for c in recent
                               for f in red_flags_of(c, [r for r in run_pains[uid] if r.date == c.date])),
            last_checkin=last[uid][0] if uid in last else None, plan_state=plan.name if plan else None,
            distance_pct=plan.distance_pct if plan else None, speed_pct=plan.speed_pct if plan else None,
            unseen_alerts=unseen.get(uid, 0), exercise_pains=exercise_pains.get(uid, ()),
        )
        found = urgency(facts)
        rows.append({
            "key": order_key(facts, found),
            "patient": {"id": uid, "name": facts.name, "email": patient.email},
            "today": today[uid],
            "urgency": {"level": found.level, "reasons": list(found.reasons)},
            "last_checkin": {"date": last[uid][0], "pain": last[uid][1]} if uid in last else None,
            "pain_trend": [{"date": day, "pain": pain.value} for day, pain in worst.items() if day >= trend_from],
            "week": _week_out(plan),
            "plan": _plan_out(plan),
            "limits": _limits_out(settings[uid]),
            "alerts_unseen": unseen.get(uid, 0),
            "muted": link.muted,
            "rehab": rehab.get(uid),
        })
    return rows


def plan_spans(events: list[PlanEvent], state: str | None, first: date, today: date) -> list[dict[str, Any]]:
    """The care plan's rest and return as date spans ``{state, from, to}`` within
    ``first``..``today`` (from its transitions, oldest first; ``state``: today's), for the
    patient chart's shading."""
    spans: list[dict[str, Any]] = []
    since: date | None = None
    current = None
    for event in sorted((e for e in events if e.to_state != e.from_state), key=lambda e: e.day):
        if current is None:
            current = event.from_state
        if since is None or event.day > since:
            spans.append({"state": current, "from": since or first, "to": event.day - timedelta(days=1)})
        current, since = event.to_state, event.day
    spans.append({"state": state if state is not None else current, "from": since or first, "to": today})
    return [{**p, "from": max(p["from"], first)} for p in spans
            if p["state"] in ("rest", "return") and p["to"] >= first]


def _rehab_detail(patient_id: int, today: date) -> dict[str, Any]:
    """The patient page's exercise programme: adherence per exercise per calendar week (the
    last ``REHAB_WEEKS``, ``rehab.adherence.weekly``) and each day's exercise pains in those
    weeks (the day's worst, with every exercise that had a pain): the chart's weeks."""
    first = adherence.week_monday(today) - timedelta(weeks=REHAB_WEEKS - 1)
    versions = store.versions(patient_id)
    logged, names = store.logged_many([patient_id], first, today)
    mine = logged.get(patient_id, ())
    paused = store.paused_days_many([patient_id], first, today).get(patient_id, set())
    weeks = [w.to_dict() for w in adherence.weekly(versions, mine, today, REHAB_WEEKS, paused)] if versions else []
    days: dict[date, list[adherence.Logged]] = defaultdict(list)
    for entry in mine:
        if entry.pain is not None:
            days[entry.date].append(entry)
    pains = []
    for day in sorted(days):
        worst = max(days[day], key=lambda e: (e.pain, e.above_ceiling))
        pains.append({"date": day, "pain": worst.pain, "ceiling": worst.ceiling,
                      "above": any(e.above_ceiling for e in days[day]),
                      "exercises": [{"date": day, "exercise": e.exercise, "name": names.get((patient_id, e.exercise), e.exercise),
                                     "pain": e.pain, "ceiling": e.ceiling} for e in days[day]]})
    return {"rehab_weeks": weeks, "exercise_pains": pains}


def dashboard(therapist: User, now: datetime | None = None) -> list[dict[str, Any]]:
    """The therapist's patients, most urgent first, each with the numbers behind it."""
    now = now or utcnow()
    links = sharing.links_of(therapist)
    if not links:
        return []
    rows = sorted(_facts(links, now), key=lambda row: row.pop("key"))
    for row in rows:
        sharing.log(row["patient"]["id"], therapist, "viewed_dashboard")
    db.session.commit()
    return rows


def patient_page(therapist: User, patient_id: int, now: datetime | None = None) -> dict[str, Any]:
    """Everything the patient page shows: the dashboard row, the 12-week load, check-ins and
    runs, today's guidance with its care plan and the plan's history, the limits (this
    therapist's, the ones in force, and the runner's own), alerts and the limit audit."""
    from strideguard.guidance.service import guidance_for
    from strideguard.training import service as training

    now = now or utcnow()
    link, patient = sharing.care_link(therapist, patient_id)
    [row] = _facts([(link, patient)], now)
    row.pop("key")
    today = row["today"]
    settings = runner_settings(patient)
    guidance = guidance_for(patient, today, today)
    first = today - timedelta(days=DETAIL_DAYS - 1)
    history = db.session.execute(
        select(AccessLogEntry).where(
            AccessLogEntry.user_id == patient.id, AccessLogEntry.therapist_id == therapist.id,
            AccessLogEntry.action.in_(("changed_limits", "access_granted")),
        ).order_by(AccessLogEntry.id.desc()).limit(50)
    ).scalars()
    checkins = training.list_checkins(patient, first, today)
    events = plan_service.history(patient)
    runs = training.list_runs(patient, first, today)
    row.update(
        limits=limits_view(link, patient, settings),
        load=training.load_for(patient, today),
        checkins=checkins,
        runs=runs,
        summary=summarise(checkins, runs, first=first, last=today, pain_threshold=settings.pain_threshold),
        guidance=guidance.to_dict(),
        plan=guidance.plan_dict(history=events),
        alerts=[
            {"id": r.id, "kind": r.kind, "local_date": r.local_date, "created_at": r.created_at,
             "status": r.status,
             # An exercise-pain alert's reason is its kind; its numbers are the exceedances.
             "reasons": list(r.context.get("reasons") or (["exercise_pain"] if r.kind == "patient_rehab" else [])),
             "flags": list(r.context.get("flags") or []), "flares": r.context.get("flares"),
             "exceedances": [e for e in r.context.get("exceedances") or [] if isinstance(e, dict)]}
            for r in clinic_alerts.recent_alerts(therapist.id, patient.id)
        ],
        limit_history=[{"at": e.at, "action": e.action, "changes": e.detail.get("changes", {})} for e in history],
        since=link.created_at,
        timezone=patient.timezone,
        plan_spans=plan_spans(events, guidance.plan.name if guidance.plan is not None else None,
                              adherence.week_monday(today) - timedelta(weeks=REHAB_WEEKS - 1), today),
        **_rehab_detail(patient.id, today),
    )
    sharing.log(patient.id, therapist, "viewed_patient")
    db.session.commit()
    return row


def runner_summary(runner: User, first: date, last: date) -> dict[str, Any]:
    """The runner's own printed summary for their therapist (the same figures as the
    therapist's patient page): ``first`` .. ``last``, local dates."""
    from strideguard.training import service as training

    return summarise(training.list_checkins(runner, first, last), training.list_runs(runner, first, last),
                     first=first, last=last, pain_threshold=runner_settings(runner).pain_threshold)
