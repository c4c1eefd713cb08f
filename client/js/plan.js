// The care plan card on the home screen: where the runner stands, today's session or cap,
// the reason one tap away, and a return-to-run progress strip. Data from GET /plan (or the
// `plan` inside a guidance answer). Text only through textContent (dom.js).

import { api } from './api.js';
import { h } from './dom.js';
import { formatDistance, formatDay, formatPhase } from './state.js';

const METRIC_WORDS = {
  pain: 'pain',
  pain_during: 'pain during a run',
  pain_after: 'pain after a run',
  pain_after_yesterday: 'pain after yesterday’s run',
  swelling: 'swelling',
  fever: 'fever with a painful or swollen knee',
  locking_or_giving_way: 'the knee locked or gave way',
  hard_to_straighten: 'the knee would not straighten',
  days_since_previous_run: 'days without a run',
  break_flagged: 'you said you are coming back after a break',
  checkins_within_session_ceiling: 'check-ins in a row within the session ceiling',
  flares_in_window: 'times the knee stopped your running within six weeks',
  run_distance_m: 'distance run',
  assessed_by: 'knee checked by',
  rest_day: 'rest day',
  fever_alone: 'fever',
  distance_pct: 'this week against your baseline week',
  week_distance_m: 'distance this week',
  speed_pct: 'average pace against your reference week',
  sessions_in_phase: 'sessions done in the phase',
  morning_pain: 'morning pain',
  exercise_adherence_pct: 'exercises done in the last 7 days',
  knee_after_exercise: 'knee after yesterday\'s exercises',
};
export const KIND_WORDS = {
  rest_started: 'Rest started',
  rest_extended: 'Rest extended',
  return_started: 'Return to running started',
  phase_up: 'Up a phase',
  phase_down: 'Back a phase',
  return_completed: 'Back to normal running',
  over_cap: 'Week over its cap',
  speed_over: 'Pace over its limit',
  ran_during_rest: 'Ran during the rest',
  session_too_long: 'Ran more than the session',
  session_early: 'Ran on a day off between sessions',
  recurrence: 'Pain came back within six weeks',
  assessed: 'Knee checked',
  phase_held: 'Phase held: exercises under the minimum',
  session_unconfirmed: 'Session not counted: no check-in the day after',
  return_restarted: 'Return started again at phase 1: days without a run',
};
/** The day's verdict in words ("Today: no running"): the plan card, the guidance, the patient page. */
export const STATUS_WORDS = { ok: 'good to run', caution: 'take it easy', stop: 'no running' };

export function reasonText(reason) {
  if (!reason) return '';
  if (reason.metric === 'rest_day') return `rest day ${reason.value} of ${reason.threshold}`;
  if (reason.metric === 'checkins_within_session_ceiling') return `${reason.value} of ${reason.threshold} calm check-ins in a row`;
  if (reason.metric === 'flares_in_window') return `the knee stopped your running ${reason.value} times within ${Math.round(reason.threshold / 7)} weeks`;
  const what = METRIC_WORDS[reason.metric] || String(reason.metric).replace(/_/g, ' ');
  if (typeof reason.value === 'boolean') return what;
  let value = reason.value;
  let limit = reason.threshold;
  if (/pct$/.test(reason.metric)) { value = `${Number(value).toFixed(1)}%`; limit = limit === null || limit === undefined ? null : `${limit}%`; }
  else if (/_m$/.test(reason.metric)) { value = formatDistance(value); limit = limit === null || limit === undefined ? null : formatDistance(limit); }
  else if (/pain/.test(reason.metric)) { value = `${value}/10`; limit = limit === null || limit === undefined ? null : `${limit}/10`; }
  return `${what}: ${value}${limit !== null && limit !== undefined ? ` (limit ${limit})` : ''}`;
}

function headline(plan) {
  if (plan.state === 'rest') {
    return plan.day <= plan.of_days ? `Rest day ${plan.day} of ${plan.of_days}: no running` : `Still resting (day ${plan.day}): no running yet`;
  }
  if (plan.state === 'return') return `Return to running: phase ${plan.return.phase} of ${plan.return.of_phases}`;
  const over = plan.week && plan.week.cap_m && plan.week.distance_m > plan.week.cap_m;
  return over ? 'Over this week’s cap: no more running this week' : 'Running within your weekly cap';
}

function todayLine(plan) {
  const today = plan.today;
  if (plan.state === 'rest') return plan.ends_when;
  if (plan.state === 'return') {
    const session = today.session;
    if (session.today === 'no_session') return `No session today. Next: ${session.text}.`;
    if (session.today === 'rest_day') return `Rest day between sessions. Next${session.next_session ? ` (${formatDay(session.next_session)})` : ''}: ${session.text}.`;
    if (session.today === 'done') return `Session done today (${session.text}). Check in tomorrow morning.`;
    return `Today: ${session.text}. ${session.sessions_done} of ${session.sessions_needed} sessions done in this phase.`;
  }
  return `This week: ${formatDistance(plan.week.distance_m)} of ${formatDistance(plan.week.cap_m)}.`;
}

/** The six phases as a strip: done, current, to come. */
export function progressStrip(ret) {
  const strip = h('ol', { class: 'phases', 'aria-label': `Return to running: phase ${ret.phase} of ${ret.of_phases}` });
  for (const p of ret.phases) {
    const state = p.phase < ret.phase ? 'done' : p.phase === ret.phase ? 'now' : 'next';
    strip.append(h('li', { class: `phase phase-${state}`, title: p.text, 'aria-current': state === 'now' ? 'step' : null },
      h('span', { class: 'phase-num' }, String(p.phase)),
      h('span', { class: 'phase-text' }, formatPhase(p))));
  }
  return strip;
}

function weekBar(plan) {
  const cap = plan.week.cap_m || 0;
  const value = Math.min(plan.week.distance_m, cap || plan.week.distance_m);
  return h('meter', { class: 'week-meter', min: 0, max: cap || 1, value, 'aria-label': `${formatDistance(plan.week.distance_m)} of ${formatDistance(cap)} this week` });
}

function baselineLine(plan) {
  const week = plan.week || {};
  if (week.ramp_m) return `Since your return the weekly cap grows 10% a clean week from ${formatDistance(week.ramp_m)}, until it meets your baseline.`;
  if (week.baseline) {
    const weeks = (week.baseline.weeks || []).length;
    return weeks > 1
      ? `Your cap comes from your baseline: the mean of your last ${weeks} clean weeks, ${formatDistance(week.baseline.distance_m)}.`
      : `Your cap comes from your last clean week (${formatDay(week.baseline.week_start)}): ${formatDistance(week.baseline.distance_m)}.`;
  }
  return plan.state === 'normal' ? 'No clean week yet: the first week starts at a low cap. Log or import your last weeks to set your own.' : null;
}

/** The day's ONE verdict card: the plan's state, the verdict, today's session or cap, and
 * the reasons one tap away. `verdict` (optional) is the plan's own advice of the day (rest
 * day, return session, weekly cap or all clear) from a guidance answer: its words lead, its
 * numbers join the reasons. `history` (optional) fills "Why?" with the plan's recent changes.
 * `day`: whose verdict it is ("Today", or the date of an answer about another day). */
export function planCard(plan, verdict = null, day = 'Today') {
  if (!plan) return null;
  const why = h('details', { class: 'why' }, h('summary', {}, 'Why?'));
  const reasons = [];
  if (plan.cause) reasons.push(`Started ${formatDay(plan.since)}: ${reasonText(plan.cause)}.`);
  for (const r of (verdict?.reasons || [])) {
    if (plan.cause && r.metric === plan.cause.metric) continue;
    reasons.push(`${reasonText(r)}.`);
  }
  const base = baselineLine(plan);
  if (base) reasons.push(base);
  const ceiling = plan.today?.session?.pain_ceiling ?? plan.end_condition?.pain_ceiling;
  if (plan.state === 'return' && ceiling !== undefined) reasons.push(`A session counts when pain stays at ${ceiling}/10 or less and the knee is no worse the next morning.`);
  why.append(h('ul', {}, reasons.map((r) => h('li', {}, r))));
  if (verdict?.evidence) why.append(h('p', { class: 'evidence' }, verdict.evidence));
  if (plan.history && plan.history.length) {
    why.append(h('p', { class: 'hint' }, 'Recent changes'),
      h('ul', { class: 'history' }, plan.history.slice(-5).reverse().map((e) => h('li', {},
        `${formatDay(e.at)}: ${KIND_WORDS[e.kind] || e.kind} — ${reasonText(e.reason)}`))));
  }
  const status = plan.today.verdict;
  return h('section', {
    class: `card plan plan-${plan.state} verdict-${status}`, 'aria-label': 'Your plan today',
    'data-plan-state': plan.state, 'data-verdict': status, 'data-advice-id': verdict ? verdict.id : null,
  },
  h('p', { class: 'plan-label' }, STATUS_WORDS[status] ? `${day}: ${STATUS_WORDS[status]}` : 'Your plan'),
  h('h2', {}, verdict ? verdict.title : headline(plan)),
  h('p', { class: 'plan-today' }, verdict ? verdict.message : todayLine(plan)),
  plan.state === 'normal' ? weekBar(plan) : null,
  plan.state === 'return' && plan.return ? progressStrip(plan.return) : null,
  why);
}

/** Load GET /plan and return the card (null when it cannot be loaded, e.g. offline). */
export async function loadPlanCard() {
  try {
    return planCard(await api('GET', '/plan'));
  } catch {
    return null;
  }
}
