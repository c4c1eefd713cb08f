// The runner's exercises: Today's "Exercises: 3 today" card, the session screen (#exercises)
// and the programme (#programme). A session is PUT under one client UUID per day, through the
// outbox, so an edit replaces it and a replay never makes a second one. The day's list is kept
// on this phone (network first), so the session screen still works once the network drops.

import { api } from './api.js';
import { h, mount, toast, errorLine } from './dom.js';
import { runnerToday, formatDay, uuid } from './state.js';
import { save } from './sync.js';
import { get as queued, onOutboxChange } from './outbox.js';
import { painScale } from './checkin.js';

const GENERAL = 'General starter exercises, not a prescription. Have a physical therapist tailor them to you.';
const keyOf = (day) => `sg.ex.${day}`;
const outboxKey = (id) => `exercise:${id}`;

function stored(day) {
  try { return JSON.parse(localStorage.getItem(keyOf(day)) || 'null') || {}; } catch { return {}; }
}
function keep(day, data) {
  Object.keys(localStorage).filter((k) => k.startsWith('sg.ex.') && k !== keyOf(day)).forEach((k) => localStorage.removeItem(k));
  localStorage.setItem(keyOf(day), JSON.stringify({ ...stored(day), ...data }));
}

/** The day's exercises (GET /me/programme/today), or this phone's copy when offline; and the
 * session's UUID (the server's, else this phone's, else a new one kept for the day). */
async function loadDay(day = runnerToday()) {
  let today = null;
  try {
    today = await api('GET', '/me/programme/today');
    keep(day, { today });
  } catch {
    today = stored(day).today || null;
  }
  const id = (today && today.session_uuid) || stored(day).id || uuid();
  keep(day, { id });
  return { today, id, waiting: await queued(outboxKey(id)).catch(() => undefined) };
}

function cautionList(cautions) {
  if (!cautions || !cautions.length) return null;
  return h('ul', { class: 'ex-cautions' }, cautions.map((c) => h('li', { class: 'card sev-caution' },
    h('p', { class: 'strong' }, `${c.title}: pain ${c.pain}/10, ceiling ${c.ceiling}/10`), h('p', {}, c.message))));
}

const pausedBody = (paused) => [h('h2', {}, paused.title), h('p', {}, paused.message),
  h('a', { class: 'button', href: '#therapist' }, 'Contact your therapist')];
const pausedCard = (paused) => h('section', { class: 'card sev-warning', 'aria-label': 'Exercises paused' }, pausedBody(paused));

/** The Today card; null when there is nothing to show (no programme, no starter set). */
export function todayCard({ today, waiting }) {
  if (!today || (today.kind === 'none' && !today.paused)) return null;
  const general = today.kind === 'general';
  const items = today.items || [];
  let title = `Exercises: ${today.count} today`;
  if (!items.length) title = 'Exercises: none due today';
  else if (!today.count) title = 'Exercises: all done today';
  return h('section', { class: `card ex-card${general ? ' ex-general' : ''}${today.paused ? ' sev-warning' : ''}`, 'aria-label': 'Your exercises today' },
    h('p', { class: 'plan-label' }, today.paused ? 'Exercises' : general ? 'General starter exercises' : 'From your therapist'),
    today.paused ? pausedBody(today.paused)
      : [h('h2', {}, title),
        items.length ? h('p', {}, items.slice(0, 4).map((i) => `${i.done ? '✓ ' : ''}${i.name}`).join(' · '),
          items.length > 4 ? ` and ${items.length - 4} more` : '') : null,
        general ? h('p', { class: 'hint' }, GENERAL) : null,
        waiting ? h('p', { class: 'queued' }, 'Today’s session is saved on this phone, waiting to send.') : null,
        items.length ? h('a', { class: 'button', href: '#exercises' }, today.count ? 'Start exercises' : 'See today’s session') : null],
    cautionList(today.cautions),
    h('a', { href: '#programme' }, general ? 'Why these exercises?' : 'My programme'));
}

/** Fill a slot on Today with the exercises card. */
export async function fillTodayCard(slot) {
  const card = todayCard(await loadDay());
  slot.replaceChildren(...(card ? [card] : []));
}

function setRow(item, n, done) {
  const fields = item.dose === 'reps' ? ['reps'] : item.dose === 'hold' && item.reps > 1 ? ['reps', 'seconds'] : ['seconds'];
  if (item.load === 'kg') fields.push('load_kg');
  const tick = h('input', { type: 'checkbox', name: 'done', checked: Boolean(done) });
  const unit = { reps: item.dose === 'hold' ? 'holds' : 'reps', seconds: 's', load_kg: 'kg' };
  const inputs = fields.map((f) => {
    const value = done && done[f] !== undefined && done[f] !== null ? done[f] : item[f];
    const input = h('input', { type: 'number', name: f, min: 0, step: f === 'load_kg' ? '0.5' : '1', inputmode: f === 'load_kg' ? 'decimal' : 'numeric',
      value: value ?? '', 'aria-label': `Set ${n} ${unit[f]}` });
    input.addEventListener('input', () => { tick.checked = true; });
    return h('label', { class: 'ex-num' }, input, h('span', { 'aria-hidden': 'true' }, unit[f]));
  });
  return h('div', { class: 'ex-set' }, h('label', { class: 'toggle' }, tick, h('span', {}, `Set ${n} done`)), inputs);
}

function exerciseBlock(item, entry) {
  const done = entry ? entry.sets : [];
  const sets = Math.max(item.sets || 1, done.length);
  return h('fieldset', { class: 'card ex-item', 'data-exercise': item.exercise },
    h('legend', {}, item.name),
    h('p', { class: 'strong' }, `${item.dose_text} · ${item.schedule_text}`, item.done ? h('span', { class: 'tag' }, 'done today') : null),
    item.note ? h('p', { class: 'hint' }, item.note) : null,
    h('details', { class: 'why' }, h('summary', {}, 'How to do it'), h('p', {}, item.instructions)),
    Array.from({ length: sets }, (_, i) => setRow(item, i + 1, done[i])),
    painScale(`Pain during ${item.name}`, `pain:${item.exercise}`, { value: entry ? entry.pain ?? null : null }),
    h('p', { class: 'hint' }, `Stop and ease off if the pain goes above ${item.ceiling}/10.`));
}

function readSession(form, items) {
  const entries = [];
  for (const item of items) {
    const box = form.querySelector(`[data-exercise="${CSS.escape(item.exercise)}"]`);
    const sets = [...box.querySelectorAll('.ex-set')].filter((r) => r.querySelector('[name="done"]').checked).map((r) => {
      const set = {};
      r.querySelectorAll('input[type="number"]').forEach((i) => { if (i.value !== '') set[i.name] = i.name === 'load_kg' ? Number(i.value) : Math.round(Number(i.value)); });
      return set;
    });
    const pain = box.querySelector(`input[name="pain:${CSS.escape(item.exercise)}"]:checked`);
    if (sets.length || pain) entries.push({ exercise: item.exercise, sets, pain: pain ? Number(pain.value) : null });
  }
  return entries;
}

let watching = null; // the session screen's waiting line: {key, line}
onOutboxChange(async () => {
  if (!watching || !watching.line.isConnected || await queued(watching.key).catch(() => 1)) return;
  watching.line.textContent = 'Sent. Your session is saved.';
  watching.line.className = 'saved-line';
  watching = null;
});

async function savedEntries(today, id, waiting) {
  if (waiting && waiting.method === 'PUT') return waiting.body.entries;
  if (!today.session_uuid) return [];
  try { return (await api('GET', `/exercise-sessions/${id}`)).entries; } catch { return []; }
}

/** The #exercises screen: today's session. */
export async function showExercises() {
  const day = runnerToday();
  const { today, id, waiting } = await loadDay(day);
  const back = h('p', {}, h('a', { href: '#checkin' }, 'Back to Today'), ' · ', h('a', { href: '#programme' }, 'My programme'));
  const title = `Exercises · ${formatDay(day)}`;
  if (!today) return mount(title, back, h('p', { class: 'error', role: 'alert' }, 'Your exercises need a connection the first time. Try again when you are online.'));
  if (today.paused) return mount(title, back, pausedCard(today.paused), cautionList(today.cautions));
  const items = today.items || [];
  if (!items.length) return mount(title, back, h('p', {}, 'No exercises are due today.'));
  const entries = await savedEntries(today, id, waiting);
  const status = h('div', { 'aria-live': 'polite' });
  const result = h('div', { class: 'result', 'aria-live': 'polite' }, cautionList(today.cautions));
  const error = errorLine();
  const button = h('button', { type: 'submit', class: 'primary' }, 'Save exercises');
  const form = h('form', { class: 'ex-form', novalidate: true, 'aria-label': 'Today’s exercises' },
    items.map((item) => exerciseBlock(item, entries.find((e) => e.exercise === item.exercise))), error, button);
  const waitLine = (text) => {
    const line = h('p', { class: 'queued' }, text);
    status.replaceChildren(line);
    watching = { key: outboxKey(id), line };
  };
  if (waiting) waitLine('Saved on this phone, waiting to send. Change anything and save again.');
  mount(title, back, today.kind === 'general' ? h('p', { class: 'card ex-general strong' }, GENERAL) : null,
    h('p', { class: 'hint' }, 'Tick each set as you finish it. Change the numbers if you did more or less.'),
    status, result, form);

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    const body = { date: today.date || day, entries: readSession(form, items) };
    if (!body.entries.length) { error.textContent = 'Tick the sets you did first.'; return; }
    button.disabled = true;
    try {
      const res = await save({ key: outboxKey(id), method: 'PUT', path: `/exercise-sessions/${id}`, body, label: `Exercises on ${formatDay(day)}` });
      if (res.sent) {
        keep(day, { today: res.data.today });
        toast('Exercises saved.');
        status.replaceChildren(h('p', { class: 'saved-line' }, 'Saved. Change anything and save again.'));
        result.replaceChildren(cautionList(res.data.cautions) || '');
      } else {
        const ticked = new Set(body.entries.filter((e) => e.sets.length).map((e) => e.exercise));
        const copy = { ...today, items: items.map((i) => ({ ...i, done: i.done || ticked.has(i.exercise) })) };
        keep(day, { today: { ...copy, count: copy.items.filter((i) => !i.done).length } });
        toast('Saved on this phone. It will be sent when you are back online.');
        waitLine('Saved on this phone, waiting to send.');
        // The server's cautions come once it has the session; the ceiling is known here.
        result.replaceChildren(cautionList(body.entries.map((e) => ({ ...e, item: items.find((i) => i.exercise === e.exercise) }))
          .filter((e) => e.pain !== null && e.pain > e.item.ceiling)
          .map((e) => ({ title: `Ease off ${e.item.name}`, pain: e.pain, ceiling: e.item.ceiling,
            message: 'Next time do fewer repetitions or less load. Tell your therapist if it happens again.' }))) || '');
      }
      status.querySelector('p').setAttribute('tabindex', '-1');
      status.querySelector('p').focus();
    } catch (err) {
      error.textContent = err.message;
    } finally {
      button.disabled = false;
    }
  });
}

function itemLine(i) {
  return h('li', {}, h('span', { class: 'strong' }, i.name), ` — ${i.dose_text}, ${i.schedule_text}. Pain ceiling ${i.ceiling}/10.`,
    i.note ? h('span', { class: 'hint' }, ` ${i.note}`) : null);
}

function changeList(changes) {
  return h('ul', {}, changes.map((c) => h('li', {}, c.text)));
}

/** The #programme screen: the prescription (what changed, versions), or the starter sets. */
export async function showProgramme() {
  const main = mount('My exercise programme', h('p', { class: 'loading' }, 'Loading…'));
  let data;
  try {
    data = await api('GET', '/me/programme');
  } catch (err) {
    main.querySelector('.loading').replaceWith(h('p', { class: 'error', role: 'alert' }, err.message));
    return;
  }
  const p = data.programme;
  const out = [h('p', {}, h('a', { href: '#exercises' }, 'Today’s exercises'))];
  if (data.prescribed && p) {
    out.push(h('section', { class: 'card', 'aria-label': 'Your programme' },
      h('p', { class: 'plan-label' }, 'From your therapist'),
      h('h2', {}, `Version ${p.version} from ${p.therapist}`),
      h('p', { class: 'hint' }, `Since ${formatDay(p.effective_from)}.`),
      p.changes.length ? [h('h3', {}, `What changed in version ${p.version}`), changeList(p.changes)] : null,
      p.note ? h('p', {}, p.note) : null,
      h('h3', {}, `Your exercises (${p.items.length})`), h('ul', { class: 'ex-list' }, p.items.map(itemLine))));
    if (data.versions.length > 1) {
      out.push(h('details', { class: 'card' }, h('summary', {}, `All versions (${data.versions.length})`),
        h('ul', {}, data.versions.map((v) => h('li', {},
          `Version ${v.version} · ${v.therapist} · ${formatDay(v.effective_from)} · ${v.items} exercises`,
          v.changes.length ? changeList(v.changes) : null)))));
    }
  } else if (data.starter_sets.length) {
    out.push(h('p', { class: 'card ex-general strong' }, data.general_note || GENERAL));
    for (const set of data.starter_sets) {
      out.push(h('section', { class: 'card ex-general', 'aria-label': `General starter set: ${set.condition_name || set.condition}` },
        h('p', { class: 'plan-label' }, 'General, not prescribed'),
        h('h2', {}, set.condition_name || set.condition),
        h('ul', { class: 'ex-list' }, set.items.map((i) => h('li', {}, h('span', { class: 'strong' }, i.exercise.name), ` — ${i.dose_text}`))),
        h('details', { class: 'why' }, h('summary', {}, 'Why these?'), h('p', {}, set.why),
          h('ul', { class: 'hint' }, set.sources.map((s) => h('li', {}, s))))));
    }
  } else {
    out.push(h('p', {}, 'No programme yet. When your therapist prescribes exercises, they show here.'));
  }
  main.querySelector('.loading').replaceWith(...out);
}
