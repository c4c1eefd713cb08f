// Import runs from a watch or tracker: pick or drop a .gpx/.tcx/.fit (.gz) file or a zip
// (a Strava bulk export), follow the progress bar, read what became of each file.

import { ApiError, NetworkError, api, csrf } from './api.js';
import { h, mount, errorLine } from './dom.js';
import { formatDay, formatDistance, formatDuration } from './state.js';
import { historyEnding } from './history.js';

const ACCEPT = '.gpx,.tcx,.fit,.gz,.zip';
const POLL_MS = 500;
const GROUPS = [
  ['needs_answer', 'Needs your answer'], ['created', 'Added'], ['possible_duplicate', 'Already saved (not added twice)'],
  ['duplicate', 'Imported before'], ['skipped', 'Skipped'], ['failed', 'Could not be read'],
];

async function send(file, keep) {
  const body = new FormData();
  body.append('file', file, file.name);
  if (keep) body.append('keep_file', 'true');
  let res;
  try {
    res = await fetch('/api/v1/imports', {
      method: 'POST', body, credentials: 'same-origin',
      headers: { Accept: 'application/json', 'X-CSRF-Token': csrf() || '' },
    });
  } catch {
    throw new NetworkError('You seem to be offline. Imports need a connection.');
  }
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const e = (data && data.error) || {};
    const detail = Object.values(e.fields || {}).flat().join(' ');
    throw new ApiError(res.status, e.code, [e.message, detail].filter(Boolean).join(' ') || `Upload refused (${res.status}).`);
  }
  return data.import;
}

function progressView() {
  const bar = h('progress', { max: '100', value: '0', 'aria-label': 'Import progress' });
  const text = h('p', { class: 'hint', role: 'status', 'aria-live': 'polite' }, 'Uploading…');
  const box = h('section', { class: 'card import-progress', 'aria-label': 'Import progress' }, bar, text);
  box.update = (imp) => {
    bar.value = imp.progress_pct;
    bar.setAttribute('aria-valuenow', String(imp.progress_pct));
    text.textContent = imp.status === 'queued' ? 'Waiting to start…'
      : imp.status === 'running' ? `Reading ${imp.done} of ${imp.total || '…'} files`
        : imp.status === 'failed' ? 'Stopped.' : `Done: ${imp.done} of ${imp.total} files read.`;
  };
  return box;
}

/** "This was a run" / "Skip" for a file held because it names no sport and is fast for a run. */
function answerButtons(imp, item, onAnswered) {
  const error = h('span', { class: 'error', role: 'alert' });
  const choose = async (answer, button) => {
    for (const b of box.querySelectorAll('button')) b.disabled = true;
    error.textContent = '';
    try {
      await api('POST', `/imports/${imp.id}/files/${item.id}/answer`, { answer });
      onAnswered();
    } catch (err) {
      error.textContent = err.message;
      for (const b of box.querySelectorAll('button')) b.disabled = false;
      button.focus();
    }
  };
  const run = h('button', { type: 'button', class: 'primary', onclick: () => choose('run', run) }, 'This was a run');
  const skip = h('button', { type: 'button', onclick: () => choose('skip', skip) }, 'Skip');
  const box = h('span', { class: 'answer', role: 'group', 'aria-label': `Was ${item.file} a run?` }, run, skip, error);
  return box;
}

/** "It was another run" for a file taken for a run already saved that day (two runs a day). */
function anotherRunButton(imp, item, onAnswered) {
  const error = h('span', { class: 'error', role: 'alert' });
  const button = h('button', {
    type: 'button', class: 'link',
    onclick: async () => {
      button.disabled = true;
      error.textContent = '';
      try {
        await api('POST', `/imports/${imp.id}/files/${item.id}/answer`, { answer: 'run' });
        onAnswered();
      } catch (err) {
        error.textContent = err.message;
        button.disabled = false;
        button.focus();
      }
    },
  }, 'It was another run: add it');
  return h('span', { class: 'answer', role: 'group', 'aria-label': `Was ${item.file} another run?` }, button, error);
}

function fileLine(item, imp, onAnswered) {
  const s = item.summary || {};
  const year = s.date && s.date.slice(0, 4) !== String(new Date().getFullYear()) ? ` ${s.date.slice(0, 4)}` : '';
  const what = s.distance_m ? `${s.date ? formatDay(s.date) + year : ''} · ${formatDistance(s.distance_m)} in ${formatDuration(s.moving_s)}` : '';
  const kids = [h('span', { class: 'when' }, item.file), h('span', {}, what.trim())];
  if (item.reason) kids.push(h('span', { class: 'hint reason' }, item.reason));
  if (item.status === 'needs_answer') kids.push(answerButtons(imp, item, onAnswered));
  if (item.status === 'possible_duplicate') kids.push(anotherRunButton(imp, item, onAnswered));
  // A strength workout filled an exercise session, not a run: it is not in the run history.
  if (item.status === 'created' && s.date && !s.strength) {
    kids.push(h('button', { type: 'button', class: 'link', onclick: () => { historyEnding(s.date); location.hash = '#history'; } },
      'See in history'));
  }
  return h('li', { 'data-status': item.status }, kids);
}

function resultView(imp, onAnswered) {
  const held = imp.held ? ` ${imp.held} ${imp.held === 1 ? 'needs' : 'need'} your answer.` : '';
  const summary = `${imp.created} added, ${imp.duplicates} already there, ${imp.skipped} skipped, ${imp.failed} could not be read.${held}`;
  const parts = [h('h2', {}, imp.status === 'failed' ? 'Import stopped' : 'Import finished'), h('p', { class: 'import-summary' }, summary)];
  if (imp.error) parts.push(h('p', { class: 'error', role: 'alert' }, imp.error));
  for (const [status, title] of GROUPS) {
    const items = (imp.files || []).filter((f) => f.status === status);
    if (!items.length) continue;
    parts.push(h('section', { class: `import-group group-${status}`, 'aria-label': title },
      h('h3', {}, `${title} (${items.length})`), h('ul', { class: 'entries' }, items.map((i) => fileLine(i, imp, onAnswered)))));
  }
  return h('section', { class: 'card import-result', 'aria-label': 'Import result' }, parts);
}

/** How long the screen follows one import before it says to look again later (the server
 * goes on: a stuck job is resumed by the worker's sweep). */
const FOLLOW_MS = 10 * 60 * 1000;

async function follow(id, progress) {
  const until = Date.now() + FOLLOW_MS;
  for (;;) {
    const { import: imp } = await api('GET', `/imports/${id}?files=false`);
    progress.update(imp);
    if (imp.status === 'done' || imp.status === 'failed') return (await api('GET', `/imports/${id}`)).import;
    if (Date.now() > until) {
      throw new Error('This import is taking long. It goes on without this screen: look under Earlier imports later.');
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

function historyList(imports, reopen) {
  if (!imports.length) return h('p', { class: 'hint' }, 'No imports yet.');
  return h('ul', { class: 'entries' }, imports.map((i) => h('li', {},
    h('span', { class: 'when' }, `${formatDay(i.created_at.slice(0, 10))} · ${i.filename}`),
    h('span', {}, i.status === 'done' ? `${i.created} added, ${i.duplicates} already there, ${i.failed} failed` : i.status),
    i.held ? h('button', { type: 'button', class: 'link', onclick: () => reopen(i.id) },
      `Answer ${i.held} ${i.held === 1 ? 'file' : 'files'}`) : null)));
}

/** The #import screen. */
export async function showImports() {
  const input = h('input', { type: 'file', name: 'file', accept: ACCEPT, id: 'import-file' });
  const keep = h('input', { type: 'checkbox', name: 'keep_file' });
  const error = errorLine();
  const out = h('div', { class: 'import-out' });
  const past = h('div', {}, h('p', { class: 'loading' }, 'Loading…'));
  const chosen = h('p', { class: 'hint', 'aria-live': 'polite' }, 'No file chosen.');
  let file = null;
  const choose = (f) => { file = f || null; chosen.textContent = file ? `Chosen: ${file.name}` : 'No file chosen.'; };
  input.addEventListener('change', () => choose(input.files[0]));
  const drop = h('div', { class: 'dropzone' },
    h('label', { for: 'import-file' }, 'Activity file or zip'), input,
    h('p', { class: 'hint drop-hint' }, 'On a computer you can also drop the file here.'), chosen);
  drop.addEventListener('dragover', (ev) => { ev.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (ev) => { ev.preventDefault(); drop.classList.remove('over'); choose(ev.dataTransfer.files[0]); });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Import');
  const form = h('form', { class: 'import', 'aria-label': 'Import runs' }, drop,
    h('label', { class: 'toggle' }, keep, h('span', {}, 'Keep the file on the server after the import')),
    error, button);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    if (!file) { error.textContent = 'Choose a file first.'; return; }
    button.disabled = true;
    const progress = progressView();
    out.replaceChildren(progress);
    try {
      const started = await send(file, keep.checked);
      progress.update(started);
      show(await follow(started.id, progress));
      loadPast();
    } catch (err) {
      progress.remove();
      error.textContent = err.message;
    } finally {
      button.disabled = false;
    }
  });
  function show(imp) {
    const view = resultView(imp, async () => {
      // An answer changes the file and the counts: show the import as the server has it now,
      // and keep the focus there (the answered buttons are gone).
      try {
        show((await api('GET', `/imports/${imp.id}`)).import);
        const summary = out.querySelector('.import-summary');
        summary?.setAttribute('tabindex', '-1');
        summary?.focus();
        loadPast();
      } catch (err) { error.textContent = err.message; }
    });
    const old = out.querySelector('.import-result');
    if (old) old.replaceWith(view); else out.append(view);
  }
  async function reopen(id) {
    try { out.replaceChildren(); show((await api('GET', `/imports/${id}`)).import); } catch (err) { error.textContent = err.message; }
  }
  async function loadPast() {
    try { past.replaceChildren(historyList(await api('GET', '/imports'), reopen)); } catch (err) { past.replaceChildren(h('p', { class: 'error' }, err.message)); }
  }
  mount('Import runs',
    h('p', {}, 'Bring in runs from your watch or app: a GPX, TCX or FIT file, or the zip of a Strava bulk export.'),
    h('details', { class: 'hint' }, h('summary', {}, 'What gets imported?'),
      h('p', {}, 'Runs only: rides, swims and other sports are skipped. A run you already saved is not added twice. ' +
        'Moving time leaves out pauses. The file is deleted after the import unless you keep it.'),
      h('p', {}, 'A file that does not say its sport and is fast for a run waits for your answer: ' +
        'tap "This was a run" to add it, or "Skip".')),
    form, out, h('h2', {}, 'Earlier imports'), past);
  loadPast();
}
