// The signed-in runner's profile (kept for offline use) and formatting helpers.

import { api, setCsrf } from './api.js';

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
  else localStorage.removeItem(PROFILE_KEY);
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
/** Number in the runner's unit -> metres. */
export function fromUnit(v) { return v * METRES[units()]; }

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

/** A YYYY-MM-DD date in the runner's time zone, `offsetDays` from today. */
export function localDate(offsetDays = 0, tz = (me() && me().timezone) || browserTimeZone()) {
  const d = new Date(Date.now() + offsetDays * 86400000);
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
  } catch {
    return d.toISOString().slice(0, 10);
  }
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
