// Saving check-ins and runs: straight to the API when online, to the outbox otherwise,
// and replaying the outbox on load, `online`, visibility change and the SW `sync` event.

import { api, ApiError, NetworkError, hasCsrf } from './api.js';
import { loadMe, rememberCheckin } from './state.js';
import { enqueue, list, get, remove, markFailed, release } from './outbox.js';

/** A check-in the outbox delivered is this phone's copy of that day now (for offline). */
function keepCopy(item) {
  if (!item.key.startsWith('checkin:')) return;
  const date = item.key.slice('checkin:'.length);
  rememberCheckin(date, item.method === 'PUT' ? { ...item.body, date } : null);
}

let replaying = null;
const HOLD_GRACE_MS = 5000;

/** Ask the service worker for a background sync (where the browser has it). */
async function requestBackgroundSync() {
  try {
    const reg = await navigator.serviceWorker?.ready;
    if (reg && 'sync' in reg) await reg.sync.register('outbox');
  } catch { /* background sync is optional */ }
}

/**
 * Save a request. Returns {sent: true, data} when the server answered, or {sent: false}
 * when it was queued on this phone. Validation errors (ApiError) are thrown to the form.
 * A change sent straight away supersedes anything still queued for the same entry (an
 * offline edit, a failed one): that item is dropped so a later replay cannot undo it.
 */
export async function save(item) {
  if (navigator.onLine) {
    if (replaying) await replaying.catch(() => {});
    try {
      const data = await api(item.method, item.path, item.body);
      if (await get(item.key)) await remove(item.key);
      return { sent: true, data };
    } catch (err) {
      if (!(err instanceof NetworkError)) throw err;
    }
  }
  await enqueue(item);
  requestBackgroundSync();
  return { sent: false };
}

/**
 * Delete an entry with an undo window: the DELETE waits in the outbox (held back for
 * `holdMs`), so nothing reaches the server until the window is over, and a closed tab
 * still sends it on the next start. Returns {undo(), commit()}: undo() drops the queued
 * DELETE (nothing was sent, nothing to restore on the server); commit() sends it now (or
 * when back online).
 */
export async function deleteLater({ key, path, label }, holdMs) {
  // The DELETE replaces a save of the same entry still waiting (an offline edit): undo
  // puts that save back, so undoing a deletion never loses an edit.
  const previous = await get(key);
  // The hold outlasts the window by HOLD_GRACE_MS: while the page lives, commit() sends it
  // when the snackbar closes; the hold's own end only matters once the page is gone.
  await enqueue({ key, method: 'DELETE', path, label, hold_until: Date.now() + holdMs + HOLD_GRACE_MS });
  let settled = false;
  return {
    async undo() {
      if (settled) return false;
      settled = true;
      if (previous) await enqueue({ ...previous, hold_until: null });
      else await remove(key);
      return true;
    },
    async commit() {
      if (settled) return;
      settled = true;
      await release(key);
      requestBackgroundSync();
      await replay();
    },
  };
}

let again = false;
/**
 * Send everything waiting. Safe to call often: one replay runs at a time, and a call made
 * while one runs gets one more pass after it (what was queued or released meanwhile, such
 * as a deletion whose undo window just closed, is not left for the next trigger).
 */
export function replay() {
  if (replaying) {
    again = true;
    return replaying;
  }
  replaying = (async () => {
    let sent = 0;
    do {
      again = false;
      sent += await doReplay();
    } while (again && navigator.onLine);
    return sent;
  })().finally(() => { replaying = null; wakeForHeld(); });
  return replaying;
}

let heldTimer = 0;
/**
 * A deletion held for its undo window whose page was reloaded or closed has no snackbar
 * left to send it: replay again when the earliest hold ends.
 */
async function wakeForHeld() {
  const all = await list({ held: true }).catch(() => []);
  const ends = all.map((item) => item.hold_until || 0).filter((t) => t > Date.now());
  clearTimeout(heldTimer);
  if (ends.length) heldTimer = setTimeout(() => replay(), Math.min(...ends) - Date.now() + 50);
}

async function doReplay() {
  if (!navigator.onLine) return 0;
  const items = (await list()).filter((item) => !item.error);
  if (!items.length) return 0;
  let sent = 0;
  let freshToken = false;
  try {
    // A page opened offline has no CSRF token yet: GET /me brings one (and the profile).
    if (!hasCsrf()) { await loadMe(); freshToken = true; }
  } catch {
    return 0;
  }
  for (let i = 0; i < items.length; i += 1) {
    const item = items[i];
    try {
      await api(item.method, item.path, item.body);
      await remove(item.key);
      keepCopy(item);
      sent += 1;
    } catch (err) {
      if (err instanceof NetworkError) break;
      if (err instanceof ApiError && err.status === 403 && !freshToken) {
        // The token may have been rotated: fetch it once and try this item again.
        try { await loadMe(); freshToken = true; i -= 1; continue; } catch { break; }
      }
      if (err instanceof ApiError && [401, 403, 429].includes(err.status)) break;
      if (err instanceof ApiError && err.status >= 500) break;
      if (err instanceof ApiError && err.status === 404 && item.method === 'DELETE') {
        // Already gone (sent before the page closed, or never reached the server): done.
        await remove(item.key);
        sent += 1;
        continue;
      }
      await markFailed(item.key, err.message);
    }
  }
  return sent;
}

/** Wire the replay triggers once. */
export function startReplayTriggers() {
  window.addEventListener('online', () => replay());
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') replay();
  });
  navigator.serviceWorker?.addEventListener('message', (ev) => {
    if (ev.data && ev.data.type === 'replay-outbox') replay();
  });
}
