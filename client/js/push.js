// Web Push on this phone: subscribe only from a button press; re-synced on every load so a
// subscription revoked by the browser (or missing on the server) is noticed and repaired.

import { api, ApiError, NetworkError } from './api.js';

const WANTED = 'sg.push.wanted';

/** An iPhone or iPad (iPadOS reports a Mac with a touch screen). */
export function isIos() {
  return /iPad|iPhone|iPod/.test(navigator.userAgent) || (navigator.platform === 'MacIntel' && navigator.maxTouchPoints > 1);
}

/** Opened from the Home Screen (an installed app), not in a browser tab. */
export function isInstalled() {
  return navigator.standalone === true || window.matchMedia?.('(display-mode: standalone)').matches === true;
}

/** Why push cannot work in this browser, and what to do, in plain words. */
export function unsupportedText() {
  if (isIos() && !isInstalled()) {
    return 'On iPhone and iPad, reminders work only in the installed app. Tap Share, then Add to Home Screen, open StrideGuard from there and turn reminders on.';
  }
  return 'This browser cannot show reminders. Open StrideGuard in Chrome, Edge, Firefox or Safari to get them.';
}

/** A failed push registration in plain words, with what to do (never the browser's raw text). */
export function pushErrorText(err) {
  if (err instanceof NetworkError) return 'You are offline. Connect to the internet, then turn reminders on again.';
  if (err instanceof ApiError) {
    return err.status >= 500 ? 'The server cannot set up reminders right now. Try again in a few minutes.' : err.message;
  }
  const name = err && err.name;
  if (name === 'PermissionDismissed') return 'You closed the question without choosing. Tap the button again and choose Allow.';
  if (name === 'NotAllowedError' || name === 'PermissionDenied') {
    return 'Notifications are blocked for StrideGuard. Allow them in your browser’s site settings, then tap the button again.';
  }
  if (name === 'AbortError') return 'Your browser’s push service did not answer. Check your internet connection and try again in a minute.';
  if (name === 'InvalidStateError') return 'This phone has an old reminder registration. Turn reminders off, then on again.';
  if (!pushSupported()) return unsupportedText();
  return 'Reminders could not be turned on. Try again; if it keeps failing, reload StrideGuard.';
}

function named(name) {
  const err = new Error(name);
  err.name = name;
  return err;
}

export function pushSupported() {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

function keyBytes(base64url) {
  const pad = '='.repeat((4 - (base64url.length % 4)) % 4);
  const bin = atob((base64url + pad).replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

async function current() {
  const reg = await navigator.serviceWorker.ready;
  return { reg, sub: await reg.pushManager.getSubscription() };
}

/**
 * State of push on this phone: 'unsupported' | 'denied' | 'off' | 'on' | 'lost'
 * ('lost' = the runner turned it on, but the browser no longer has the subscription).
 */
export async function pushState() {
  if (!pushSupported()) return 'unsupported';
  if (Notification.permission === 'denied') return 'denied';
  const { sub } = await current();
  if (sub) return 'on';
  return localStorage.getItem(WANTED) ? 'lost' : 'off';
}

/** Turn push on. Must be called from a click (the permission prompt needs a user gesture). */
export async function enablePush() {
  if (!pushSupported()) throw named('NotSupportedError');
  const permission = await Notification.requestPermission();
  if (permission === 'denied') throw named('PermissionDenied');
  if (permission !== 'granted') throw named('PermissionDismissed');
  const { public_key: publicKey } = await api('GET', '/push/key');
  const { reg } = await current();
  let sub = await reg.pushManager.getSubscription();
  if (!sub) sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(publicKey) });
  const json = sub.toJSON();
  await api('POST', '/push/subscriptions', { endpoint: json.endpoint, keys: json.keys });
  localStorage.setItem(WANTED, '1');
}

/** Turn push off on this phone and on the server. */
export async function disablePush() {
  localStorage.removeItem(WANTED);
  const { sub } = await current();
  if (!sub) return;
  const { endpoint } = sub;
  await sub.unsubscribe().catch(() => {});
  await api('DELETE', '/push/subscriptions', { endpoint });
}

/** On every load: make sure the server knows this phone's subscription, if any. */
export async function resyncPush() {
  if (!pushSupported() || !localStorage.getItem(WANTED)) return;
  const { sub } = await current();
  if (!sub) return; // 'lost': settings shows it and offers the button again
  const data = await api('GET', '/push/subscriptions');
  const subs = Array.isArray(data) ? data : (data.subscriptions || []);
  if (!subs.some((x) => x.endpoint === sub.endpoint)) {
    const json = sub.toJSON();
    await api('POST', '/push/subscriptions', { endpoint: json.endpoint, keys: json.keys });
  }
}

/** Forget the local wish for push (sign-out). The browser subscription is removed too. */
export async function forgetPush() {
  localStorage.removeItem(WANTED);
  if (!pushSupported()) return;
  const { sub } = await current();
  if (sub) await sub.unsubscribe().catch(() => {});
}
