// Web Push on this phone: subscribe only from a button press; re-synced on every load so a
// subscription revoked by the browser (or missing on the server) is noticed and repaired.

import { api } from './api.js';

const WANTED = 'sg.push.wanted';

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
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') throw new Error('Notifications are blocked. Allow them in your browser settings.');
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
