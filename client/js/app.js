// App start-up and the hash router: #checkin #run #guidance #history #therapist #settings #signin.

import { onCsrf } from './api.js';
import { h, mount } from './dom.js';
import { signedIn, loadMe, setMe } from './state.js';
import { list, onOutboxChange, saveToken } from './outbox.js';
import { replay, startReplayTriggers } from './sync.js';
import { resyncPush } from './push.js';

// Each screen's module is loaded when the screen is first shown, so the first paint parses
// and runs only the code it needs (Lighthouse: total blocking time on a phone).
const ROUTES = {
  checkin: () => import('./checkin.js').then((m) => m.showCheckin()),
  run: () => import('./run.js').then((m) => m.showRun()),
  guidance: () => import('./guidance.js').then((m) => m.showGuidance()),
  history: () => import('./history.js').then((m) => m.showHistory()),
  import: () => import('./imports.js').then((m) => m.showImports()),
  therapist: () => import('./therapist.js').then((m) => m.showTherapist()),
  settings: () => import('./settings.js').then((m) => m.showSettings()),
  signin: () => import('./session.js').then((m) => m.showSignin()),
};

function currentRoute() {
  const name = location.hash.replace(/^#/, '');
  return ROUTES[name] ? name : 'checkin';
}

async function route() {
  let name = currentRoute();
  if (!signedIn() && name !== 'signin') {
    location.replace('#signin');
    name = 'signin';
  }
  if (signedIn() && name === 'signin') name = 'checkin';
  const nav = document.getElementById('tabs');
  nav.hidden = !signedIn();
  nav.querySelectorAll('a').forEach((a) => {
    if (a.getAttribute('href') === `#${name}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
  try {
    await ROUTES[name]();
  } catch (err) {
    mount('Something went wrong', h('p', { class: 'error', role: 'alert' }, err.message || String(err)));
  }
}

async function renderOutbox() {
  const box = document.getElementById('outbox-status');
  const items = await list().catch(() => []);
  box.hidden = items.length === 0;
  if (!items.length) { box.replaceChildren(); return; }
  const failed = items.filter((i) => i.error);
  box.replaceChildren(
    h('p', {}, `${items.length} waiting to send`),
    h('ul', {}, items.map((i) => h('li', {}, i.label, i.error ? ` (not accepted: ${i.error})` : ''))),
    h('p', { class: 'hint', hidden: !failed.length }, 'Items not accepted stay here so you can check them.'));
}

function renderNet() {
  document.getElementById('net-status').textContent = navigator.onLine ? '' : 'Offline';
}

async function registerWorker() {
  if (!('serviceWorker' in navigator)) return;
  try {
    await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  } catch { /* the app still works online without it */ }
}

async function start() {
  onCsrf((token) => { saveToken(token).catch(() => {}); });
  onOutboxChange(renderOutbox);
  window.addEventListener('hashchange', route);
  window.addEventListener('online', renderNet);
  window.addEventListener('offline', renderNet);
  navigator.serviceWorker?.addEventListener('message', (ev) => {
    if (ev.data && ev.data.type === 'open' && typeof ev.data.hash === 'string') location.hash = ev.data.hash;
  });
  startReplayTriggers();
  renderNet();
  registerWorker();
  if (signedIn() && navigator.onLine) {
    try {
      await loadMe();
    } catch (err) {
      if (err.status === 401) setMe(null); // session ended elsewhere: sign in again, keep the outbox
    }
  }
  await route();
  renderOutbox();
  if (signedIn()) {
    replay();
    resyncPush().catch(() => {});
  }
}

start();
