"""The care plan as the API and the PWA show it (PURE): ``GET /api/v1/plan``'s body."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from strideguard.day.units import count_word, format_distance
from strideguard.day.values import RunnerSettings
from strideguard.plan import phases
from strideguard.plan.phases import session_text
from strideguard.plan.machine import (
    NORMAL,
    REST,
    REST_CLEAN_CHECKINS,
    RETURN,
    PlanDay,
    PlanEvent,
)


def _iso(day) -> str | None:
    return day.isoformat() if day is not None else None


def event_out(event: PlanEvent) -> dict[str, Any]:
    """One history entry: ``{at, from, to, kind, reason: {metric, value, threshold}, detail}``."""
    return {
        "at": event.day.isoformat(),
        "from": event.from_state,
        "to": event.to_state,
        "kind": event.kind,
        "reason": event.reason.to_dict(),
        "detail": dict(event.detail),
    }


def phase_out(phase: phases.Phase, units: str) -> dict[str, Any]:
    return {
        "phase": phase.number,
        "walk_min": phase.walk_min,
        "run_min": phase.run_min,
        "distance_m": phase.distance_m,
        "effort": phase.effort,
        "text": session_text(phase, units),
    }


def _ends_when(day: PlanDay, settings: RunnerSettings) -> str | None:
    ceiling = phases.session_pain_max(settings.pain_threshold)
    if day.name == REST:
        if day.state.hold:
            return ("Once a therapist or doctor has checked your knee (say so in your check-in), and "
                    f"two daily check-ins in a row show pain at {ceiling}/10 or less.")
        return (f"After day {day.state.rest_days}, once {count_word(REST_CLEAN_CHECKINS)} daily check-ins in a row show "
                f"pain at {ceiling}/10 or less with no swelling or fever and no running.")
    if day.name == RETURN:
        return (f"After phase {phases.LAST_PHASE}, when each phase has gone well "
                f"{phases.SESSIONS_PER_PHASE} times: pain at {ceiling}/10 or less during and after, "
                "and no worse the next morning.")
    return None


def _fresh_streak(day: PlanDay) -> int:
    last = day.state.last_clean
    if last is None or (day.date - last).days > 1:
        return 0
    return day.state.clean_streak


def plan_view(
    day: PlanDay,
    settings: RunnerSettings,
    verdict: str | None = None,
    history: Iterable[PlanEvent] | None = None,
) -> dict[str, Any]:
    """The plan on ``day.date``: state, day N of M, how it ends, today's verdict, session or
    cap, this week against the baseline, the return phases, and (when given) the history."""
    s = day.state
    units = settings.units
    session = None
    if day.name == RETURN and day.session is not None:
        if s.last_session == day.date:
            today = "done"
        elif day.session_day:
            today = "session"
        elif "no_session_today" in day.notes:
            today = "no_session"
        else:
            today = "rest_day"
        session = {
            **phase_out(day.session, units),
            "of_phases": phases.LAST_PHASE,
            "sessions_done": s.phase_sessions,
            "sessions_needed": phases.SESSIONS_PER_PHASE,
            "today": today,
            "next_session": _iso(day.next_session),
            "pain_ceiling": phases.session_pain_max(settings.pain_threshold),
        }
    out: dict[str, Any] = {
        "state": day.name,
        "since": _iso(s.since),
        "day": day.day_number if day.name != NORMAL or s.since else None,
        "of_days": day.of_days,
        "ends_when": _ends_when(day, settings),
        "end_condition": (
            {
                "days_left": max(s.rest_days - day.day_number + 1, 0),
                "checkins_within_ceiling": min(_fresh_streak(day), REST_CLEAN_CHECKINS),
                "checkins_needed": REST_CLEAN_CHECKINS,
                "pain_threshold": settings.pain_threshold,
                "pain_ceiling": phases.session_pain_max(settings.pain_threshold),
                "awaiting_assessment": s.hold,
            }
            if day.name == REST else None
        ),
        "cause": s.cause.to_dict() if s.cause is not None and day.name != NORMAL else None,
        "today": {
            "date": day.date.isoformat(),
            "verdict": verdict or day.verdict,
            "session": session,
            "cap_m": day.cap_m,
            "cap_text": format_distance(day.cap_m, units),
        },
        "week": {
            "week_start": _iso(s.week),
            "distance_m": round(s.week_m),
            "duration_s": round(s.week_s),
            "runs": s.week_runs,
            # The week's cap is a rule of normal running only: in a rest or a return the day's
            # cap (``today.cap_m``: 0, or the session) is what stands (as on the dashboard).
            "cap_m": day.week_cap_m if day.name == NORMAL else None,
            "baseline": (
                {"week_start": _iso(s.baseline_week), "distance_m": round(s.baseline_m),
                 "weeks": [{"week_start": _iso(monday), "distance_m": round(m)} for monday, m in s.clean_weeks]}
                if s.baseline_m else None
            ),
            "ramp_m": round(s.ramp_m) if s.ramp_m else None,
            "distance_pct": float(day.distance_pct) if day.distance_pct is not None else None,
            "speed_pct": float(day.speed_pct) if day.speed_pct is not None else None,
        },
        "return": (
            {
                "phase": s.phase,
                "of_phases": phases.LAST_PHASE,
                "sessions_done": s.phase_sessions,
                "sessions_needed": phases.SESSIONS_PER_PHASE,
                "phases": [phase_out(p, units) for p in phases.PHASES],
            }
            if day.name == RETURN else None
        ),
    }
    if history is not None:
        out["history"] = [event_out(e) for e in history]
    return out
