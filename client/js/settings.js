// Settings: reminders, quiet hours, units, conditions, notification detail, push on/off,
// shoes, export, sign out and delete account.

import { api, showFieldErrors } from './api.js';
import { h, mount, field, errorLine, segmented, toast } from './dom.js';
import { me, setMe, loadMe, browserTimeZone, formatDistance, fromUnit, units } from './state.js';
import { pushState, enablePush, disablePush, pushErrorText, unsupportedText } from './push.js';
import { signOut } from './session.js';

const PUSH_TEXT = {
  denied: 'Notifications are blocked for StrideGuard. Allow them in your browser’s site settings, then reload this page.',
  off: 'Reminders are off on this phone.',
  on: 'Reminders are on for this phone.',
  lost: 'Reminders stopped on this phone. Turn them on again.',
};

/** "Set by your therapist (Dana Reyes)" for a locked limit, else null. */
function lockNote(p, name) {
  if (!(p.locked || []).includes(name)) return null;
  const who = (p.limits_set_by || {})[name] || [];
  return h('span', { class: 'locked-note' }, `Set by your therapist${who.length ? ` (${who.join(', ')})` : ''}. Ask them to change it.`);
}

function limitField(p, label, input, hint, name) {
  const locked = (p.locked || []).includes(name);
  if (locked) input.disabled = true;
  const wrap = field(label, input, locked ? null : hint);
  const note = lockNote(p, name);
  if (note) wrap.append(note);
  return wrap;
}

function profileForm(p, conditions) {
  const error = errorLine();
  const quiet = p.quiet_hours || null;
  const runner = p.role !== 'therapist';
  const quietOn = h('input', { type: 'checkbox', name: 'quiet_on', checked: Boolean(quiet) });
  const conditionsLocked = (p.locked || []).includes('conditions');
  const zones = (typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : []);
  const zoneList = zones.length ? h('datalist', { id: 'time-zones' }, zones.map((z) => h('option', { value: z }))) : null;
  const timezone = field('Time zone', h('input', { name: 'timezone', value: p.timezone || browserTimeZone(), list: zoneList ? 'time-zones' : null, autocomplete: 'off', spellcheck: 'false' }),
    `Your days start at midnight here: check-ins, the care plan and reminders use it. This device: ${browserTimeZone()}.`);
  const instruction = p.therapist_instruction ? h('p', { class: 'instruction' }, h('span', { class: 'strong' }, 'From your therapist: '), p.therapist_instruction) : null;
  const form = h('form', { class: 'settings', novalidate: true },
    field(runner ? 'Your name (your therapist sees it)' : 'Your name (your patients see it)',
      h('input', { name: 'display_name', value: p.display_name || '', autocomplete: 'name', maxlength: 100 })),
    segmented('Units', 'units', [['km', 'Kilometres'], ['mi', 'Miles']], p.units || 'km'),
    timezone, zoneList,
    runner ? field('Daily reminder time', h('input', { type: 'time', name: 'reminder_time', value: p.reminder_time || '20:00' })) : null,
    h('fieldset', {}, h('legend', {}, 'Quiet hours'),
      h('label', { class: 'toggle' }, quietOn, h('span', {}, 'No notifications at night')),
      h('div', { class: 'row' },
        field('From', h('input', { type: 'time', name: 'quiet_start', value: quiet?.start || '22:00' })),
        field('Until', h('input', { type: 'time', name: 'quiet_end', value: quiet?.end || '07:00' })))),
    segmented(runner ? 'Notification text' : 'Alert text', 'notification_detail',
      [['discreet', 'Discreet'], ['detailed', runner ? 'With details' : 'With patient names and numbers']], p.notification_detail || 'discreet'),
    runner && conditions.length ? h('fieldset', { class: 'conditions' }, h('legend', {}, 'Conditions your therapist mentioned'),
      lockNote(p, 'conditions'),
      conditions.map((c) => h('label', { class: 'toggle' },
        h('input', { type: 'checkbox', name: 'conditions', value: c.id, checked: (p.conditions || []).includes(c.id), disabled: conditionsLocked }),
        h('span', {}, c.name)))) : null,
    runner ? h('details', { open: Boolean((p.locked || []).length) }, h('summary', {}, 'Limits set with your therapist'),
      instruction,
      limitField(p, 'Pain limit (0-10)', h('input', { type: 'number', name: 'pain_threshold', min: '0', max: '10', step: '1', value: String(p.pain_threshold ?? 3) }),
        'Advice to stop starts above this number.', 'pain_threshold'),
      limitField(p, 'Weekly increase limit (%)', h('input', { type: 'number', name: 'weekly_increase_pct', min: '0', max: '100', step: '1', value: String(p.weekly_increase_pct ?? 10) }),
        null, 'weekly_increase_pct'),
      (p.locked || []).includes('speed_increase_pct') ? h('p', {}, `Weekly pace increase limit: ${p.speed_increase_pct}%`, ' ', lockNote(p, 'speed_increase_pct')) : null) : null,
    error, h('button', { type: 'submit', class: 'primary' }, 'Save settings'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const el = form.elements;
    const body = {
      display_name: el.display_name.value.trim() || null,
      units: form.querySelector('input[name="units"]:checked')?.value || 'km',
      quiet_hours: quietOn.checked ? { start: el.quiet_start.value, end: el.quiet_end.value } : null,
      notification_detail: form.querySelector('input[name="notification_detail"]:checked')?.value || 'discreet',
      timezone: el.timezone.value.trim(),
    };
    if (runner) {
      body.reminder_time = el.reminder_time.value;
      body.pain_threshold = Number(el.pain_threshold.value);
      body.weekly_increase_pct = Number(el.weekly_increase_pct.value);
      if (conditions.length) body.conditions = [...form.querySelectorAll('input[name="conditions"]:checked')].map((i) => i.value);
    }
    try {
      const data = await api('PATCH', '/me', body);
      setMe(data.user || data);
      toast('Settings saved.');
      error.textContent = '';
    } catch (err) {
      error.textContent = showFieldErrors(form, err);
    }
  });
  return form;
}

async function pushSection(therapist = false) {
  const status = h('p', { 'aria-live': 'polite' });
  const button = h('button', { type: 'button' });
  const word = therapist ? 'patient alerts' : 'reminders';
  const problem = h('p', { class: 'error', role: 'alert' });
  const title = therapist ? 'Patient alerts on this phone' : 'Reminders on this phone';
  const box = h('section', { class: 'card', 'aria-label': title }, h('h2', {}, title), status, problem, button);
  async function render() {
    const state = await pushState().catch(() => 'unsupported');
    const text = state === 'unsupported' ? unsupportedText() : PUSH_TEXT[state];
    status.textContent = therapist ? text.replace(/Reminders/g, 'Patient alerts').replace(/reminders/g, 'patient alerts') : text;
    button.hidden = state === 'unsupported' || state === 'denied';
    button.textContent = state === 'on' ? `Turn off ${word}` : `Turn on ${word}`;
    button.dataset.state = state;
  }
  button.addEventListener('click', async () => {
    button.disabled = true;
    problem.textContent = '';
    try {
      if (button.dataset.state === 'on') await disablePush(); else await enablePush();
    } catch (err) {
      const text = pushErrorText(err);
      problem.textContent = therapist ? text.replace(/reminders/g, 'patient alerts') : text;
    } finally {
      button.disabled = false;
      await render();
    }
  });
  await render();
  return box;
}

async function shoesSection() {
  const list = h('ul', { class: 'entries' });
  const error = errorLine();
  const unit = units();
  const form = h('form', { class: 'row', novalidate: true },
    field('New shoe', h('input', { name: 'name', maxlength: 80, required: true })),
    field(`Limit (${unit})`, h('input', { type: 'number', name: 'limit', min: '1', step: '1', value: unit === 'mi' ? '500' : '800' })),
    h('button', { type: 'submit' }, 'Add shoe'));
  async function load() {
    const data = await api('GET', '/shoes');
    const shoes = Array.isArray(data) ? data : (data.shoes || []);
    list.replaceChildren(...shoes.map((shoe) => {
      const retire = h('button', { type: 'button', class: 'link' }, shoe.retired ? 'Use again' : 'Retire');
      retire.addEventListener('click', async () => {
        await api('PATCH', `/shoes/${shoe.id}`, { retired: !shoe.retired });
        load();
      });
      return h('li', {}, h('span', {}, `${shoe.name}${shoe.retired ? ' (retired)' : ''}`),
        h('span', {}, `${formatDistance(shoe.distance_m ?? 0, 0)} of ${formatDistance(shoe.limit_m, 0)}`), retire);
    }));
  }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const name = form.elements.name.value.trim();
    if (!name) { error.textContent = 'Give the shoe a name.'; return; }
    try {
      // In the unit the form was drawn in (the runner may have switched units since).
      await api('POST', '/shoes', { name, limit_m: Math.round(fromUnit(Number(form.elements.limit.value || 800), unit)) });
      form.reset();
      error.textContent = '';
      await load();
    } catch (err) {
      error.textContent = err.message;
    }
  });
  await load().catch(() => {});
  return h('section', { class: 'card' }, h('h2', {}, 'Shoes'), list, form, error);
}

async function exportData() {
  const res = await api('GET', '/export', undefined, { raw: true });
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: `strideguard-export.json` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function accountSection() {
  const exportBtn = h('button', { type: 'button' }, 'Download my data');
  exportBtn.addEventListener('click', () => exportData().catch((err) => toast(err.message)));
  const signOutBtn = h('button', { type: 'button' }, 'Sign out');
  signOutBtn.addEventListener('click', () => signOut());
  const error = errorLine();
  const del = h('form', { class: 'danger', novalidate: true },
    h('p', {}, 'This deletes your account and every check-in, run and reminder. It cannot be undone.'),
    field('Your password', h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true })),
    error, h('button', { type: 'submit', class: 'danger' }, 'Delete my account'));
  del.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api('DELETE', '/me', { password: del.elements.password.value });
      await signOut({ alreadyGone: true });
      toast('Your account and data are deleted.');
    } catch (err) {
      error.textContent = err.message;
    }
  });
  return h('section', { class: 'card' }, h('h2', {}, 'Your account'), h('p', {}, me()?.email || ''),
    h('div', { class: 'contact' }, exportBtn, signOutBtn),
    h('details', {}, h('summary', {}, 'Delete account'), del));
}

/** The #settings screen. */
export async function showSettings() {
  const hash = location.hash;
  try { await loadMe(); } catch { /* offline: the profile we last saw */ }
  if (location.hash !== hash) return; // the runner moved on while the profile loaded
  const p = me() || {};
  let conditions = [];
  try {
    const data = await api('GET', '/conditions');
    conditions = Array.isArray(data) ? data : (data.conditions || []);
  } catch { /* offline: settings still open */ }
  const form = profileForm(p, conditions);
  const side = h('div', { class: 'settings-side' });
  mount('Settings', h('div', { class: 'settings-grid' }, h('div', {}, form), side));
  side.append(await pushSection(p.role === 'therapist'));
  if (p.role !== 'therapist') side.append(await shoesSection());
  side.append(accountSection());
}
