// fetch wrapper for /api/v1: JSON in and out, same-origin cookies, CSRF header on unsafe
// methods, and the error envelope turned into an ApiError with a readable message.

const BASE = '/api/v1';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
let csrfToken = null;
const tokenListeners = [];

export class ApiError extends Error {
  constructor(status, code, message, fields) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields || {};
  }
}

/** Thrown when the request never reached the server (offline, server down). */
export class NetworkError extends Error {}

export function setCsrf(token) {
  csrfToken = token || null;
  tokenListeners.forEach((fn) => fn(csrfToken));
}

export function onCsrf(fn) { tokenListeners.push(fn); }

export function hasCsrf() { return Boolean(csrfToken); }

/** The CSRF token, for requests that are not JSON (file uploads). */
export function csrf() { return csrfToken; }

const FALLBACK = {
  400: 'That request was not understood.',
  401: 'Please sign in.',
  403: 'Your session has expired. Please reload the page.',
  404: 'Not found.',
  409: 'That conflicts with something already saved.',
  413: 'That is too large to save.',
  422: 'Please check the highlighted fields.',
  429: 'Too many attempts. Please wait a moment and try again.',
};

/** Call the API. Returns parsed JSON (or null for 204). Throws ApiError / NetworkError. */
export async function api(method, path, body, { raw = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (UNSAFE.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  // navigator.onLine is false only when the device is surely offline: do not even try.
  if (!navigator.onLine) throw new NetworkError('You seem to be offline.');
  let res;
  try {
    res = await fetch(BASE + path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new NetworkError('You seem to be offline.');
  }
  if (raw && res.ok) return res;
  if (res.status === 204) return null;
  let data = null;
  try { data = await res.json(); } catch { data = null; }
  if (!res.ok) {
    const e = (data && data.error) || {};
    const message = e.message || FALLBACK[res.status] || `Something went wrong (${res.status}). Please try again.`;
    // A patient who stopped sharing: every open view of them hears it (patient.js).
    if (res.status === 404 && /^\/clinic\/patients\/\d+/.test(path)) {
      window.dispatchEvent(new CustomEvent('patient-gone', { detail: path }));
    }
    throw new ApiError(res.status, e.code || String(res.status), message, e.fields);
  }
  if (data && data.csrf_token) setCsrf(data.csrf_token);
  return data;
}

/** Put field errors from a 422 next to the inputs (by name) and return a summary line. */
export function showFieldErrors(form, err) {
  form.querySelectorAll('.field-error').forEach((n) => n.remove());
  form.querySelectorAll('[aria-invalid]').forEach((n) => n.removeAttribute('aria-invalid'));
  for (const [name, msgs] of Object.entries(err.fields || {})) {
    const input = form.querySelector(`[name="${CSS.escape(name)}"]`);
    const text = Array.isArray(msgs) ? msgs.join(' ') : typeof msgs === 'string' ? msgs : 'Check this value.';
    if (!input) continue;
    input.setAttribute('aria-invalid', 'true');
    const note = document.createElement('span');
    note.className = 'field-error';
    note.textContent = text;
    (input.closest('.field, fieldset, label') || input).append(note);
  }
  return err.message;
}
