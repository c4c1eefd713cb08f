// One patient for their therapist (#clinic/patient/ID): why they are urgent, the care plan
// with its history and reasons, today's guidance, 12 weeks of distance and pain, check-ins
// and runs, the limits the therapist sets, alerts, the FHIR export and a printable summary.
// Words are the therapist's ("the patient's limit"), never the engine's metric ids. On a
// desktop the page has two columns with the chart first; printed, it is one page (the raw
// entries only when the therapist asks for them as an appendix).

import { api, showFieldErrors } from './api.js';
import { h, s, mount, field, errorLine, toast, toggle } from './dom.js';
import { formatDay, formatDistance, formatDuration, addDays } from './state.js';
import { programmeSection } from './programme.js';
import { chart, weekRows, weekTable } from './history.js';
import { KIND_WORDS, STATUS_WORDS } from './plan.js';
import { chips } from './clinic.js';
import { changeLines } from './sharing.js';

const ALERT_WORDS = {
  pain_above_limit: 'pain above the limit', rest_started: 'care plan entered rest',
  over_cap: 'week over its distance cap', speed_over: 'pace over its limit', flag: 'fever',
  ran_during_rest: 'ran during a rest', session_too_long: 'ran beyond the return session',
  session_early: 'ran on a day off between sessions',
};
const FLAG_WORDS = {
  fever: 'fever with knee pain', fever_alone: 'fever (knee not painful or swollen)', swelling: 'swelling',
  locking_or_giving_way: 'knee locked or gave way', hard_to_straighten: 'could not straighten the knee',
};
/** The engine's metric ids in a therapist's words (an id not listed: its words, no unit suffix). */
export const THERAPIST_METRIC_WORDS = {
  pain: 'pain at check-in', pain_during: 'pain during a run', pain_after: 'pain after a run',
  pain_after_yesterday: 'pain after the previous day’s run', morning_pain: 'morning pain',
  swelling: 'swelling', fever: 'fever with a painful or swollen knee', locking_or_giving_way: 'the knee locked or gave way',
  hard_to_straighten: 'the knee would not straighten', location: 'where it hurts',
  days_since_previous_run: 'days since the previous run', break_flagged: 'the patient said they are back after a break',
  checkins_at_or_under_limit: 'check-ins in a row at or under the patient’s limit',
  distance_pct: 'this week against the baseline week', two_week_change_pct: 'change over two weeks',
  single_run_increase_pct: 'longest run against the previous longest', speed_pct: 'average pace against the reference week',
  week_distance_m: 'distance this week', week_cap_m: 'weekly cap', baseline_week_m: 'baseline week',
  run_distance_m: 'run distance', session_distance_m: 'planned session', shoe_distance_m: 'distance in the shoes',
  pain_onset_m: 'pain started after', previous_pain_onset_m: 'pain started last time after',
  sessions_in_phase: 'sessions done in this phase', return_phase: 'return-to-run phase', rest_day: 'rest day',
  plan_state: 'care plan', checkins_within_session_ceiling: 'calm check-ins in a row (within the session ceiling)',
  flares_in_window: 'flare-ups within six weeks', missed_checkin: 'the check-in the session needed',
  days_since_checkin: 'days without a check-in', assessed_by: 'knee checked by',
};

/** Metrics whose threshold is "out of" (a count towards a goal, a phase of six), not a limit. */
const COUNT_METRICS = new Set(['checkins_within_session_ceiling', 'sessions_in_phase', 'return_phase', 'rest_day',
  'checkins_at_or_under_limit']);

function metricWords(metric) {
  return THERAPIST_METRIC_WORDS[metric] || String(metric).replace(/_(m|pct|s)$/, '').replace(/_/g, ' ');
}

/** A reason ({metric, value, threshold}) for the therapist: "pain after a run 5/10 (the patient's limit 3/10)". */
export function therapistReason(reason) {
  if (!reason) return '';
  const what = metricWords(reason.metric);
  if (typeof reason.value === 'boolean' || reason.value === null || reason.value === undefined) return what;
  const show = (v) => {
    if (v === null || v === undefined) return null;
    if (/pct$/.test(reason.metric)) return `${Number(v).toFixed(1)}%`;
    if (/_m$/.test(reason.metric)) return formatDistance(v);
    if (/pain/.test(reason.metric)) return `${v}/10`;
    return String(v);
  };
  const limit = show(reason.threshold);
  if (COUNT_METRICS.has(reason.metric)) return `${what}: ${show(reason.value)}${limit !== null ? ` of ${limit}` : ''}`;
  if (Array.isArray(reason.value)) return `${what}: ${reason.value.join(', ')}`;
  return `${what}: ${show(reason.value)}${limit !== null ? ` (the patient’s limit ${limit})` : ''}`;
}

/** How the patient's rest ends, for the therapist (the plan's own text speaks to the runner). */
function restEnds(plan) {
  const e = plan.end_condition;
  const days = e.days_left > 0 ? `after ${e.days_left} more day${e.days_left === 1 ? '' : 's'}, ` : '';
  const checks = `once ${e.checkins_needed} daily check-ins in a row show pain at ${e.pain_ceiling}/10 or less (${e.checkins_within_ceiling} so far)`;
  return `The rest ends ${days}${checks}${e.awaiting_assessment ? ', and once the knee has been assessed (record it below)' : ''}.`;
}

function planSection(plan) {
  if (!plan) return h('section', { class: 'card' }, h('h2', {}, 'Care plan'), h('p', {}, 'No plan yet: nothing logged.'));
  const day = plan.state === 'rest' ? `, day ${plan.day} of ${plan.of_days}` : plan.state === 'return' && plan.return ? `, phase ${plan.return.phase} of ${plan.return.of_phases}` : '';
  const history = [...(plan.history || [])].reverse();
  return h('section', { class: `card plan plan-${plan.state}`, 'aria-label': 'Care plan', 'data-plan-state': plan.state },
    h('h2', {}, `Care plan: ${plan.state}${day}`),
    plan.cause ? h('p', {}, `Since ${formatDay(plan.since)}: ${therapistReason(plan.cause)}.`) : null,
    plan.end_condition ? h('p', { class: 'hint' }, restEnds(plan)) : plan.ends_when ? h('p', { class: 'hint' }, plan.ends_when) : null,
    h('p', {}, `This week ${formatDistance(plan.week.distance_m)} in ${plan.week.runs} run${plan.week.runs === 1 ? '' : 's'}`,
      // The weekly cap holds in normal running only (in a rest or a return the plan decides).
      plan.state === 'normal' ? ` against a cap of ${formatDistance(plan.week.cap_m)}` : '',
      plan.state === 'normal' && plan.week.cap_m ? ` (${Math.round((100 * plan.week.distance_m) / plan.week.cap_m)}% of it)` : '',
      plan.week.baseline ? `; baseline week of ${formatDay(plan.week.baseline.week_start)}: ${formatDistance(plan.week.baseline.distance_m)}` : '', '.'),
    h('h3', {}, 'History'),
    history.length ? h('ol', { class: 'history plan-history' }, history.map((e, i) => h('li', { class: i >= 6 ? 'older' : null },
      h('span', { class: 'when' }, formatDay(e.at)), ` ${KIND_WORDS[e.kind] || e.kind}: ${therapistReason(e.reason)}`)))
      : h('p', { class: 'hint' }, 'No changes yet.'),
    history.length > 6 ? h('p', { class: 'hint print-only' }, `Printed: the 6 latest of ${history.length} changes.`) : null);
}

function guidanceSection(guidance) {
  return h('section', { class: 'card no-print', 'aria-label': 'What the app told the patient today' },
    h('h2', {}, `Today for the patient: ${STATUS_WORDS[guidance.status] || guidance.status}`),
    h('ul', { class: 'advice-list' }, (guidance.advice || []).map((a) => h('li', { 'data-advice-id': a.id },
      h('span', { class: 'strong' }, a.title),
      (a.reasons || []).length ? h('span', { class: 'hint' }, ` — ${(a.reasons || []).map(therapistReason).join('; ')}`) : null))));
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
  const include = h('input', { type: 'checkbox', name: 'print_entries' });
  const section = h('section', { class: 'card appendix no-print', 'aria-label': 'Check-ins and runs' },
    h('h2', {}, 'Appendix: check-ins and runs (12 weeks)'),
    h('label', { class: 'toggle no-print' }, include, h('span', {}, 'Print the raw entries as an appendix')),
    rows.length ? h('details', {}, h('summary', {}, `Show all ${rows.length} entries`),
      h('ul', { class: 'entries' }, rows.map((e) => h('li', {}, h('span', { class: 'when' }, `${formatDay(e.date)} · ${e.kind}`), h('span', {}, e.text)))))
      : h('p', {}, 'Nothing logged yet.'));
  include.addEventListener('change', () => {
    section.classList.toggle('no-print', !include.checked);
    section.querySelector('details')?.toggleAttribute('open', include.checked);
  });
  return section;
}

/** The figures a therapist reads first (and prints): pain, limits, red flags. */
function factsSection(page) {
  const s = page.summary; const force = page.limits.in_force;
  const mine = page.limits.set_by_me || [];
  const byYou = (name) => (mine.includes(name) ? ' (set by you)' : '');
  return h('section', { class: 'card facts', 'aria-label': 'Summary' }, h('h2', {}, 'Summary, 12 weeks'),
    h('p', {}, `${s.checkins} check-in${s.checkins === 1 ? '' : 's'}, ${s.runs} run${s.runs === 1 ? '' : 's'}. Worst pain ${s.worst_pain === null ? '–' : `${s.worst_pain}/10`}. `,
      `Days above the patient’s pain limit: ${s.days_above_limit}.`),
    h('p', { class: 'hint' }, 'A day’s pain is its worst: the check-in’s or a run’s, during or after.'),
    h('h3', {}, 'Limits in force'),
    h('ul', { class: 'limits-list' },
      h('li', {}, `Pain limit ${force.pain_threshold}/10${byYou('pain_threshold')}`),
      h('li', {}, `Weekly distance +${force.weekly_increase_pct}%${byYou('weekly_increase_pct')}`),
      h('li', {}, `Weekly pace +${force.speed_increase_pct}%${byYou('speed_increase_pct')}`),
      force.instruction ? h('li', {}, `Instruction: “${force.instruction}”`) : null),
    h('h3', {}, 'Red flags reported'),
    s.red_flags.length ? h('ul', { class: 'red-flags' }, s.red_flags.map((f) => h('li', {},
      `${formatDay(f.date)}: ${f.flags.map((x) => FLAG_WORDS[x] || x).join(', ')}`))) : h('p', {}, 'None.'));
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
  // Two therapists' limits: the stricter is in force. Say so when it is not this one's own.
  const overridden = [['pain_threshold', 'pain limit', (v) => `${v}/10`], ['weekly_increase_pct', 'weekly distance increase', (v) => `+${v}%`],
    ['speed_increase_pct', 'weekly pace increase', (v) => `+${v}%`]]
    .filter(([name]) => mine[name] !== null && mine[name] !== undefined && force[name] !== mine[name])
    .map(([name, words, show]) => `Another therapist's stricter ${words} (${show(force[name])}) is in force over yours (${show(mine[name])}).`);
  const stricter = overridden.length ? h('p', { class: 'strong', role: 'note' }, overridden.join(' ')) : null;
  const history = page.limit_history.filter((e) => e.action === 'changed_limits');
  return h('section', { class: 'card no-print', 'aria-label': 'Limits' }, h('h2', {}, 'Limits'), inForce, stricter, form,
    history.length ? h('details', {}, h('summary', {}, 'Your changes'), h('ul', { class: 'entries' }, history.map((e) => h('li', {},
      h('span', { class: 'when' }, formatDay(e.at.slice(0, 10))), h('span', {}, changeLines(e.changes).join('; ')))))) : null);
}

function alertsSection(page) {
  if (!page.alerts.length) return null;
  return h('section', { class: 'card', 'aria-label': 'Alerts' }, h('h2', {}, 'Alerts'),
    h('ul', { class: 'entries' }, page.alerts.map((a) => h('li', {},
      h('span', { class: 'when' }, formatDay(a.local_date)),
      h('span', {}, a.kind === 'patient_urgent' ? `Warning sign: ${a.flags.map((x) => FLAG_WORDS[x] || x).join(', ')}`
        : a.kind === 'patient_recurrence' ? `Pain came back: ${a.flares} flares within six weeks`
          : a.kind === 'patient_rehab' ? `Exercise pain above its ceiling twice within 7 days: ${(a.exceedances || [])
            .map((e) => `${e.name} ${e.pain}/10 (ceiling ${e.ceiling}) on ${formatDay(e.date)}`).join('; ')}`
          : ((a.reasons || []).map((r) => ALERT_WORDS[r] || r).join(', ') || 'alert'),
        a.status === 'skipped' ? ' (muted)' : '')))));
}

/** Plan spans behind the bars; each day's worst exercise pain on top. */
const overlay = (page) => (x, y) => ({
  back: page.plan_spans.map((p) => s('rect', { class: `band-${p.state}`, x: x(p.from), y: y(10), width: x(addDays(p.to, 1)) - x(p.from), height: y(0) - y(10) })),
  front: [s('polyline', { class: 'ex-line', points: page.exercise_pains.map((d) => `${x(d.date) + 2},${y(d.pain)}`).join(' ') }),
    page.exercise_pains.map((d) => s('rect', { class: d.above ? 'ex-dot over' : 'ex-dot', x: x(d.date) - 1, y: y(d.pain) - 3, width: 6, height: 6 }))],
});

/** The chart in words: the plan's spans and every exercise pain. */
const chartWords = (page) => h('div', {},
  h('p', {}, `Care plan: ${page.plan_spans.map((p) => `${p.state} ${formatDay(p.from)} – ${formatDay(p.to)}`).join('; ') || 'normal running'}.`),
  h('ul', { 'aria-label': 'Exercise pain' }, page.exercise_pains.flatMap((d) => d.exercises).map((p) => h('li', { class: p.pain > p.ceiling ? 'over' : null },
    `${formatDay(p.date)}: ${p.name} ${p.pain}/10${p.pain > p.ceiling ? ', above' : ', within'} its ceiling ${p.ceiling}/10`))));

const pctText = (c) => (c?.prescribed ? `${c.done}/${c.prescribed} (${c.pct}%)` : '–');

function rehabSection(page) {
  const r = page.rehab; const weeks = page.rehab_weeks;
  if (!r) return null;
  const names = [...new Map(weeks.flatMap((w) => w.exercises).map((e) => [e.exercise, e.name]))];
  const th = (t, scope = 'col') => h('th', { scope }, t);
  return h('section', { class: 'card rehab', 'aria-label': 'Exercises' }, h('h2', {}, 'Exercises'),
    h('p', {}, `Adherence: ${r.last_7_days?.pct ?? '–'}% over 7 days, ${r.last_28_days?.pct ?? '–'}% over 28; minimum for the return ${r.min_adherence_pct ?? '–'}%.`),
    h('div', { class: 'table-scroll' }, h('table', { class: 'data' }, h('caption', {}, 'Exercise adherence per week'),
      h('thead', {}, h('tr', {}, th('Week of'), names.map(([, n]) => th(n)), th('All'))),
      h('tbody', {}, weeks.map((w) => h('tr', {}, th(formatDay(w.from), 'row'),
        names.map(([k]) => h('td', {}, pctText(w.exercises.find((e) => e.exercise === k)))), h('td', {}, pctText(w))))))));
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

/** "I checked the knee": after a knee that locked, gave way or would not straighten the rest
 * holds until someone records this (POST /clinic/patients/{id}/assessment). */
function assessmentForm(page, reload) {
  const held = Boolean(page.plan?.end_condition?.awaiting_assessment);
  const date = h('input', { type: 'date', name: 'date', value: page.today, max: page.today, min: addDays(page.today, -30) });
  const note = h('textarea', { name: 'note', maxlength: 500, rows: 2 });
  const error = errorLine();
  const form = h('form', { class: `card assessment no-print${held ? ' held' : ''}`, 'aria-label': 'Knee assessment', novalidate: true },
    h('h2', {}, 'Knee assessment'),
    h('p', { class: held ? 'strong' : 'hint' }, held
      ? 'The rest holds until the knee has been checked. Record it here once you have.'
      : 'Record that you checked the knee: it lifts a rest held after a knee that locked, gave way or would not straighten.'),
    field('Date checked', date), field('Note (optional)', note), error,
    h('button', { type: 'submit', class: held ? 'primary' : '' }, 'Record assessment'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    try {
      await api('POST', `/clinic/patients/${page.patient.id}/assessment`, { date: date.value || null, note: note.value.trim() || null });
      toast('Assessment recorded.');
      reload();
    } catch (err) {
      error.textContent = showFieldErrors(form, err);
    }
  });
  return form;
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
  // The patient stops sharing while this page is open: any 404 about them clears the page
  // (their record must not stay on screen, nor its forms in use).
  const gone = () => {
    if (location.hash !== hash) return;
    window.removeEventListener('patient-gone', gone);
    mount('Patient', h('p', { class: 'error', role: 'alert' }, 'This patient is not sharing with you (any more).'),
      h('p', {}, h('a', { href: '#clinic' }, 'Back to your patients')));
  };
  window.addEventListener('patient-gone', gone);
  window.addEventListener('hashchange', () => window.removeEventListener('patient-gone', gone), { once: true });
  if (page.alerts_unseen) api('POST', `/clinic/patients/${page.patient.id}/alerts/seen`).catch(() => {});
  const mute = toggle('Mute push alerts about this patient', 'muted', page.muted);
  mute.querySelector('input').addEventListener('change', async (ev) => {
    try {
      await api('PATCH', `/clinic/patients/${page.patient.id}`, { muted: ev.target.checked });
      toast(ev.target.checked ? 'Muted: no push alerts, the dashboard still shows them.' : 'Push alerts on.');
    } catch (err) {
      ev.target.checked = !ev.target.checked;  // not saved: show what is in force
      toast(err.message);
    }
  });
  const fhir = h('button', { type: 'button' }, 'Export for clinic records (FHIR)');
  fhir.addEventListener('click', () => downloadFhir(page.patient.id).catch((err) => toast(err.message)));
  const print = h('button', { type: 'button' }, 'Print summary');
  print.addEventListener('click', () => window.print());
  const weeks = page.load.weeks || [];
  const days = page.summary.days; // each day's worst pain, check-in or run (the server's one rule)
  const programme = h('div');
  programmeSection(page, conditions).then((card) => { if (location.hash === hash) programme.replaceChildren(card); });
  mount(page.patient.name,
    h('p', { class: 'hint' }, `${page.patient.email} · sharing since ${formatDay(page.since.slice(0, 10))} · printed ${formatDay(page.today)}`),
    page.urgency.reasons.length ? chips(page.urgency, page.plan) : h('p', {}, 'Nothing above the limits.'),
    h('div', { class: 'contact actions no-print' }, h('a', { class: 'button', href: '#clinic' }, 'All patients'), fhir, print, mute),
    h('div', { class: 'patient-grid' },
      h('div', { class: 'patient-main' },
        h('figure', { class: 'card chart-card', 'aria-label': 'Weekly distance and daily pain' }, chart(weeks, days, overlay(page)),
          h('figcaption', {}, h('span', { class: 'key-bar' }, 'Weekly distance'), ' ', h('span', { class: 'key-pain' }, 'Daily pain (worst of check-in and runs)'),
            h('span', { class: 'key-ex' }, 'Exercise pain (dark: above ceiling)'), h('span', { class: 'key-rest' }, 'Plan: rest'), h('span', { class: 'key-return' }, 'return'),
            h('details', { class: 'no-print' }, h('summary', {}, 'The chart in words'), chartWords(page)))),
        h('section', { class: 'card summary weeks' }, weekTable(weekRows(weeks, days), 'Last 12 weeks')),
        rehabSection(page),
        planSection(page.plan)),
      h('div', { class: 'patient-side' },
        factsSection(page),
        alertsSection(page),
        guidanceSection(page.guidance),
        assessmentForm(page, () => showPatient(id)),
        limitsForm(page, conditions, () => showPatient(id)))),
    programme, entriesSection(page));
}
