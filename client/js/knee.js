// Tap-a-region knee diagram: an inline SVG front view. Each region is an ARIA radio, so it
// works with a finger, a keyboard and a screen reader. The back of the knee and the whole
// knee are buttons below the drawing (they are not visible from the front).

import { h, s } from './dom.js';

export const REGIONS = {
  around_kneecap: 'Around the kneecap',
  on_kneecap: 'On the kneecap',
  below_kneecap: 'Below the kneecap',
  outside: 'Outside of the knee',
  inside_below_joint: 'Inside, just below the joint',
  back_of_knee: 'Back of the knee',
  whole_knee: 'Whole knee',
};

// Drawn as a RIGHT knee seen from the front: the outside (lateral) side is on the viewer's
// left. A left knee is the mirror image.
const SHAPES = [
  ['around_kneecap', 'ellipse', { cx: 100, cy: 112, rx: 46, ry: 54 }],
  ['outside', 'path', { d: 'M36 78 Q26 112 38 150 L56 146 Q48 112 56 80 Z' }],
  ['inside_below_joint', 'path', { d: 'M144 136 Q160 150 156 184 L138 186 Q140 160 130 146 Z' }],
  ['below_kneecap', 'rect', { x: 84, y: 166, width: 32, height: 40, rx: 10 }],
  ['on_kneecap', 'ellipse', { cx: 100, cy: 110, rx: 26, ry: 32 }],
];

/**
 * Build the diagram. `onChange({location, side})` is called on every choice.
 * Returns {element, value(), reset()}.
 */
export function kneeDiagram(onChange = () => {}) {
  let location = null;
  let side = 'right';
  const regionEls = new Map();

  const leg = s('path', {
    class: 'leg',
    d: 'M52 0 L148 0 Q150 70 156 112 Q160 150 140 196 L130 260 L70 260 L60 196 Q40 150 44 112 Q50 70 52 0 Z',
  });
  const shapes = s('g', { class: 'shapes' }, leg);
  for (const [id, tag, attrs] of SHAPES) {
    const el = s(tag, {
      ...attrs, class: 'region', role: 'radio', tabindex: '-1',
      'aria-checked': 'false', 'aria-label': REGIONS[id], 'data-location': id,
    }, s('title', {}, REGIONS[id]));
    el.addEventListener('click', () => choose(id));
    shapes.append(el);
    regionEls.set(id, el);
  }
  const labelOut = s('text', { class: 'knee-label', y: 70 }, 'outside');
  const labelIn = s('text', { class: 'knee-label', y: 210 }, 'inside');
  const svg = s('svg', {
    viewBox: '0 0 200 260', class: 'knee', role: 'radiogroup',
    'aria-label': 'Where does it hurt? Front of the knee',
  }, shapes, labelOut, labelIn);
  svg.addEventListener('keydown', onKey);

  const extra = h('div', { class: 'knee-extra' });
  for (const id of ['back_of_knee', 'whole_knee']) {
    const btn = h('button', { type: 'button', class: 'chip', 'aria-pressed': 'false', 'data-location': id }, REGIONS[id]);
    btn.addEventListener('click', () => choose(location === id ? null : id));
    extra.append(btn);
    regionEls.set(id, btn);
  }

  const sideGroup = h('div', { class: 'seg-row', role: 'group', 'aria-label': 'Which knee' });
  for (const [val, text] of [['left', 'Left'], ['right', 'Right'], ['both', 'Both']]) {
    const btn = h('button', { type: 'button', class: 'chip', 'aria-pressed': String(val === side), 'data-side': val }, text);
    btn.addEventListener('click', () => { side = val; render(); onChange(value()); });
    sideGroup.append(btn);
  }
  const chosen = h('p', { class: 'knee-chosen', 'aria-live': 'polite' });

  function choose(id) {
    location = id;
    render();
    onChange(value());
  }

  function onKey(ev) {
    const ids = SHAPES.map(([id]) => id);
    const idx = ids.indexOf(location);
    if (['ArrowRight', 'ArrowDown', 'ArrowLeft', 'ArrowUp'].includes(ev.key)) {
      ev.preventDefault();
      const step = ev.key === 'ArrowRight' || ev.key === 'ArrowDown' ? 1 : -1;
      choose(ids[(idx + step + ids.length) % ids.length]);
      regionEls.get(location).focus();
    } else if ((ev.key === ' ' || ev.key === 'Enter') && ev.target.dataset.location) {
      ev.preventDefault();
      choose(ev.target.dataset.location);
    }
  }

  function render() {
    const mirrored = side === 'left';
    shapes.setAttribute('transform', mirrored ? 'translate(200 0) scale(-1 1)' : '');
    labelOut.setAttribute('x', mirrored ? 150 : 8);
    labelIn.setAttribute('x', mirrored ? 8 : 150);
    let focusable = false;
    for (const [id, el] of regionEls) {
      const on = id === location;
      if (el instanceof SVGElement) {
        el.setAttribute('aria-checked', String(on));
        el.setAttribute('tabindex', on || (!location && id === 'around_kneecap') ? '0' : '-1');
        focusable = focusable || on;
      } else {
        el.setAttribute('aria-pressed', String(on));
      }
    }
    if (!focusable) regionEls.get('around_kneecap').setAttribute('tabindex', '0');
    sideGroup.querySelectorAll('[data-side]').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.side === side)));
    chosen.textContent = location ? `${REGIONS[location]}, ${side === 'both' ? 'both knees' : `${side} knee`}` : 'Tap where it hurts (optional).';
  }

  function value() { return { location, side: location ? side : null }; }

  function set(v) {
    location = v.location || null;
    side = v.side || 'right';
    render();
  }

  render();
  const element = h('fieldset', { class: 'knee-box' },
    h('legend', {}, 'Where does it hurt?'), sideGroup, svg, extra, chosen);
  return { element, value, set };
}
