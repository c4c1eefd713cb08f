// IndexedDB outbox: check-ins and runs saved while offline, replayed later.
// Items are keyed by what they change ("checkin:2024-06-03", "run:<uuid>"), and the API
// calls are PUTs (by date or by client UUID) or DELETEs, so a replay can never create a
// duplicate, and one key holds only the latest change of its entry.

const DB_NAME = 'strideguard';
const VERSION = 1;
let dbPromise = null;

function open() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, VERSION);
      req.onupgradeneeded = () => {
        const db = req.result;
        if (!db.objectStoreNames.contains('outbox')) db.createObjectStore('outbox', { keyPath: 'key' });
        if (!db.objectStoreNames.contains('meta')) db.createObjectStore('meta');
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  return dbPromise;
}

async function tx(store, mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const t = db.transaction(store, mode);
    const result = fn(t.objectStore(store));
    t.oncomplete = () => resolve(result && 'result' in result ? result.result : undefined);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error);
  });
}

const listeners = new Set();
function changed() { listeners.forEach((fn) => fn()); }

/** Call fn() whenever the outbox changes. */
export function onOutboxChange(fn) { listeners.add(fn); }

/**
 * Queue a request: {key, method, path, body, label, hold_until?}. Replaces an older item
 * with the same key, so an edit replaces a still-queued save of the same entry and a
 * deletion replaces it too (the entry is never sent, then removed). `hold_until` (ms since
 * the epoch) keeps the item back until then: a deletion waiting out its undo window.
 */
export async function enqueue(item) {
  await tx('outbox', 'readwrite', (st) => st.put({ ...item, created_at: new Date().toISOString(), error: null }));
  changed();
}

function held(item, now = Date.now()) { return Boolean(item.hold_until) && item.hold_until > now; }

/** Items ready to send (or failed), oldest first; `{held: true}` includes held-back ones. */
export async function list({ held: withHeld = false } = {}) {
  const items = await tx('outbox', 'readonly', (st) => st.getAll());
  return (items || []).filter((item) => withHeld || !held(item))
    .sort((a, b) => a.created_at.localeCompare(b.created_at));
}

/** The queued item with this key, or undefined. */
export async function get(key) {
  return tx('outbox', 'readonly', (st) => st.get(key));
}

/** Let a held-back item go now (its undo window is over). */
export async function release(key) {
  const item = await get(key);
  if (!item || !item.hold_until) return;
  await tx('outbox', 'readwrite', (st) => st.put({ ...item, hold_until: null }));
  changed();
}

export async function remove(key) {
  await tx('outbox', 'readwrite', (st) => st.delete(key));
  changed();
}

export async function markFailed(key, message) {
  const item = await tx('outbox', 'readonly', (st) => st.get(key));
  if (!item) return;
  await tx('outbox', 'readwrite', (st) => st.put({ ...item, error: message }));
  changed();
}

/** Forget everything (on sign-out): queued items and the saved CSRF token. */
export async function clearAll() {
  await tx('outbox', 'readwrite', (st) => st.clear());
  await tx('meta', 'readwrite', (st) => st.clear());
  changed();
}

/** The service worker replays the outbox on `sync`; it needs the CSRF token for that. */
export async function saveToken(token) {
  await tx('meta', 'readwrite', (st) => (token ? st.put(token, 'csrf') : st.delete('csrf')));
}
