// Log a run: distance in the runner's unit, duration, pain, where the pain began, surface, shoe.

import { api, showFieldErrors } from './api.js';
import { h, mount, field, errorLine, toast } from './dom.js';
import { guidanceView } from './guidance.js';
import { units, fromUnit, localDate, formatDay } from './state.js';
import { save } from './sync.js';

const SURFACES = [['', 'Not set'], ['road', 'Road'], ['trail', 'Trail'], ['track', 'Track'],
  ['treadmill', 'Treadmill'], ['grass', 'Grass'], ['other', 'Other']];

function painSelect(name) {
  const opts = [h('option', { value: '' }, 'Not set')];
  for (let i = 0; i <= 10; i += 1) opts.push(h('option', { value: String(i) }, String(i)));
  return h('select', { name }, opts);
}

function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** The #run screen. */
export async function showRun() {
  const today = localDate();
  const unit = units();
  const shoeSelect = h('select', { name: 'shoe_id' }, h('option', { value: '' }, 'Not set'));
  const error = errorLine();
  const result = h('div', { class: 'result', 'aria-live': 'polite' });
  const form = h('form', { class: 'run', novalidate: true },
    field(`Distance (${unit})`, h('input', { type: 'number', name: 'distance', inputmode: 'decimal', min: '0.01', step: '0.01', required: true })),
    h('fieldset', { class: 'duration' }, h('legend', {}, 'Time'),
      h('div', { class: 'row' },
        field('Hours', h('input', { type: 'number', name: 'hours', inputmode: 'numeric', min: '0', step: '1', value: '0' })),
        field('Minutes', h('input', { type: 'number', name: 'minutes', inputmode: 'numeric', min: '0', max: '59', step: '1', required: true })))),
    h('div', { class: 'row' },
      field('Pain during (0-10)', painSelect('pain_during')),
      field('Pain after (0-10)', painSelect('pain_after'))),
    field(`Pain began after (${unit})`, h('input', { type: 'number', name: 'pain_onset', inputmode: 'decimal', min: '0', step: '0.1' }), 'Leave empty if it did not hurt.'),
    field('Surface', h('select', { name: 'surface' }, SURFACES.map(([v, t]) => h('option', { value: v }, t)))),
    field('Shoe', shoeSelect),
    field('Date', h('input', { type: 'date', name: 'date', value: today, max: today, required: true })),
    field('Note', h('textarea', { name: 'note', maxlength: 1000, rows: 2 })),
    error,
    h('button', { type: 'submit', class: 'primary' }, 'Save run'));
  mount('Log a run', form, result);

  if (navigator.onLine) {
    try {
      const shoes = await api('GET', '/shoes');
      for (const shoe of (shoes.shoes || shoes || []).filter((x) => !x.retired)) {
        shoeSelect.append(h('option', { value: String(shoe.id) }, shoe.name));
      }
    } catch { /* shoes are optional */ }
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    const el = form.elements;
    const distance = Number(el.distance.value);
    const seconds = (Number(el.hours.value || 0) * 60 + Number(el.minutes.value || 0)) * 60;
    if (!(distance > 0)) { error.textContent = 'Enter the distance you ran.'; el.distance.focus(); return; }
    if (!(seconds > 0)) { error.textContent = 'Enter how long you ran.'; el.minutes.focus(); return; }
    const date = el.date.value || today;
    const body = { date, distance_m: Math.round(fromUnit(distance)), duration_s: Math.round(seconds) };
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
      form.reset();
      delete form.dataset.runId;
      el.date.value = today;
      if (res.sent) {
        toast('Run saved.');
        result.replaceChildren(h('h2', {}, 'Your advice'), guidanceView(res.data.guidance));
      } else {
        toast('Saved on this phone. It will be sent when you are back online.');
        result.replaceChildren(h('p', { class: 'queued' }, 'Saved on this phone. Advice appears when you are back online.'));
      }
    } catch (err) {
      error.textContent = showFieldErrors(form, err);
    } finally {
      button.disabled = false;
    }
  });
}
