// One patient for their therapist (#clinic/patient/ID): why they are urgent, the care plan
// with its history and reasons, today's guidance, 12 weeks of distance and pain, check-ins
// and runs, the limits the therapist sets, alerts, the FHIR export and a printable summary.

import { api, showFieldErrors } from './api.js';
import { h, mount, field, errorLine, toast, toggle } from './dom.js';
import { formatDay, formatDistance, formatDuration } from './state.js';
import { chart, weekRows, weekTable } from './history.js';
import { KIND_WORDS, reasonText } from './plan.js';
import { chips } from './clinic.js';
import { changeLines } from './sharing.js';

const ALERT_WORDS = {
  pain_above_limit: 'pain above the limit', rest_started: 'care plan entered rest',
  over_cap: 'week over its distance cap', speed_over: 'pace over its limit',
};
const STATUS_WORDS = { ok: 'good to run', caution: 'take it easy', stop: 'no running' };

function planSection(plan) {
  if (!plan) return h('section', { class: 'card' }, h('h2', {}, 'Care plan'), h('p', {}, 'No plan yet: nothing logged.'));
  const day = plan.state === 'rest' ? `, day ${plan.day} of ${plan.of_days}` : plan.state === 'return' && plan.return ? `, phase ${plan.return.phase} of ${plan.return.of_phases}` : '';
  const history = [...(plan.history || [])].reverse();
  return h('section', { class: `card plan plan-${plan.state}`, 'aria-label': 'Care plan', 'data-plan-state': plan.state },
    h('h2', {}, `Care plan: ${plan.state}${day}`),
    plan.cause ? h('p', {}, `Since ${formatDay(plan.since)}: ${reasonText(plan.cause)}.`) : null,
    plan.ends_when ? h('p', { class: 'hint' }, plan.ends_when) : null,
    h('p', {}, `This week ${formatDistance(plan.week.distance_m)} in ${plan.week.runs} runs; cap ${formatDistance(plan.week.cap_m)}`,
      plan.week.baseline ? ` (baseline week of ${formatDay(plan.week.baseline.week_start)}: ${formatDistance(plan.week.baseline.distance_m)})` : '', '.'),
    h('h3', {}, 'History'),
    history.length ? h('ol', { class: 'history plan-history' }, history.map((e) => h('li', {},
      h('span', { class: 'when' }, formatDay(e.at)), ` ${KIND_WORDS[e.kind] || e.kind}: ${reasonText(e.reason)}`)))
      : h('p', { class: 'hint' }, 'No changes yet.'));
}

function guidanceSection(guidance) {
  return h('section', { class: 'card', 'aria-label': 'What the app told the patient today' },
    h('h2', {}, `Today for the patient: ${STATUS_WORDS[guidance.status] || guidance.status}`),
    h('ul', { class: 'advice-list' }, (guidance.advice || []).map((a) => h('li', { 'data-advice-id': a.id },
      h('span', { class: 'strong' }, a.title),
      (a.reasons || []).length ? h('span', { class: 'hint' }, ` — ${(a.reasons || []).map(reasonText).join('; ')}`) : null))));
}

function entriesSection(page) {
  const rows = [
    ...page.checkins.map((c) => ({ date: c.date, kind: 'Check-in', text: [`pain ${c.pain}/10`,
      c.morning_pain !== null && c.morning_pain !== undefined ? `morning ${c.morning_pain}/10` : null,
      c.swelling && 'swelling', c.fever && 'fever', c.locking_or_giving_way && 'locking or giving way',
      c.hard_to_straighten && 'hard to straighten', c.note ? `“${c.note}”` : null].filter(Boolean).join(', ') })),
    ...page.runs.map((r) => ({ date: r.date, kind: 'Run', text: [`${formatDistance(r.distance_m)} in ${formatDuration(r.duration_s)}`,
      r.pain_during !== null && r.pain_during !== undefined ? `pain during ${r.pain_during}/10` : null,
      r.pain_after !== null && r.pain_after !== undefined ? `after ${r.pain_after}/10` : null].filter(Boolean).join(', ') })),
  ].sort((a, b) => b.date.localeCompare(a.date));
  return h('section', { class: 'card', 'aria-label': 'Check-ins and runs' }, h('h2', {}, 'Check-ins and runs (12 weeks)'),
    rows.length ? h('ul', { class: 'entries' }, rows.map((e) => h('li', {}, h('span', { class: 'when' }, `${formatDay(e.date)} · ${e.kind}`), h('span', {}, e.text))))
      : h('p', {}, 'Nothing logged yet.'));
}

function numberSelect(name, value, options, unset) {
  return h('select', { name }, h('option', { value: '' }, unset),
    options.map(([v, text]) => h('option', { value: String(v), selected: value !== null && value !== undefined && Number(value) === v }, text)));
}

function limitsForm(page, conditions, rerender) {
  const mine = page.limits.mine; const own = page.limits.own; const force = page.limits.in_force;
  const error = errorLine();
  const pct = (name) => h('input', { type: 'number', name, min: '0', max: '100', step: '0.5', inputmode: 'decimal',
    value: mine[name] === null || mine[name] === undefined ? '' : String(mine[name]), placeholder: `patient's own: ${own[name]}` });
  const form = h('form', { class: 'limits', novalidate: true, 'aria-label': 'Limits for this patient' },
    field('Pain limit', numberSelect('pain_threshold', mine.pain_threshold,
      Array.from({ length: 10 }, (_, i) => [i, `${i}/10 — stop above ${i}`]), `Not set (patient's own: ${own.pain_threshold}/10)`),
    'The clinic default is 3/10. A pain-monitoring model for tendons may allow 5/10.'),
    h('div', { class: 'row' },
      field('Weekly distance increase (%)', pct('weekly_increase_pct'), 'Empty: the patient’s own.'),
      field('Weekly pace increase (%)', pct('speed_increase_pct'))),
    conditions.length ? h('fieldset', { class: 'conditions' }, h('legend', {}, 'Conditions that apply'),
      h('label', { class: 'toggle' }, h('input', { type: 'checkbox', name: 'set_conditions', checked: mine.conditions !== null && mine.conditions !== undefined }), h('span', {}, 'Set the conditions for this patient')),
      conditions.map((c) => h('label', { class: 'toggle' },
        h('input', { type: 'checkbox', name: 'conditions', value: c.id, checked: (mine.conditions || []).includes(c.id) }), h('span', {}, c.name)))) : null,
    field('Instruction shown to the patient', h('textarea', { name: 'instruction', maxlength: 280, rows: 3 }, mine.instruction || ''), 'Up to 280 characters, plain text.'),
    error, h('button', { type: 'submit', class: 'primary' }, 'Save limits'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const el = form.elements;
    const num = (v) => (v === '' ? null : Number(v));
    const body = {
      pain_threshold: num(el.pain_threshold.value),
      weekly_increase_pct: num(el.weekly_increase_pct.value),
      speed_increase_pct: num(el.speed_increase_pct.value),
      instruction: el.instruction.value.trim() || null,
    };
    if (conditions.length) body.conditions = el.set_conditions.checked ? [...form.querySelectorAll('input[name="conditions"]:checked')].map((i) => i.value) : null;
    try {
      const res = await api('PUT', `/clinic/patients/${page.patient.id}/limits`, body);
      toast(Object.keys(res.changed).length ? 'Limits saved. The patient sees them from now on.' : 'Nothing changed.');
      rerender();
    } catch (err) {
      error.textContent = showFieldErrors(form, err);
    }
  });
  const inForce = h('p', { class: 'hint' }, `In force: pain limit ${force.pain_threshold}/10, distance +${force.weekly_increase_pct}%, pace +${force.speed_increase_pct}% a week.`);
  const history = page.limit_history.filter((e) => e.action === 'changed_limits');
  return h('section', { class: 'card no-print', 'aria-label': 'Limits' }, h('h2', {}, 'Limits'), inForce, form,
    history.length ? h('details', {}, h('summary', {}, 'Your changes'), h('ul', { class: 'entries' }, history.map((e) => h('li', {},
      h('span', { class: 'when' }, formatDay(e.at.slice(0, 10))), h('span', {}, changeLines(e.changes).join('; ')))))) : null);
}

function alertsSection(page) {
  if (!page.alerts.length) return null;
  return h('section', { class: 'card', 'aria-label': 'Alerts' }, h('h2', {}, 'Alerts'),
    h('ul', { class: 'entries' }, page.alerts.map((a) => h('li', {},
      h('span', { class: 'when' }, formatDay(a.local_date)),
      h('span', {}, a.kind === 'patient_urgent' ? `Warning sign: ${a.flags.join(', ')}` : (a.reasons.map((r) => ALERT_WORDS[r] || r).join(', ') || 'alert'),
        a.status === 'skipped' ? ' (muted)' : '')))));
}

async function downloadFhir(id) {
  const res = await api('GET', `/clinic/patients/${id}/fhir`, undefined, { raw: true });
  const url = URL.createObjectURL(await res.blob());
  const a = h('a', { href: url, download: `patient-${id}-fhir.json` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** The #clinic/patient/ID screen. */
export async function showPatient(id) {
  document.body.classList.add('wide');
  const hash = location.hash;
  const main = mount('Patient', h('p', { class: 'loading' }, 'Loading…'));
  let page; let conditions = [];
  try {
    [page, conditions] = await Promise.all([api('GET', `/clinic/patients/${encodeURIComponent(id)}`), api('GET', '/conditions').catch(() => [])]);
  } catch (err) {
    if (location.hash !== hash) return;
    main.querySelector('.loading').replaceWith(h('p', { class: 'error', role: 'alert' }, err.status === 404 ? 'This patient is not sharing with you (any more).' : err.message),
      h('p', {}, h('a', { href: '#clinic' }, 'Back to your patients')));
    return;
  }
  if (location.hash !== hash) return; // the therapist moved on while it loaded
  if (page.alerts_unseen) api('POST', `/clinic/patients/${page.patient.id}/alerts/seen`).catch(() => {});
  const mute = toggle('Mute push alerts about this patient', 'muted', page.muted);
  mute.querySelector('input').addEventListener('change', async (ev) => {
    try {
      await api('PATCH', `/clinic/patients/${page.patient.id}`, { muted: ev.target.checked });
      toast(ev.target.checked ? 'Muted: no push alerts, the dashboard still shows them.' : 'Push alerts on.');
    } catch (err) { toast(err.message); }
  });
  const fhir = h('button', { type: 'button' }, 'Export for clinic records (FHIR)');
  fhir.addEventListener('click', () => downloadFhir(page.patient.id).catch((err) => toast(err.message)));
  const print = h('button', { type: 'button' }, 'Print summary');
  print.addEventListener('click', () => window.print());
  const weeks = page.load.weeks || [];
  mount(page.patient.name,
    h('p', { class: 'hint' }, `${page.patient.email} · sharing since ${formatDay(page.since.slice(0, 10))} · printed ${formatDay(page.today)}`),
    page.urgency.reasons.length ? chips(page.urgency, page.plan) : h('p', {}, 'Nothing above the limits.'),
    h('div', { class: 'contact no-print' }, h('a', { class: 'button', href: '#clinic' }, 'All patients'), fhir, print, mute),
    alertsSection(page),
    planSection(page.plan),
    guidanceSection(page.guidance),
    limitsForm(page, conditions, () => showPatient(id)),
    h('figure', { class: 'card' }, chart(weeks, page.checkins),
      h('figcaption', {}, h('span', { class: 'key-bar' }, 'Weekly distance'), ' ', h('span', { class: 'key-pain' }, 'Daily pain'))),
    h('section', { class: 'card summary' }, weekTable(weekRows(weeks, page.checkins), 'Last 12 weeks')),
    entriesSection(page));
}
