// History's entries: every check-in and run with Edit and Delete. Edit opens the same form
// as Today or Run, prefilled; Delete hides the entry at once and shows "Deleted · Undo":
// the DELETE waits in the outbox for the undo window and is sent only when it lapses, so
// an undo never has to write anything back (no second plan replay, nothing marked edited).

import { NetworkError } from './api.js';
import { h, mount, toast } from './dom.js';
import { me, formatDay, formatDistance, formatClock, formatPace, rememberCheckin } from './state.js';
import { list } from './outbox.js';
import { deleteLater } from './sync.js';

/** How long "Undo" is offered after a deletion (ms). */
export const UNDO_MS = 6000;

const HISTORY_KEY = 'sg.history';
let last = null; // {user, data}: what History loaded last, shown again when offline

/** History's last copy of the signed-in runner: this page's, or (after a reload offline) the
 * one this phone kept. Another runner's copy (signed in after them) is never shown. */
function lastCopy() {
  let copy = last;
  if (!copy) {
    try { copy = JSON.parse(localStorage.getItem(HISTORY_KEY) || 'null'); } catch { copy = null; }
  }
  return copy && copy.user === me()?.id ? copy.data : null;
}

/** Apply what waits in the outbox: queued saves show their new values, deletions hide. */
export function overlay(data, queued) {
  let checkins = [...data.checkins];
  let runs = [...data.runs];
  for (const item of queued) {
    const at = item.key.indexOf(':');
    const kind = item.key.slice(0, at);
    const id = item.key.slice(at + 1);
    if (kind === 'checkin') {
      const old = checkins.find((c) => c.date === id);
      checkins = checkins.filter((c) => c.date !== id);
      if (item.method === 'PUT') checkins.push({ ...item.body, date: id, edited: Boolean(old), pending: true });
    } else if (kind === 'run') {
      const old = runs.find((r) => r.id === id);
      runs = runs.filter((r) => r.id !== id);
      if (item.method === 'PUT') runs.push({ ...(old || {}), ...item.body, id, edited: Boolean(old), pending: true });
    }
  }
  return { load: data.load, checkins, runs, days: data.days || [] };
}

/** Load History's data (the last copy when offline) with the outbox applied. */
export async function loadEntries(fetchHistory) {
  let data;
  let stale = false;
  try {
    data = await fetchHistory();
    last = { user: me()?.id, data };
    try { localStorage.setItem(HISTORY_KEY, JSON.stringify(last)); } catch { /* full: this page's copy still serves */ }
  } catch (err) {
    const copy = err instanceof NetworkError ? lastCopy() : null;
    if (!copy) throw err;
    data = copy;
    stale = true;
  }
  const queued = await list({ held: true }).catch(() => []);
  return { ...overlay(data, queued), stale };
}

function describe(e) {
  return e.kind === 'run'
    ? `run of ${formatDay(e.date)}, ${formatDistance(e.item.distance_m)}`
    : `check-in of ${formatDay(e.date)}`;
}

function sourceOf(run) {
  if (!run.source || run.source === 'manual') return null;
  return [run.source.toUpperCase(), run.device].filter(Boolean).join(' · ');
}

function runText(r) {
  const pain = r.pain_after !== null && r.pain_after !== undefined ? `, pain after ${r.pain_after}/10` : '';
  return `${formatDistance(r.distance_m)} in ${formatClock(r.duration_s)} · ${formatPace(r.distance_m, r.duration_s)}${pain}`;
}

/** The entries as a list, newest first; `rerender()` shows History again. */
export function entryList(data, rerender) {
  const entries = [
    ...data.checkins.map((c) => ({ kind: 'checkin', date: c.date, item: c, title: 'Check-in',
      text: `Pain ${c.pain}/10${c.swelling ? ', swelling' : ''}${c.fever ? ', fever' : ''}` })),
    ...data.runs.map((r) => ({ kind: 'run', date: r.date, item: r, title: 'Run', source: sourceOf(r), text: runText(r) })),
  ].sort((a, b) => b.date.localeCompare(a.date));
  if (!entries.length) return h('p', {}, 'Nothing logged yet. Your check-ins and runs will show here.');
  return h('ul', { class: 'entries', id: 'history-entries' }, entries.map((e) => {
    const what = describe(e);
    const edit = h('button', { type: 'button', class: 'small', 'aria-label': `Edit ${what}` }, 'Edit');
    const del = h('button', { type: 'button', class: 'small', 'aria-label': `Delete ${what}` }, 'Delete');
    edit.addEventListener('click', () => openEditor(e, rerender));
    del.addEventListener('click', () => removeEntry(e, rerender));
    return h('li', { 'data-kind': e.kind, 'data-date': e.date },
      h('span', { class: 'when' }, `${formatDay(e.date)} · ${e.title}`),
      h('span', { class: 'what' }, e.text),
      e.source ? h('span', { class: 'source', 'data-source': e.source }, `from ${e.source}`) : null,
      e.item.pending ? h('span', { class: 'tag' }, 'waiting to send') : e.item.edited ? h('span', { class: 'tag' }, 'edited') : null,
      h('span', { class: 'entry-actions' }, edit, del));
  }));
}

function historyShown() {
  return location.hash === '#history' && Boolean(document.getElementById('week-line'));
}

/** Edit one entry with its own form, prefilled; back to History after saving. */
async function openEditor(e, rerender) {
  const back = h('button', { type: 'button', class: 'back' }, 'Back to History');
  back.addEventListener('click', () => rerender());
  const saved = (what) => (res) => {
    toast(res.sent ? `${what} updated.` : 'Saved on this phone. It will be sent when you are back online.');
    rerender();
  };
  const onDelete = async () => { await rerender(); removeEntry(e, rerender); };
  // The History tab does not change the hash from here (#history): bring the list back.
  const formShown = () => document.getElementById('main').querySelector('form') !== null;
  document.querySelector('#tabs a[href="#history"]')?.addEventListener('click', (ev) => {
    if (location.hash === '#history' && formShown()) { ev.preventDefault(); rerender(); }
  }, { once: true });
  if (e.kind === 'run') {
    const { runForm } = await import('./run.js');
    const { form } = runForm({ run: e.item, onSaved: saved('Run'), onDelete });
    mount(`Edit run · ${formatDay(e.date)}`, back, form);
  } else {
    const { checkinForm } = await import('./checkin.js');
    const { form, loadQuestions } = checkinForm({ date: e.date, checkin: e.item, fixedDate: true, onSaved: saved('Check-in'), onDelete });
    mount(`Edit check-in · ${formatDay(e.date)}`, back, form);
    loadQuestions();
  }
}

/** Delete with an undo window (see the top of this file). */
async function removeEntry(e, rerender) {
  const key = e.kind === 'run' ? `run:${e.item.id}` : `checkin:${e.date}`;
  const path = e.kind === 'run' ? `/runs/${e.item.id}` : `/checkins/${e.date}`;
  const pending = await deleteLater({ key, path, label: `Delete ${describe(e)}` }, UNDO_MS);
  await rerender();
  snackbar(`${e.title} deleted`, {
    async undo() {
      if (await pending.undo() && historyShown()) await rerender();
      toast(`${e.title} restored.`);
    },
    async lapse() {
      await pending.commit();
      if (e.kind !== 'run') rememberCheckin(e.date, null);
      if (historyShown()) await rerender();
    },
  });
}

let open = null; // the snackbar on screen: {lapse()}

/** "Run deleted · Undo" at the bottom of the screen for UNDO_MS; one at a time. */
function snackbar(message, { undo, lapse }) {
  if (open) open.lapse(); // an earlier deletion's window closes now
  let bar = document.getElementById('snackbar');
  if (!bar) {
    bar = h('div', { id: 'snackbar', class: 'snackbar', hidden: true });
    document.body.append(bar);
  }
  const button = h('button', { type: 'button' }, 'Undo');
  bar.replaceChildren(h('span', { role: 'status' }, `${message} · `), button);
  bar.hidden = false;
  let done = false;
  const me = {};
  const close = () => {
    done = true;
    clearTimeout(timer);
    bar.hidden = true;
    bar.replaceChildren();
    if (open === me) open = null;
  };
  me.lapse = () => { if (!done) { close(); lapse(); } };
  const timer = setTimeout(me.lapse, UNDO_MS);
  button.addEventListener('click', () => { if (!done) { close(); undo(); } });
  open = me;
  button.focus({ preventScroll: true });
}
