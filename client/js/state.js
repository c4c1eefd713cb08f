// The signed-in runner's profile (kept for offline use) and formatting helpers.

import { api, setCsrf } from './api.js';
import { clearDrafts } from './drafts.js';

const PROFILE_KEY = 'sg.profile';
/** Where to go after signing in (a therapist who opened an invitation link first). */
export const NEXT_KEY = 'sg.next';
let profile = null;

export function browserTimeZone() {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'; } catch { return 'UTC'; }
}

/** The profile we last saw (null when signed out). */
export function me() {
  if (profile) return profile;
  try { profile = JSON.parse(localStorage.getItem(PROFILE_KEY) || 'null'); } catch { profile = null; }
  return profile;
}

export function setMe(user) {
  profile = user || null;
  if (profile) localStorage.setItem(PROFILE_KEY, JSON.stringify(profile));
  else {
    localStorage.removeItem(PROFILE_KEY);
    localStorage.removeItem(CHECKINS_KEY);  // signed out: no health data stays behind
    localStorage.removeItem('sg.history');  // History's copy for offline (entries.js)
    // The exercise screen's day copies (exercises.js: the programme, the session's id).
    Object.keys(localStorage).filter((k) => k.startsWith('sg.ex.')).forEach((k) => localStorage.removeItem(k));
    clearDrafts();
    window.dispatchEvent(new Event('signed-out'));
  }
}

/** The check-ins this phone last saw, by date (the last CHECKINS_KEPT dates), for offline. */
const CHECKINS_KEY = 'sg.checkins';
const CHECKINS_KEPT = 7;

function keptCheckins() {
  try { return JSON.parse(localStorage.getItem(CHECKINS_KEY) || '{}') || {}; } catch { return {}; }
}

/** Keep (or, with null, forget) the check-in of a date as the server has it. */
export function rememberCheckin(date, checkin) {
  const kept = keptCheckins();
  if (checkin) kept[date] = checkin; else delete kept[date];
  const dates = Object.keys(kept).sort().slice(-CHECKINS_KEPT);
  localStorage.setItem(CHECKINS_KEY, JSON.stringify(Object.fromEntries(dates.map((d) => [d, kept[d]]))));
}

/** The check-in of a date as this phone last saw it, or null. */
export function rememberedCheckin(date) {
  return keptCheckins()[date] || null;
}

export function signedIn() { return Boolean(me()); }

/** Fetch GET /me (refreshes the CSRF token too). */
export async function loadMe() {
  const data = await api('GET', '/me');
  const user = data.user || data;
  if (data.csrf_token) setCsrf(data.csrf_token);
  setMe(user);
  return user;
}

export function units() { return (me() && me().units) || 'km'; }

const METRES = { km: 1000, mi: 1609.344 };

/** Metres -> number in the runner's unit. */
export function toUnit(m) { return m / METRES[units()]; }
/** Number in the runner's unit (or `unit`, the one a form was drawn in) -> metres. */
export function fromUnit(v, unit = units()) { return v * METRES[unit]; }

/** "12.3 km" */
export function formatDistance(m, digits = 1) {
  if (m === null || m === undefined) return '–';
  return `${toUnit(m).toFixed(digits)} ${units()}`;
}

export function formatDuration(sec) {
  const total = Math.round(sec);
  const hours = Math.floor(total / 3600);
  const mins = Math.floor((total % 3600) / 60);
  return hours ? `${hours} h ${String(mins).padStart(2, '0')} min` : `${mins} min`;
}

/** "0:52:30" (h:mm:ss) for a number of seconds. */
export function formatClock(sec) {
  const total = Math.round(sec);
  const hours = Math.floor(total / 3600);
  const mins = Math.floor((total % 3600) / 60);
  const secs = total % 60;
  return `${hours}:${String(mins).padStart(2, '0')}:${String(secs).padStart(2, '0')}`;
}

/**
 * Seconds from what a runner types: "0:52:30" (h:mm:ss), "52:30" (mm:ss), "52" (minutes).
 * Minutes and seconds after a colon must be below 60. Returns null for anything else.
 */
export function parseClock(text) {
  const t = String(text || '').trim();
  if (!/^\d{1,3}(:\d{1,2}){0,2}$/.test(t)) return null;
  const parts = t.split(':').map(Number);
  if (parts.slice(1).some((n) => n >= 60)) return null;
  if (parts.length === 1) return parts[0] * 60;
  if (parts.length === 2) return parts[0] * 60 + parts[1];
  return parts[0] * 3600 + parts[1] * 60 + parts[2];
}

/** Seconds per unit (km or mi) of a run, or null when it cannot be worked out. */
export function paceOf(distanceM, durationS) {
  if (!(distanceM > 0) || !(durationS > 0)) return null;
  return durationS / toUnit(distanceM);
}

/** "5:15 /km" for a distance and a time; "–" when either is missing. */
export function formatPace(distanceM, durationS) {
  const pace = paceOf(distanceM, durationS);
  if (pace === null) return '–';
  const total = Math.round(pace);
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')} /${units()}`;
}

/** A return-to-running phase in words: "walk 2 min · run 3 min", or "run 5.0 km". */
export function formatPhase(phase) {
  if (phase.run_min === null || phase.run_min === undefined) return `run ${formatDistance(phase.distance_m)}`;
  return `walk ${phase.walk_min} min · run ${phase.run_min} min`;
}

/** A YYYY-MM-DD date in the runner's time zone, `offsetDays` from today. */
export function localDate(offsetDays = 0, tz = (me() && me().timezone) || browserTimeZone()) {
  const d = new Date(Date.now() + offsetDays * 86400000);
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
  } catch {
    return d.toISOString().slice(0, 10);
  }
}

/**
 * The runner's today: their zone's date, or the later date the server already counts as
 * today (GET /me's `today`: something recorded there before a move west). A copy of the
 * profile from days ago is older than the zone's date and changes nothing.
 */
export function runnerToday() {
  const local = localDate();
  const server = me()?.today;
  return typeof server === 'string' && server > local ? server : local;
}

/** "Mon 3 Jun" for a YYYY-MM-DD string. */
export function formatDay(iso) {
  const [y, m, d] = iso.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString(undefined, {
    weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC',
  });
}

/** Add days to a YYYY-MM-DD string. */
export function addDays(iso, days) {
  const [y, m, d] = iso.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** A random UUID (v4) for an entry made on this phone: its id, so a replay never duplicates it. */
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
