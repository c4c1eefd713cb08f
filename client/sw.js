// StrideGuard service worker: app shell cache, push notifications, outbox background sync.
// Bump VERSION whenever a shell file changes: the old cache is deleted on activate.

const VERSION = 'v14';
const CACHE = `strideguard-shell-${VERSION}`;
const SHELL = [
  '/', '/index.html', '/manifest.webmanifest', '/css/app.css',
  '/js/app.js', '/js/api.js', '/js/dom.js', '/js/state.js', '/js/outbox.js', '/js/sync.js',
  '/js/knee.js', '/js/guidance.js', '/js/checkin.js', '/js/run.js', '/js/history.js', '/js/entries.js',
  '/js/therapist.js', '/js/settings.js', '/js/session.js', '/js/push.js', '/js/plan.js', '/js/imports.js',
  '/js/sharing.js', '/js/clinic.js', '/js/patient.js', '/js/exercises.js', '/js/programme.js', '/js/drafts.js',
  '/icons/icon-192.png', '/icons/icon-512.png', '/icons/icon-maskable-512.png',
];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith('strideguard-shell-') && n !== CACHE).map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

// Shell files: answer from the cache at once and refresh the copy in the background.
// Navigations get the cached shell (the router reads the hash). The API is never cached.
self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
  if (req.mode === 'navigate') {
    event.respondWith(fromCache('/index.html', req));
  } else if (SHELL.includes(url.pathname)) {
    event.respondWith(fromCache(url.pathname, req));
  }
});

async function fromCache(key, req) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(key);
  const refresh = fetch(req.mode === 'navigate' ? key : req).then((res) => {
    if (res.ok) cache.put(key, res.clone());
    return res;
  });
  if (cached) {
    refresh.catch(() => {}); // offline: the cached copy is all we need
    return cached;
  }
  return refresh;
}

// ---- Push ---------------------------------------------------------------------------
const KIND_URL = {
  checkin_due: '/#checkin', rest: '/#guidance', reduce_volume: '/#guidance',
  contact_pt: '/#therapist', contact_doctor: '/#therapist', weekly_plan: '/#history',
  patient_urgent: '/#clinic', patient_alert: '/#clinic',
};

function parsePush(event) {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch { data = { body: event.data ? event.data.text() : '' }; }
  const kind = data.kind || 'info';
  return {
    title: data.title || 'StrideGuard',
    body: data.body || 'Open StrideGuard for today’s advice.',
    tag: data.tag || `strideguard-${kind}`,
    url: data.url || KIND_URL[kind] || '/#guidance',
    kind,
  };
}

// Event handlers keep the worker alive with waitUntil. Synthetic events (dispatched by
// dev tools or tests) cannot be extended; their work still runs to completion.
function keepAlive(event, promise) {
  try { event.waitUntil(promise); } catch { /* untrusted event */ }
}

self.addEventListener('push', (event) => {
  const msg = parsePush(event);
  keepAlive(event, self.registration.showNotification(msg.title, {
    body: msg.body,
    tag: msg.tag,
    renotify: msg.kind === 'contact_doctor' || msg.kind === 'patient_urgent',
    requireInteraction: msg.kind === 'contact_doctor' || msg.kind === 'patient_urgent',
    icon: '/icons/icon-192.png',
    badge: '/icons/icon-192.png',
    data: { url: msg.url, kind: msg.kind },
  }));
});

async function openUrl(rawUrl) {
  const target = new URL(rawUrl || '/', self.location.origin);
  if (target.origin !== self.location.origin) return; // only ever open our own app
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const client = windows.find((c) => new URL(c.url).origin === target.origin);
  if (client) {
    client.postMessage({ type: 'open', hash: target.hash || '#checkin' });
    try { await client.focus(); } catch { /* focus needs a real click */ }
    return;
  }
  await self.clients.openWindow(target.href);
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  keepAlive(event, openUrl(event.notification.data && event.notification.data.url));
});

// ---- Background sync: let an open page replay the outbox; otherwise replay here. -----
self.addEventListener('sync', (event) => {
  if (event.tag === 'outbox') keepAlive(event, syncOutbox());
});

async function syncOutbox() {
  const windows = await self.clients.matchAll({ type: 'window' });
  if (windows.length) {
    windows.forEach((c) => c.postMessage({ type: 'replay-outbox' }));
    return;
  }
  const db = await idb();
  const token = await idbReq(db.transaction('meta').objectStore('meta').get('csrf'));
  const items = await idbReq(db.transaction('outbox').objectStore('outbox').getAll());
  for (const item of items || []) {
    // Failed items wait for the runner; a deletion still in its undo window waits too.
    if (item.error || (item.hold_until && item.hold_until > Date.now())) continue;
    const res = await fetch(`/api/v1${item.path}`, {
      method: item.method,
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': token || '' },
      body: item.body === undefined ? undefined : JSON.stringify(item.body),
    });
    // A DELETE answered 404: the entry is already gone, which is what was asked.
    const done = res.ok || (res.status === 404 && item.method === 'DELETE');
    if (done) await idbReq(db.transaction('outbox', 'readwrite').objectStore('outbox').delete(item.key));
    else if (res.status === 401 || res.status === 403 || res.status === 429 || res.status >= 500) throw new Error(`retry later (${res.status})`);
  }
}

function idb() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open('strideguard', 1);
    req.onupgradeneeded = () => {
      req.result.createObjectStore('outbox', { keyPath: 'key' });
      req.result.createObjectStore('meta');
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function idbReq(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}
