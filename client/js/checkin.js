// Today's check-in: pain scale, knee diagram, red-flag toggles, plugin questions, one save.
// The same form shows and edits a saved check-in (Today's, or any day's from History).

import { api, showFieldErrors } from './api.js';
import { h, mount, toggle, field, errorLine, toast, segmented } from './dom.js';
import { kneeDiagram } from './knee.js';
import { adviceAfterSave, offlineRedFlags } from './guidance.js';
import { loadPlanCard } from './plan.js';
import { runnerToday, formatDay, rememberCheckin, rememberedCheckin } from './state.js';
import { save } from './sync.js';
import { keepDraft } from './drafts.js';
import { get as queued } from './outbox.js';

const ANCHORS = { 0: 'none', 3: 'mild', 5: 'moderate', 10: 'worst' };

/** A 0-10 scale of big radio buttons with words at the anchors. */
export function painScale(legend, name, { required = false, value = null } = {}) {
  const row = h('div', { class: 'scale' });
  for (let i = 0; i <= 10; i += 1) {
    const word = ANCHORS[i];
    row.append(h('label', { class: `scale-step pain-${i}` },
      h('input', { type: 'radio', name, value: String(i), required: required && i === 0, checked: value === i,
        'aria-label': word ? `${i}, ${word}` : String(i) }),
      h('span', { class: 'num', 'aria-hidden': 'true' }, String(i)),
      h('span', { class: 'word', 'aria-hidden': 'true' }, word || '')));
  }
  return h('fieldset', { class: 'pain' }, h('legend', {}, legend), row);
}

function questionInput(q, key, value) {
  const prompt = q.prompt || q.text || key;
  if (q.type === 'boolean') return toggle(prompt, `q:${key}`, value === true);
  if (q.type === 'scale') return painScale(prompt, `q:${key}`, { value: typeof value === 'number' ? value : null });
  if (q.type === 'choice') {
    // A few words to tap (better / same / worse): radio buttons, not a drop-down.
    const options = (q.options || []).map((o) => (typeof o === 'object'
      ? [String(o.value ?? o.id), String(o.label ?? o.text ?? o.value ?? o.id)] : [String(o), String(o)]))
      .map(([v, text]) => [v, text.charAt(0).toUpperCase() + text.slice(1)]);
    return segmented(prompt, `q:${key}`, options, value === undefined || value === null ? null : String(value));
  }
  return field(prompt, h('input', { type: 'text', name: `q:${key}`, maxlength: 200, value: typeof value === 'string' ? value : '' }));
}

function questionKey(q) {
  return String(q.id).includes('.') ? q.id : `${q.plugin}.${q.id}`;
}

function readAnswers(form, questions) {
  const answers = {};
  for (const q of questions) {
    const key = questionKey(q);
    const name = `q:${key}`;
    if (q.type === 'boolean') answers[key] = form.elements[name].checked;
    else if (q.type === 'scale') {
      const v = form.querySelector(`input[name="${CSS.escape(name)}"]:checked`);
      if (v) answers[key] = Number(v.value);
    } else {
      const v = form.elements[name].value;
      if (v !== '') answers[key] = v;
    }
  }
  return answers;
}

async function fetchQuestions() {
  try {
    const data = await api('GET', '/checkin-questions');
    return Array.isArray(data) ? data : (data.questions || []);
  } catch {
    return [];
  }
}

/**
 * The saved check-in of a date: from the server, or (offline) the one waiting in the
 * outbox. null when there is none.
 */
export async function savedCheckin(date) {
  const waiting = await queued(`checkin:${date}`).catch(() => undefined);
  if (waiting && waiting.method === 'PUT') return { ...waiting.body, date, pending: true };
  if (waiting && waiting.method === 'DELETE') return null;
  if (navigator.onLine) {
    try {
      // The range read answers [] when there is none (a 404 would log a console error).
      const found = await api('GET', `/checkins?from=${date}&to=${date}`);
      const checkin = (Array.isArray(found) ? found : []).find((c) => c.date === date) || null;
      rememberCheckin(date, checkin);
      return checkin;
    } catch { /* unreachable: fall back to the copy this phone kept */ }
  }
  // Offline: the copy this phone last saw, so a save offline starts from it instead of
  // silently replacing a saved check-in (its red flags included) with a blank form.
  const copy = rememberedCheckin(date);
  return copy ? { ...copy, date, offlineCopy: true } : undefined;
}

/**
 * The check-in form. `date`: the day it is for; `checkin`: the saved one to prefill (or
 * null); `fixedDate`: editing a past day from History (the date cannot change there).
 * `onSaved(result, body, date)` after a save; `onDelete()` adds a "Delete check-in" button.
 * Returns {form, knee, loadQuestions()}.
 */
export function checkinForm({ date, checkin = null, fixedDate = false, onSaved, onDelete } = {}) {
  const today = runnerToday();
  const error = errorLine();
  const knee = kneeDiagram();
  if (checkin && checkin.location) knee.set({ location: checkin.location, side: checkin.side });
  const questionsBox = h('div', { class: 'questions' });
  const flag = (label, name) => toggle(label, name, Boolean(checkin && checkin[name]));
  const dateInput = h('input', { type: 'date', name: 'date', value: date, max: today, required: true, readOnly: fixedDate });
  const buttons = [h('button', { type: 'submit', class: 'primary' }, 'Save check-in')];
  if (onDelete) {
    const del = h('button', { type: 'button', class: 'danger' }, 'Delete check-in');
    del.addEventListener('click', () => onDelete());
    buttons.push(del);
  }
  const form = h('form', { class: 'checkin', novalidate: true },
    painScale('Worst knee pain in the last 24 hours', 'pain', { required: true, value: checkin ? checkin.pain : null }),
    knee.element,
    h('fieldset', { class: 'flags' }, h('legend', {}, 'Anything else today?'),
      flag('Swelling', 'swelling'),
      flag('Fever', 'fever'),
      flag('Knee locks or gives way', 'locking_or_giving_way'),
      flag('Hard to straighten', 'hard_to_straighten')),
    questionsBox,
    h('details', { class: 'more', open: Boolean(checkin && (checkin.note || checkin.morning_pain !== null && checkin.morning_pain !== undefined)) },
      h('summary', {}, 'More: morning pain, note, date'),
      painScale('Pain or stiffness when you woke up', 'morning_pain', { value: checkin ? checkin.morning_pain ?? null : null }),
      field('Note', h('textarea', { name: 'note', maxlength: 1000, rows: 3 }, checkin && checkin.note ? checkin.note : '')),
      field('Date', dateInput)),
    error,
    h('div', { class: 'form-actions' }, buttons));

  let questions = [];
  async function loadQuestions() {
    if (!navigator.onLine) return;
    questions = await fetchQuestions();
    if (!questions.length) return;
    const answers = (checkin && checkin.answers) || {};
    // Many questions would slow the daily check-in down: fold them away (optional anyway).
    questionsBox.append(h('details', { class: 'card plugin-q', open: questions.length <= 3 },
      h('summary', {}, `More questions about your knee (${questions.length}, optional)`),
      questions.map((q) => questionInput(q, questionKey(q), answers[questionKey(q)]))));
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    const painInput = form.querySelector('input[name="pain"]:checked');
    if (!painInput) {
      error.textContent = 'Choose your pain from 0 to 10 first.';
      form.querySelector('input[name="pain"]').focus();
      return;
    }
    const morning = form.querySelector('input[name="morning_pain"]:checked');
    const where = knee.value();
    const body = {
      pain: Number(painInput.value),
      swelling: form.elements.swelling.checked,
      fever: form.elements.fever.checked,
      locking_or_giving_way: form.elements.locking_or_giving_way.checked,
      hard_to_straighten: form.elements.hard_to_straighten.checked,
    };
    if (morning) body.morning_pain = Number(morning.value);
    if (where.location) { body.location = where.location; body.side = where.side; }
    const note = form.elements.note.value.trim();
    if (note) body.note = note;
    const answers = readAnswers(form, questions);
    if (Object.keys(answers).length) body.answers = answers;
    const day = fixedDate ? date : (dateInput.value || today);
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      const res = await save({ key: `checkin:${day}`, method: 'PUT', path: `/checkins/${day}`, body, label: `Check-in for ${formatDay(day)}` });
      if (res.sent) rememberCheckin(day, { ...body, date: day });
      onSaved?.(res, body, day);
    } catch (err) {
      error.textContent = showFieldErrors(form, err);
    } finally {
      button.disabled = false;
    }
  });
  return { form, knee, loadQuestions };
}

/** The #checkin screen: today's check-in, prefilled with what was saved today. */
export async function showCheckin() {
  const today = runnerToday();
  const result = h('div', { class: 'result', 'aria-live': 'polite' });
  // Both cards load after the screen: their room is kept meanwhile (no layout shift).
  const planSlot = h('div', { class: 'plan-slot', 'data-wait': navigator.onLine ? '' : null });
  const exSlot = h('div', { class: 'ex-slot', 'data-wait': '' });
  const exercises = () => import('./exercises.js').then((m) => m.fillTodayCard(exSlot)).catch(() => {})
    .finally(() => exSlot.removeAttribute('data-wait'));
  const intro = h('div', { class: 'saved-intro' });
  const saved = await savedCheckin(today);
  const { form, knee, loadQuestions } = checkinForm({ date: today, checkin: saved, onSaved: shown });
  if (saved) {
    intro.append(h('p', { class: 'saved-line' }, saved.pending
      ? `Your check-in for today is saved on this phone (pain ${saved.pain}/10). Change anything and save again.`
      : saved.offlineCopy
        ? `You checked in today: pain ${saved.pain}/10 (as this phone last saw it). Change anything and save again.`
        : `You checked in today: pain ${saved.pain}/10. Change anything and save again.`));
  } else if (saved === undefined) {
    // Offline, and this phone never saw today's check-in: it may exist (another phone).
    intro.append(h('p', { class: 'saved-line warn', role: 'note' },
      'You are offline, so a check-in saved today on another phone cannot be shown. Saving now replaces it.'));
  }
  // The advice of a save comes first, above today's plan and exercise cards: a red flag's
  // "Call a doctor today" must be the first thing on the screen.
  mount(`Check-in · ${formatDay(today)}`, result, h('div', { class: 'today-cards' }, planSlot, exSlot), intro, form);
  // What was typed survives a reload until it is saved (the plugin questions, loaded later,
  // are filled in again once they are there).
  const draft = keepDraft(form, `checkin:${today}`, { get: () => knee.value(), set: (v) => knee.set(v) });
  exercises();

  if (navigator.onLine) {
    // A plan card that arrives after the check-in was saved is stale: the advice carries the
    // plan then (and one verdict card is all the screen shows).
    loadPlanCard().then((card) => { if (card && !result.hasChildNodes()) planSlot.replaceChildren(card); })
      .finally(() => planSlot.removeAttribute('data-wait'));
    await loadQuestions();
    draft.restore();
  }

  async function shown(res, body, date) {
    draft.clear();
    // The advice replaces the form at once; the form stays one tap away for a correction.
    const edit = h('button', { type: 'button' }, 'Change check-in');
    edit.addEventListener('click', () => { form.hidden = false; result.replaceChildren(); form.querySelector('input[name="pain"]:checked')?.focus(); });
    const line = h('div', { class: 'saved-line' }, h('p', {}, `Pain ${body.pain}/10 saved for ${formatDay(date)}.`), edit);
    intro.replaceChildren();
    if (res.sent) {
      toast('Check-in saved.');
      planSlot.replaceChildren();  // the advice below carries the updated plan
      exercises();  // a red flag pauses them
      result.replaceChildren(line, ...await adviceAfterSave(res.data.guidance));
    } else {
      toast('Saved on this phone. It will be sent when you are back online.');
      result.replaceChildren(line, h('p', { class: 'queued' }, 'Saved on this phone. Advice appears when you are back online.'),
        ...offlineRedFlags(body));
    }
    form.hidden = true;
    window.scrollTo(0, 0);
    result.querySelector('h2, .queued')?.setAttribute('tabindex', '-1');
    result.querySelector('h2, .queued')?.focus({ preventScroll: true });
  }
}
