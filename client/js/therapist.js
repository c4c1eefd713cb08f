// My therapist: one tap to call, email or book, and a printable 4-week summary.

import { api, showFieldErrors } from './api.js';
import { h, mount, field, errorLine, toast } from './dom.js';
import { me, setMe, localDate, formatDay } from './state.js';
import { fetchHistory, weekRows, weekTable } from './history.js';
import { sharingSection } from './sharing.js';

/** Only http(s) booking links: a `javascript:` URL must never become a link. */
export function safeHttpUrl(value) {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

function contactButtons(t) {
  const buttons = [];
  if (t.phone) buttons.push(h('a', { class: 'button', href: `tel:${t.phone.replace(/[^+\d]/g, '')}` }, `Call ${t.name || 'your therapist'}`));
  if (t.email) buttons.push(h('a', { class: 'button', href: `mailto:${encodeURIComponent(t.email).replace('%40', '@')}?subject=${encodeURIComponent('My knee: StrideGuard summary')}` }, 'Send an email'));
  const booking = t.booking_url && safeHttpUrl(t.booking_url);
  if (booking) buttons.push(h('a', { class: 'button', href: booking, target: '_blank', rel: 'noopener noreferrer' }, 'Book an appointment'));
  return buttons;
}

function editForm(t, rerender) {
  const error = errorLine();
  const form = h('form', { class: 'therapist-form', novalidate: true },
    field('Name', h('input', { name: 'name', value: t.name || '', autocomplete: 'off' })),
    field('Phone', h('input', { name: 'phone', type: 'tel', value: t.phone || '' })),
    field('Email', h('input', { name: 'email', type: 'email', value: t.email || '' })),
    field('Booking link', h('input', { name: 'booking_url', type: 'url', value: t.booking_url || '', placeholder: 'https://' })),
    error, h('button', { type: 'submit', class: 'primary' }, 'Save therapist'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const el = form.elements;
    const therapist = {};
    for (const k of ['name', 'phone', 'email', 'booking_url']) therapist[k] = el[k].value.trim() || null;
    if (therapist.booking_url && !safeHttpUrl(therapist.booking_url)) {
      error.textContent = 'The booking link must start with https://';
      return;
    }
    try {
      const data = await api('PATCH', '/me', { therapist });
      setMe(data.user || data);
      toast('Therapist saved.');
      rerender();
    } catch (err) {
      error.textContent = showFieldErrors(form, err);
    }
  });
  return form;
}

async function summary() {
  const box = h('section', { class: 'summary card', 'aria-label': 'Summary for your therapist' },
    h('p', { class: 'loading' }, 'Loading…'));
  try {
    const data = await fetchHistory(27);
    const since = weekRows((data.load.weeks || []).slice(-4), data.checkins);
    const flags = data.checkins.filter((c) => c.swelling || c.fever || c.locking_or_giving_way || c.hard_to_straighten);
    const worst = data.checkins.reduce((m, c) => Math.max(m, c.pain), 0);
    const over = data.checkins.filter((c) => c.pain > (me()?.pain_threshold ?? 3)).length;
    box.replaceChildren(
      h('h2', {}, 'Last 4 weeks'),
      h('p', {}, `${me()?.email || ''} · printed ${formatDay(localDate())}`),
      h('p', {}, `${data.checkins.length} check-ins, ${data.runs.length} runs. Worst pain ${worst}/10. Days above the pain limit: ${over}.`),
      weekTable(since, 'Distance and pain by week'),
      h('h3', {}, 'Red flags reported'),
      flags.length ? h('ul', {}, flags.map((c) => h('li', {}, `${formatDay(c.date)}: ${[
        c.swelling && 'swelling', c.fever && 'fever', c.locking_or_giving_way && 'locking or giving way',
        c.hard_to_straighten && 'hard to straighten'].filter(Boolean).join(', ')}`))) : h('p', {}, 'None.'),
      h('button', { type: 'button', class: 'no-print', onclick: () => window.print() }, 'Print or save as PDF'));
  } catch (err) {
    box.replaceChildren(h('p', { class: 'error', role: 'alert' }, err.message));
  }
  return box;
}

/** The #therapist screen. */
export async function showTherapist() {
  const t = me()?.therapist || {};
  const hasAny = t.phone || t.email || t.booking_url;
  const main = mount(t.name ? `My therapist: ${t.name}` : 'My therapist',
    hasAny ? h('div', { class: 'contact' }, contactButtons(t))
      : h('p', {}, 'Add your physical therapist so you can reach them in one tap.'));
  const sharing = await sharingSection();
  main.append(sharing,
    h('details', { class: 'card no-print', open: !hasAny }, h('summary', {}, 'Edit therapist details'), editForm(t, showTherapist)),
    h('p', { class: 'hint no-print' }, 'Or print this summary for your therapist:'), await summary());
}
