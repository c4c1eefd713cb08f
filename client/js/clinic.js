// The therapist's dashboard (#clinic): patients most urgent first, each with the numbers
// behind it, a 28-day pain sparkline, this week's distance and the care-plan state; adding
// a patient by their invitation code (#clinic/accept/CODE opens with it filled in).

import { api, showFieldErrors } from './api.js';
import { h, s, mount, field, errorLine, toast } from './dom.js';
import { formatDay, formatDistance, addDays } from './state.js';

const FLAG_WORDS = {
  fever: 'fever with knee pain', swelling: 'swelling', locking_or_giving_way: 'knee locks or gives way',
  hard_to_straighten: 'cannot straighten the knee',
};
const PAIN_WORDS = { pain: 'Pain', pain_during: 'Pain during a run', pain_after: 'Pain after a run' };
const PLAN_WORDS = { normal: 'Normal running', rest: 'Rest', return: 'Return to running' };
const LEVEL_CLASS = ['none', 'jump', 'pain', 'rest', 'flag'];

/** One urgency reason as a short chip text, with its number. */
export function reasonChip(r, plan) {
  if (r.kind === 'red_flag') return `Red flag: ${FLAG_WORDS[r.metric] || r.metric} (${formatDay(r.date)})`;
  if (r.kind === 'rest') return plan && plan.of_days ? `Plan: rest, day ${plan.day} of ${plan.of_days}` : 'Plan: rest';
  if (r.kind === 'silent') return r.value === null ? 'No check-in yet in this plan' : `No check-in for ${r.value} days (last ${formatDay(r.date)})`;
  if (r.kind === 'exercise_pain') return `Exercise pain ${r.value}/10 in ${r.name}, ceiling ${r.threshold} (${formatDay(r.date)})`;
  if (r.kind === 'pain_above_limit') return `${PAIN_WORDS[r.metric] || 'Pain'} ${r.value}/10, limit ${r.threshold} (${formatDay(r.date)})`;
  if (r.metric === 'speed_pct') return `Pace +${r.value.toFixed(1)}% (limit ${r.threshold}%)`;
  return `Distance +${r.value.toFixed(1)}% on baseline (limit ${r.threshold}%)`;
}

export function chips(urgency, plan) {
  return h('ul', { class: 'chips' }, urgency.reasons.map((r) => h('li', { class: `chip-${r.kind}` }, reasonChip(r, plan))));
}

/** Pain of the last 28 days as a small SVG line; points above the limit in red. */
export function sparkline(trend, limit, today) {
  const W = 140; const H = 36; const days = 28;
  const first = addDays(today, -(days - 1));
  const dayIndex = (iso) => (Date.parse(`${iso}T00:00:00Z`) - Date.parse(`${first}T00:00:00Z`)) / 86400000;
  const x = (iso) => 2 + (dayIndex(iso) / (days - 1)) * (W - 4);
  const y = (p) => H - 3 - (p / 10) * (H - 6);
  const points = trend.filter((t) => t.date >= first);
  const label = points.length
    ? `Pain over 28 days: ${points.map((p) => p.pain).join(', ')} (latest ${points[points.length - 1].pain}/10)`
    : 'No pain recorded in 28 days';
  return s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'spark', role: 'img', 'aria-label': label },
    s('line', { class: 'spark-limit', x1: 0, x2: W, y1: y(limit), y2: y(limit) }),
    points.length > 1 ? s('polyline', { class: 'spark-line', points: points.map((p) => `${x(p.date)},${y(p.pain)}`).join(' ') }) : null,
    ...points.map((p) => s('circle', { class: p.pain > limit ? 'spark-dot over' : 'spark-dot', cx: x(p.date), cy: y(p.pain), r: 2 })));
}

/** Exercise adherence (7 and 28 days), pain above a ceiling (7 days). */
function rehabFacts(r) {
  const pct = (w) => (w?.pct != null ? `${w.pct}% (${w.done}/${w.prescribed})` : '–');
  return r && h('div', {}, h('p', {}, `Exercises: ${pct(r.last_7_days)} in 7 days, ${pct(r.last_28_days)} in 28 days`),
    r.exceedances.map((e) => h('p', { class: 'over' }, `Exercise pain above its ceiling: ${e.name} ${e.pain}/10 (ceiling ${e.ceiling}) ${formatDay(e.date)}`)));
}

function patientCard(row) {
  const { patient, plan, week } = row;
  const badge = row.alerts_unseen ? h('span', { class: 'badge', 'aria-label': `${row.alerts_unseen} new alert${row.alerts_unseen === 1 ? '' : 's'}` }, String(row.alerts_unseen)) : null;
  const last = row.last_checkin ? `Last check-in ${formatDay(row.last_checkin.date)}: pain ${row.last_checkin.pain}/10` : 'No check-in yet';
  const weekText = week ? `This week ${formatDistance(week.distance_m)}${plan && plan.state === 'normal' ? ` of ${formatDistance(week.cap_m)}` : ''}` : 'No runs yet';
  return h('li', { class: `patient-card level-${LEVEL_CLASS[row.urgency.level]}`, 'data-patient-id': String(patient.id) },
    h('div', { class: 'patient-head' },
      h('h2', {}, h('a', { href: `#clinic/patient/${patient.id}` }, patient.name)), badge,
      row.muted ? h('span', { class: 'tag' }, 'Muted') : null),
    row.urgency.reasons.length ? chips(row.urgency, plan) : h('p', { class: 'hint' }, 'Nothing above the limits.'),
    h('div', { class: 'patient-facts' },
      h('p', {}, last), h('p', {}, weekText),
      h('p', {}, `Plan: ${plan ? PLAN_WORDS[plan.state] || plan.state : '–'}`)),
    rehabFacts(row.rehab),
    h('div', { class: 'spark-wrap' }, h('span', { class: 'hint' }, 'Pain, 28 days'),
      sparkline(row.pain_trend, row.limits.pain_threshold, row.today)));
}

function acceptForm(code, onAccepted) {
  const error = errorLine();
  const input = h('input', { name: 'code', autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false',
    placeholder: 'K7QX-M2PD-9FTB', value: code || '', maxlength: 64, required: true });
  const form = h('form', { class: 'accept', novalidate: true, 'aria-label': 'Add a patient' },
    field('Invitation code from your patient', input, 'Your patient makes it under Therapist → Share with my therapist.'),
    error, h('button', { type: 'submit', class: 'primary' }, 'Add patient'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    if (!input.value.trim()) { error.textContent = 'Enter the code your patient gave you.'; return; }
    try {
      const data = await api('POST', '/clinic/invitations/accept', { code: input.value });
      toast(`${data.patient.name} added.`);
      onAccepted(data.patient);
    } catch (err) {
      error.textContent = showFieldErrors(form, err);
    }
  });
  return form;
}

/** The #clinic screen (and #clinic/accept/CODE). */
export async function showClinic(code = null) {
  document.body.classList.add('wide');
  const list = h('ol', { class: 'patients', 'aria-label': 'Patients, most urgent first' });
  const add = h('details', { class: 'card', open: Boolean(code) }, h('summary', {}, 'Add a patient'),
    acceptForm(code, (patient) => { location.hash = `#clinic/patient/${patient.id}`; }));
  const loading = h('p', { class: 'loading' }, 'Loading…');
  const hash = location.hash;
  mount('Your patients', add, loading, list);
  try {
    const rows = await api('GET', '/clinic/patients');
    if (location.hash !== hash) return; // the therapist moved on (accepted a patient) while it loaded
    loading.remove();
    if (!rows.length) {
      list.replaceWith(h('p', { class: 'empty' }, 'No patients yet. A patient shares their data with you by giving you a code from their app.'));
      add.open = true;
      return;
    }
    list.replaceChildren(...rows.map(patientCard));
  } catch (err) {
    loading.replaceWith(h('p', { class: 'error', role: 'alert' }, err.message));
  }
}
