"""The care plan's cards (PURE): the day's one verdict card and the plan's own advice.

In rest the verdict card is the rest card (``core.rest_day``): it carries what rests the
knee (the pains above the limit, the red flags) as its reasons, so no second card repeats
it. In a return it is today's session (``core.return_session``); in normal running the
weekly cap (``core.distance_jump`` when the week is over it, else ``core.all_clear``). All
are labelled ``source.kind = "plan"``; the PWA draws them as the verdict card. Every number
in their words comes from the constant or the runner's setting it names.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from strideguard.day import redflags
from strideguard.day.units import count_word, format_day, format_distance, format_pace
from strideguard.guidance.advice import Advice, Reason
from strideguard.guidance.rules import QUIET_ACTIONS, Rule, _pct, _plan, make
from strideguard.guidance.snapshot import DaySnapshot
from strideguard.guidance.wording import EVIDENCE
from strideguard.load.weekly import STARTING_CAP_M, limit_of, shown_distance
from strideguard.plan import phases
from strideguard.plan.machine import (
    EASY_DAYS,
    NORMAL,
    RECURRENCE_DAYS,
    REST,
    REST_CLEAN_CHECKINS,
    PlanDay,
)


def cause_text(plan: PlanDay) -> str:
    """Why the current rest or return began, in the runner's words."""
    cause = plan.state.cause
    if cause is None:
        return "your knee needed a break"
    flag = redflags.BY_ID.get(cause.metric)
    if flag is not None:
        return flag.cause
    after = " after a run" if cause.metric in ("pain_after", "pain_after_yesterday") else ""
    return f"your knee pain reached {cause.value}/10{after}, above your limit of {cause.threshold}/10"


def _fresh_streak(plan: PlanDay) -> int:
    last = plan.state.last_clean
    return plan.state.clean_streak if last is not None and last >= plan.date - timedelta(days=1) else 0


def _rest_ends(plan: PlanDay, snapshot: DaySnapshot, ceiling: int) -> str:
    """How this rest ends, said for where the runner stands today."""
    s = plan.state
    if s.hold:
        return ("The rest holds until a therapist or doctor has checked your knee. Once they have, "
                "say so in your check-in (or your therapist records it).")
    needed = REST_CLEAN_CHECKINS
    if plan.day_number <= s.rest_days:
        return (f"The rest ends after day {s.rest_days}, once {count_word(needed)} daily check-ins in a row show pain "
                f"at {ceiling}/10 or less, with no swelling or fever and no running.")
    streak = _fresh_streak(plan)
    if streak == 0:
        first = "today" if snapshot.todays_checkin is None else "tomorrow"
        then = "tomorrow" if first == "today" else "the day after"
        return (f"The rest days are over. Check in {first} and {then}: the rest ends when both show pain "
                f"at {ceiling}/10 or less, with no swelling or fever and no running.")
    return (f"The rest days are over: {min(streak, needed)} of {needed} check-ins at {ceiling}/10 or less. "
            f"One more tomorrow ends the rest.")


def _over_cap_today(plan: PlanDay, units: str) -> tuple[list[Reason], str]:
    """The week's distance against its cap when today's runs broke it (an ``over_cap`` event
    of today: the run whose pain started the rest): its reasons and a sentence."""
    event = next((e for e in plan.events if e.kind == "over_cap"), None)
    if event is None:
        return [], ""
    week_m = event.detail.get("week_m", event.reason.value)
    cap_m = event.detail.get("cap_m", event.reason.threshold)
    week = Reason("week_distance_m", week_m, cap_m)
    reasons = [event.reason] if event.reason.metric != "week_distance_m" else []
    text = (f" This week's {format_distance(week_m, units)} is also over its cap of "
            f"{format_distance(cap_m, units)}: once you run again, build up slowly.")
    return reasons + [week], text


def rest_day(snapshot: DaySnapshot) -> list[Advice]:
    """In rest: the day's verdict card — "Rest day 2 of 3: no running", why, and how it ends
    — with a run logged anyway, the therapist to book, and a recurrence."""
    plan = _plan(snapshot)
    if plan.name != REST:
        return []
    s = plan.state
    limit = snapshot.settings.pain_threshold
    ceiling = phases.session_pain_max(limit)
    n, of = plan.day_number, s.rest_days
    if s.hold and n > of:
        title = f"Still resting (day {n}): get your knee checked"
    elif s.hold:  # "of 3" would promise an end the assessment decides
        title = f"Rest day {n}: no running until your knee is checked"
    elif n <= of:
        title = f"Rest day {n} of {of}: no running"
    else:
        title = f"Still resting (day {n}): no running yet"
    started = format_day(s.since) if s.since else "today"
    swollen = s.cause is not None and s.cause.metric == "swelling" or (
        snapshot.todays_checkin is not None and snapshot.todays_checkin.swelling)
    feverish = s.cause is not None and s.cause.metric == redflags.FEVER_KNEE.id or (
        snapshot.todays_checkin is not None and snapshot.todays_checkin.fever)
    if feverish:  # a hot, swollen knee with a fever is the doctor's first: no self-care tips
        middle = " Let a doctor see the knee before you try anything for it."
    elif swollen:
        middle = (" Wait until the swelling has gone; gentle movement and compression usually help more "
                  "than keeping still.")
    else:
        middle = " Walking and daily life are fine if they do not hurt more."
    reasons = [s.cause] if s.cause else []
    reasons += [Reason(p.field, p.value, limit) for p in snapshot.day_pains
                if p.value > limit and Reason(p.field, p.value, limit) not in reasons]
    over, over_text = _over_cap_today(plan, snapshot.settings.units)
    reasons += [r for r in over if r not in reasons]
    reasons += [Reason("rest_day", n, of),
                Reason("checkins_within_session_ceiling", _fresh_streak(plan), REST_CLEAN_CHECKINS)]
    out = [make("core.rest_day", "rest", "warning", title,
                f"Since {started}: {cause_text(plan)}.{middle} {_rest_ends(plan, snapshot, ceiling)}{over_text}",
                reasons, EVIDENCE["rest_plan"], kind="plan")]
    started_today = any(e.kind in ("rest_started", "rest_extended") for e in plan.events)
    cause = s.cause
    flagged = cause is not None and cause.metric in redflags.BY_ID
    if started_today and cause is not None and not flagged:
        out.append(make("core.pain_contact_pt", "contact_pt", "caution", "Book your physical therapist",
                        "A therapist can find the cause so the pain does not come back after the rest.",
                        reasons[:1], EVIDENCE["pain"]))
    if s.flare_count >= 2 and s.last_flare == s.since:
        out.append(make(
            "core.recurrence", "contact_pt", "caution", "Ask for a running-form assessment",
            f"Your knee has stopped your running {s.flare_count} times within {RECURRENCE_DAYS // 7} weeks. "
            "When knee pain keeps coming back, a therapist can watch how you run and find what to change.",
            [Reason("flares_in_window", s.flare_count, RECURRENCE_DAYS)], EVIDENCE["recurrence"],
        ))
    if "run_during_rest" in plan.notes:
        runs = snapshot.todays_runs
        out.append(make(
            "core.run_during_rest", "stop_running", "caution", "You ran during your rest",
            f"You logged {format_distance(sum(r.distance_m for r in runs), snapshot.settings.units)} today. "
            "The plan still says no running, and a day you run does not count towards the rest's end. "
            "If it hurt, say so in today's check-in.",
            [Reason("run_distance_m", round(sum(r.distance_m for r in runs)), 0)],
            EVIDENCE["rest_plan"], kind="plan",
        ))
    return out


def _session_reasons(plan: PlanDay, phase: phases.Phase) -> list[Reason]:
    return [
        Reason("return_phase", phase.number, phases.LAST_PHASE),
        Reason("sessions_in_phase", plan.state.phase_sessions, phases.SESSIONS_PER_PHASE),
        Reason("session_distance_m", phase.distance_m, None),
    ]


def return_session(snapshot: DaySnapshot) -> list[Advice]:
    """In return: the day's verdict card — today's walk–run session, or why there is none
    today and when the next one is."""
    plan = _plan(snapshot)
    phase = plan.session  # None outside the return
    if phase is None:
        return []
    units = snapshot.settings.units
    ceiling = phases.session_pain_max(snapshot.settings.pain_threshold)
    session = phases.session_text(phase, units)
    done, need = plan.state.phase_sessions, phases.SESSIONS_PER_PHASE
    where = f"Phase {phase.number} of {phases.LAST_PHASE}, {done} of {need} sessions done."
    rule = (f"The plan moves up after {count_word(need)} sessions with pain at {ceiling}/10 or less that leave the "
            "knee no worse the next morning. On level ground, with a rest day between runs.")
    nxt = plan.next_session
    next_text = format_day(nxt) if nxt is not None else "soon"
    notes = set(plan.notes)
    today_events = {e.kind for e in plan.events}
    lead = ""
    restarted = "return_restarted" in today_events
    if restarted and plan.state.cause is not None:
        lead = (f"You have not run for {plan.state.cause.value} days, so the return starts again at "
                "phase 1: what the knee had built up needs building again. ")
    if "return_started" in today_events:
        cause = plan.state.cause
        if cause and cause.metric == "days_since_previous_run":
            lead = f"You have not run for {cause.value} days, so start back with walk–run. "
        elif cause and cause.metric == "break_flagged":
            lead = "You are coming back after a break, so start back with walk–run. "
        else:
            lead = "The rest is over. Start back with walk–run. "
    if "phase_up" in today_events:
        lead = f"Up to phase {phase.number}: the last sessions went well. "
    if "phase_down" in today_events:
        lead = (f"Back to phase {phase.number}: the knee did not take the last session well. Take "
                f"{EASY_DAYS} easy days without running; the next session is {next_text}. ")

    rehab = [e.reason for e in plan.events if e.kind == "phase_held"
             or (e.kind == "phase_down" and e.reason.metric == "knee_after_exercise")]
    if any(e.kind == "phase_down" and e.reason.metric == "knee_after_exercise" for e in plan.events):
        lead = (f"Back to phase {phase.number}: your knee was worse after yesterday's exercises. Take "
                f"{EASY_DAYS} easy days without running; the next session is {next_text}. Tell your "
                "therapist how the exercises went. ")
    held = next((e.reason for e in plan.events if e.kind == "phase_held"), None)
    if held is not None:
        lead = (f"Session counted, but you stay in phase {phase.number}: your exercises were at "
                f"{held.value}% over the last 7 days, under the {held.threshold}% your therapist set. "
                "Keep up your exercises to move up. ")

    lapsed = plan.unconfirmed_session
    missed = []
    if lapsed is not None:
        lead += (f"Your session of {format_day(lapsed)} did not count: there was no check-in the day after it. "
                 "A session counts only when the next morning's check-in shows the knee no worse, so check "
                 "in the morning after each session. ")
        missed = [Reason("missed_checkin", (lapsed + timedelta(days=1)).isoformat(), None)]

    checkin = snapshot.todays_checkin
    if "worse_after_exercise" in notes:
        title = f"Back to phase {phase.number}: {EASY_DAYS} easy days"
        message = f"{lead}{where}"
    elif "session_too_long" in notes:
        title = "That was more than today's session"
        message = (f"Today's run was longer than the session ({session}), so it does not count. "
                   f"Keep to the session for now. {where}")
    elif "back_to_back" in notes or "easy_day_run" in notes:
        title = "Take the days off between sessions"
        why = ("You also ran yesterday." if "back_to_back" in notes
               else f"These are the {EASY_DAYS} easy days after a session the knee did not take well.")
        if "session_unconfirmed" in notes and checkin is None and lapsed is None:
            why += " Check in today: yesterday's session counts only with today's check-in."
        message = (f"{why} Days off let the knee adapt; this run does not count as a session. "
                   f"Next session: {next_text}. {where}")
    elif "session_broken" in notes and "phase_down" in today_events:
        title = f"Back to phase {phase.number}: {EASY_DAYS} easy days"
        message = f"{lead}{where}"
    elif "session_logged" in notes:
        title = "Session logged: check in tomorrow morning"
        message = (f"{lead}Tomorrow's check-in tells the plan how the knee took it. Rest from "
                   f"running tomorrow. {where}")
    elif "no_session_today" in notes:
        title = "No session today"
        if "fever_day" in notes:
            why = "You have a fever: no running until it has gone."
        else:
            pain = checkin.pain if checkin is not None else None
            why = (f"Your pain today is {pain}/10, above the session ceiling of {ceiling}/10. "
                   "Try again on a day it is lower.")
        message = f"{lead}{why} {where}"
    elif plan.checkin_due:
        title = "Check in today: yesterday's session counts only then"
        message = (f"{lead}Yesterday's session counts when today's check-in shows the knee no worse than "
                   f"before it; without a check-in today it does not count. Rest from running today; your "
                   f"next session is {next_text}: {session}. {where}")
    elif "session_unconfirmed" in notes and lapsed is not None:
        title = "Your last session did not count: no check-in the day after"
        when = "today" if plan.session_day else next_text
        message = f"{lead}Next session {when}: {session}. {where}"
    elif not plan.session_day:
        title = "Rest day between sessions"
        message = f"{lead}Your next session is {next_text}: {session}. {where}"
    elif restarted:
        title = f"Back to phase 1: {plan.state.cause.value} days without a run"
        message = f"{lead}Today: {session}. {where} {rule}"
    else:
        title = f"Today: {session}"
        message = f"{lead}{where} {rule}"
    return [
        make(
            "core.return_session",
            "return_gradually",
            "caution",
            title,
            message,
            ([plan.state.cause] if plan.state.cause and today_events & {"return_started", "return_restarted"}
             else [])
            + missed + rehab + _session_reasons(plan, phase),
            EVIDENCE["return_plan"],
            kind="plan",
        )
    ]


def _week_reasons(plan: PlanDay) -> list[Reason]:
    reasons = [Reason("week_distance_m", round(plan.state.week_m), None)]
    if plan.state.ramp_m:
        reasons.append(Reason("ramp_week_m", round(plan.state.ramp_m), None))
    if plan.state.baseline_m:
        reasons.append(Reason("baseline_week_m", round(plan.state.baseline_m), None))
    reasons.append(Reason("week_cap_m", plan.week_cap_m, None))
    return reasons


def _reference_text(plan: PlanDay, units: str) -> str:
    """What this week is compared with, in words."""
    s = plan.state
    if s.ramp_m:
        return f"the {format_distance(s.ramp_m, units)} a week you have built back up to since your return"
    weeks = len(s.clean_weeks)
    latest = s.clean_weeks[-1][1] if s.clean_weeks else s.baseline_m
    if weeks <= 1 or round(latest, 1) >= s.baseline_m:
        which = "your last clean week"
    else:
        which = f"the mean of your last {weeks} clean weeks"
    return f"your baseline of {format_distance(s.baseline_m, units)} ({which})"


def distance_jump(snapshot: DaySnapshot) -> list[Advice]:
    """This calendar week is over its cap: more than the limit on the ramp or the baseline,
    or (no history yet) over the starting cap."""
    plan = _plan(snapshot)
    if plan.name != NORMAL:
        return []
    units = snapshot.settings.units
    limit = snapshot.settings.weekly_increase_pct
    cap = format_distance(plan.week_cap_m, units)
    week = format_distance(plan.state.week_m, units)
    if plan.reference_m:
        if plan.distance_pct is None or plan.distance_pct <= limit_of(limit):
            return []
        message = (
            f"No more running this week (it ends on Sunday). This week so far: {week}, "
            f"{plan.distance_pct}% more than {_reference_text(plan, units)}; your limit is {limit:g}% a week. "
            f"Next week's cap stays at {cap} and grows again only after a week within it."
        )
        reasons = [Reason("distance_pct", _pct(plan.distance_pct), limit)] + _week_reasons(plan)
        evidence = EVIDENCE["weekly"]
    else:
        if plan.state.week_m <= 0 or not plan.state.week_over_start:
            return []
        message = (
            f"No more running this week (it ends on Sunday). This week so far: {week}. With no "
            f"complete week of your own yet, the first week starts at {cap}. Once a week ends with no "
            "pain above your limit, your own weeks set the cap. Log or import your runs of the last "
            "weeks to set it now."
        )
        reasons = [Reason("week_distance_m", round(plan.state.week_m), STARTING_CAP_M)]
        evidence = EVIDENCE["start_cap"]
    # The card fires once the week is over its cap: "keep under" it could no longer be followed.
    return [make("core.distance_jump", "reduce_volume", "caution", f"Over this week's cap: {week} of {cap}",
                 message, reasons, evidence, kind="plan")]


def speed_jump(snapshot: DaySnapshot) -> list[Advice]:
    """This week's average pace is faster than the reference week by more than the limit."""
    plan = _plan(snapshot)
    limit = snapshot.settings.speed_increase_pct
    if plan.name != NORMAL or plan.speed_pct is None or plan.speed_pct <= limit_of(limit):
        return []
    units = snapshot.settings.units
    s = plan.state
    pace_now = format_pace(s.week_m / s.week_s if s.week_s else None, units)
    pace_ref = format_pace(s.speed_m / s.speed_s if s.speed_m and s.speed_s else None, units)
    return [
        make(
            "core.speed_jump",
            "reduce_intensity",
            "caution",
            "Slow down this week",
            f"Your average pace this week, {pace_now}, is {plan.speed_pct}% faster than "
            f"{pace_ref} in the week of {format_day(s.speed_week)}, above your {limit:g}% limit. "
            "Run easy until your body has caught up.",
            [Reason("speed_pct", _pct(plan.speed_pct), limit)],
            EVIDENCE["weekly"],
            kind="plan",
        )
    ]


def all_clear(snapshot: DaySnapshot, fired: Iterable[Advice]) -> list[Advice]:
    """Nothing asks for a change: keep running within this week's cap."""
    plan = _plan(snapshot)
    if plan.name != NORMAL or "fever_day" in plan.notes or any(
            advice.action not in QUIET_ACTIONS for advice in fired):
        return []
    units = snapshot.settings.units
    limit = snapshot.settings.weekly_increase_pct
    cap = format_distance(plan.week_cap_m, units)
    # What is left, from the two figures as shown (17.6 - 17.3 = 0.3 mi, never 0.4).
    left_value = max(shown_distance(plan.week_cap_m, units) - shown_distance(plan.state.week_m, units), 0)
    left = f"{left_value:.1f} {'mi' if units == 'mi' else 'km'}"
    title = f"Keep running: {shown_distance(plan.state.week_m, units)} of {cap} this week"
    if plan.reference_m:
        message = (f"Nothing in your check-in or runs needs a change. {left} left this week (Monday to "
                   f"Sunday): at most {limit:g}% more than {_reference_text(plan, units)}.")
    else:
        message = (f"Nothing in your check-in or runs needs a change. With no complete week of your own "
                   f"yet, the first week starts at {cap}; log or import your runs of the last weeks to "
                   "set your own baseline.")
    if snapshot.todays_checkin is None:
        message += " Check in today so the advice can take your knee into account."
    return [make("core.all_clear", "keep_running", "info", title, message, _week_reasons(plan),
                 EVIDENCE["all_clear"], kind="plan")]


#: The plan's cards, in the order they are evaluated (after the seed's red flags).
PLAN_CARDS: tuple[Rule, ...] = (rest_day, return_session, distance_jump, speed_jump)
