// IndexedDB outbox: check-ins and runs saved while offline, replayed later.
// Items are keyed by what they change ("checkin:2024-06-03", "run:<uuid>"), and the API
// calls are PUTs (by date or by client UUID), so a replay can never create a duplicate.

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

/** Queue a request: {key, method, path, body, label}. Replaces an older item with the same key. */
export async function enqueue(item) {
  await tx('outbox', 'readwrite', (st) => st.put({ ...item, created_at: new Date().toISOString(), error: null }));
  changed();
}

export async function list() {
  const items = await tx('outbox', 'readonly', (st) => st.getAll());
  return (items || []).sort((a, b) => a.created_at.localeCompare(b.created_at));
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
