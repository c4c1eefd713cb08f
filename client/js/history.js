// History: daily pain against weekly distance for 12 weeks (inline SVG + a table), and
// the list of past check-ins and runs, each one open to edit or delete (entries.js).

import { api } from './api.js';
import { h, s, mount } from './dom.js';
import { runnerToday, addDays, formatDay, formatDistance, formatPace, toUnit, units } from './state.js';

const W = 340; const H = 200; const PAD = { l: 44, r: 28, t: 12, b: 28 };

/** Weekly distance bars (left axis) and each day's worst pain, dots joined by a line (right
 * axis, 0-10). `checkins`: `{date, pain}` per day (the summary's days, or check-ins). */
export function chart(weeks, checkins, overlay) {
  const first = weeks.length ? weeks[0].week_start : addDays(runnerToday(), -83);
  const days = 7 * Math.max(weeks.length, 12);
  const x = (iso) => {
    const [y1, m1, d1] = first.split('-').map(Number);
    const [y2, m2, d2] = iso.split('-').map(Number);
    const n = (Date.UTC(y2, m2 - 1, d2) - Date.UTC(y1, m1 - 1, d1)) / 86400000;
    return PAD.l + (n / days) * (W - PAD.l - PAD.r);
  };
  const maxDist = Math.max(1, ...weeks.map((w) => toUnit(w.distance_m)));
  const yDist = (v) => H - PAD.b - (v / maxDist) * (H - PAD.t - PAD.b);
  const yPain = (p) => H - PAD.b - (p / 10) * (H - PAD.t - PAD.b);
  const barW = ((W - PAD.l - PAD.r) / Math.max(weeks.length, 12)) * 0.7;

  const bars = weeks.map((w) => s('rect', {
    class: 'bar', x: x(w.week_start) + barW * 0.2, y: yDist(toUnit(w.distance_m)), width: barW,
    height: Math.max(0, H - PAD.b - yDist(toUnit(w.distance_m))),
  }));
  const points = checkins.filter((c) => c.date >= first).sort((a, b) => a.date.localeCompare(b.date));
  const line = points.length > 1 ? s('polyline', {
    class: 'pain-line', points: points.map((c) => `${x(c.date) + 2},${yPain(c.pain)}`).join(' '),
  }) : null;
  const dots = points.map((c) => s('circle', { class: 'pain-dot', cx: x(c.date) + 2, cy: yPain(c.pain), r: 2.5 }));
  const axes = [
    s('line', { class: 'axis', x1: PAD.l, y1: H - PAD.b, x2: W - PAD.r, y2: H - PAD.b }),
    s('text', { class: 'tick', x: PAD.l - 4, y: PAD.t + 8, 'text-anchor': 'end' }, `${maxDist.toFixed(maxDist < 10 ? 1 : 0)} ${units()}`),
    s('text', { class: 'tick', x: PAD.l - 4, y: H - PAD.b, 'text-anchor': 'end' }, '0'),
    s('text', { class: 'tick pain-tick', x: W - PAD.r + 4, y: PAD.t + 8 }, '10'),
    s('text', { class: 'tick pain-tick', x: W - PAD.r + 4, y: H - PAD.b }, '0'),
    s('text', { class: 'tick', x: PAD.l, y: H - 8 }, weeks.length ? formatDay(first) : ''),
    s('text', { class: 'tick', x: W - PAD.r, y: H - 8, 'text-anchor': 'end' }, ending && ending < runnerToday() ? formatDay(ending) : 'this week'),
  ];
  const more = overlay ? overlay(x, yPain) : {}; // the therapist's page: {back, front} nodes
  return s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img',
    'aria-label': `Bars: weekly distance in ${units()}. Line: daily pain from 0 to 10. The table below has the same numbers.` },
  more.back, ...axes, ...bars, line, ...dots, more.front);
}

/** One row per week: distance, runs, average and worst pain. */
export function weekRows(weeks, checkins) {
  return weeks.map((w) => {
    const end = addDays(w.week_start, 6);
    const pains = checkins.filter((c) => c.date >= w.week_start && c.date <= end).map((c) => c.pain);
    const avg = pains.length ? (pains.reduce((a, b) => a + b, 0) / pains.length).toFixed(1) : '–';
    const worst = pains.length ? String(Math.max(...pains)) : '–';
    return { week: formatDay(w.week_start), distance: formatDistance(w.distance_m), runs: String(w.runs), avg, worst, days: String(pains.length),
      pace: w.runs ? formatPace(w.distance_m, w.duration_s) : '–' };
  });
}

/** The weeks as a table; `{pace: true}` adds the week's average pace (the runner's History). */
export function weekTable(rows, caption, { pace = false } = {}) {
  const heads = ['Week of', 'Distance', 'Runs', ...(pace ? ['Pace'] : []), 'Avg pain', 'Worst pain'];
  return h('table', { class: 'data' },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, heads.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, h('th', { scope: 'row' }, r.week),
      h('td', {}, r.distance), h('td', {}, r.runs), pace ? h('td', {}, r.pace) : null, h('td', {}, r.avg), h('td', {}, r.worst)))));
}

let ending = null;
window.addEventListener('signed-out', () => { ending = null; });  // the next runner starts at this week
/** Show the weeks up to `iso` next time (e.g. an imported run from years ago); null: today. */
export function historyEnding(iso) { ending = iso; }

/** Fetch load, check-ins and runs for the `daysBack` days up to the chosen end (default today). */
export async function fetchHistory(daysBack = 84) {
  const to = ending && ending < runnerToday() ? ending : runnerToday();
  const from = addDays(to, -daysBack);
  const [load, checkins, runs, summary] = await Promise.all([
    api('GET', `/load?date=${to}`),
    api('GET', `/checkins?from=${from}&to=${to}`),
    api('GET', `/runs?from=${from}&to=${to}`),
    // Each day's worst pain — check-in and runs alike — from the server's one function
    // (the same numbers the therapist's table, chart and print show).
    api('GET', `/me/summary?from=${from}&to=${to}`),
  ]);
  const list = (x, key) => (Array.isArray(x) ? x : (x && x[key]) || []);
  return { load, checkins: list(checkins, 'checkins'), runs: list(runs, 'runs'), days: (summary && summary.days) || [] };
}

function endPicker() {
  const input = h('input', { type: 'date', name: 'ending', value: ending || runnerToday(), max: runnerToday() });
  input.addEventListener('change', () => { historyEnding(input.value || null); showHistory(); });
  const wrap = h('div', { class: 'field' }, h('label', { for: 'history-ending' }, 'Show the 12 weeks up to'), input);
  input.id = 'history-ending';
  return wrap;
}

/** "This week: 12.4 km in 2 runs · 5:40 /km". */
function weekLine(load) {
  const cur = load.current || {};
  const which = ending && ending < runnerToday() && load.week_start ? `Week of ${formatDay(load.week_start)}` : 'This week';
  if (!cur.runs) return `${which}: no runs.`;
  return `${which}: ${formatDistance(cur.distance_m)} in ${cur.runs} run${cur.runs === 1 ? '' : 's'} · ${formatPace(cur.distance_m, cur.duration_s)}`;
}

/**
 * The #history screen. Online it loads afresh; offline it shows what it last loaded. Either
 * way the entries reflect what waits in the outbox (an edit shows its new values, a
 * deletion hides the entry).
 */
export async function showHistory() {
  const main = mount('History', h('p', { class: 'loading' }, 'Loading…'));
  const { loadEntries, entryList } = await import('./entries.js');
  let data;
  try {
    data = await loadEntries(fetchHistory);
  } catch (err) {
    main.querySelector('.loading').replaceWith(h('p', { class: 'error', role: 'alert' }, err.message));
    return;
  }
  const weeks = data.load.weeks || [];
  const live = navigator.onLine && !data.stale;
  const planSlot = h('div', { class: 'plan-slot', 'data-wait': live ? '' : null });  // room kept: no layout shift
  if (live) {
    import('./plan.js').then((m) => m.loadPlanCard()).then((card) => { if (card) planSlot.replaceChildren(card); })
      .finally(() => planSlot.removeAttribute('data-wait'));
  }
  main.querySelector('.loading').replaceWith(...[
    data.stale ? h('p', { class: 'hint' }, 'Offline: showing what was loaded last. Changes are sent when you are back online.') : null,
    h('p', { class: 'week-line', id: 'week-line' }, weekLine(data.load)),
    h('figure', { class: 'card' }, chart(weeks, data.days),
      h('figcaption', {}, h('span', { class: 'key-bar' }, 'Weekly distance'), ' ', h('span', { class: 'key-pain' }, 'Daily pain'))),
    planSlot,  // under the chart: a card that arrives late moves less of the screen
    h('details', { class: 'card' }, h('summary', {}, 'Show as a table'),
      h('div', { class: 'table-scroll' }, weekTable(weekRows(weeks, data.days), 'Last 12 weeks', { pace: true }))),
    h('h2', {}, 'Entries'),
    entryList(data, showHistory),
    endPicker(),
    h('p', {}, h('a', { href: '#import', class: 'button' }, 'Import runs from a watch or Strava')),
  ].filter(Boolean));
}
