// Guidance cards: the action first, the reasons one tap away, urgent red flags on top.

import { api } from './api.js';
import { h, mount } from './dom.js';
import { me, formatDistance, formatDay, runnerToday } from './state.js';
import { planCard, STATUS_WORDS } from './plan.js';

const SEVERITY_ORDER = { urgent: 0, warning: 1, caution: 2, info: 3 };
const STATUS_TEXT = {
  ok: [STATUS_WORDS.ok, 'Stay within your limits below.'],
  caution: [STATUS_WORDS.caution, 'Run less or easier, as below.'],
  stop: [STATUS_WORDS.stop, 'Rest your knee and follow the steps below.'],
};

/** "Today", or the day an answer is about when it is not the runner's today ("Mon 30 Nov"). */
export function dayWord(asOf) {
  return !asOf || asOf === runnerToday() ? 'Today' : formatDay(asOf);
}

function formatValue(metric, value) {
  if (value === null || value === undefined) return '–';
  if (typeof value === 'number') {
    if (/_m$|distance/.test(metric) && !/pct/.test(metric)) return formatDistance(value);
    if (/pct/.test(metric)) return `${value.toFixed(1)}%`;
    if (/_s$/.test(metric)) return `${Math.round(value / 60)} min`;
    return Number.isInteger(value) ? String(value) : value.toFixed(2);
  }
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

function metricName(metric) {
  return String(metric).replace(/[._]/g, ' ');
}

function telLink(label) {
  const phone = me()?.therapist?.phone;
  return phone ? h('a', { class: 'button urgent-call', href: `tel:${phone.replace(/[^+\d]/g, '')}` }, label)
    : h('a', { href: '#therapist' }, 'Add your therapist’s number');
}

const KIND_TAGS = { clinic: 'Clinic', plan: 'Your plan', evidence: 'Research' };

/** A small tag naming where an advice comes from: the clinic's rules, the care plan, research
 * beyond the clinic's article (never louder than caution), or a condition plugin. */
function sourceTag(source) {
  if (!source) return null;
  const kind = source.kind || (source.plugin === 'core' ? 'clinic' : 'plugin');
  const text = KIND_TAGS[kind] || 'Condition check';
  return h('span', { class: `tag tag-${kind}`, title: kind === 'plugin' ? source.plugin : null }, text);
}

/** One advice card. */
export function adviceCard(advice) {
  const urgent = advice.severity === 'urgent';
  const reasons = (advice.reasons || []).map((r) => h('li', {},
    `${metricName(r.metric)}: ${formatValue(r.metric, r.value)}`,
    r.threshold !== null && r.threshold !== undefined ? ` (limit ${formatValue(r.metric, r.threshold)})` : ''));
  const why = h('details', { class: 'why' },
    h('summary', {}, 'Why?'),
    reasons.length ? h('ul', {}, reasons) : null,
    advice.evidence ? h('p', { class: 'evidence' }, advice.evidence) : null,
    advice.source ? h('p', { class: 'source' }, `From: ${advice.source.plugin}${advice.source.version ? ` ${advice.source.version}` : ''}`) : null);
  let call = null;
  if (advice.action === 'contact_pt') call = telLink('Call your therapist');
  if (advice.action === 'contact_doctor') call = h('p', { class: 'strong' }, 'Call your doctor today.');
  return h('article', {
    class: `card sev-${advice.severity} act-${advice.action}`,
    role: urgent ? 'alert' : null,
    'data-advice-id': advice.id,
  },
  sourceTag(advice.source),
  h('h2', {}, advice.title),
  advice.message ? h('p', {}, advice.message) : null,
  call, why);
}

/** The therapist's instruction, when one of the runner's therapists wrote one. */
export function instructionCard() {
  const text = me()?.therapist_instruction;
  if (!text) return null;
  const who = (me()?.limits_set_by?.instruction || []).join(', ');
  return h('section', { class: 'card instruction', 'aria-label': 'From your therapist' },
    h('p', { class: 'plan-label' }, 'From your therapist'), h('p', { class: 'strong' }, text),
    who ? h('p', { class: 'hint' }, who) : null);
}

/** The plan's own advice that IS the day's verdict (one of them at most). */
const VERDICT_IDS = ['core.rest_day', 'core.return_session', 'core.distance_jump', 'core.all_clear'];

/** The day's guidance: ONE verdict card (the plan, with its reasons one tap away), then every
 * other card, most severe first — none of them repeats the verdict. */
export function guidanceView(guidance) {
  const advice = [...(guidance.advice || [])].sort(
    (a, b) => (SEVERITY_ORDER[a.severity] ?? 9) - (SEVERITY_ORDER[b.severity] ?? 9));
  const verdict = VERDICT_IDS.map((id) => advice.find((a) => a.id === id)).find(Boolean) || null;
  const others = advice.filter((a) => a !== verdict);
  // Urgent cards (a doctor today, a knee to get checked) lead, above the plan's verdict.
  const urgent = others.filter((a) => a.severity === 'urgent');
  const failed = (guidance.plugins || []).filter((p) => p.status !== 'active');
  const status = STATUS_TEXT[guidance.status] || STATUS_TEXT.ok;
  const day = dayWord(guidance.as_of);
  return h('section', { class: 'guidance', 'aria-label': day === 'Today' ? 'Guidance for today' : `Guidance for ${day}` },
    urgent.map(adviceCard),
    guidance.plan ? planCard({ ...guidance.plan, today: { ...guidance.plan.today, verdict: guidance.status } }, verdict, day)
      : h('div', { class: `status status-${guidance.status}` },
        h('p', { class: 'status-title' }, `${day}: ${status[0]}`), h('p', {}, status[1])),
    instructionCard(),
    others.filter((a) => a.severity !== 'urgent').map(adviceCard),
    failed.length ? h('p', { class: 'hint' }, `Some checks are unavailable right now: ${failed.map((p) => p.name).join(', ')}.`) : null,
    h('p', { class: 'hint' }, 'StrideGuard gives general guidance, not a diagnosis. Your therapist knows your knee best.'));
}

/** Red flags we can show without the server (offline): never a diagnosis, just the next step.
 * Titles, actions and severities are the red-flag table's own (server day/redflags.py:
 * core.fever, core.swelling, core.mechanical): tests/browser/test_plan_card.py pins them. */
export function offlineRedFlags(checkin) {
  const cards = [];
  if (checkin.fever && (checkin.swelling || checkin.pain > 0)) {
    cards.push({ id: 'offline.fever', action: 'contact_doctor', severity: 'urgent', title: 'Call a doctor today', message: 'Fever with a painful or swollen knee needs a doctor soon. It could be an infection.' });
  } else if (checkin.fever) {
    cards.push({ id: 'offline.fever', action: 'stop_running', severity: 'warning', title: 'No running with a fever', message: 'Rest until the fever is gone. See a doctor if it lasts or the knee turns warm or swollen.' });
  }
  const limit = me()?.pain_threshold ?? 3;
  if (checkin.pain > limit) {
    // The plan's rest (server: core.rest_day), in the few words known without the server.
    cards.push({ id: 'offline.pain', action: 'rest', severity: 'warning', title: 'No running today', message: `Your pain, ${checkin.pain}/10, is above your limit of ${limit}/10. Rest your knee: your plan's rest days appear when you are back online.` });
  }
  if (checkin.swelling) {
    cards.push({ id: 'offline.swelling', action: 'rest', severity: 'urgent', title: 'Do not run until the swelling is down', message: 'Tell your physical therapist. Rest the knee and check again tomorrow.' });
  }
  if (checkin.locking_or_giving_way || checkin.hard_to_straighten) {
    cards.push({ id: 'offline.mechanical', action: 'contact_pt', severity: 'urgent', title: 'See your physical therapist before you run again', message: 'A knee that locks, gives way or will not straighten should be checked.' });
  }
  return cards.map(adviceCard);
}

/**
 * What to show after a save: the advice of the runner's today. A save dated earlier (a run
 * logged late, a correction) answers with that day's advice; today's is read instead, and
 * that day's is shown under its own date only when today's cannot be read (offline).
 */
export async function adviceAfterSave(guidance) {
  if (!guidance.as_of || guidance.as_of === runnerToday()) return [h('h2', {}, 'Your advice'), guidanceView(guidance)];
  try {
    const today = await api('GET', '/guidance');
    return [h('h2', {}, 'Your advice for today'), guidanceView(today)];
  } catch {
    return [h('h2', {}, `Advice for ${formatDay(guidance.as_of)}`), guidanceView(guidance)];
  }
}

/** The #guidance screen. */
export async function showGuidance() {
  const main = mount('Advice for today', h('p', { class: 'loading' }, 'Loading…'));
  try {
    // No date: the server answers for the runner's today (their local date, or a later date
    // they already reported before a move west), so every screen shows the same day.
    const [guidance, load] = await Promise.all([api('GET', '/guidance'), api('GET', '/load')]);
    const week = load ? h('section', { class: 'card load', 'aria-label': 'This week' },
      h('h2', {}, 'This week'),
      h('p', {}, `${formatDistance(load.current.distance_m)} in ${load.current.runs} run${load.current.runs === 1 ? '' : 's'}.`),
      load.plan_state === 'normal' ? h('p', {}, `This week's cap: ${formatDistance(load.cap_m)} (Monday to Sunday).`) : null,
      // With no run yet this week the change is -100%: true, and of no use to anyone.
      load.current.runs > 0 && load.change && load.change.distance_pct !== null && load.change.distance_pct !== undefined
        ? h('p', {}, `Against your baseline week: ${load.change.distance_pct > 0 ? '+' : ''}${load.change.distance_pct.toFixed(1)}%.`) : null) : null;
    main.querySelector('.loading').replaceWith(guidanceView(guidance), week || '');
  } catch (err) {
    main.querySelector('.loading').replaceWith(h('p', { class: 'error', role: 'alert' },
      err.message || 'Could not load advice.', ' Your saved check-ins are safe.'));
  }
}
