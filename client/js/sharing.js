// Share with my therapist: make a single-use invitation, see who has access and stop it in
// one tap, and read every access a therapist made. Text only through textContent (dom.js).

import { api } from './api.js';
import { h, toast } from './dom.js';
import { loadMe, formatDay } from './state.js';

const ACTIONS = {
  access_granted: 'started seeing your data',
  access_revoked: 'lost access',
  viewed_dashboard: 'looked at the patient list',
  viewed_patient: 'opened your check-ins, runs and plan',
  exported_fhir: 'exported your summary for their clinic records',
  changed_limits: 'changed your limits',
  recorded_assessment: 'recorded that your knee was assessed',
  viewed_programme: 'opened your exercise programme',
  changed_programme: 'changed your exercise programme',
  viewed_adherence: 'looked at how your exercises are going',
  viewed_exercise_sessions: 'opened your logged exercise sessions',
};
const LIMIT_NAMES = {
  pain_threshold: 'Pain limit', weekly_increase_pct: 'Weekly distance increase',
  speed_increase_pct: 'Weekly pace increase', conditions: 'Conditions', instruction: 'Instruction',
};

function when(iso) {
  const d = new Date(iso);
  return `${formatDay(d.toISOString().slice(0, 10))} ${d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })}`;
}

function valueText(name, value) {
  if (value === null || value === undefined) return 'not set';
  if (name === 'pain_threshold') return `${value}/10`;
  if (/pct$/.test(name)) return `${value}%`;
  if (Array.isArray(value)) return value.length ? value.join(', ') : 'none';
  return String(value);
}

/** "Pain limit: not set → 5/10" lines of a change. */
export function changeLines(changes) {
  return Object.entries(changes || {}).map(([name, c]) => `${LIMIT_NAMES[name] || name}: ${valueText(name, c.old)} → ${valueText(name, c.new)}`);
}

function invitationCard(inv) {
  // The server gives an absolute link only from its configured public address; else a
  // relative one, which belongs to the origin this app was loaded from.
  const link = new URL(inv.url, window.location.href).href;
  const copy = h('button', { type: 'button' }, 'Copy link');
  copy.addEventListener('click', async () => {
    try { await navigator.clipboard.writeText(link); toast('Link copied.'); } catch { toast('Copy the code by hand.'); }
  });
  const share = navigator.share ? h('button', { type: 'button' }, 'Send…') : null;
  share?.addEventListener('click', () => navigator.share({ title: 'StrideGuard', text: `My StrideGuard code: ${inv.code}`, url: link }).catch(() => {}));
  return h('div', { class: 'invitation', role: 'status' },
    h('p', {}, 'Give this code to your therapist. It works once, until ', formatDay(inv.expires_at.slice(0, 10)), '.'),
    h('p', { class: 'code', tabindex: '-1', 'aria-label': `Code ${inv.code.split('').join(' ')}` }, inv.code),
    h('p', { class: 'hint' }, 'It is shown only now. Your therapist enters it in their StrideGuard, or opens the link.'),
    h('div', { class: 'contact' }, copy, share));
}

function therapistItem(t, rerender) {
  const stop = h('button', { type: 'button', class: 'danger' }, 'Stop sharing');
  stop.addEventListener('click', async () => {
    stop.disabled = true;
    try {
      await api('DELETE', `/me/therapists/${t.id}`);
      await loadMe().catch(() => {});
      toast(`${t.name || t.email} can no longer see your data.`);
      rerender();
    } catch (err) {
      stop.disabled = false;
      toast(err.message);
    }
  });
  const set = Object.entries(t.limits || {}).filter(([, v]) => v !== null && v !== undefined);
  return h('li', { class: 'therapist-access', 'data-therapist-id': String(t.id) },
    h('div', {}, h('p', { class: 'strong' }, t.name || t.email), t.name ? h('p', { class: 'hint' }, t.email) : null,
      h('p', { class: 'hint' }, `Since ${formatDay(t.since.slice(0, 10))}`),
      set.length ? h('p', {}, `Limits set: ${set.map(([k, v]) => `${LIMIT_NAMES[k] || k} ${valueText(k, v)}`).join('; ')}`) : null),
    stop);
}

function logList(entries) {
  if (!entries.length) return h('p', {}, 'No therapist has looked at your data.');
  return h('ul', { class: 'entries access-log' }, entries.map((e) => h('li', {},
    h('span', { class: 'when' }, when(e.at)),
    h('span', {}, `${e.therapist} ${ACTIONS[e.action] || e.action}`,
      ...changeLines(e.detail && e.detail.changes).map((line) => h('span', { class: 'change' }, line))))));
}

/** The "Share with my therapist" section of the #therapist screen. */
export async function sharingSection() {
  const box = h('section', { class: 'card sharing no-print', 'aria-label': 'Share with my therapist' });
  async function render(fresh) {
    let therapists = []; let open = []; let log = [];
    try {
      [therapists, open, log] = await Promise.all([
        api('GET', '/me/therapists'), api('GET', '/me/invitations'), api('GET', '/me/access-log?limit=50')]);
    } catch (err) {
      box.replaceChildren(h('h2', {}, 'Share with my therapist'), h('p', { class: 'error' }, err.message));
      return;
    }
    const create = h('button', { type: 'button', class: 'primary' }, 'Share with my therapist');
    create.addEventListener('click', async () => {
      create.disabled = true;
      try {
        await render(await api('POST', '/me/invitations'));
        // The button is gone: focus the code, or a keyboard and a screen reader start over at the top.
        box.querySelector('.invitation .code')?.focus();
      } catch (err) {
        create.disabled = false;
        toast(err.message);
      }
    });
    const pending = open.filter((i) => !fresh || i.id !== fresh.id);
    box.replaceChildren(...[
      h('h2', {}, 'Share with my therapist'),
      h('p', {}, 'Your therapist sees your check-ins, runs and plan, and can set your limits. You can stop it at any time.'),
      fresh ? invitationCard(fresh) : create,
      h('h3', {}, 'Who can see your data'),
      therapists.length ? h('ul', { class: 'entries' }, therapists.map((t) => therapistItem(t, () => render()))) : h('p', {}, 'Nobody yet.'),
      pending.length ? h('details', {}, h('summary', {}, `Open invitations (${pending.length})`),
        h('ul', { class: 'entries' }, pending.map((inv) => {
          const cancel = h('button', { type: 'button', class: 'link' }, 'Cancel');
          cancel.addEventListener('click', async () => { await api('DELETE', `/me/invitations/${inv.id}`).catch((e) => toast(e.message)); render(fresh); });
          return h('li', {}, h('span', {}, `Made ${formatDay(inv.created_at.slice(0, 10))}, valid until ${formatDay(inv.expires_at.slice(0, 10))}`), cancel);
        }))) : null,
      h('details', { class: 'log' }, h('summary', {}, 'Access log'), logList(log))].filter(Boolean));
  }
  await render();
  return box;
}
