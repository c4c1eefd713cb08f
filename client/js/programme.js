// The therapist's programme builder on the patient page: pick exercises from the library
// (search, filter by condition), set each one's dose, load, side, schedule, pain ceiling
// and note; the start date and the minimum adherence for the return; save = a new version
// (PUT). The version history with what changed; the therapist's own exercises (add, retire).

import { api, showFieldErrors } from './api.js';
import { h, field, errorLine, toast } from './dom.js';
import { formatDay, addDays } from './state.js';

const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const SIDES = [['each', 'Each side'], ['both', 'Both legs together'], ['left', 'Left leg'], ['right', 'Right leg']];
const LOADS = [['bodyweight', 'Body weight'], ['kg', 'Weight (kg)'], ['band', 'Band']];
const TRAINS = ['hips', 'glutes', 'quadriceps', 'hamstrings', 'calves', 'core', 'feet_ankles', 'balance', 'flexibility'];
const DOSES = [['reps', 'Repetitions'], ['hold', 'Holds'], ['time', 'Timed']];

const opts = (list, value) => list.map(([v, t]) => h('option', { value: String(v), selected: String(v) === String(value ?? '') }, t));
const num = (name, value, min, max) => h('input', { type: 'number', name, min: String(min), max: String(max), step: '1', inputmode: 'numeric', value: value ?? '' });
const intOf = (v) => (v === '' || v === undefined ? null : Number(v));

/** One exercise of the programme as a fieldset named after the exercise. */
function itemEditor(item, limit, onRemove) {
  const dose = item.dose;
  const weekdays = item.weekdays || [];
  const byDays = weekdays.length > 0;
  const loadKg = field('Load (kg)', h('input', { type: 'number', name: 'load_kg', min: '0.5', max: '300', step: '0.5', inputmode: 'decimal', value: item.load_kg ?? '' }));
  const band = field('Band', h('input', { name: 'band', value: item.band || '', placeholder: 'e.g. red', maxlength: 40 }));
  const load = field('Load', h('select', { name: 'load' }, opts(LOADS, item.load || 'bodyweight')));
  const perWeek = field('Days a week', h('select', { name: 'per_week' }, opts([1, 2, 3, 4, 5, 6, 7].map((n) => [n, String(n)]), item.per_week || 3)));
  const days = h('fieldset', { class: 'weekdays' }, h('legend', {}, 'On these days'),
    DAYS.map((d, i) => h('label', { class: 'toggle' }, h('input', { type: 'checkbox', name: 'weekdays', value: String(i + 1), checked: weekdays.includes(i + 1) }), h('span', {}, d))));
  const schedule = field('Schedule', h('select', { name: 'schedule' }, opts([['per_week', 'Days a week'], ['weekdays', 'Chosen weekdays']], byDays ? 'weekdays' : 'per_week')));
  const remove = h('button', { type: 'button', class: 'link', 'aria-label': `Remove ${item.name}` }, 'Remove');
  const box = h('fieldset', { class: 'item', 'data-exercise': item.exercise, 'data-dose': dose },
    h('legend', {}, item.name),
    item.instructions ? h('p', { class: 'hint' }, item.instructions) : null,
    h('div', { class: 'row' },
      field('Sets', num('sets', item.sets, 1, 10)),
      dose !== 'time' ? field(dose === 'hold' ? 'Holds per set' : 'Repetitions', num('reps', item.reps, 1, 100)) : null,
      dose !== 'reps' ? field(dose === 'hold' ? 'Hold (seconds)' : 'Seconds', num('seconds', item.seconds, 1, 600)) : null),
    h('div', { class: 'row' }, load, loadKg, band, field('Side', h('select', { name: 'side' }, opts(SIDES, item.side)))),
    h('div', { class: 'row' }, schedule, perWeek, field('Pain ceiling', h('select', { name: 'pain_ceiling' },
      h('option', { value: '' }, `Patient’s pain limit (${limit}/10)`),
      opts(Array.from({ length: 11 }, (_, i) => [i, `${i}/10`]), item.pain_ceiling)), 'Pain during the exercise above this is too much.')),
    days,
    field('Note', h('input', { name: 'note', value: item.note || '', maxlength: 500 })), remove);
  const sync = () => {
    const el = box.querySelector.bind(box);
    loadKg.hidden = el('[name=load]').value !== 'kg';
    band.hidden = el('[name=load]').value !== 'band';
    const onDays = el('[name=schedule]').value === 'weekdays';
    perWeek.hidden = onDays; days.hidden = !onDays;
  };
  box.addEventListener('change', sync);
  sync();
  remove.addEventListener('click', () => { box.remove(); onRemove(); });
  box.read = () => {
    const el = (n) => box.querySelector(`[name=${n}]`);
    const out = { exercise: item.exercise, sets: intOf(el('sets').value), load: el('load').value, side: el('side').value,
      pain_ceiling: intOf(el('pain_ceiling').value), note: el('note').value.trim() || null };
    if (dose !== 'time') out.reps = intOf(el('reps').value);
    if (dose !== 'reps') out.seconds = intOf(el('seconds').value);
    if (out.load === 'kg') out.load_kg = el('load_kg').value === '' ? null : Number(el('load_kg').value);
    if (out.load === 'band') out.band = el('band').value.trim() || null;
    if (el('schedule').value === 'weekdays') out.weekdays = [...box.querySelectorAll('[name=weekdays]:checked')].map((c) => Number(c.value));
    else out.per_week = intOf(el('per_week').value);
    return out;
  };
  return box;
}

/** The library picker: search by name and filter by condition; "Add <name>" per exercise. */
function picker(library, conditions, chosen, onAdd) {
  const search = h('input', { type: 'search', name: 'search', autocomplete: 'off' });
  const cond = h('select', { name: 'condition' }, h('option', { value: '' }, 'All conditions'), conditions.map((c) => h('option', { value: c.id }, c.name)));
  const list = h('ul', { class: 'library', 'aria-label': 'Exercises in the library' });
  const render = () => {
    const q = search.value.trim().toLowerCase();
    const found = library.filter((e) => !e.retired && !chosen().includes(e.id) && (!cond.value || e.conditions.includes(cond.value))
      && (!q || `${e.name} ${e.trains.join(' ')} ${e.equipment.join(' ')}`.toLowerCase().includes(q)));
    list.replaceChildren(...(found.length ? found.map((e) => h('li', {},
      h('span', {}, h('span', { class: 'strong' }, e.name), h('span', { class: 'hint' }, ` · ${e.trains.join(', ').replace(/_/g, ' & ')}${e.source === 'therapist' ? ' · yours' : ''}`)),
      h('button', { type: 'button', 'aria-label': `Add ${e.name}`, onclick: () => { onAdd(e); render(); } }, 'Add'))) : [h('li', { class: 'hint' }, 'No exercise matches.')]));
  };
  search.addEventListener('input', render);
  cond.addEventListener('change', render);
  render();
  return Object.assign(h('fieldset', { class: 'picker' }, h('legend', {}, 'Add exercises'),
    h('div', { class: 'row' }, field('Search exercises', search), field('Condition', cond)), list), { render });
}

function history(versions) {
  if (!versions.length) return null;
  return h('details', { class: 'versions' }, h('summary', {}, `Version history (${versions.length})`),
    h('ol', { class: 'entries', reversed: true }, versions.map((v) => h('li', {},
      h('span', { class: 'when' }, `Version ${v.version} · ${formatDay(v.created_at.slice(0, 10))} · ${v.therapist}`),
      h('span', {}, `${v.items} exercise${v.items === 1 ? '' : 's'}`),
      v.changes.length ? h('ul', { class: 'changes' }, v.changes.map((c) => h('li', {}, c.text))) : h('span', { class: 'hint' }, v.version === 1 ? 'First version.' : 'No changes listed.')))));
}

/** The therapist's own exercises: a form to add one and a list with "Retire". */
function ownExercises(library, conditions, rerender) {
  const error = errorLine();
  const mine = library.filter((e) => e.source === 'therapist' && !e.retired);
  const form = h('form', { class: 'own-exercise', novalidate: true, 'aria-label': 'Add your own exercise' },
    field('Name', h('input', { name: 'name', maxlength: 80, required: true })),
    field('Instructions', h('textarea', { name: 'instructions', rows: 3, maxlength: 1000, required: true })),
    field('Trains', h('select', { name: 'trains' }, opts(TRAINS.map((t) => [t, t.replace('_', ' & ')]), 'hips'))),
    h('div', { class: 'row' }, field('Dose type', h('select', { name: 'dose' }, opts(DOSES, 'reps'))), field('Sets', num('sets', 3, 1, 10)),
      field('Repetitions or holds', num('reps', 10, 1, 100)), field('Seconds', num('seconds', '', 1, 600))),
    h('div', { class: 'row' }, field('Sides', h('select', { name: 'sides' }, opts(SIDES.slice(0, 2), 'each'))),
      field('Equipment', h('input', { name: 'equipment', placeholder: 'e.g. band, step' }), 'Separate with commas.')),
    field('Used for', h('select', { name: 'conditions' }, h('option', { value: '' }, 'Any condition'), opts(conditions.map((c) => [c.id, c.name])))),
    error, h('button', { type: 'submit' }, 'Add exercise'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const el = form.elements;
    const body = { name: el.name.value.trim(), instructions: el.instructions.value.trim(), trains: [el.trains.value], dose: el.dose.value,
      sets: intOf(el.sets.value), reps: el.dose.value === 'time' ? null : intOf(el.reps.value), seconds: el.dose.value === 'reps' ? null : intOf(el.seconds.value),
      sides: el.sides.value, equipment: el.equipment.value.split(',').map((x) => x.trim()).filter(Boolean), conditions: el.conditions.value ? [el.conditions.value] : [] };
    try {
      await api('POST', '/clinic/exercises', body);
      toast(`${body.name} added to your exercises.`);
      rerender();
    } catch (err) { error.textContent = showFieldErrors(form, err); }
  });
  return h('details', { class: 'own' }, h('summary', {}, `Your own exercises (${mine.length})`),
    mine.length ? h('ul', { class: 'entries' }, mine.map((e) => h('li', {}, h('span', {}, e.name),
      h('button', { type: 'button', 'aria-label': `Retire ${e.name}`, onclick: async () => {
        try { await api('DELETE', `/clinic/exercises/${encodeURIComponent(e.id)}`); toast(`${e.name} retired.`); rerender(); } catch (err) { toast(err.message); }
      } }, 'Retire')))) : h('p', { class: 'hint' }, 'None yet. Programmes keep an exercise you retire.'),
    form);
}

/** The programme card of the patient page (loads the programme and the library itself). */
export async function programmeSection(page, conditions) {
  const id = page.patient.id;
  const loading = h('p', { class: 'loading' }, 'Loading…');
  const card = h('section', { class: 'card programme no-print', 'aria-label': 'Exercise programme' }, h('h2', {}, 'Exercise programme'), loading);
  const rerender = () => programmeSection(page, conditions).then((fresh) => card.replaceWith(fresh));
  let prog; let library;
  try {
    [prog, library] = await Promise.all([api('GET', `/clinic/patients/${id}/programme`), api('GET', '/exercises')]);
  } catch (err) {
    loading.replaceWith(h('p', { class: 'error', role: 'alert' }, err.message));
    return card;
  }
  const limit = page.limits.in_force.pain_threshold;
  const current = prog.programme;
  const items = h('div', { class: 'items', 'aria-label': 'Exercises in the programme', role: 'group' });
  const empty = h('p', { class: 'hint' }, 'No exercises yet: add some from the library.');
  const chosen = () => [...items.children].map((b) => b.dataset.exercise);
  const refresh = () => { empty.hidden = items.children.length > 0; pick.render(); };
  const add = (item) => { items.append(itemEditor(item, limit, refresh)); refresh(); };
  const pick = picker(library, conditions, chosen, (e) => add({ exercise: e.id, name: e.name, instructions: e.instructions, dose: e.dose,
    sets: e.sets, reps: e.reps, seconds: e.seconds, side: e.sides, load: 'bodyweight', per_week: 3 }));
  (current ? current.items : []).forEach((i) => items.append(itemEditor(i, limit, refresh)));
  refresh();
  const error = errorLine();
  const start = h('input', { type: 'date', name: 'starts_on', value: current ? current.starts_on : page.today, max: page.today, min: addDays(page.today, -90) });
  const minimum = h('input', { type: 'number', name: 'min_adherence_pct', min: '1', max: '100', step: '1', inputmode: 'numeric', value: current?.min_adherence_pct ?? '' });
  const note = h('textarea', { name: 'note', rows: 2, maxlength: 1000 }, current?.note || '');
  const form = h('form', { class: 'builder', novalidate: true, 'aria-label': 'Programme builder' },
    h('div', { class: 'builder-grid' }, pick, h('div', { class: 'chosen' }, h('h3', {}, 'In the programme'), empty, items,
      h('div', { class: 'row' }, field('Start date', start, 'Today, or back to a paper prescription (90 days at most).'),
        field('Minimum adherence for the return (%)', minimum, 'Optional. Below it the return to running holds its phase.')),
      field('Note for the patient', note), error, h('button', { type: 'submit', class: 'primary' }, 'Save programme'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    const list = [...items.children].map((b) => b.read());
    if (!list.length && !current) { error.textContent = 'Add at least one exercise.'; return; }
    const body = { items: list, starts_on: start.value || null, min_adherence_pct: intOf(minimum.value), note: note.value.trim() || null };
    try {
      const res = await api('PUT', `/clinic/patients/${id}/programme`, body);
      toast(list.length ? `Programme saved: version ${res.programme.version}.` : 'The programme has ended.');
      rerender();
    } catch (err) {
      error.textContent = showFieldErrors(form, err);
      if (err.fields?.items) error.textContent += ` ${JSON.stringify(err.fields.items).replace(/[{}[\]"]/g, ' ')}`;
    }
  });
  card.replaceChildren(h('h2', {}, 'Exercise programme'),
    h('p', {}, current && current.items.length ? `Version ${current.version} by ${current.therapist}, ${formatDay(current.created_at.slice(0, 10))}; started ${formatDay(current.starts_on)}.`
      : current ? 'The programme has ended.' : 'No programme yet.'),
    ...[form, history(prog.versions), ownExercises(library, conditions, rerender)].filter(Boolean));
  return card;
}
