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
  checkins_at_or_under_limit: 'check-ins in a row at or under your limit',
  distance_pct: 'this week against your baseline week',
  week_distance_m: 'distance this week',
  speed_pct: 'average pace against your reference week',
  sessions_in_phase: 'sessions done in the phase',
  morning_pain: 'morning pain',
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
};

export function reasonText(reason) {
  if (!reason) return '';
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
  return 'Running within your weekly cap';
}

function todayLine(plan) {
  const today = plan.today;
  if (plan.state === 'rest') return plan.ends_when;
  if (plan.state === 'return') {
    const session = today.session;
    if (session.today === 'rest_day') return `Rest day between sessions. Next: ${session.text}.`;
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

/** The plan card. `history` (optional) fills "Why?" with the plan's recent changes. */
export function planCard(plan) {
  if (!plan) return null;
  const why = h('details', { class: 'why' }, h('summary', {}, 'Why?'));
  const reasons = [];
  if (plan.cause) reasons.push(`Started ${formatDay(plan.since)}: ${reasonText(plan.cause)}.`);
  if (plan.week && plan.week.baseline) {
    reasons.push(`Your cap comes from your last clean week (${formatDay(plan.week.baseline.week_start)}): ${formatDistance(plan.week.baseline.distance_m)}.`);
  } else if (plan.state === 'normal') {
    reasons.push('No clean week yet: the first weeks start at a low cap. Log or import your last weeks to set your own.');
  }
  if (plan.state === 'return') reasons.push('A session counts when pain stays at 2/10 or less and the knee is no worse the next morning.');
  why.append(h('ul', {}, reasons.map((r) => h('li', {}, r))));
  if (plan.history && plan.history.length) {
    why.append(h('p', { class: 'hint' }, 'Recent changes'),
      h('ul', { class: 'history' }, plan.history.slice(-5).reverse().map((e) => h('li', {},
        `${formatDay(e.at)}: ${KIND_WORDS[e.kind] || e.kind} — ${reasonText(e.reason)}`))));
  }
  return h('section', { class: `card plan plan-${plan.state} verdict-${plan.today.verdict}`, 'aria-label': 'Your plan', 'data-plan-state': plan.state },
    h('p', { class: 'plan-label' }, 'Your plan'),
    h('h2', {}, headline(plan)),
    h('p', { class: 'plan-today' }, todayLine(plan)),
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
