// Log a run: distance in the runner's unit, time (h:mm:ss) or pace, pain, where the pain
// began, surface, shoe. The same form edits a saved run (History opens it prefilled).

import { api, showFieldErrors } from './api.js';
import { h, mount, field, errorLine, toast } from './dom.js';
import { adviceAfterSave } from './guidance.js';
import { keepDraft } from './drafts.js';
import { units, toUnit, fromUnit, runnerToday, formatDay, formatClock, parseClock, formatPace, uuid } from './state.js';
import { save } from './sync.js';

const SURFACES = [['', 'Not set'], ['road', 'Road'], ['trail', 'Trail'], ['track', 'Track'],
  ['treadmill', 'Treadmill'], ['grass', 'Grass'], ['mixed', 'Mixed']];

function painSelect(name, value) {
  const opts = [h('option', { value: '' }, 'Not set')];
  for (let i = 0; i <= 10; i += 1) opts.push(h('option', { value: String(i), selected: value === i }, String(i)));
  return h('select', { name }, opts);
}

/** A number in the runner's unit for an input: 8.2, not 8.200000001. */
function unitValue(m, digits = 2) {
  return m === null || m === undefined ? '' : String(Number(toUnit(m).toFixed(digits)));
}

async function loadShoes(select, current) {
  if (!navigator.onLine) return;
  try {
    const shoes = await api('GET', '/shoes');
    for (const shoe of (shoes.shoes || shoes || [])) {
      if (shoe.retired && shoe.id !== current) continue;
      select.append(h('option', { value: String(shoe.id), selected: shoe.id === current }, shoe.name));
    }
  } catch { /* shoes are optional */ }
}

/**
 * The run form. `run`: a saved run to edit (its id is kept, so saving replaces it), or null
 * for a new one. `onSaved(result, body)` is called after a save; `onDelete()` (edit only)
 * adds a "Delete run" button. Returns {form, result}.
 */
export function runForm({ run = null, onSaved, onDelete } = {}) {
  const today = runnerToday();
  const unit = units();
  const shoeSelect = h('select', { name: 'shoe_id' }, h('option', { value: '' }, 'Not set'));
  const error = errorLine();
  const result = h('div', { class: 'result', 'aria-live': 'polite' });
  const paceLine = h('p', { class: 'pace-line', 'aria-live': 'polite' });
  const timeInput = h('input', { type: 'text', name: 'time', inputmode: 'text', autocomplete: 'off', placeholder: 'h:mm:ss',
    value: run ? formatClock(run.duration_s) : '', required: true });
  const paceInput = h('input', { type: 'text', name: 'pace', inputmode: 'text', autocomplete: 'off', placeholder: 'm:ss' });
  const distanceInput = h('input', { type: 'number', name: 'distance', inputmode: 'decimal', min: '0.01', step: '0.01', required: true,
    value: run ? unitValue(run.distance_m) : '' });
  const buttons = [h('button', { type: 'submit', class: 'primary' }, run ? 'Save changes' : 'Save run')];
  if (run && onDelete) {
    const del = h('button', { type: 'button', class: 'danger' }, 'Delete run');
    del.addEventListener('click', () => onDelete());
    buttons.push(del);
  }
  const form = h('form', { class: 'run', novalidate: true, 'aria-label': run ? 'Edit run' : 'Log a run' },
    field(`Distance (${unit})`, distanceInput),
    field('Time (h:mm:ss)', timeInput, 'For example 0:52:30, or 52:30 for minutes and seconds.'),
    field(`Pace (min/${unit}, optional)`, paceInput, `If you know your pace, type it (5:30) and the time fills in.`),
    paceLine,
    h('div', { class: 'row' },
      field('Pain during (0-10)', painSelect('pain_during', run ? run.pain_during : null)),
      field('Pain after (0-10)', painSelect('pain_after', run ? run.pain_after : null))),
    field(`Pain began after (${unit})`, h('input', { type: 'number', name: 'pain_onset', inputmode: 'decimal', min: '0', step: '0.1',
      value: run ? unitValue(run.pain_onset_m, 1) : '' }), 'Leave empty if it did not hurt.'),
    field('Surface', h('select', { name: 'surface' }, SURFACES.map(([v, t]) => h('option', { value: v, selected: Boolean(run) && run.surface === v }, t)))),
    field('Shoe', shoeSelect),
    field('Date', h('input', { type: 'date', name: 'date', value: run ? run.date : today, max: today, required: true })),
    field('Note', h('textarea', { name: 'note', maxlength: 1000, rows: 2 }, run && run.note ? run.note : '')),
    error,
    h('div', { class: 'form-actions' }, buttons));
  if (run) form.dataset.runId = run.id;
  const el = form.elements;

  // Pace × distance fills the time; the time typed (or filled) shows its pace.
  let timeFromPace = false;
  function showPace() {
    const seconds = parseClock(el.time.value);
    const distance = Number(el.distance.value);
    paceLine.textContent = seconds && distance > 0 ? `Pace: ${formatPace(fromUnit(distance), seconds)}` : '';
  }
  function fillFromPace(always) {
    const pace = parseClock(el.pace.value);
    const distance = Number(el.distance.value);
    if (pace && distance > 0 && (always || timeFromPace)) {
      el.time.value = formatClock(pace * distance);
      timeFromPace = true;
    }
    showPace();
  }
  paceInput.addEventListener('input', () => fillFromPace(true));
  distanceInput.addEventListener('input', () => fillFromPace(false));
  timeInput.addEventListener('input', () => { timeFromPace = false; showPace(); });
  showPace();
  loadShoes(shoeSelect, run ? run.shoe_id : null);

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    form.querySelectorAll('[aria-invalid]').forEach((n) => n.removeAttribute('aria-invalid'));
    const distance = Number(el.distance.value);
    const seconds = parseClock(el.time.value);
    if (!(distance > 0)) { error.textContent = 'Enter the distance you ran.'; el.distance.focus(); return; }
    if (!(seconds > 0)) {
      error.textContent = 'Enter your time as hours:minutes:seconds, for example 0:52:30.';
      el.time.setAttribute('aria-invalid', 'true');
      el.time.focus();
      return;
    }
    const date = el.date.value || today;
    const body = { date, distance_m: Math.round(fromUnit(distance)), duration_s: seconds };
    if (el.pain_during.value !== '') body.pain_during = Number(el.pain_during.value);
    if (el.pain_after.value !== '') body.pain_after = Number(el.pain_after.value);
    if (el.pain_onset.value !== '') body.pain_onset_m = Math.round(fromUnit(Number(el.pain_onset.value)));
    if (el.surface.value) body.surface = el.surface.value;
    if (el.shoe_id.value) body.shoe_id = Number(el.shoe_id.value);
    if (el.note.value.trim()) body.note = el.note.value.trim();
    const id = form.dataset.runId || uuid();
    form.dataset.runId = id; // a retry of the same form reuses the id: never a duplicate run
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      const res = await save({ key: `run:${id}`, method: 'PUT', path: `/runs/${id}`, body, label: `Run on ${formatDay(date)}` });
      onSaved?.(res, { ...body, id });
    } catch (err) {
      error.textContent = showFieldErrors(form, err);
    } finally {
      button.disabled = false;
    }
  });
  return { form, result };
}

/** The #run screen. */
export async function showRun() {
  const today = runnerToday();
  let draft = null;
  const { form, result } = runForm({
    async onSaved(res) {
      draft?.clear();
      form.reset();
      delete form.dataset.runId;
      form.elements.date.value = today;
      form.querySelector('.pace-line').textContent = '';
      if (res.sent) {
        toast('Run saved.');
        result.replaceChildren(...await adviceAfterSave(res.data.guidance));
      } else {
        toast('Saved on this phone. It will be sent when you are back online.');
        result.replaceChildren(h('p', { class: 'queued' }, 'Saved on this phone. Advice appears when you are back online.'));
      }
    },
  });
  mount('Log a run', form, result);
  // What was typed survives a reload until it is saved; a draft typed in km is not read in mi.
  draft = keepDraft(form, `run:${units()}`);
  if (draft.restored) form.elements.time.dispatchEvent(new Event('input'));  // its pace line
}
