// App start-up and the hash router. Runners: #checkin #run #guidance #history #therapist
// #exercises #programme #settings; therapists: #clinic #clinic/patient/ID #clinic/accept/CODE #settings; #signin.

import { onCsrf } from './api.js';
import { h, mount } from './dom.js';
import { me, signedIn, loadMe, setMe, NEXT_KEY } from './state.js';
import { list, onOutboxChange, saveToken } from './outbox.js';
import { replay, startReplayTriggers } from './sync.js';
import { resyncPush } from './push.js';

// Each screen's module is loaded when the screen is first shown, so the first paint parses
// and runs only the code it needs (Lighthouse: total blocking time on a phone). Each route:
// its screen and the roles that may open it.
const lazy = (file, fn) => (arg) => import(file).then((m) => m[fn](arg));
const ROUTES = {
  checkin: [lazy('./checkin.js', 'showCheckin'), ['runner']],
  run: [lazy('./run.js', 'showRun'), ['runner']],
  guidance: [lazy('./guidance.js', 'showGuidance'), ['runner']],
  history: [lazy('./history.js', 'showHistory'), ['runner']],
  import: [lazy('./imports.js', 'showImports'), ['runner']],
  therapist: [lazy('./therapist.js', 'showTherapist'), ['runner']],
  exercises: [lazy('./exercises.js', 'showExercises'), ['runner']],
  programme: [lazy('./exercises.js', 'showProgramme'), ['runner']],
  settings: [lazy('./settings.js', 'showSettings'), ['runner', 'therapist']],
  clinic: [lazy('./clinic.js', 'showClinic'), ['therapist']],
  'clinic/patient': [lazy('./patient.js', 'showPatient'), ['therapist']],
  'clinic/accept': [lazy('./clinic.js', 'showClinic'), ['therapist']],
  signin: [lazy('./session.js', 'showSignin'), [null]],
};
const HOME = { runner: 'checkin', therapist: 'clinic' };

function role() { return (me() && me().role) || 'runner'; }

/** [route name, argument] from the hash: "#clinic/patient/12" -> ["clinic/patient", "12"]. */
function parse(hash) {
  const raw = hash.replace(/^#/, '');
  const parts = raw.split('/');
  if (parts.length === 3 && ROUTES[`${parts[0]}/${parts[1]}`]) return [`${parts[0]}/${parts[1]}`, decodeURIComponent(parts[2])];
  return [ROUTES[raw] ? raw : '', null];
}

async function route() {
  let [name, arg] = parse(location.hash);
  if (!signedIn() && name !== 'signin') {
    // After signing in, come back here (a therapist opening an invitation link).
    if (name.startsWith('clinic/accept')) sessionStorage.setItem(NEXT_KEY, location.hash);
    location.replace('#signin');
    [name, arg] = ['signin', null];
  }
  if (signedIn() && (name === 'signin' || !name || !ROUTES[name][1].includes(role()))) {
    name = HOME[role()];
    arg = null;
    if (location.hash !== `#${name}`) history.replaceState(null, '', `#${name}`);
  }
  document.body.classList.remove('wide');
  document.body.dataset.role = signedIn() ? role() : '';
  const nav = document.getElementById('tabs');
  nav.hidden = !signedIn();
  const top = name.split('/')[0];
  nav.querySelectorAll('a').forEach((a) => {
    a.hidden = !(a.dataset.roles || 'runner').split(' ').includes(role());
    if (a.getAttribute('href') === `#${top}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
  try {
    await ROUTES[name][0](arg);
  } catch (err) {
    mount('Something went wrong', h('p', { class: 'error', role: 'alert' }, err.message || String(err)));
  }
}

let outboxTimer = null;
async function renderOutbox() {
  const box = document.getElementById('outbox-status');
  const items = await list().catch(() => []);
  // A deletion held for its undo window joins the count when the window ends, even offline
  // (nothing else changes the outbox then): look again at the earliest end.
  const waiting = (await list({ held: true }).catch(() => [])).filter((i) => i.hold_until && i.hold_until > Date.now());
  clearTimeout(outboxTimer);
  if (waiting.length) {
    const next = Math.min(...waiting.map((i) => i.hold_until));
    outboxTimer = setTimeout(renderOutbox, Math.max(0, next - Date.now()) + 50);
  }
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
  // /clinic (a bookmark, or the link a clinic hands out) opens the dashboard.
  if (location.pathname.replace(/\/$/, '') === '/clinic') history.replaceState(null, '', `/${location.hash || '#clinic'}`);
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
    if (role() === 'runner') replay();
    resyncPush().catch(() => {});
  }
}

start();
