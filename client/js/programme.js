// The therapist's programme builder (patient page): each save is a new version.

import { api, showFieldErrors } from './api.js';
import { h, field, errorLine, toast } from './dom.js';
import { formatDay, addDays } from './state.js';

const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const SIDES = [['each', 'Each side'], ['both', 'Both'], ['left', 'Left'], ['right', 'Right']];
const toNum = (v) => (v === '' || v == null ? null : Number(v));
const sel = (name, pairs, value, ...first) => h('select', { name }, first,
  pairs.map(([v, t]) => h('option', { value: String(v), selected: String(v) === String(value ?? '') }, t)));
const num = (name, value, max) => h('input', { type: 'number', name, min: 1, max, value: value ?? '' });

/** One exercise as a fieldset; `.read()`: the API item (ticked weekdays win). */
function itemEditor(item, limit, onRemove) {
  const { dose } = item;
  const box = h('fieldset', { 'data-exercise': item.exercise }, h('legend', {}, item.name),
    h('div', { class: 'row' }, field('Sets', num('sets', item.sets, 10)),
      dose !== 'time' ? field(dose === 'hold' ? 'Holds per set' : 'Repetitions', num('reps', item.reps, 100)) : null,
      dose !== 'reps' ? field(dose === 'hold' ? 'Hold (seconds)' : 'Seconds', num('seconds', item.seconds, 600)) : null),
    h('div', { class: 'row' }, field('Load', sel('load', [['bodyweight', 'Body weight'], ['kg', 'kg'], ['band', 'Band']], item.load)),
      field('Weight (kg) or band', h('input', { name: 'amount', value: item.load_kg ?? item.band ?? '' })),
      field('Side', sel('side', SIDES, item.side))),
    h('div', { class: 'row' }, field('Days a week', num('per_week', item.per_week || 3, 7)),
      field('Pain ceiling', sel('pain_ceiling', [...Array(11).keys()].map((v) => [v, `${v}/10`]), item.pain_ceiling,
        h('option', { value: '' }, `Patient’s pain limit (${limit}/10)`)))),
    h('fieldset', { class: 'weekdays' }, h('legend', {}, 'Or on these days'), DAYS.map((d, i) => h('label', { class: 'toggle' },
      h('input', { type: 'checkbox', name: 'weekdays', value: i + 1, checked: item.weekdays?.includes(i + 1) }), d))),
    field('Note', h('input', { name: 'note', value: item.note || '' })),
    h('button', { type: 'button', class: 'link', 'aria-label': `Remove ${item.name}`, onclick: () => {
      // Focus moves to the next exercise (or the one before, or the list), not to the page.
      const next = box.nextElementSibling || box.previousElementSibling;
      const list = box.parentElement;
      box.remove();
      onRemove();
      const target = next?.querySelector('input, select, button') || list;
      if (target === list && list && !list.hasAttribute('tabindex')) list.setAttribute('tabindex', '-1');
      target?.focus();
    } }, 'Remove'));
  const val = (n) => box.querySelector(`[name=${n}]`).value.trim();
  /** Mark this exercise's fields the server refused ({sets: [...], ...}); returns the words. */
  box.showErrors = (problems) => {
    const words = [];
    for (const [name, msgs] of Object.entries(problems || {})) {
      const text = [].concat(msgs).map(String).join(' ');
      const input = box.querySelector(`[name=${CSS.escape(name)}]`);
      if (input) input.setAttribute('aria-invalid', 'true');
      const label = (input && box.querySelector(`label[for="${CSS.escape(input.id)}"]`)?.textContent) || name.replace(/_/g, ' ');
      words.push(`${label}: ${text}`);
    }
    return words.length ? `${item.name}: ${words.join('; ')}` : '';
  };
  box.read = () => {
    const days = [...box.querySelectorAll('[name=weekdays]:checked')].map((c) => Number(c.value));
    const out = { exercise: item.exercise, sets: toNum(val('sets')), load: val('load'), side: val('side'),
      pain_ceiling: toNum(val('pain_ceiling')), note: val('note') || null, ...(days.length ? { weekdays: days } : { per_week: toNum(val('per_week')) }) };
    if (dose !== 'time') out.reps = toNum(val('reps'));
    if (dose !== 'reps') out.seconds = toNum(val('seconds'));
    if (out.load === 'kg') out.load_kg = toNum(val('amount'));
    if (out.load === 'band') out.band = val('amount') || null;
    return out;
  };
  return box;
}

/** The library: search, condition filter, "Add <name>". */
function picker(library, conditions, chosen, onAdd) {
  const search = h('input', { type: 'search', name: 'search' });
  const cond = sel('condition', conditions.map((c) => [c.id, c.name]), '', h('option', { value: '' }, 'All conditions'));
  const list = h('ul', { class: 'library', 'aria-label': 'Exercises in the library' });
  const names = Object.fromEntries(conditions.map((c) => [c.id, c.name]));
  const words = (e) => [e.name, ...e.trains, ...e.conditions.map((c) => names[c] || c)].join(' ').replace(/_/g, ' ').toLowerCase();
  const render = () => {
    const q = search.value.trim().toLowerCase();
    const found = library.filter((e) => !e.retired && !chosen().includes(e.id) && (!cond.value || e.conditions.includes(cond.value))
      && words(e).includes(q));
    list.replaceChildren(...found.map((e) => h('li', {}, e.name,
      h('button', { type: 'button', 'aria-label': `Add ${e.name}`, onclick: () => { onAdd(e); render(); } }, 'Add'))));
  };
  search.addEventListener('input', render);
  cond.addEventListener('change', render);
  render();
  return Object.assign(h('fieldset', {}, h('legend', {}, 'Add exercises'),
    h('div', { class: 'row' }, field('Search exercises', search, 'Name, what it trains or a condition.'), field('Condition', cond)), list), { render });
}

const history = (versions) => versions.length && h('details', {}, h('summary', {}, `Version history (${versions.length})`),
  h('ul', { class: 'entries' }, versions.map((v) => h('li', {},
    h('span', { class: 'when' }, `Version ${v.version} · ${formatDay(v.created_at.slice(0, 10))} · ${v.therapist}`),
    h('ul', { class: 'changes' }, v.changes.map((c) => h('li', {}, c.text)))))));

/** The therapist's own exercises: retire one, add one. */
function ownExercises(library, reload, open) {
  const error = errorLine();
  const mine = library.filter((e) => e.source === 'therapist' && !e.retired);
  const form = h('form', { novalidate: true, 'aria-label': 'Add your own exercise' },
    field('Name', h('input', { name: 'name' })),
    field('Instructions', h('textarea', { name: 'instructions' })),
    h('div', { class: 'row' }, field('Trains', sel('trains', [...new Set(library.flatMap((e) => e.trains))].map((t) => [t, t.replace('_', ' & ')]))),
      field('Sets', num('sets', 3, 10)), field('Repetitions', num('reps', 10, 100)), field('Seconds', num('seconds', '', 600), 'With repetitions: holds.'),
      field('Sides', sel('sides', SIDES.slice(0, 2)))),
    error, h('button', { type: 'submit' }, 'Add exercise'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const v = (n) => form.elements[n].value.trim();
    const [reps, seconds] = [toNum(v('reps')), toNum(v('seconds'))];
    const body = { name: v('name'), instructions: v('instructions'), trains: [v('trains')], sets: toNum(v('sets')), reps, seconds,
      dose: !seconds ? 'reps' : reps ? 'hold' : 'time', sides: v('sides') };
    api('POST', '/clinic/exercises', body).then(() => reload(`Exercise added: ${body.name}.`), (err) => { error.textContent = showFieldErrors(form, err); });
  });
  const retire = (e) => api('DELETE', `/clinic/exercises/${e.id}`).then(() => reload(`${e.name} retired.`), (err) => toast(err.message));
  return h('details', { open }, h('summary', {}, `Your own exercises (${mine.length})`),
    h('ul', { class: 'entries' }, mine.map((e) => h('li', {}, e.name,
      h('button', { type: 'button', 'aria-label': `Retire ${e.name}`, onclick: () => retire(e) }, 'Retire')))), form);
}

/** The programme card (loads the programme and the library itself). */
export async function programmeSection(page, conditions) {
  const id = page.patient.id;
  const loading = h('p', { class: 'loading' }, 'Loading…');
  const card = h('section', { class: 'card programme no-print', 'aria-label': 'Exercise programme' }, h('h2', {}, 'Exercise programme'), loading);
  const rerender = () => programmeSection(page, conditions).then((fresh) => { card.replaceWith(fresh); return fresh; });
  let prog; let library;
  try {
    [prog, library] = await Promise.all([api('GET', `/clinic/patients/${id}/programme`), api('GET', '/exercises')]);
  } catch (err) {
    loading.replaceWith(h('p', { class: 'error', role: 'alert' }, err.message));
    return card;
  }
  const limit = page.limits.in_force.pain_threshold;
  const now = prog.programme;
  const items = h('div', { role: 'group', 'aria-label': 'In the programme' });
  const refresh = () => pick.render();
  const add = (item) => { items.append(itemEditor(item, limit, refresh)); refresh(); };
  const pick = picker(library, conditions, () => [...items.children].map((b) => b.dataset.exercise),
    (e) => add({ exercise: e.id, name: e.name, dose: e.dose, sets: e.sets, reps: e.reps, seconds: e.seconds, side: e.sides }));
  (now ? now.items : []).forEach(add);
  const error = errorLine();
  const start = h('input', { type: 'date', name: 'starts_on', value: now ? now.starts_on : page.today, max: page.today, min: addDays(page.today, -90) });
  const minimum = num('min_adherence_pct', now?.min_adherence_pct, 100);
  const note = h('textarea', { name: 'note', maxlength: 1000, rows: 2 }, now?.note || '');
  const form = h('form', { class: 'builder', novalidate: true, 'aria-label': 'Programme builder' }, pick,
    h('div', {}, h('h3', {}, 'In the programme'), items,
      h('div', { class: 'row' }, field('Start date', start, 'At most 90 days back.'),
        field('Minimum adherence for the return (%)', minimum, 'Below it the return holds its phase.')),
      field('Programme note', note, 'The patient sees it with the programme.'),
      error, h('button', { type: 'submit', class: 'primary' }, 'Save programme')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const list = [...items.children].map((b) => b.read());
    if (!list.length && !now) { error.textContent = 'Add at least one exercise.'; return; }
    try {
      const res = await api('PUT', `/clinic/patients/${id}/programme`, { items: list, starts_on: start.value || null,
        min_adherence_pct: toNum(minimum.value), note: note.value.trim() || null });
      toast(list.length ? `Programme saved: version ${res.programme.version}.` : 'The programme has ended.');
      // The card is rebuilt: focus its heading, not the page's top.
      const fresh = await rerender();
      fresh?.querySelector('h2')?.setAttribute('tabindex', '-1');
      fresh?.querySelector('h2')?.focus();
    } catch (err) {
      const general = showFieldErrors(form, err);  // clears the marks of the last try too
      const byItem = err.fields?.items && typeof err.fields.items === 'object' ? err.fields.items : {};
      const editors = [...items.children];
      const named = Object.entries(byItem).map(([i, problems]) => editors[Number(i)]?.showErrors(
        typeof problems === 'object' && !Array.isArray(problems) ? problems : { item: problems })).filter(Boolean);
      error.textContent = [general, ...named].join(' ');
      items.querySelector('[aria-invalid]')?.focus();
    }
  });
  // Adding or retiring an own exercise reloads the library only: unsaved edits above stay.
  const reload = (msg) => api('GET', '/exercises').then((fresh) => {
    library.splice(0, library.length, ...fresh);
    pick.render();
    mine.replaceWith(mine = ownExercises(library, reload, true));
    toast(msg);
  }, (err) => toast(err.message));
  let mine = ownExercises(library, reload);
  card.replaceChildren(h('h2', {}, now?.items.length ? `Exercise programme, version ${now.version}` : 'Exercise programme'),
    ...[!now?.items.length && h('p', {}, now ? 'The programme has ended.' : 'No programme yet.'), form, history(prog.versions), mine].filter(Boolean));
  return card;
}
