// My therapist: one tap to call, email or book, and a printable 4-week summary.

import { api, showFieldErrors } from './api.js';
import { h, mount, field, errorLine, toast } from './dom.js';
import { me, setMe, runnerToday, formatDay } from './state.js';
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
    // The figures come from the server (GET /me/summary): a day's pain is its worst, the
    // check-in's or a run's during or after — the same rule as the therapist's page.
    const [data, sum] = await Promise.all([fetchHistory(27), api('GET', `/me/summary?to=${runnerToday()}`)]);
    const since = weekRows((data.load.weeks || []).slice(-4), sum.days);
    const FLAGS = { swelling: 'swelling', fever: 'fever with knee pain', fever_alone: 'fever', locking_or_giving_way: 'locking or giving way', hard_to_straighten: 'hard to straighten' };
    box.replaceChildren(
      h('h2', {}, 'Last 4 weeks'),
      h('p', {}, `${me()?.display_name || me()?.email || ''} · printed ${formatDay(runnerToday())}`),
      h('p', {}, `${sum.checkins} check-ins, ${sum.runs} runs. Worst pain ${sum.worst_pain === null ? '–' : `${sum.worst_pain}/10`}. `,
        `Days above the pain limit (${sum.pain_threshold}/10): ${sum.days_above_limit}.`),
      h('p', { class: 'hint' }, 'A day’s pain is its worst: the check-in or a run, during or after.'),
      weekTable(since, 'Distance and pain by week'),
      h('h3', {}, 'Red flags reported'),
      sum.red_flags.length ? h('ul', {}, sum.red_flags.map((f) => h('li', {}, `${formatDay(f.date)}: ${f.flags.map((x) => FLAGS[x] || x).join(', ')}`)))
        : h('p', {}, 'None.'),
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
